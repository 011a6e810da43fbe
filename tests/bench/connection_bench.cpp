// The connection-stack benchmark (a program, not a test): canswarm against
// js-libp2p 3 over loopback TCP, every number and its anchor measured in the
// same run, for three stacks: Noise + yamux (the default, full repetitions;
// the targets apply to it), TLS + yamux and Noise + mplex (fewer
// repetitions). Every peer of a stack offers that security protocol and that
// muxer alone, so no connection can negotiate anything else.
//
//   bulk:   64 MiB over one muxed stream to a counting sink, for
//           canswarm->canswarm, js->js, canswarm->js and js->canswarm, and
//           raw loopback TCP (two plain sockets) as the bound;
//   setup:  sequential fresh connections (TCP connect + multistream +
//           security handshake + muxer + opening /echo/1.0.0 + one byte
//           echoed back), p50/p99;
//   memory: VmRSS of an idle `canswarm node` and its growth per idle
//           connection at 500 connections (dialled from this process, so the
//           dialers' memory does not count); the same for a js peer.
//
// Every peer is its own process: canswarm peers are this program with
// --peer (a swarm + listener serving the same JSON-line commands as
// tests/bench/js/bench_peer.mjs; swarm_config::security / muxers set from
// --security= / --muxer=), js peers run bench_peer.mjs (env P2P_SECURITY /
// P2P_MUXERS). A missed target is reported, never an error; the exit status
// is nonzero only when something failed to run.
//
// Usage: bench_connection [--peer [--security=noise|tls|plaintext]
//                                 [--muxer=yamux|mplex]]
// Environment: CANSWARM_SOURCE_DIR (default: the configured source dir),
// CANSWARM_BINARY (default: the built runtime/canswarm).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <fmt/format.h>

#include "canswarm/connection/interfaces.hpp"
#include "canswarm/connection/messages.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/connection/upgrade.hpp"
#include "canswarm/log/log.hpp"
#include "connection_bench_child.hpp"
#include "js_peer.hpp"
#include "stream_actors.hpp"

using namespace canswarm;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// -- parameters (every loop bounded in count and time) ------------------------

/// Bytes per bulk transfer.
constexpr std::size_t bulk_size = 64u << 20;

/// Transfers per bulk path (the median is reported) for the default stack.
constexpr int bulk_runs = 5;

/// Transfers per bulk path for the other stacks (bounds the total run).
constexpr int extra_bulk_runs = 3;

/// Longest one bulk transfer may take (js is the slow one).
constexpr auto bulk_timeout = 60s;

/// Sequential dials for the setup time of canswarm->canswarm and js->js.
constexpr int setup_dials = 200;

/// Sequential dials for the mixed pairs (informational).
constexpr int mixed_setup_dials = 50;

/// Time budget of one setup series (it stops early when spent).
constexpr auto setup_budget = 40s;

/// Sequential dials per setup series for the other stacks, and their budget.
constexpr int extra_setup_dials = 50;
constexpr int extra_mixed_setup_dials = 20;
constexpr auto extra_setup_budget = 15s;

/// Idle connections for the RSS per connection.
constexpr int rss_connections = 500;

/// Dials in flight while opening them.
constexpr int rss_dial_batch = 50;

/// Time for connections (and the allocator) to settle before reading RSS.
constexpr auto rss_settle = 1500ms;

/// Sink / echo protocols served by both peers.
const std::string sink_protocol = "/canswarm/sink/1.0.0";
const std::string echo_protocol = "/echo/1.0.0";

using clock_type = std::chrono::steady_clock;

using connection::muxer_kind;
using connection::security_kind;

/// One benchmarked connection stack and how much of it to measure.
struct stack {
  security_kind security;
  muxer_kind muxer;
  int bulk_runs;
  int setup_dials; ///< canswarm->canswarm and js->js.
  int mixed_setup_dials; ///< canswarm->js and js->canswarm.
  std::chrono::seconds setup_budget;

  std::string label() const {
    std::string sec = security == security_kind::noise ? "Noise"
                      : security == security_kind::tls ? "TLS"
                                                       : "plaintext";
    return sec + " + " + connection::to_string(muxer);
  }
};

/// The default stack first: the targets apply to it.
const std::vector<stack> stacks{
  {security_kind::noise, muxer_kind::yamux, bulk_runs, setup_dials,
   mixed_setup_dials, setup_budget},
  {security_kind::tls, muxer_kind::yamux, extra_bulk_runs, extra_setup_dials,
   extra_mixed_setup_dials, extra_setup_budget},
  {security_kind::noise, muxer_kind::mplex, extra_bulk_runs, extra_setup_dials,
   extra_mixed_setup_dials, extra_setup_budget},
};

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

// -- canswarm stream owners ---------------------------------------------------

/// Starts an echo probe: (probe_atom, stream_ref) -> true once the first
/// echoed byte arrived.
using probe_atom = caf::atom_constant<caf::atom("probe")>;

struct sink_state {
  static inline const char* name = "bench_sink";
  std::unordered_map<stream_key, std::uint64_t> counts;
};

/// Counts bytes (no pattern check, like bench_peer.mjs), acknowledges
/// them, and answers the count as 8 bytes big-endian when the writer
/// closes.
caf::behavior count_sink(caf::stateful_actor<sink_state>* self) {
  return {
    [](stream_opened&) {},
    [self](stream_data& x) {
      self->state.counts[x.key] += x.data.size();
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 stream_ack_atom::value, x.key.id,
                 static_cast<std::uint64_t>(x.data.size()));
    },
    [self](stream_closed& x) {
      auto total = self->state.counts[x.key];
      self->state.counts.erase(x.key);
      bytes reply(8);
      for (int i = 0; i < 8; ++i)
        reply[i] = static_cast<std::uint8_t>(total >> (56 - 8 * i));
      auto conn = caf::actor_cast<caf::actor>(self->current_sender());
      self
        ->request(conn, caf::infinite, stream_write_atom::value, x.key.id,
                  std::move(reply))
        .then([](std::uint64_t) {}, [](caf::error&) {});
      self->send(conn, stream_close_atom::value, x.key.id);
    },
    [self](stream_reset& x) { self->state.counts.erase(x.key); },
  };
}

struct probe_state {
  static inline const char* name = "bench_probe";
  caf::response_promise rp;
  stream_key key;
};

/// Writes one byte on an echo stream and answers when it came back.
caf::behavior echo_probe(caf::stateful_actor<probe_state>* self) {
  return {
    [self](probe_atom, stream_ref& ref) {
      auto& st = self->state;
      st.rp = self->make_response_promise();
      st.key = ref.key;
      self
        ->request(ref.connection, caf::infinite, stream_write_atom::value,
                  ref.key.id, bytes{42})
        .then([](std::uint64_t) {},
              [self](caf::error& err) {
                if (self->state.rp.pending())
                  self->state.rp.deliver(err);
              });
      return st.rp;
    },
    [](stream_opened&) {},
    [self](stream_data& x) {
      auto& st = self->state;
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 stream_ack_atom::value, x.key.id,
                 static_cast<std::uint64_t>(x.data.size()));
      if (x.key == st.key && !x.data.empty() && st.rp.pending())
        st.rp.deliver(true);
    },
    [](stream_closed&) {},
    [self](stream_reset& x) {
      auto& st = self->state;
      if (x.key == st.key && st.rp.pending())
        st.rp.deliver(
          to_caf_error(make_error(errc::io, "stream reset: " + x.reason)));
    },
  };
}

// -- JSON bits ----------------------------------------------------------------

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// Returns the number array value of "key" in a JSON line.
std::vector<double> json_numbers(const std::string& line,
                                 const std::string& key) {
  std::vector<double> out;
  auto needle = "\"" + key + "\":[";
  auto pos = line.find(needle);
  if (pos == std::string::npos)
    return out;
  const char* p = line.c_str() + pos + needle.size();
  while (*p != '\0' && *p != ']') {
    char* end = nullptr;
    double x = std::strtod(p, &end);
    if (end == p)
      break;
    out.push_back(x);
    p = end;
    if (*p == ',')
      ++p;
  }
  return out;
}

// -- peer mode: a canswarm swarm serving the bench commands
// --------------------

/// Applies CANSWARM_BENCH_CAF ("key=value,...": integers, or durations with
/// a "us" suffix), for experiments with CAF's scheduler and middleman.
test::io_config& tune(test::io_config& cfg) {
  const char* text = std::getenv("CANSWARM_BENCH_CAF");
  std::stringstream items{text ? text : ""};
  std::string item;
  while (std::getline(items, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos)
      continue;
    auto key = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    if (value.size() > 2 && value.substr(value.size() - 2) == "us")
      cfg.set(key, caf::timespan{std::chrono::microseconds{
                     std::strtoll(value.c_str(), nullptr, 10)}});
    else
      cfg.set(key, static_cast<std::int64_t>(
                     std::strtoll(value.c_str(), nullptr, 10)));
  }
  return cfg;
}

/// A swarm + listener on 127.0.0.1 like test::start_node, offering one
/// security protocol and one muxer.
test::test_node start_stack_node(caf::actor_system& sys,
                                 caf::scoped_actor& self, security_kind sec,
                                 muxer_kind mux) {
  constexpr auto timeout = caf::timespan{10s};
  test::test_node n;
  n.key = std::make_shared<const identity::private_key>(
    identity::private_key::generate_ed25519());
  n.id = peer_id::from_public_key(n.key->public_key());
  auto locator = std::make_shared<swarm_locator>();
  swarm_config sc;
  sc.key = n.key;
  sc.max_connections = 1000;
  sc.connection_timeout = timeout;
  sc.locator = locator;
  sc.security = {sec};
  sc.muxers = {mux};
  auto s = spawn_swarm(sys, sc);
  if (!s)
    throw std::runtime_error(s.error().describe());
  n.swarm = *s;
  listener_config lc;
  lc.listen_addrs = {multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
  lc.factory = inbound_connection_factory(locator, n.key, timeout);
  n.transport = caf::actor_cast<transport_actor>(listener_spawner(lc)(sys));
  self->request(n.transport, 5s, addresses_atom::value)
    .receive([&](std::vector<std::string>& xs) { n.listen = std::move(xs); },
             [&](caf::error& err) {
               throw std::runtime_error("listener: " + sys.render(err));
             });
  std::vector<multiaddr> addrs;
  for (const auto& a : n.listen)
    addrs.push_back(multiaddr::parse(a).value());
  self->send(n.swarm, listen_addrs_atom::value, std::move(addrs));
  return n;
}

class canswarm_peer {
public:
  canswarm_peer(security_kind sec, muxer_kind mux) {
    node_ = start_stack_node(sys_, self_, sec, mux);
    sink_ = sys_.spawn(count_sink);
    echo_ = test::spawn_echo_handler(sys_);
    probe_ = sys_.spawn(echo_probe);
    set_handler(sink_protocol, sink_);
    set_handler(echo_protocol, echo_);
  }

  ~canswarm_peer() {
    for (auto& a : {sink_, echo_, probe_})
      self_->send_exit(a, caf::exit_reason::user_shutdown);
    test::stop_node(self_, node_);
  }

  std::string ready_line() const {
    return "{\"event\":\"ready\",\"peerId\":" + json_quote(node_.id.to_string())
           + ",\"addrs\":[" + json_quote(node_.dial_addr().to_string()) + "]}";
  }

  /// Bulk write of `size` bytes to the sink at `addr`.
  std::string send(const std::string& addr, std::size_t size) {
    auto peer = dial(addr);
    auto client = test::spawn_client(sys_);
    auto ref = open(peer, sink_protocol, client);
    auto payload = test::pattern(size);
    auto start = clock_type::now();
    bytes reply;
    std::optional<std::string> failure;
    self_
      ->request(client, caf::timespan{bulk_timeout}, test::transfer_atom::value,
                ref, std::move(payload), std::uint64_t{8})
      .receive([&](bytes& back) { reply = std::move(back); },
               [&](caf::error& err) { failure = sys_.render(err); });
    auto ms = ms_since(start);
    self_->send_exit(client, caf::exit_reason::user_shutdown);
    if (failure)
      throw std::runtime_error("transfer: " + *failure);
    std::int64_t count = -1;
    if (reply.size() >= 8) {
      count = 0;
      for (int i = 0; i < 8; ++i)
        count = (count << 8) | reply[i];
    }
    return fmt::format("\"ms\":{:.3f},\"bytes\":{}", ms, count);
  }

  /// Sequential fresh connections, each timed to the first echoed byte.
  std::string dialbench(const std::string& addr, int n,
                        std::chrono::milliseconds budget) {
    auto deadline = clock_type::now() + budget;
    std::string samples;
    std::string dial_samples;
    for (int i = 0; i < n && clock_type::now() < deadline; ++i) {
      auto start = clock_type::now();
      auto peer = dial(addr);
      dial_samples += (dial_samples.empty() ? "" : ",")
                      + fmt::format("{:.3f}", ms_since(start));
      auto ref = open(peer, echo_protocol, probe_);
      std::optional<std::string> failure;
      self_->request(probe_, 5s, probe_atom::value, ref)
        .receive([](bool) {},
                 [&](caf::error& err) { failure = sys_.render(err); });
      if (failure)
        throw std::runtime_error("echo probe: " + *failure);
      auto ms = ms_since(start);
      samples += (samples.empty() ? "" : ",") + fmt::format("{:.3f}", ms);
      self_->request(node_.swarm, 5s, disconnect_atom::value, peer)
        .receive([](std::uint64_t) {},
                 [&](caf::error& err) { failure = sys_.render(err); });
      if (failure)
        throw std::runtime_error("disconnect: " + *failure);
    }
    return "\"samples\":[" + samples + "],\"dial_samples\":[" + dial_samples
           + "]";
  }

private:
  void set_handler(const std::string& protocol, caf::actor h) {
    std::optional<std::string> failure;
    self_
      ->request(node_.swarm, 5s, set_handler_atom::value,
                std::vector<std::string>{protocol},
                caf::actor_cast<stream_handler_actor>(h))
      .receive([](std::uint64_t) {},
               [&](caf::error& err) { failure = sys_.render(err); });
    if (failure)
      throw std::runtime_error("set_handler: " + *failure);
  }

  peer_id dial(const std::string& addr) {
    auto ma = multiaddr::parse(addr);
    if (!ma)
      throw std::runtime_error("bad multiaddr " + addr);
    std::optional<peer_id> out;
    std::string failure = "no answer";
    self_
      ->request(node_.swarm, 15s, dial_atom::value,
                dial_request{{}, {*ma}, caf::timespan{10s}})
      .receive([&](peer_id& id) { out = std::move(id); },
               [&](caf::error& err) {
                 failure = from_caf_error(sys_, err).describe();
               });
    if (!out)
      throw std::runtime_error("dial " + addr + ": " + failure);
    return *out;
  }

  stream_ref open(const peer_id& peer, const std::string& protocol,
                  const caf::actor& owner) {
    std::optional<stream_ref> out;
    std::string failure = "no answer";
    self_
      ->request(node_.swarm, 10s, open_stream_atom::value, peer,
                std::vector<std::string>{protocol}, caf::timespan{5s},
                caf::actor_cast<stream_handler_actor>(owner))
      .receive([&](stream_ref& r) { out = std::move(r); },
               [&](caf::error& err) {
                 failure = from_caf_error(sys_, err).describe();
               });
    if (!out)
      throw std::runtime_error("open " + protocol + ": " + failure);
    return std::move(*out);
  }

  test::io_config cfg_;
  caf::actor_system sys_{tune(cfg_)};
  caf::scoped_actor self_{sys_};
  test::test_node node_;
  caf::actor sink_;
  caf::actor echo_;
  caf::actor probe_;
};

/// The value of `--name=value` among the arguments, or `fallback`.
std::string flag(int argc, char** argv, const std::string& name,
                 const std::string& fallback) {
  auto prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::string arg = argv[i]; arg.rfind(prefix, 0) == 0)
      return arg.substr(prefix.size());
  return fallback;
}

int run_peer(int argc, char** argv) {
  log::global().set_level(log::level::warning);
  auto sec = connection::parse_security(flag(argc, argv, "security", "noise"));
  if (!sec)
    throw std::runtime_error("--security: " + sec.error().describe());
  auto mux = connection::parse_muxer(flag(argc, argv, "muxer", "yamux"));
  if (!mux)
    throw std::runtime_error("--muxer: " + mux.error().describe());
  canswarm_peer peer{*sec, *mux};
  std::cout << peer.ready_line() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto id = test::json_number(line, "id").value_or(0);
    auto cmd = test::json_string(line, "cmd").value_or("");
    auto head = fmt::format("{{\"id\":{},", static_cast<long>(id));
    if (cmd == "stop") {
      std::cout << head << "\"ok\":true}" << std::endl;
      break;
    }
    try {
      auto addr = test::json_string(line, "addr").value_or("");
      std::string fields;
      if (cmd == "send") {
        auto size = test::json_number(line, "size").value_or(0);
        fields = peer.send(addr, static_cast<std::size_t>(size));
      } else if (cmd == "dialbench") {
        auto n = test::json_number(line, "n").value_or(0);
        auto budget = test::json_number(line, "budget_ms").value_or(10000);
        fields = peer.dialbench(addr, static_cast<int>(n),
                                std::chrono::milliseconds{
                                  static_cast<long>(budget)});
      } else if (cmd == "gc") {
        fields = "\"none\":true";
      } else {
        throw std::runtime_error("unknown command " + cmd);
      }
      std::cout << head << "\"ok\":true," << fields << "}" << std::endl;
    } catch (const std::exception& e) {
      std::cout << head << "\"ok\":false,\"error\":" << json_quote(e.what())
                << "}" << std::endl;
    }
  }
  return 0;
}

// -- orchestrator -------------------------------------------------------------

struct paths {
  fs::path self_exe;
  fs::path js_dir;
  fs::path node;
  fs::path canswarm;
  fs::path tmp;
};

fs::path find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = fs::path{dir} / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  throw std::runtime_error("no `" + name
                           + "` in PATH (install Node.js and run "
                             "scripts/setup.sh)");
}

paths find_paths() {
  paths p;
  p.self_exe = fs::read_symlink("/proc/self/exe");
  const char* src = std::getenv("CANSWARM_SOURCE_DIR");
  fs::path source = src ? src : CANSWARM_SOURCE_DIR_FALLBACK;
  p.js_dir = source / "tests" / "bench" / "js";
  if (!fs::exists(p.js_dir / "bench_peer.mjs"))
    throw std::runtime_error(p.js_dir.string() + " lacks bench_peer.mjs");
  if (!fs::exists(source / "tests/interop/js/node_modules/libp2p"))
    throw std::runtime_error("tests/interop/js/node_modules has no libp2p; "
                             "run scripts/setup.sh (npm ci there)");
  p.node = find_in_path("node");
  const char* bin = std::getenv("CANSWARM_BINARY");
  p.canswarm = bin ? bin : CANSWARM_BINARY_FALLBACK;
  if (::access(p.canswarm.c_str(), X_OK) != 0)
    throw std::runtime_error("no canswarm binary at " + p.canswarm.string()
                             + " (build the `canswarm` target)");
  char tmpl[] = "/tmp/canswarm-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  p.tmp = tmpl;
  return p;
}

/// A bench peer (canswarm --peer or js bench_peer.mjs) and its dial address.
struct bench_peer {
  std::unique_ptr<bench::child> proc;
  std::string addr;
};

bench_peer start_canswarm_peer(const paths& p, const std::string& label,
                               const stack& st) {
  bench_peer out;
  out.proc = std::make_unique<
    bench::child>(std::vector<std::string>{p.self_exe.string(), "--peer",
                                           std::string{"--security="}
                                             + connection::to_string(
                                               st.security),
                                           std::string{"--muxer="}
                                             + connection::to_string(st.muxer)},
                  p.tmp.string(), std::map<std::string, std::string>{},
                  (p.tmp / (label + ".stderr")).string());
  out.proc->name = label;
  return out;
}

/// A js peer offering the default stack (Noise + yamux) unless `st` names
/// another.
bench_peer start_js_peer(const paths& p, const std::string& label,
                         const stack* st = nullptr) {
  bench_peer out;
  auto polyfill = (p.js_dir / "../../interop/js/polyfill.mjs").string();
  std::map<std::string, std::string> env{{"P2P_SECURITY", "noise"},
                                         {"P2P_MUXERS", "yamux"}};
  if (st != nullptr) {
    env["P2P_SECURITY"] = connection::to_string(st->security);
    env["P2P_MUXERS"] = connection::to_string(st->muxer);
  }
  out.proc = std::make_unique<
    bench::child>(std::vector<std::string>{p.node.string(), "--expose-gc",
                                           "--import", polyfill,
                                           (p.js_dir / "bench_peer.mjs")
                                             .string()},
                  p.js_dir.string(), std::move(env),
                  (p.tmp / (label + ".stderr")).string());
  out.proc->name = label;
  return out;
}

/// Waits for a peer's ready line and takes its address.
void await_ready(bench_peer& peer) {
  auto line = peer.proc->wait_line("{\"event\":\"ready\"", 30s);
  if (!line)
    throw std::runtime_error(peer.proc->name + " did not become ready; "
                             + "stderr: " + peer.proc->stderr_tail());
  auto addrs = test::json_string_array(*line, "addrs")
                 .value_or(std::vector<std::string>{});
  if (addrs.empty())
    throw std::runtime_error(peer.proc->name + " announced no address");
  peer.addr = addrs.front();
}

// -- raw TCP ------------------------------------------------------------------

int checked(int rc, const char* what) {
  if (rc < 0)
    throw std::runtime_error(std::string{what} + " failed");
  return rc;
}

void set_timeouts(int fd) {
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/// Two plain sockets over loopback: `size` bytes, EOF, an 8-byte reply.
double raw_tcp_ms(std::size_t size) {
  int ls = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  checked(::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind");
  checked(::listen(ls, 4), "listen");
  socklen_t len = sizeof(sa);
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &len);
  std::uint64_t received = 0;
  std::thread reader([&] {
    int c = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      return;
    set_timeouts(c);
    std::vector<char> buf(256 * 1024);
    for (;;) {
      auto n = ::read(c, buf.data(), buf.size());
      if (n <= 0)
        break;
      received += static_cast<std::uint64_t>(n);
    }
    char reply[8] = {};
    [[maybe_unused]] auto w = ::write(c, reply, sizeof(reply));
    ::close(c);
  });
  int s = checked(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  set_timeouts(s);
  if (::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(s);
    ::shutdown(ls, SHUT_RDWR);
    reader.join();
    ::close(ls);
    throw std::runtime_error("raw TCP connect failed");
  }
  auto block = test::pattern(256 * 1024);
  auto start = clock_type::now();
  std::size_t sent = 0;
  while (sent < size) {
    auto n = std::min(block.size(), size - sent);
    auto w = ::write(s, block.data(), n);
    if (w <= 0)
      break;
    sent += static_cast<std::size_t>(w);
  }
  ::shutdown(s, SHUT_WR);
  char reply[8];
  auto got = ::read(s, reply, sizeof(reply));
  auto ms = ms_since(start);
  ::close(s);
  reader.join();
  ::close(ls);
  if (sent != size || got != 8 || received != size)
    throw std::runtime_error("raw TCP transfer incomplete");
  return ms;
}

// -- statistics ---------------------------------------------------------------

double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

/// Nearest-rank percentile.
double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(xs.size()));
  return xs[std::min(rank, xs.size() - 1)];
}

double mib_per_s(std::size_t size, double ms) {
  return ms > 0 ? static_cast<double>(size) / 1048576.0 / (ms / 1000.0) : 0;
}

struct bulk_result {
  std::string stack;
  std::string path;
  std::vector<double> mib_s;
  std::string error; ///< Why the path stopped early (empty: all runs done).
};

/// `runs` bulk transfers from `from` to `to`; the first failure ends the
/// series and is kept in `error`. A js sender reports the protocols its
/// connection negotiated; they must be the stack's.
bulk_result bulk(const stack& st, const std::string& label, bench_peer& from,
                 const bench_peer& to, int runs) {
  bulk_result out{st.label(), label, {}, {}};
  for (int i = 0; i < runs; ++i) {
    try {
      auto answer = from.proc->call("send",
                                    fmt::format("\"addr\":{},\"size\":{}",
                                                json_quote(to.addr), bulk_size),
                                    bulk_timeout + 10s);
      auto ms = test::json_number(answer, "ms").value_or(0);
      auto count = test::json_number(answer, "bytes").value_or(-1);
      if (count != static_cast<double>(bulk_size))
        throw std::runtime_error("the sink counted " + std::to_string(count)
                                 + " bytes, expected "
                                 + std::to_string(bulk_size));
      auto enc = test::json_string(answer, "encryption");
      auto mux = test::json_string(answer, "multiplexer");
      if ((enc && *enc != connection::protocol_id(st.security))
          || (mux && *mux != connection::protocol_id(st.muxer)))
        throw std::runtime_error("the connection negotiated "
                                 + enc.value_or("?") + " + "
                                 + mux.value_or("?"));
      out.mib_s.push_back(mib_per_s(bulk_size, ms));
    } catch (const std::exception& e) {
      out.error = fmt::format("run {} of {}: {}", i + 1, runs, e.what());
      std::cerr << st.label() << ", " << label << ": " << out.error << '\n';
      break;
    }
  }
  return out;
}

struct setup_result {
  std::string stack;
  std::string path;
  std::vector<double> ms;
  std::vector<double> dial_ms; ///< Until the dial answered (upgraded).
  std::string error; ///< Why the series failed (empty: it ran).
};

setup_result setup(const stack& st, const std::string& label, bench_peer& from,
                   const bench_peer& to, int n) {
  auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.setup_budget);
  auto answer = from.proc->call("dialbench",
                                fmt::format("\"addr\":{},\"n\":{},"
                                            "\"budget_ms\":{}",
                                            json_quote(to.addr), n,
                                            budget.count()),
                                st.setup_budget + 20s);
  auto samples = json_numbers(answer, "samples");
  if (samples.empty())
    throw std::runtime_error("no setup samples");
  return {st.label(),
          label,
          std::move(samples),
          json_numbers(answer, "dial_samples"),
          {}};
}

/// Bulk and setup figures of one stack, and the idle RSS of its bench
/// peers.
struct stack_result {
  std::vector<bulk_result> bulks; ///< c->c, j->j, c->j, j->c.
  std::vector<setup_result> setups; ///< The same paths.
  long cs_idle_rss_kib = 0;
  long js_idle_rss_kib = 0;
};

/// Four peers offering `st` alone, each its own process: c1 -> c2,
/// j1 -> j2, c1 -> j2, j1 -> c2.
stack_result run_stack(const paths& p, const stack& st) {
  std::cerr << st.label() << ": bulk...\n";
  auto tag = std::string{connection::to_string(st.security)} + "-"
             + connection::to_string(st.muxer);
  auto c1 = start_canswarm_peer(p, "canswarm-1-" + tag, st);
  auto c2 = start_canswarm_peer(p, "canswarm-2-" + tag, st);
  auto j1 = start_js_peer(p, "js-1-" + tag, &st);
  auto j2 = start_js_peer(p, "js-2-" + tag, &st);
  for (auto* peer : {&c1, &c2, &j1, &j2})
    await_ready(*peer);
  std::this_thread::sleep_for(500ms);
  stack_result out;
  j2.proc->call("gc", "", 10s);
  out.cs_idle_rss_kib = c2.proc->rss_kib();
  out.js_idle_rss_kib = j2.proc->rss_kib();
  // A failing path is reported in the tables (and makes the exit status
  // nonzero) without hiding the other paths' figures.
  auto try_bulk = [&](const std::string& label, bench_peer& from,
                      const bench_peer& to) {
    out.bulks.push_back(bulk(st, label, from, to, st.bulk_runs));
  };
  auto try_setup = [&](const std::string& label, bench_peer& from,
                       const bench_peer& to, int n) {
    try {
      out.setups.push_back(setup(st, label, from, to, n));
    } catch (const std::exception& e) {
      std::cerr << st.label() << ", " << label << ": " << e.what() << '\n';
      out.setups.push_back({st.label(), label, {}, {}, e.what()});
    }
  };
  try_bulk("canswarm -> canswarm", c1, c2);
  try_bulk("js -> js", j1, j2);
  try_bulk("canswarm -> js", c1, j2);
  try_bulk("js -> canswarm", j1, c2);
  std::cerr << st.label() << ": setup...\n";
  try_setup("canswarm -> canswarm", c1, c2, st.setup_dials);
  try_setup("js -> js", j1, j2, st.setup_dials);
  try_setup("canswarm -> js", c1, j2, st.mixed_setup_dials);
  try_setup("js -> canswarm", j1, c2, st.mixed_setup_dials);
  for (auto* peer : {&c1, &c2, &j1, &j2})
    peer->proc->stop();
  return out;
}

// -- RSS per idle connection --------------------------------------------------

/// Dialers in this process: one swarm per connection (a swarm keeps one
/// connection per peer).
class dialer_pool {
public:
  explicit dialer_pool(int n) {
    for (int i = 0; i < n; ++i) {
      swarm_config sc;
      sc.key = std::make_shared<const identity::private_key>(
        identity::private_key::generate_ed25519());
      sc.max_connections = 4;
      sc.connection_timeout = 20s;
      auto s = spawn_swarm(sys_, sc);
      if (!s)
        throw std::runtime_error("dialer swarm: " + s.error().describe());
      swarms_.push_back(*s);
    }
  }

  ~dialer_pool() {
    for (auto& s : swarms_)
      self_->send_exit(s, caf::exit_reason::user_shutdown);
  }

  /// Dials `addr` from every swarm, rss_dial_batch at a time; returns the
  /// number of connections that came up.
  int dial_all(const std::string& addr, std::string& first_error) {
    auto ma = multiaddr::parse(addr);
    if (!ma)
      throw std::runtime_error("bad multiaddr " + addr);
    int ok = 0;
    auto deadline = clock_type::now() + 60s;
    for (std::size_t i = 0; i < swarms_.size() && clock_type::now() < deadline;
         i += rss_dial_batch) {
      auto end = std::min(swarms_.size(), i + rss_dial_batch);
      std::vector<decltype(self_->request(swarms_[0], caf::timespan{1s},
                                          dial_atom::value, dial_request{}))>
        pending;
      for (auto j = i; j < end; ++j)
        pending.push_back(
          self_->request(swarms_[j], caf::timespan{25s}, dial_atom::value,
                         dial_request{{}, {*ma}, caf::timespan{20s}}));
      for (auto& h : pending)
        h.receive([&](peer_id&) { ++ok; },
                  [&](caf::error& err) {
                    if (first_error.empty())
                      first_error = from_caf_error(sys_, err).describe();
                  });
    }
    return ok;
  }

private:
  test::io_config cfg_;
  caf::actor_system sys_{cfg_};
  caf::scoped_actor self_{sys_};
  std::vector<swarm_actor> swarms_;
};

struct rss_result {
  long idle_kib = 0;
  long idle_anon_kib = 0;
  long idle_file_kib = 0;
  int threads = 0;
  long loaded_kib = 0;
  int conns = 0;
  double per_conn_kib() const {
    return conns > 0 ? static_cast<double>(loaded_kib - idle_kib) / conns : 0;
  }
};

/// Starts `canswarm node` on 127.0.0.1:0 and returns it with its address.
bench_peer start_canswarm_node(const paths& p) {
  bench_peer out;
  out.proc = std::make_unique<
    bench::child>(std::vector<std::string>{p.canswarm.string(), "node"},
                  p.tmp.string(),
                  std::map<std::string, std::string>{
                    {"P2P_LISTEN_ADDR", "/ip4/127.0.0.1/tcp/0"},
                    {"P2P_MAX_CONNECTIONS", "1000"},
                    {"P2P_KEY_FILE", (p.tmp / "node.key").string()},
                    {"P2P_MDNS_ENABLED", "false"},
                    {"P2P_DHT_ENABLED", "false"},
                    {"P2P_CIRCUIT_RELAY_ENABLED", "false"},
                    {"P2P_BOOTSTRAP_NODES", ""},
                    {"NATS_FALLBACK", "false"},
                    {"LOG_LEVEL", "WARNING"},
                  },
                  (p.tmp / "node.stderr").string());
  out.proc->name = "canswarm node";
  auto line = out.proc->wait_line("Peer Addrs:", 30s);
  if (!line)
    throw std::runtime_error("canswarm node did not print 'Peer Addrs:'; "
                             "stderr: "
                             + out.proc->stderr_tail());
  std::string addrs = line->substr(std::string{"Peer Addrs:"}.size());
  auto start = addrs.find('/');
  if (start == std::string::npos)
    throw std::runtime_error("canswarm node printed no address: " + *line);
  auto end = addrs.find_first_of(", \t", start);
  out.addr = addrs.substr(start, end == std::string::npos ? std::string::npos
                                                          : end - start);
  return out;
}

rss_result measure_rss(bench_peer& peer, dialer_pool& pool, bool js) {
  rss_result out;
  auto settle = [&] {
    std::this_thread::sleep_for(rss_settle);
    if (js)
      peer.proc->call("gc", "", 10s);
    std::this_thread::sleep_for(100ms);
  };
  settle();
  out.idle_kib = peer.proc->rss_kib();
  out.idle_anon_kib = bench::status_kib(peer.proc->pid(), "RssAnon");
  out.idle_file_kib = bench::status_kib(peer.proc->pid(), "RssFile");
  out.threads = static_cast<int>(
    bench::status_kib(peer.proc->pid(), "Threads"));
  std::string error;
  out.conns = pool.dial_all(peer.addr, error);
  if (out.conns == 0)
    throw std::runtime_error("no connection to " + peer.proc->name
                             + " came up: " + error);
  if (out.conns < rss_connections)
    std::cerr << peer.proc->name << ": only " << out.conns << " of "
              << rss_connections << " connections came up (" << error << ")\n";
  settle();
  out.loaded_kib = peer.proc->rss_kib();
  return out;
}

// -- report -------------------------------------------------------------------

std::string verdict(bool pass) {
  return pass ? "PASS" : "MISS";
}

/// An error message fit for one markdown table cell.
std::string cell(std::string text) {
  constexpr std::size_t max_cell = 300;
  for (auto& c : text)
    if (c == '|' || c == '\n')
      c = ' ';
  if (text.size() > max_cell)
    text = text.substr(0, max_cell) + "...";
  return text;
}

std::string runs_text(const std::vector<double>& xs) {
  std::string out;
  for (auto x : xs)
    out += (out.empty() ? "" : ", ") + fmt::format("{:.0f}", x);
  return out;
}

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4 * rss_connections)
    std::cerr << "warning: RLIMIT_NOFILE is " << rl.rlim_cur
              << "; the RSS phase may not reach " << rss_connections
              << " connections\n";
}

int run_bench() {
  auto started = clock_type::now();
  // The dialer swarms in this process log every connection at INFO.
  log::global().set_level(log::level::warning);
  raise_fd_limit();
  auto p = find_paths();
  std::cerr << "bench_connection: work files in " << p.tmp << '\n';

  // Raw loopback TCP, the bound for every stack.
  std::cerr << "raw TCP...\n";
  std::vector<double> raw;
  for (int i = 0; i < bulk_runs; ++i)
    raw.push_back(mib_per_s(bulk_size, raw_tcp_ms(bulk_size)));

  // Bulk and setup, one stack at a time (the default first).
  std::vector<stack_result> results;
  for (const auto& st : stacks)
    results.push_back(run_stack(p, st));

  // Memory: a fresh canswarm node and a fresh js peer, 500 connections each
  // from this process.
  std::cerr << "memory...\n";
  dialer_pool pool{rss_connections};
  auto node = start_canswarm_node(p);
  auto cs_rss = measure_rss(node, pool, false);
  node.proc->stop();
  auto j3 = start_js_peer(p, "js-3");
  await_ready(j3);
  auto js_rss = measure_rss(j3, pool, true);
  j3.proc->stop();

  // Report. The targets use the default stack (results[0]).
  const auto& def = results.front();
  auto cs_bulk = median(def.bulks[0].mib_s);
  auto js_bulk = median(def.bulks[1].mib_s);
  auto raw_bulk = median(raw);
  auto cs_p50 = percentile(def.setups[0].ms, 0.5);
  auto js_p50 = percentile(def.setups[1].ms, 0.5);
  auto& out = std::cout;
  out << "## Connection stack benchmark (loopback TCP; Noise + yamux, TLS + "
         "yamux, Noise + mplex)\n\n";
  out << fmt::format("### Bulk: {} MiB over one muxed stream (median of {} "
                     "for Noise + yamux, {} for the other stacks)\n\n",
                     bulk_size >> 20, bulk_runs, extra_bulk_runs);
  out << "| stack | path | MiB/s | runs (MiB/s) | vs js -> js (same stack) "
         "| vs raw TCP |\n";
  out << "|---|---|---:|---|---:|---:|\n";
  out << fmt::format("| - | raw loopback TCP (bound) | {:.0f} | {} | | 100% "
                     "|\n",
                     raw_bulk, runs_text(raw));
  for (const auto& r : results) {
    auto js = median(r.bulks[1].mib_s);
    for (const auto& b : r.bulks) {
      if (!b.error.empty()) {
        out << fmt::format("| {} | {} | FAILED | {}{}{} | | |\n", b.stack,
                           b.path, runs_text(b.mib_s),
                           b.mib_s.empty() ? "" : "; ", cell(b.error));
        continue;
      }
      auto m = median(b.mib_s);
      out << fmt::format("| {} | {} | {:.0f} | {} | {:.2f}x | {:.0f}% |\n",
                         b.stack, b.path, m, runs_text(b.mib_s),
                         js > 0 ? m / js : 0,
                         raw_bulk > 0 ? 100 * m / raw_bulk : 0);
    }
  }
  out << "\n### Connection setup: dial + upgrade + first echoed byte "
         "(sequential fresh connections)\n\n";
  out << "| stack | path | dials | p50 ms | p99 ms | mean ms | p50 of the "
         "dial alone ms | p50 vs js -> js |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    auto js = percentile(r.setups[1].ms, 0.5);
    for (const auto& s : r.setups) {
      if (!s.error.empty()) {
        out << fmt::format("| {} | {} | FAILED: {} | | | | | |\n", s.stack,
                           s.path, cell(s.error));
        continue;
      }
      double mean = 0;
      for (auto x : s.ms)
        mean += x;
      mean /= static_cast<double>(s.ms.size());
      auto p50 = percentile(s.ms, 0.5);
      out << fmt::format("| {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} "
                         "| {:.3f}x |\n",
                         s.stack, s.path, s.ms.size(), p50,
                         percentile(s.ms, 0.99), mean,
                         percentile(s.dial_ms, 0.5), js > 0 ? p50 / js : 0);
    }
  }
  out << fmt::format("\n### Memory (VmRSS; {} idle connections dialled from "
                     "another process)\n\n",
                     rss_connections);
  out << "| process | idle RSS MiB (anon + file) | threads | RSS with "
         "conns MiB | conns | KiB per conn |\n";
  out << "|---|---:|---:|---:|---:|---:|\n";
  auto mem_row = [&](const std::string& what, const rss_result& r) {
    out << fmt::format("| {} | {:.1f} ({:.1f} + {:.1f}) | {} | {:.1f} | {} | "
                       "{:.1f} |\n",
                       what, r.idle_kib / 1024.0, r.idle_anon_kib / 1024.0,
                       r.idle_file_kib / 1024.0, r.threads,
                       r.loaded_kib / 1024.0, r.conns, r.per_conn_kib());
  };
  mem_row("canswarm node", cs_rss);
  mem_row("js-libp2p peer (bench_peer.mjs)", js_rss);
  out << fmt::format("| canswarm bench peer (swarm + listener, idle) | {:.1f} "
                     "| | | | |\n",
                     def.cs_idle_rss_kib / 1024.0);
  out << fmt::format("| js bench peer (idle) | {:.1f} | | | | |\n",
                     def.js_idle_rss_kib / 1024.0);

  out << "\n### Targets (Noise + yamux)\n\n";
  out << "| check | measured | target | result |\n";
  out << "|---|---:|---:|---|\n";
  auto bulk_ratio = js_bulk > 0 ? cs_bulk / js_bulk : 0;
  auto raw_ratio = raw_bulk > 0 ? cs_bulk / raw_bulk : 0;
  auto setup_ratio = js_p50 > 0 ? cs_p50 / js_p50 : 0;
  auto idle_mib = cs_rss.idle_kib / 1024.0;
  auto per_conn = cs_rss.per_conn_kib();
  out << fmt::format("| bulk canswarm / js (c->c vs j->j) | {:.2f}x | >= 2x "
                     "| {} |\n",
                     bulk_ratio, verdict(bulk_ratio >= 2.0));
  out << fmt::format("| bulk canswarm / raw TCP | {:.0f}% | >= 55% | {} |\n",
                     100 * raw_ratio, verdict(raw_ratio >= 0.55));
  out << fmt::format("| setup p50 canswarm / js | {:.3f}x ({:.2f} vs {:.2f} "
                     "ms) | <= 0.1x | {} |\n",
                     setup_ratio, cs_p50, js_p50, verdict(setup_ratio <= 0.1));
  out << fmt::format("| idle RSS, canswarm node | {:.1f} MiB | <= 10 MiB | "
                     "{} |\n",
                     idle_mib, verdict(idle_mib <= 10.0));
  out << fmt::format("| RSS per idle connection, canswarm node | {:.1f} KiB "
                     "| <= 20 KiB | {} |\n",
                     per_conn, verdict(per_conn <= 20.0));
  out << fmt::format("\n(one run, {:.0f} s; both ends share this machine's "
                     "{} cores)\n",
                     ms_since(started) / 1000.0,
                     std::thread::hardware_concurrency());
  int failed = 0;
  for (const auto& r : results) {
    for (const auto& b : r.bulks)
      failed += b.error.empty() ? 0 : 1;
    for (const auto& s : r.setups)
      failed += s.error.empty() ? 0 : 1;
  }
  if (failed > 0) {
    std::cerr << "bench_connection: " << failed
              << " path(s) failed (see the tables); peer stderr kept in "
              << p.tmp << '\n';
    return 1;
  }
  std::error_code ec;
  fs::remove_all(p.tmp, ec);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string{argv[1]} == "--peer")
      return run_peer(argc, argv);
    return run_bench();
  } catch (const std::exception& e) {
    std::cerr << "bench_connection: error: " << e.what() << '\n';
    return 1;
  }
}
