// The gossipsub benchmark (a program, not a test; issue #5): canswarm
// against js-libp2p (@libp2p/gossipsub 17), every number and its anchor
// measured in the same run on loopback, 1 KiB signed messages (StrictSign
// on both sides: every receiver checks every signature).
//
//   verify:     libsodium crypto_sign_verify_detached on 1 KiB, one core
//               (the best 500-operation slice of 1 s, against the load):
//               the anchor of signed-message throughput;
//   latency:    publish -> deliver p50/p99 of 500 messages at a fixed rate
//               over 2 nodes and over a 4-node line (far end, 3 hops), for
//               canswarm -> canswarm and js -> js, and over a mixed pair
//               (canswarm -> js, js -> canswarm);
//   throughput: messages/s delivered to a subscriber on another node while
//               the publisher publishes as fast as its API allows (up to
//               20,000 messages or 10 s), canswarm vs js.
//
// Every node is its own process: canswarm nodes are `canswarm p2pd -pubsub`
// driven through their p2pd control API from this program
// (runtime::control_client: one paced client for the latency runs, 8
// threads with a blocking client each for the throughput run; the js
// publisher keeps 64 publish() promises in flight); js nodes run
// tests/bench/js/pubsub_peer.mjs, driven by JSON lines. A message carries
// its send time (CLOCK_MONOTONIC, which steady_clock here and
// process.hrtime in node read), so a receiver in any process computes the
// latency. canswarm's figures include the control API both ways (publish
// request in, PSMessage frame out, two more loopback hops); js's are
// in-process calls and events. A missed target is reported, never an error;
// the exit status is nonzero only when something failed to run.
//
// Usage: bench_pubsub
// Environment: CANSWARM_SOURCE_DIR (default: the configured source dir),
// CANSWARM_BINARY (default: the built runtime/canswarm).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "canswarm/p2pd/messages.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "connection_bench_child.hpp"

using namespace canswarm;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// -- parameters (every loop bounded in count and time) ------------------------

/// Payload size of every message.
constexpr std::size_t message_size = 1024;

/// Messages per latency series and their fixed publish rate (msg/s).
constexpr int latency_messages = 500;
constexpr int latency_rate = 200;

/// Messages per throughput series, the time budget of its publishing, and
/// the js publisher's publishes in flight (CANSWARM_BENCH_PUBSUB_WINDOW
/// overrides it).
constexpr int throughput_messages = 20000;
constexpr auto throughput_budget = 10s;
const int publish_window = [] {
  const char* w = std::getenv("CANSWARM_BENCH_PUBSUB_WINDOW");
  int n = w != nullptr ? std::atoi(w) : 0;
  return n > 0 ? n : 64;
}();

/// canswarm publishers in the throughput run: threads with a blocking
/// control client each (CANSWARM_BENCH_PUBSUB_PUBLISHERS overrides it).
const int cs_publishers = [] {
  const char* w = std::getenv("CANSWARM_BENCH_PUBSUB_PUBLISHERS");
  int n = w != nullptr ? std::atoi(w) : 0;
  return n > 0 ? std::min(n, 64) : 8;
}();

/// PUBLISH calls per control connection (the daemon allows 10,000).
constexpr int requests_per_connection = 5000;

/// Bound of one control call: longer than the daemon's own 10 s bound on
/// a PUBLISH, so a stalled publish comes back with the daemon's reason.
constexpr auto call_timeout = std::chrono::milliseconds{15000};

/// How long deliveries may trail the last publish.
constexpr auto drain_limit = 5s;

/// Time spent on each of the verify / sign anchors (and their count
/// bound).
constexpr auto crypto_budget = 1s;
constexpr int crypto_max_ops = 200000;

/// Operations per timed slice of the anchor (the best slice is reported).
constexpr int crypto_slice_ops = 500;

/// Nodes of each kind (a line of 4; the 2-node runs use the first two).
constexpr int nodes_per_kind = 4;

/// The whole run may take at most this long (a watchdog kills it after).
constexpr auto run_limit = 240s;

using clock_type = std::chrono::steady_clock;

std::uint64_t mono_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      clock_type::now().time_since_epoch())
      .count());
}

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

// -- payload ------------------------------------------------------------------

constexpr std::uint32_t payload_magic = 0x43535042; // "CSPB"
constexpr std::size_t payload_header = 24;

void put_be(bytes& b, std::size_t at, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(
      v >> (8 * (n - 1 - i)));
}

std::uint64_t get_be(const bytes& b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

/// "CSPB", tag, seq, send time (set by `stamp`), filler.
bytes make_payload(std::uint32_t tag, std::uint64_t seq) {
  bytes b(message_size);
  for (std::size_t i = payload_header; i < b.size(); ++i)
    b[i] = static_cast<std::uint8_t>((i * 31 + 7) & 0xff);
  put_be(b, 0, payload_magic, 4);
  put_be(b, 4, tag, 4);
  put_be(b, 8, seq, 8);
  return b;
}

void stamp(bytes& b) {
  put_be(b, 16, mono_ns(), 8);
}

// -- JSON bits (the js peer's answers) ----------------------------------------

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::optional<double> json_number(const std::string& line,
                                  const std::string& key) {
  auto needle = "\"" + key + "\":";
  auto pos = line.find(needle);
  if (pos == std::string::npos)
    return std::nullopt;
  const char* p = line.c_str() + pos + needle.size();
  char* end = nullptr;
  double x = std::strtod(p, &end);
  if (end == p)
    return std::nullopt;
  return x;
}

std::string json_string(const std::string& line, const std::string& key) {
  auto needle = "\"" + key + "\":\"";
  auto pos = line.find(needle);
  if (pos == std::string::npos)
    return {};
  auto start = pos + needle.size();
  auto end = line.find('"', start);
  return line.substr(start, end == std::string::npos ? std::string::npos
                                                     : end - start);
}

/// The strings of the array value of "key" (no escapes inside).
std::vector<std::string> json_strings(const std::string& line,
                                      const std::string& key) {
  std::vector<std::string> out;
  auto needle = "\"" + key + "\":[";
  auto pos = line.find(needle);
  if (pos == std::string::npos)
    return out;
  auto end = line.find(']', pos);
  auto body = line.substr(pos + needle.size(), end == std::string::npos
                                                 ? std::string::npos
                                                 : end - pos - needle.size());
  std::size_t at = 0;
  while ((at = body.find('"', at)) != std::string::npos) {
    auto close = body.find('"', at + 1);
    if (close == std::string::npos)
      break;
    out.push_back(body.substr(at + 1, close - at - 1));
    at = close + 1;
  }
  return out;
}

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

// -- statistics ---------------------------------------------------------------

/// Nearest-rank percentile.
double percentile(std::vector<double> xs, double q) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(xs.size()));
  return xs[std::min(rank, xs.size() - 1)];
}

/// What one node received with one tag.
struct delivery {
  std::size_t count = 0;
  std::size_t dups = 0;
  std::uint64_t first_ns = 0;
  std::uint64_t last_ns = 0;
  std::vector<double> lat_us;
};

// -- the crypto anchor --------------------------------------------------------

struct crypto_rates {
  double verify_per_s = 0;
  double sign_per_s = 0;
};

crypto_rates measure_crypto() {
  if (::sodium_init() < 0)
    throw std::runtime_error("sodium_init failed");
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  auto msg = make_payload(0, 0);
  unsigned char sig[crypto_sign_BYTES];
  crypto_rates out;
  // The best of short slices: the rate of one core when the scheduler
  // gives it to us (the machine is shared; an average would measure the
  // load as much as the crypto).
  auto run = [&](auto&& op) {
    auto start = clock_type::now();
    double best = 0;
    int n = 0;
    while (n < crypto_max_ops && clock_type::now() - start < crypto_budget) {
      auto slice = clock_type::now();
      for (int i = 0; i < crypto_slice_ops; ++i)
        op();
      n += crypto_slice_ops;
      best = std::max(best, crypto_slice_ops / (ms_since(slice) / 1000.0));
    }
    return best;
  };
  out.sign_per_s = run(
    [&] { crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk); });
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  int bad = 0;
  out.verify_per_s = run([&] {
    if (crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) != 0)
      ++bad;
  });
  if (bad != 0)
    throw std::runtime_error("crypto_sign_verify_detached rejected a good "
                             "signature");
  return out;
}

// -- processes ----------------------------------------------------------------

/// Children's pids, for the signal handler (async-signal-safe kill).
constexpr int max_children = 16;
std::atomic<pid_t> child_pids[max_children];

void remember(pid_t pid) {
  for (auto& slot : child_pids) {
    pid_t none = 0;
    if (slot.compare_exchange_strong(none, pid))
      return;
  }
}

void kill_children_and_exit(int signo) {
  for (auto& slot : child_pids)
    if (auto pid = slot.load(); pid > 0)
      ::kill(pid, SIGKILL);
  ::_exit(128 + signo);
}

struct paths {
  fs::path js_dir;
  fs::path polyfill;
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
  const char* src = std::getenv("CANSWARM_SOURCE_DIR");
  fs::path source = src ? src : CANSWARM_SOURCE_DIR_FALLBACK;
  p.js_dir = source / "tests" / "bench" / "js";
  p.polyfill = source / "tests" / "interop" / "js" / "polyfill.mjs";
  if (!fs::exists(p.js_dir / "pubsub_peer.mjs"))
    throw std::runtime_error(p.js_dir.string() + " lacks pubsub_peer.mjs");
  if (!fs::exists(source / "tests/interop/js/node_modules/@libp2p/gossipsub"))
    throw std::runtime_error("tests/interop/js/node_modules has no "
                             "@libp2p/gossipsub; run scripts/setup.sh (npm "
                             "ci there)");
  p.node = find_in_path("node");
  const char* bin = std::getenv("CANSWARM_BINARY");
  p.canswarm = bin ? bin : CANSWARM_BINARY_FALLBACK;
  if (::access(p.canswarm.c_str(), X_OK) != 0)
    throw std::runtime_error("no canswarm binary at " + p.canswarm.string()
                             + " (build the `canswarm` target)");
  char tmpl[] = "/tmp/canswarm-pubsub-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  p.tmp = tmpl;
  return p;
}

/// A free loopback TCP port (bound, read, released).
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::runtime_error("socket failed");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(sa.sin_port);
}

template<class T>
T check(result<T> r, const std::string& what) {
  if (!r)
    throw std::runtime_error(what + ": " + r.error().describe());
  return std::move(*r);
}

void check(result<void> r, const std::string& what) {
  if (!r)
    throw std::runtime_error(what + ": " + r.error().describe());
}

/// The canswarm nodes' LOG_LEVEL: CANSWARM_BENCH_LOG_LEVEL or WARNING.
std::string log_level() {
  const char* level = std::getenv("CANSWARM_BENCH_LOG_LEVEL");
  return level != nullptr && *level != '\0' ? level : "WARNING";
}

/// Whether the run on `topic` is selected: CANSWARM_BENCH_PUBSUB_RUNS is
/// empty or unset (all), or a comma-separated list of topic names
/// containing it (the setup is always complete).
bool selected(const std::string& topic) {
  const char* runs = std::getenv("CANSWARM_BENCH_PUBSUB_RUNS");
  if (runs == nullptr || *runs == '\0')
    return true;
  std::stringstream items{runs};
  std::string item;
  while (std::getline(items, item, ','))
    if (item == topic)
      return true;
  return false;
}

/// A `canswarm p2pd -pubsub` process and a control client for it.
struct cs_node {
  std::string name;
  std::unique_ptr<bench::child> proc;
  multiaddr control;
  bytes id; ///< Peer id multihash.
  std::string id_text;
  std::vector<bytes> addrs; ///< Binary listen multiaddrs.
  std::string dial_addr; ///< /ip4/127.0.0.1/tcp/N/p2p/<id>.
  std::optional<runtime::control_client> client;
};

cs_node start_cs(const paths& p, int index) {
  cs_node n;
  n.name = fmt::format("cs{}", index);
  auto listen = fmt::format("/ip4/127.0.0.1/tcp/{}", free_port());
  n.proc = std::make_unique<
    bench::child>(std::vector<std::string>{p.canswarm.string(), "p2pd",
                                           "-listen=" + listen,
                                           "-hostAddrs=/ip4/127.0.0.1/tcp/0",
                                           "-pubsub"},
                  p.tmp.string(),
                  std::map<std::string, std::string>{
                    {"LOG_LEVEL", log_level()}},
                  (p.tmp / (n.name + ".stderr")).string());
  n.proc->name = n.name;
  remember(n.proc->pid());
  auto line = n.proc->wait_line("Control socket:", 20s);
  if (!line)
    throw std::runtime_error(n.name
                             + ": canswarm p2pd printed no 'Control "
                               "socket:'; stderr: "
                             + n.proc->stderr_tail());
  auto text = line->substr(line->find('/'));
  n.control = check(multiaddr::parse(text), n.name + ": control address");
  n.client = check(runtime::control_client::connect(n.control, call_timeout),
                   n.name + ": control connect");
  auto id = check(n.client->identify(), n.name + ": IDENTIFY");
  n.id = id.id;
  n.id_text = check(peer_id::from_bytes(id.id), n.name + ": peer id")
                .to_string();
  for (auto& a : id.addrs) {
    auto ma = multiaddr::from_bytes(a);
    if (ma && ma->to_string().rfind("/ip4/127.0.0.1/tcp/", 0) == 0
        && n.dial_addr.empty())
      n.dial_addr = ma->to_string() + "/p2p/" + n.id_text;
  }
  n.addrs = id.addrs;
  if (n.dial_addr.empty())
    throw std::runtime_error(n.name + ": no /ip4/127.0.0.1/tcp address");
  return n;
}

/// CONNECT from `from` to `to`.
void cs_connect(cs_node& from, const cs_node& to) {
  p2pd::request req;
  req.type = p2pd::request_type::connect;
  req.connect = p2pd::connect_request{to.id, to.addrs, 10};
  auto r = check(from.client->call(req), from.name + ": CONNECT " + to.name);
  if (r.type != p2pd::response_type::ok)
    throw std::runtime_error(from.name + ": CONNECT " + to.name + ": "
                             + (r.error ? r.error->msg : "ERROR"));
}

/// A pubsub_peer.mjs process.
struct js_node {
  std::string name;
  std::unique_ptr<bench::child> proc;
  std::string id_text;
  std::string dial_addr;
};

js_node start_js(const paths& p, int index) {
  js_node n;
  n.name = fmt::format("js{}", index);
  n.proc = std::make_unique<
    bench::child>(std::vector<std::string>{p.node.string(), "--import",
                                           p.polyfill.string(),
                                           (p.js_dir / "pubsub_peer.mjs")
                                             .string()},
                  p.js_dir.string(), std::map<std::string, std::string>{},
                  (p.tmp / (n.name + ".stderr")).string());
  n.proc->name = n.name;
  remember(n.proc->pid());
  auto line = n.proc->wait_line("{\"event\":\"ready\"", 30s);
  if (!line)
    throw std::runtime_error(
      n.name + " did not become ready; stderr: " + n.proc->stderr_tail());
  n.id_text = json_string(*line, "peerId");
  auto addrs = json_strings(*line, "addrs");
  if (addrs.empty() || n.id_text.empty())
    throw std::runtime_error(n.name + ": bad ready line " + *line);
  n.dial_addr = addrs.front();
  if (n.dial_addr.find("/p2p/") == std::string::npos)
    n.dial_addr += "/p2p/" + n.id_text;
  return n;
}

// -- the canswarm receive side ------------------------------------------------

/// Reads every canswarm subscription in a thread and records deliveries by
/// (node, tag).
class cs_receiver {
public:
  void add(int node, runtime::subscription sub) {
    nodes_.push_back(node);
    subs_.push_back(std::move(sub));
  }

  void start() {
    thread_ = std::thread([this] { loop(); });
  }

  ~cs_receiver() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  delivery get(int node, std::uint32_t tag) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& r = records_[{node, tag}];
    delivery d;
    d.count = r.seen.size();
    d.dups = r.dups;
    d.first_ns = r.first_ns;
    d.last_ns = r.last_ns;
    d.lat_us = r.lat_us;
    return d;
  }

  std::string failure() {
    std::lock_guard<std::mutex> guard{mtx_};
    return failure_;
  }

  std::size_t bad() {
    std::lock_guard<std::mutex> guard{mtx_};
    return bad_;
  }

private:
  struct record {
    std::unordered_set<std::uint64_t> seen;
    std::size_t dups = 0;
    std::uint64_t first_ns = 0;
    std::uint64_t last_ns = 0;
    std::vector<double> lat_us;
  };

  void loop() {
    while (!stop_) {
      auto next = runtime::next_message(subs_, 100ms);
      auto at = mono_ns();
      if (!next) {
        std::lock_guard<std::mutex> guard{mtx_};
        failure_ = next.error().describe();
        return;
      }
      if (!*next)
        continue;
      auto node = nodes_[(*next)->index];
      const auto& m = (*next)->message;
      std::lock_guard<std::mutex> guard{mtx_};
      if (!m.data || m.data->size() < payload_header
          || get_be(*m.data, 0, 4) != payload_magic || !m.signature
          || m.signature->empty()) {
        ++bad_;
        continue;
      }
      auto tag = static_cast<std::uint32_t>(get_be(*m.data, 4, 4));
      auto seq = get_be(*m.data, 8, 8);
      auto sent = get_be(*m.data, 16, 8);
      auto& r = records_[{node, tag}];
      if (!r.seen.insert(seq).second) {
        ++r.dups;
        continue;
      }
      if (r.first_ns == 0)
        r.first_ns = at;
      r.last_ns = at;
      r.lat_us.push_back(static_cast<double>(at - sent) / 1000.0);
    }
  }

  std::vector<int> nodes_;
  std::vector<runtime::subscription> subs_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mtx_;
  std::map<std::pair<int, std::uint32_t>, record> records_;
  std::string failure_;
  std::size_t bad_ = 0;
};

// -- the bench ----------------------------------------------------------------

enum class kind { cs, js };

struct endpoint {
  kind k;
  int index;
};

/// Answer of one publishing series.
struct published {
  std::size_t sent = 0;
  std::size_t errors = 0;
  std::string first_error;
  std::uint64_t start_ns = 0;
  double ms = 0;
};

class pubsub_run {
public:
  explicit pubsub_run(paths p) : p_(std::move(p)) {}

  ~pubsub_run() {
    receiver_.reset();
    for (auto& n : js_)
      if (n.proc)
        n.proc->stop();
    for (auto& n : cs_) {
      n.client.reset();
      if (n.proc)
        n.proc->stop();
    }
  }

  /// Starts the nodes, connects the two lines and the mixed pair,
  /// subscribes every topic and waits for the meshes.
  void setup() {
    for (int i = 0; i < nodes_per_kind; ++i)
      cs_.push_back(start_cs(p_, i));
    for (int i = 0; i < nodes_per_kind; ++i)
      js_.push_back(start_js(p_, i));
    for (int i = 1; i < nodes_per_kind; ++i)
      cs_connect(cs_[i], cs_[i - 1]);
    for (int i = 1; i < nodes_per_kind; ++i)
      js_[i].proc->call("dial", "\"addr\":" + json_quote(js_[i - 1].dial_addr),
                        15s);
    js_[0].proc->call("dial", "\"addr\":" + json_quote(cs_[0].dial_addr), 15s);
    receiver_ = std::make_unique<cs_receiver>();
    for (const auto& t : topics()) {
      for (int i : t.cs_nodes) {
        auto client = check(runtime::control_client::connect(cs_[i].control),
                            cs_[i].name + ": control connect");
        receiver_->add(i, check(client.subscribe(t.name),
                                cs_[i].name + ": SUBSCRIBE " + t.name));
      }
      for (int i : t.js_nodes)
        js_[i].proc->call("subscribe", "\"topic\":" + json_quote(t.name), 10s);
    }
    receiver_->start();
    wait_topic_peers();
    // Heartbeats (1 s on both sides) graft what JOIN did not.
    std::this_thread::sleep_for(2s);
  }

  struct latency_row {
    std::string topology;
    std::string path;
    std::size_t expected = 0;
    delivery got;
    std::string error;
  };

  struct throughput_row {
    std::string path;
    published pub;
    delivery got;
    std::string error;
    double delivered_per_s() const {
      if (got.count == 0 || got.last_ns <= pub.start_ns)
        return 0;
      return static_cast<double>(got.count)
             / (static_cast<double>(got.last_ns - pub.start_ns) / 1e9);
    }
  };

  std::vector<latency_row> latency;
  std::vector<throughput_row> throughput;

  void run() {
    // Warm-up: a few messages on every latency topic (streams, caches).
    for (auto& t : topics())
      if (t.warm_tag != 0) {
        publish(t.pub, t.name, t.warm_tag, 20, latency_rate);
      }
    std::this_thread::sleep_for(500ms);
    for (auto& t : topics()) {
      if (t.latency_tag == 0 || !selected(t.name))
        continue;
      std::cerr << "latency: " << t.topology << ", " << t.path << "...\n";
      latency_row row{t.topology,
                      t.path,
                      static_cast<std::size_t>(latency_messages),
                      {},
                      {}};
      try {
        auto pub = publish(t.pub, t.name, t.latency_tag, latency_messages,
                           latency_rate);
        if (pub.errors > 0)
          row.error = fmt::format("{} publish errors: {}", pub.errors,
                                  pub.first_error);
        row.got = drain(t.recv, t.latency_tag, pub.sent, true);
      } catch (const std::exception& e) {
        row.error = e.what();
      }
      if (!row.error.empty())
        std::cerr << "  " << row.error << '\n';
      latency.push_back(std::move(row));
    }
    for (auto& t : topics()) {
      if (t.throughput_tag == 0 || !selected(t.name))
        continue;
      std::cerr << "throughput: " << t.path << "...\n";
      throughput_row row{t.path, {}, {}, {}};
      try {
        row.pub = publish(t.pub, t.name, t.throughput_tag, throughput_messages,
                          0);
        if (row.pub.errors > 0)
          row.error = fmt::format("{} publish errors: {}", row.pub.errors,
                                  row.pub.first_error);
        row.got = drain(t.recv, t.throughput_tag, row.pub.sent, false);
      } catch (const std::exception& e) {
        row.error = e.what();
      }
      if (!row.error.empty())
        std::cerr << "  " << row.error << '\n';
      throughput.push_back(std::move(row));
    }
    if (auto f = receiver_->failure(); !f.empty())
      throw std::runtime_error("canswarm subscriptions: " + f);
  }

  std::size_t cs_bad() {
    return receiver_ ? receiver_->bad() : 0;
  }

private:
  /// One topic: who subscribes, who publishes, who is measured.
  struct topic {
    std::string name;
    std::vector<int> cs_nodes;
    std::vector<int> js_nodes;
    endpoint pub;
    endpoint recv;
    std::string topology;
    std::string path;
    std::uint32_t latency_tag = 0;
    std::uint32_t throughput_tag = 0;
    std::uint32_t warm_tag = 0;
  };

  /// The topics (and runs) in order. Topics of one kind only connect nodes
  /// of that kind: a node relays only topics it subscribes to.
  static const std::vector<topic>& topics() {
    static const std::vector<topic> xs{
      {"pb-lat2-cs",
       {0, 1},
       {},
       {kind::cs, 0},
       {kind::cs, 1},
       "2 nodes",
       "canswarm -> canswarm",
       1,
       0,
       101},
      {"pb-lat2-js",
       {},
       {0, 1},
       {kind::js, 0},
       {kind::js, 1},
       "2 nodes",
       "js -> js",
       2,
       0,
       102},
      {"pb-lat4-cs",
       {0, 1, 2, 3},
       {},
       {kind::cs, 0},
       {kind::cs, 3},
       "4-node line (3 hops)",
       "canswarm -> canswarm",
       3,
       0,
       103},
      {"pb-lat4-js",
       {},
       {0, 1, 2, 3},
       {kind::js, 0},
       {kind::js, 3},
       "4-node line (3 hops)",
       "js -> js",
       4,
       0,
       104},
      {"pb-mix-cj",
       {0},
       {0},
       {kind::cs, 0},
       {kind::js, 0},
       "2 nodes (mixed)",
       "canswarm -> js",
       5,
       0,
       105},
      {"pb-mix-jc",
       {0},
       {0},
       {kind::js, 0},
       {kind::cs, 0},
       "2 nodes (mixed)",
       "js -> canswarm",
       6,
       0,
       106},
      {"pb-tput-cs",
       {0, 1},
       {},
       {kind::cs, 0},
       {kind::cs, 1},
       "2 nodes",
       "canswarm -> canswarm",
       0,
       11,
       0},
      {"pb-tput-js",
       {},
       {0, 1},
       {kind::js, 0},
       {kind::js, 1},
       "2 nodes",
       "js -> js",
       0,
       12,
       0},
    };
    return xs;
  }

  /// Waits until every subscriber sees its subscribed neighbours on the
  /// topic (the 4-node lines: i sees i-1 and i+1; the mixed pair: each
  /// other), and every js node has them in its mesh (canswarm's mesh is not
  /// visible through the control API: the caller waits two heartbeats).
  void wait_topic_peers() {
    auto deadline = clock_type::now() + 20s;
    std::string missing;
    for (;;) {
      missing.clear();
      for (const auto& t : topics()) {
        auto want = [&](kind k, int i) {
          std::vector<std::string> ids;
          const auto& same = k == kind::cs ? t.cs_nodes : t.js_nodes;
          for (int j : same)
            if (j == i - 1 || j == i + 1)
              ids.push_back(k == kind::cs ? cs_[j].id_text : js_[j].id_text);
          if (k == kind::cs && i == 0 && !t.js_nodes.empty())
            ids.push_back(js_[0].id_text);
          if (k == kind::js && i == 0 && !t.cs_nodes.empty())
            ids.push_back(cs_[0].id_text);
          return ids;
        };
        for (int i : t.cs_nodes) {
          auto peers = check(cs_[i].client->list_topic_peers(t.name),
                             cs_[i].name + ": LIST_PEERS");
          std::vector<std::string> seen;
          for (auto& b : peers)
            if (auto id = peer_id::from_bytes(b))
              seen.push_back(id->to_string());
          for (auto& id : want(kind::cs, i))
            if (std::find(seen.begin(), seen.end(), id) == seen.end())
              missing += " " + cs_[i].name + "@" + t.name;
        }
        for (int i : t.js_nodes) {
          auto answer = js_[i].proc->call("peers",
                                          "\"topic\":" + json_quote(t.name),
                                          10s);
          auto seen = json_strings(answer, "subscribers");
          auto mesh = json_strings(answer, "mesh");
          for (auto& id : want(kind::js, i)) {
            if (std::find(seen.begin(), seen.end(), id) == seen.end())
              missing += " " + js_[i].name + "@" + t.name;
            else if (std::find(mesh.begin(), mesh.end(), id) == mesh.end())
              missing += " " + js_[i].name + "@" + t.name + "(mesh)";
          }
        }
      }
      if (missing.empty())
        return;
      if (clock_type::now() > deadline)
        throw std::runtime_error("topic peers not seen within 20 s:" + missing);
      std::this_thread::sleep_for(200ms);
    }
  }

  /// `count` messages from `from`: at `rate` msg/s, or (rate 0) as fast as
  /// the API allows (js: publish_window publish() calls in flight;
  /// canswarm: cs_publishers blocking control clients), for at most
  /// throughput_budget.
  published publish(endpoint from, const std::string& topic, std::uint32_t tag,
                    int count, int rate) {
    if (from.k == kind::js) {
      published out;
      out.start_ns = mono_ns();
      auto answer = js_[from.index].proc->call(
        "publish",
        fmt::format("\"topic\":{},\"count\":{},\"rate\":{},\"size\":{},"
                    "\"tag\":{},\"window\":{},\"budget_ms\":{}",
                    json_quote(topic), count, rate, message_size, tag,
                    publish_window,
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                      throughput_budget)
                      .count()),
        throughput_budget + 60s);
      out.sent = static_cast<std::size_t>(
        json_number(answer, "sent").value_or(0));
      out.errors = static_cast<std::size_t>(
        json_number(answer, "errors").value_or(0));
      out.first_error = json_string(answer, "first_error");
      out.ms = json_number(answer, "ms").value_or(0);
      return out;
    }
    auto& node = cs_[from.index];
    return rate > 0 ? cs_publish_paced(node, topic, tag, count, rate)
                    : cs_publish_parallel(node, topic, tag, count);
  }

  published cs_publish_paced(cs_node& node, const std::string& topic,
                             std::uint32_t tag, int count, int rate) {
    if (!node.client)
      throw std::runtime_error(node.name + ": no control connection");
    published out;
    auto start = clock_type::now();
    out.start_ns = mono_ns();
    auto interval = std::chrono::nanoseconds{1'000'000'000 / rate};
    for (int i = 0; i < count && clock_type::now() - start < throughput_budget;
         ++i) {
      std::this_thread::sleep_until(start + i * interval);
      auto data = make_payload(tag, static_cast<std::uint64_t>(i));
      stamp(data);
      if (auto ok = node.client->publish(topic, data); ok) {
        ++out.sent;
        continue;
      } else {
        ++out.errors;
        out.first_error = ok.error().describe();
      }
      // A late answer would pair with the next request: the next runs get a
      // fresh connection, and this one stops.
      node.client.reset();
      if (auto c = runtime::control_client::connect(node.control, call_timeout);
          c)
        node.client = std::move(*c);
      break;
    }
    out.ms = ms_since(start);
    return out;
  }

  /// Blocking PUBLISH calls from cs_publishers threads, each on its own
  /// control connection (a new one every requests_per_connection calls:
  /// the daemon closes a connection after max_requests_per_connection).
  /// Concurrency comes from connections: PUBLISH requests written ahead
  /// on one connection (64 in flight) stalled after a few dozen answers in
  /// this benchmark's first version.
  published cs_publish_parallel(cs_node& node, const std::string& topic,
                                std::uint32_t tag, int count) {
    published out;
    std::mutex mtx;
    std::atomic<int> next{0};
    auto start = clock_type::now();
    out.start_ns = mono_ns();
    auto worker = [&] {
      std::optional<runtime::control_client> client;
      int calls = 0;
      std::size_t sent = 0;
      std::size_t errors = 0;
      std::string first_error;
      for (;;) {
        auto seq = next++;
        if (seq >= count || clock_type::now() - start >= throughput_budget)
          break;
        if (!client || calls >= requests_per_connection) {
          client.reset();
          auto c = runtime::control_client::connect(node.control, call_timeout);
          if (!c) {
            if (errors++ == 0)
              first_error = c.error().describe();
            break;
          }
          client = std::move(*c);
          calls = 0;
        }
        auto data = make_payload(tag, static_cast<std::uint64_t>(seq));
        stamp(data);
        ++calls;
        if (auto ok = client->publish(topic, data); ok) {
          ++sent;
        } else {
          if (errors++ == 0)
            first_error = ok.error().describe();
          client.reset();
        }
      }
      std::lock_guard<std::mutex> guard{mtx};
      out.sent += sent;
      out.errors += errors;
      if (out.first_error.empty())
        out.first_error = first_error;
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < cs_publishers; ++i)
      threads.emplace_back(worker);
    for (auto& t : threads)
      t.join();
    out.ms = ms_since(start);
    return out;
  }

  delivery received(endpoint at, std::uint32_t tag, bool samples) {
    if (at.k == kind::cs)
      return receiver_->get(at.index, tag);
    auto answer = js_[at.index]
                    .proc->call("stats",
                                fmt::format("\"tag\":{},\"samples\":{}", tag,
                                            samples),
                                10s);
    delivery d;
    d.count = static_cast<std::size_t>(
      json_number(answer, "count").value_or(0));
    d.dups = static_cast<std::size_t>(json_number(answer, "dups").value_or(0));
    d.first_ns = static_cast<std::uint64_t>(
      json_number(answer, "first_ns").value_or(0));
    d.last_ns = static_cast<std::uint64_t>(
      json_number(answer, "last_ns").value_or(0));
    d.lat_us = json_numbers(answer, "lat_us");
    return d;
  }

  /// Waits until `expected` messages arrived at `at`, or drain_limit
  /// passed, or nothing arrived for 1 s.
  delivery drain(endpoint at, std::uint32_t tag, std::size_t expected,
                 bool samples) {
    auto deadline = clock_type::now() + drain_limit;
    std::size_t last = 0;
    auto progress_at = clock_type::now();
    for (;;) {
      auto d = received(at, tag, false);
      if (d.count >= expected || clock_type::now() > deadline)
        break;
      if (d.count != last) {
        last = d.count;
        progress_at = clock_type::now();
      } else if (clock_type::now() - progress_at > 1s) {
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    // Late duplicates show up in this window too.
    std::this_thread::sleep_for(200ms);
    return received(at, tag, samples);
  }

  paths p_;
  std::vector<cs_node> cs_;
  std::vector<js_node> js_;
  std::unique_ptr<cs_receiver> receiver_;
};

// -- report -------------------------------------------------------------------

std::string verdict(bool pass) {
  return pass ? "PASS" : "MISS";
}

std::string cell(std::string text) {
  constexpr std::size_t max_cell = 200;
  for (auto& c : text)
    if (c == '|' || c == '\n')
      c = ' ';
  if (text.size() > max_cell)
    text = text.substr(0, max_cell) + "...";
  return text;
}

std::string loadavg() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

int run_bench() {
  auto started = clock_type::now();
  auto load_before = loadavg();
  std::cerr << "pubsub bench: crypto anchor...\n";
  auto crypto = measure_crypto();
  auto p = find_paths();
  std::cerr << "pubsub bench: work files in " << p.tmp << "\n";
  pubsub_run b{p};
  std::cerr << "pubsub bench: starting " << nodes_per_kind
            << " canswarm p2pd and " << nodes_per_kind << " js nodes...\n";
  b.setup();
  b.run();
  auto bad = b.cs_bad();

  auto& out = std::cout;
  out << fmt::format("## Gossipsub benchmark (loopback; {} B signed "
                     "messages, StrictSign; canswarm p2pd vs js-libp2p "
                     "@libp2p/gossipsub 17)\n\n",
                     message_size);
  out << fmt::format("### Publish -> deliver latency ({} messages at {} "
                     "msg/s)\n\n",
                     latency_messages, latency_rate);
  out << "| topology | path | delivered | dups | p50 ms | p99 ms | max ms "
         "| p99 vs js -> js |\n";
  out << "|---|---|---:|---:|---:|---:|---:|---:|\n";
  auto js_p99 = [&](const std::string& topology) {
    for (const auto& r : b.latency)
      if (r.topology == topology && r.path == "js -> js")
        return percentile(r.got.lat_us, 0.99);
    return 0.0;
  };
  int failed = 0;
  for (const auto& r : b.latency) {
    auto p50 = percentile(r.got.lat_us, 0.5) / 1000.0;
    auto p99 = percentile(r.got.lat_us, 0.99) / 1000.0;
    auto mx = percentile(r.got.lat_us, 1.0) / 1000.0;
    auto js = js_p99(r.topology) / 1000.0;
    out << fmt::format("| {} | {} | {}/{} | {} | {:.2f} | {:.2f} | {:.2f} | "
                       "{} |{}\n",
                       r.topology, r.path, r.got.count, r.expected, r.got.dups,
                       p50, p99, mx,
                       js > 0 ? fmt::format("{:.2f}x", p99 / js) : "",
                       r.error.empty() ? "" : " " + cell(r.error));
    if (!r.error.empty() || r.got.count == 0)
      ++failed;
  }
  out << fmt::format("\n### Throughput (up to {} messages or {} s; "
                     "canswarm: {} control clients publishing, js: {} "
                     "publish() in flight; publisher and subscriber on "
                     "different nodes)\n\n",
                     throughput_messages, throughput_budget.count(),
                     cs_publishers, publish_window);
  out << "| path | published | publish msg/s | delivered | dups | delivered "
         "msg/s | vs js -> js | vs verify rate |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  double cs_tput = 0;
  double js_tput = 0;
  for (const auto& r : b.throughput) {
    if (r.path == "canswarm -> canswarm")
      cs_tput = r.delivered_per_s();
    if (r.path == "js -> js")
      js_tput = r.delivered_per_s();
  }
  for (const auto& r : b.throughput) {
    auto rate = r.delivered_per_s();
    out << fmt::format("| {} | {} | {:.0f} | {} | {} | {:.0f} | {:.2f}x | "
                       "{:.2f}x |{}\n",
                       r.path, r.pub.sent,
                       r.pub.ms > 0
                         ? static_cast<double>(r.pub.sent) / (r.pub.ms / 1000.0)
                         : 0,
                       r.got.count, r.got.dups, rate,
                       js_tput > 0 ? rate / js_tput : 0,
                       crypto.verify_per_s > 0 ? rate / crypto.verify_per_s : 0,
                       r.error.empty() ? "" : " " + cell(r.error));
    if (!r.error.empty() || r.got.count == 0)
      ++failed;
  }
  out << "\n### Anchor: libsodium Ed25519 on 1 KiB, one core (best 500-op "
         "slice in 1 s)\n\n";
  out << "| operation | per second |\n|---|---:|\n";
  out << fmt::format("| crypto_sign_verify_detached | {:.0f} |\n",
                     crypto.verify_per_s);
  out << fmt::format("| crypto_sign_detached | {:.0f} |\n", crypto.sign_per_s);

  out << "\n### Targets\n\n";
  out << "| check | measured | target | result |\n";
  out << "|---|---:|---:|---|\n";
  for (const auto& topology :
       {std::string{"2 nodes"}, std::string{"4-node line (3 hops)"}}) {
    double cs = 0;
    for (const auto& r : b.latency)
      if (r.topology == topology && r.path == "canswarm -> canswarm")
        cs = percentile(r.got.lat_us, 0.99) / 1000.0;
    auto js = js_p99(topology) / 1000.0;
    out << fmt::format("| latency p99 canswarm <= js, {} | {:.2f} vs {:.2f} "
                       "ms ({:.2f}x) | <= 1x | {} |\n",
                       topology, cs, js, js > 0 ? cs / js : 0,
                       verdict(cs > 0 && js > 0 && cs <= js));
  }
  auto tput_ratio = js_tput > 0 ? cs_tput / js_tput : 0;
  auto verify_ratio = crypto.verify_per_s > 0 ? cs_tput / crypto.verify_per_s
                                              : 0;
  out << fmt::format("| throughput canswarm / js | {:.2f}x ({:.0f} vs {:.0f} "
                     "msg/s) | >= 2x | {} |\n",
                     tput_ratio, cs_tput, js_tput, verdict(tput_ratio >= 2.0));
  out << fmt::format("| throughput canswarm / verify rate | {:.2f}x ({:.0f} "
                     "vs {:.0f}/s) | >= 0.5x | {} |\n",
                     verify_ratio, cs_tput, crypto.verify_per_s,
                     verdict(verify_ratio >= 0.5));
  out << fmt::format("\n(one run, {:.0f} s; {} cores; load average before "
                     "{}, after {}; {} malformed deliveries at canswarm "
                     "subscribers)\n",
                     ms_since(started) / 1000.0,
                     std::thread::hardware_concurrency(), load_before,
                     loadavg(), bad);
  if (failed > 0 || bad > 0) {
    std::cerr << "bench_pubsub: " << failed
              << " series failed (see the tables); node stderr kept in "
              << p.tmp << '\n';
    return 1;
  }
  std::error_code ec;
  fs::remove_all(p.tmp, ec);
  return 0;
}

} // namespace

int main() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    ::signal(sig, kill_children_and_exit);
  // A watchdog: no run may hang the caller.
  std::thread([] {
    std::this_thread::sleep_for(run_limit);
    std::cerr << "bench_pubsub: run limit passed; killing everything\n";
    kill_children_and_exit(SIGALRM);
  }).detach();
  try {
    return run_bench();
  } catch (const std::exception& e) {
    std::cerr << "bench_pubsub: error: " << e.what() << '\n';
    return 1;
  }
}
