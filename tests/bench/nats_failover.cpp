// The failover part of bench_nats; see nats_failover.hpp.

#include "nats_failover.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/nats/client.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "nats_server.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;

namespace canswarm::bench {

namespace {

using clock_type = std::chrono::steady_clock;

/// The thread of every envelope.
const std::string thread_id = "bench-failover";

/// Envelope payload size (the wire form is about 1 KiB).
constexpr std::size_t payload_size = 850;

/// Publishing before and after each kill.
constexpr auto before_kill = 1500ms;
constexpr auto after_kill = 4000ms;

/// How long deliveries may trail the last publish.
constexpr auto drain_limit = 15s;

/// The bus publishes to both transports this long after a failback
/// (bus_config::failback_overlap, 5 s) plus a margin: the next kill waits.
constexpr auto overlap_wait = 6s;

/// Longest time the agent retries one envelope.
constexpr auto max_retry_time = 30s;

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

bytes random_bytes(std::size_t n) {
  static std::mutex m;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> guard{m};
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

/// Envelope key of (cycle, seq).
std::uint64_t key_of(std::uint32_t cycle, std::uint32_t seq) {
  return (static_cast<std::uint64_t>(cycle) << 32) | seq;
}

/// A signed NEED envelope whose payload names its cycle and sequence.
bytes make_wire(const identity::private_key& key, std::uint32_t cycle,
                std::uint32_t seq) {
  auto text = "failover c=" + std::to_string(cycle)
              + " s=" + std::to_string(seq) + " ";
  text.resize(payload_size, 'x');
  auto env = envelope::make(envelope::kind::need, thread_id,
                            bytes(text.begin(), text.end()), seq + 1,
                            unix_now_ns(), {}, random_bytes(16),
                            random_bytes(envelope::id_size));
  if (!envelope::sign(env, key))
    throw std::runtime_error("envelope::sign failed");
  auto wire = envelope::encode(env);
  if (!wire)
    throw std::runtime_error("envelope::encode: " + wire.error().message);
  return *wire;
}

/// (cycle, seq) of a received envelope's wire bytes.
std::optional<std::uint64_t> parse_key(const bytes& wire) {
  auto env = envelope::decode(wire);
  if (!env)
    return std::nullopt;
  std::string text(env->payload.begin(),
                   env->payload.begin()
                     + static_cast<std::ptrdiff_t>(
                       std::min<std::size_t>(env->payload.size(), 64)));
  unsigned c = 0;
  unsigned s = 0;
  if (std::sscanf(text.c_str(), "failover c=%u s=%u", &c, &s) != 2)
    return std::nullopt;
  return key_of(c, s);
}

std::string need_topic() {
  return *envelope::p2p_topic(thread_id, envelope::kind::need);
}

// -- nodes --------------------------------------------------------------------

/// A `canswarm node` in mode 3 with its control API on a free port.
struct node {
  test::temp_dir dir;
  multiaddr control;
  std::unique_ptr<test::child_process> proc;
  std::string id;
  std::string addr;

  /// Mode 1 (P2P only), 2 (P2P primary, NATS fallback) or 3 (NATS
  /// primary, P2P fallback).
  node(const std::string& binary, int mode, const std::string& nats_url,
       const std::string& bootstrap) {
    control = *multiaddr::parse("/ip4/127.0.0.1/tcp/"
                                + std::to_string(test::free_tcp_port()));
    test::process_options o;
    o.path = binary;
    o.args = {"node"};
    o.env = {{"P2P_LISTEN_ADDR", "/ip4/127.0.0.1/tcp/0"},
             {"P2P_KEY_FILE", dir.file("node.key")},
             {"P2P_CONTROL_ADDR", control.to_string()},
             {"P2P_MDNS_ENABLED", "false"},
             {"GOSSIPSUB_HEARTBEAT_INTERVAL", "0.2"},
             {"LOG_LEVEL", "WARNING"},
             {"NATS_URL", nats_url},
             {"P2P_ENABLED", "true"},
             {"P2P_PRIMARY", mode == 3 ? "false" : "true"},
             {"NATS_FALLBACK", mode == 2 ? "true" : "false"}};
    if (!bootstrap.empty())
      o.env["P2P_BOOTSTRAP_NODES"] = bootstrap;
    o.working_dir = dir.path().string();
    proc = std::make_unique<test::child_process>(o);
    auto id_line = proc->read_line(15s);
    if (!id_line || id_line->rfind("Peer ID: ", 0) != 0)
      throw std::runtime_error("node: no `Peer ID:` line; stderr: "
                               + tail(proc->stderr_text()));
    id = id_line->substr(9);
    auto addrs = proc->read_line(5s);
    if (!addrs || addrs->rfind("Peer Addrs: ", 0) != 0)
      throw std::runtime_error("node: no `Peer Addrs:` line");
    std::istringstream in{addrs->substr(12)};
    in >> addr;
  }

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  ~node() {
    stop();
  }

  /// SIGKILL, reaped.
  void kill9() {
    if (!proc)
      return;
    proc->signal(SIGKILL);
    proc->wait(5s);
    proc.reset();
  }

  void stop() {
    if (proc) {
      proc->signal(SIGTERM);
      if (!proc->wait(10s)) {
        proc->signal(SIGKILL);
        proc->wait(5s);
      }
    }
  }

  static std::string tail(const std::string& s) {
    return s.size() > 3000 ? "..." + s.substr(s.size() - 3000) : s;
  }

  /// Drains stderr (the pipe must not fill up).
  void drain() {
    if (proc)
      (void)proc->stderr_text();
  }

  /// The CANSWARM_STATS document ("" if the node did not answer).
  std::string stats() {
    auto c = runtime::control_client::connect(control, 2000ms);
    if (!c)
      return "";
    auto doc = c->stats();
    return doc ? *doc : "";
  }

  std::vector<std::string> topic_peers(const std::string& topic) {
    std::vector<std::string> out;
    auto c = runtime::control_client::connect(control, 2000ms);
    if (!c)
      return out;
    auto ids = c->list_topic_peers(topic);
    if (!ids)
      return out;
    for (auto& raw : *ids)
      if (auto p = peer_id::from_bytes(raw))
        out.push_back(p->to_string());
    return out;
  }
};

/// A number field "key":N of a JSON document (-1 if absent).
long long json_num(const std::string& doc, const std::string& key) {
  std::smatch m;
  std::regex re{"\"" + key + "\":([0-9]+)"};
  if (!std::regex_search(doc, m, re))
    return -1;
  return std::stoll(m[1].str());
}

bool on_nats(const std::string& stats) {
  return stats.find("\"active\":\"nats\"") != std::string::npos
         && stats.find("\"nats_state\":\"connected\"") != std::string::npos;
}

/// Polls `pred` every 50 ms until it holds or `limit` passes, draining the
/// nodes' stderr meanwhile.
bool await(const std::function<bool()>& pred, std::chrono::milliseconds limit,
           std::initializer_list<node*> nodes) {
  auto deadline = clock_type::now() + limit;
  for (;;) {
    for (auto* n : nodes)
      n->drain();
    if (pred())
      return true;
    if (clock_type::now() > deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

/// Sleeps `d`, draining the nodes' stderr.
void idle(std::chrono::milliseconds d, std::initializer_list<node*> nodes) {
  (void)await([] { return false; }, d, nodes);
}

// -- the subscriber at B ------------------------------------------------------

/// Every envelope B's subscription delivers: copies and first arrival.
struct collector {
  struct seen {
    int copies = 0;
    clock_type::time_point first;
  };

  std::mutex m;
  std::map<std::uint64_t, seen> got;
  std::size_t undecodable = 0;
  std::string error;
  std::atomic<bool> done{false};
  std::thread worker;

  explicit collector(node& b) {
    auto c = runtime::control_client::connect(b.control);
    if (!c)
      throw std::runtime_error("control connect: " + c.error().message);
    auto sub = c->subscribe(need_topic());
    if (!sub)
      throw std::runtime_error("subscribe: " + sub.error().message);
    worker = std::thread{[this, s = std::move(*sub)]() mutable {
      while (!done) {
        auto msg = s.next(100ms);
        auto now = clock_type::now();
        if (!msg) {
          if (msg.error().code == errc::timeout)
            continue;
          std::lock_guard<std::mutex> guard{m};
          error = msg.error().message;
          return;
        }
        auto key = msg->data ? parse_key(*msg->data) : std::nullopt;
        std::lock_guard<std::mutex> guard{m};
        if (!key) {
          ++undecodable;
          continue;
        }
        auto& e = got[*key];
        if (e.copies++ == 0)
          e.first = now;
      }
    }};
  }

  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;

  ~collector() {
    done = true;
    worker.join();
  }

  /// Whether some envelope of `cycle` arrived.
  bool any_of_cycle(std::uint32_t cycle) {
    std::lock_guard<std::mutex> guard{m};
    auto i = got.lower_bound(key_of(cycle, 0));
    return i != got.end() && (i->first >> 32) == cycle;
  }

  std::optional<seen> find(std::uint64_t key) {
    std::lock_guard<std::mutex> guard{m};
    auto i = got.find(key);
    if (i == got.end())
      return std::nullopt;
    return i->second;
  }
};

// -- the agent at A -----------------------------------------------------------

/// Publishes signed envelopes of one cycle at a steady rate through A's
/// control API, on its own thread. A failed publish is retried with the
/// same envelope ("replay" means A already took it).
struct agent {
  struct record {
    clock_type::time_point start; ///< First attempt.
    bool accepted = false;
  };

  multiaddr control;
  std::uint32_t cycle;
  std::chrono::microseconds period;
  identity::private_key key = identity::private_key::generate_ed25519();
  std::mutex m;
  std::vector<record> records;
  std::string error;
  std::atomic<std::size_t> retries{0};
  std::atomic<bool> stopping{false};
  std::thread worker;

  agent(multiaddr ctl, std::uint32_t c, int rate)
      : control(std::move(ctl)),
        cycle(c),
        period(std::chrono::microseconds{1'000'000 / rate}) {
    worker = std::thread{[this] { run(); }};
  }

  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  ~agent() {
    stop();
  }

  void stop() {
    stopping = true;
    if (worker.joinable())
      worker.join();
  }

  void run() {
    auto topic = need_topic();
    std::optional<runtime::control_client> client;
    auto next = clock_type::now();
    for (std::uint32_t seq = 0; !stopping; ++seq) {
      auto wire = make_wire(key, cycle, seq);
      auto start = clock_type::now();
      {
        std::lock_guard<std::mutex> guard{m};
        records.push_back({start, false});
      }
      bool accepted = false;
      while (!stopping && !accepted) {
        if (clock_type::now() - start > max_retry_time) {
          std::lock_guard<std::mutex> guard{m};
          error = "envelope " + std::to_string(seq)
                  + " not accepted within 30 s";
          return;
        }
        if (!client) {
          auto c = runtime::control_client::connect(control, 2000ms);
          if (!c) {
            ++retries;
            std::this_thread::sleep_for(20ms);
            continue;
          }
          client.emplace(std::move(*c));
        }
        auto ok = client->publish(topic, wire);
        if (ok || ok.error().message.find("replay") != std::string::npos) {
          accepted = true;
          break;
        }
        client.reset();
        ++retries;
        std::this_thread::sleep_for(20ms);
      }
      {
        std::lock_guard<std::mutex> guard{m};
        records.back().accepted = accepted;
      }
      next += period;
      std::this_thread::sleep_until(next);
      if (clock_type::now() > next + 1s)
        next = clock_type::now();
    }
  }
};

} // namespace

std::vector<double> connect_subscribe_ms(const std::string& url, int samples) {
  std::vector<double> out;
  for (int i = 0; i < samples; ++i) {
    nats::client_options o;
    o.urls = {url};
    o.name = "bench-anchor";
    auto t0 = clock_type::now();
    auto conn = nats::connection::connect(o, {});
    if (!conn)
      throw std::runtime_error("anchor connect: " + conn.error().describe());
    auto sub = (*conn)->subscribe("bench.anchor." + std::to_string(i),
                                  [](nats::message) {});
    if (!sub)
      throw std::runtime_error("anchor subscribe: " + sub.error().describe());
    if (auto f = (*conn)->flush(5s); !f)
      throw std::runtime_error("anchor flush: " + f.error().describe());
    out.push_back(ms_between(t0, clock_type::now()));
  }
  return out;
}

namespace {

/// One measurement: the agent publishes at A for `before_kill`, `kill()`
/// runs, the agent goes on for `after_kill`; then every envelope must
/// reach B.
failover_run measure_cycle(node& a, collector& got, std::uint32_t cycle,
                           int rate, const std::function<void()>& kill,
                           std::initializer_list<node*> nodes) {
  failover_run run;
  agent pub{a.control, cycle, rate};
  idle(std::chrono::duration_cast<std::chrono::milliseconds>(before_kill),
       nodes);
  auto failovers_before = json_num(a.stats(), "failovers");
  auto killed = clock_type::now();
  kill();
  // When A's bus counts the failover (its stats polled: an upper bound,
  // the poll is a control API round trip).
  (void)await(
    [&] {
      if (json_num(a.stats(), "failovers") > failovers_before) {
        run.detect_ms = ms_between(killed, clock_type::now());
        return true;
      }
      return false;
    },
    std::chrono::duration_cast<std::chrono::milliseconds>(after_kill), nodes);
  idle(std::chrono::duration_cast<std::chrono::milliseconds>(
         after_kill - (clock_type::now() - killed)),
       nodes);
  pub.stop();
  {
    std::lock_guard<std::mutex> guard{pub.m};
    if (!pub.error.empty())
      throw std::runtime_error("agent: " + pub.error);
  }
  auto records = pub.records;
  run.retries = pub.retries;
  std::vector<std::uint64_t> keys;
  for (std::uint32_t s = 0; s < records.size(); ++s)
    if (records[s].accepted)
      keys.push_back(key_of(cycle, s));
  run.published = keys.size();
  auto delivered_all = [&] {
    for (auto key : keys)
      if (!got.find(key))
        return false;
    return true;
  };
  (void)await(delivered_all, drain_limit, nodes);
  // Late copies (re-sends) would show as duplicates now.
  idle(500ms, nodes);
  std::vector<clock_type::time_point> arrivals;
  std::optional<clock_type::time_point> first_after;
  std::optional<clock_type::time_point> first_any;
  for (std::uint32_t s = 0; s < records.size(); ++s) {
    if (!records[s].accepted)
      continue;
    auto seen = got.find(key_of(cycle, s));
    if (!seen)
      continue;
    ++run.delivered;
    run.duplicates += static_cast<std::size_t>(seen->copies - 1);
    arrivals.push_back(seen->first);
    if (seen->first > killed && (!first_any || seen->first < *first_any))
      first_any = seen->first;
    if (records[s].start > killed
        && (!first_after || seen->first < *first_after))
      first_after = seen->first;
  }
  if (first_after)
    run.failover_ms = ms_between(killed, *first_after);
  if (first_any)
    run.first_any_ms = ms_between(killed, *first_any);
  std::sort(arrivals.begin(), arrivals.end());
  for (std::size_t i = 1; i < arrivals.size(); ++i)
    run.max_gap_ms = std::max(run.max_gap_ms,
                              ms_between(arrivals[i - 1], arrivals[i]));
  auto sa = a.stats();
  run.failovers = json_num(sa, "failovers");
  run.resent = json_num(sa, "resent");
  return run;
}

bool on_topic(node& n, const std::string& peer) {
  auto ps = n.topic_peers(need_topic());
  return std::find(ps.begin(), ps.end(), peer) != ps.end();
}

/// Publishes envelopes (cycle 0) at A until one reaches B (gossipsub may
/// lose the first ones while the mesh forms).
void probe(node& a, collector& got, std::initializer_list<node*> nodes) {
  agent p{a.control, 0, 50};
  bool arrived = await([&] { return got.any_of_cycle(0); }, 15s, nodes);
  p.stop();
  if (!arrived)
    throw std::runtime_error("no probe envelope arrived at B");
}

void check(collector& got) {
  std::lock_guard<std::mutex> guard{got.m};
  if (!got.error.empty())
    throw std::runtime_error("subscription: " + got.error);
  if (got.undecodable != 0)
    throw std::runtime_error(std::to_string(got.undecodable)
                             + " undecodable messages at B");
}

/// Mode 3: one pair of nodes, nats-server killed and restarted `kills`
/// times.
void mode3(const std::string& binary, int kills, failover_result& res) {
  test::nats_server srv{false};
  node a{binary, 3, srv.url(), ""};
  node b{binary, 3, srv.url(), a.addr};
  auto both_on_nats = [&] { return on_nats(a.stats()) && on_nats(b.stats()); };
  if (!await(both_on_nats, 20s, {&a, &b}))
    throw std::runtime_error("the nodes did not connect to NATS; A: "
                             + a.stats() + " B: " + b.stats());
  collector got{b};
  if (!await([&] { return on_topic(a, b.id); }, 20s, {&a, &b}))
    throw std::runtime_error("A never saw B on the topic");
  probe(a, got, {&a, &b});

  // The anchor, against the same server, with the nodes running.
  res.anchor_samples_ms = connect_subscribe_ms(srv.url(), 20);
  auto sorted = res.anchor_samples_ms;
  std::sort(sorted.begin(), sorted.end());
  res.anchor_ms = sorted[sorted.size() / 2];

  for (int k = 1; k <= kills; ++k) {
    auto run = measure_cycle(a, got, static_cast<std::uint32_t>(k), res.rate,
                             [&] { srv.kill(); }, {&a, &b});
    srv.start();
    run.recovered = await(both_on_nats, 30s, {&a, &b});
    res.runs.push_back(run);
    if (!run.recovered)
      throw std::runtime_error("A's bus did not return to NATS; A: "
                               + a.stats());
    if (k < kills)
      idle(std::chrono::duration_cast<std::chrono::milliseconds>(overlap_wait),
           {&a, &b});
  }
  check(got);
}

/// Mode 2: the line A - R - B (R in mode 1 relays the topic), R killed;
/// fresh nodes for every kill.
void mode2(const std::string& binary, int kills, failover_result& res) {
  test::nats_server srv{false};
  for (int k = 1; k <= kills; ++k) {
    node r{binary, 1, srv.url(), ""};
    node a{binary, 2, srv.url(), r.addr};
    node b{binary, 2, srv.url(), r.addr};
    auto connected = [](node& n) {
      return n.stats().find("\"nats_state\":\"connected\"")
             != std::string::npos;
    };
    if (!await([&] { return connected(a) && connected(b); }, 20s, {&a, &b, &r}))
      throw std::runtime_error("mode 2: the nodes did not connect to NATS");
    collector relay{r};
    collector got{b};
    if (!await([&] { return on_topic(a, r.id) && on_topic(r, b.id); }, 20s,
               {&a, &b, &r}))
      throw std::runtime_error("mode 2: the line A - R - B did not form");
    probe(a, got, {&a, &b, &r});
    auto run = measure_cycle(a, got, static_cast<std::uint32_t>(k), res.rate,
                             [&] { r.kill9(); }, {&a, &b});
    run.recovered = true; // nothing to recover: the nodes are replaced
    res.p2p_runs.push_back(run);
    check(got);
  }
}

} // namespace

failover_result measure_failover(const std::string& binary, int kills, int rate,
                                 bool with_mode2) {
  failover_result res;
  res.rate = rate;
  try {
    mode3(binary, kills, res);
  } catch (const std::exception& e) {
    res.error = e.what();
  }
  if (with_mode2) {
    try {
      mode2(binary, kills, res);
    } catch (const std::exception& e) {
      res.p2p_error = e.what();
    }
  }
  return res;
}

} // namespace canswarm::bench
