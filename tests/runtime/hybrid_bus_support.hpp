// Shared by the hybrid bus tests (hybrid_bus_test.cpp, migration_test.cpp):
// `canswarm node` processes with a control API (bus_node), an agent that
// publishes signed envelopes through it, a collector that counts what a
// subscription receives by envelope id, and readers for the one-line JSON
// of CANSWARM_STATS.

#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/nats/client.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "nats_server.hpp"
#include "node_harness.hpp"
#include "stats_json.hpp"
#include "support/process.hpp"

namespace canswarm::test::hybrid {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// The thread every test publishes on.
inline const std::string thread_id = "hybrid bus/7";

/// Steady publishing rate: one envelope every 10 ms (100/s).
constexpr auto publish_period = 10ms;

/// Longest time the agent retries one envelope before the test fails.
constexpr auto max_retry_time = 30s;

// -- envelopes ---------------------------------------------------------------

inline std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

inline bytes random_bytes(std::size_t n) {
  static std::mutex m;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> guard{m};
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

/// A signed NEED envelope of `thread_id` with payload {"seq":N}.
/// Without doctest assertions, for the agent's thread.
inline result<envelope::envelope>
build_envelope(const identity::private_key& key, std::uint64_t seq) {
  auto payload = "{\"seq\":" + std::to_string(seq) + "}";
  auto env = envelope::make(envelope::kind::need, thread_id,
                            bytes(payload.begin(), payload.end()), seq + 1,
                            unix_now_ns(), {}, random_bytes(16),
                            random_bytes(envelope::id_size));
  if (auto ok = envelope::sign(env, key); !ok)
    return ok.error();
  return env;
}

inline envelope::envelope make_envelope(const identity::private_key& key,
                                        std::uint64_t seq) {
  auto env = build_envelope(key, seq);
  REQUIRE_MESSAGE(env, (env ? "" : env.error().message));
  return std::move(*env);
}

inline bytes encode_env(const envelope::envelope& env) {
  auto wire = envelope::encode(env);
  REQUIRE_MESSAGE(wire, (wire ? "" : wire.error().message));
  return *wire;
}

inline std::string need_topic() {
  return *envelope::p2p_topic(thread_id, envelope::kind::need);
}

inline std::string need_subject() {
  return *envelope::nats_subject(thread_id, envelope::kind::need);
}

// -- nodes -------------------------------------------------------------------

/// The environment of an operating mode (1 P2P only, 2 P2P primary with
/// NATS fallback, 3 NATS primary with P2P fallback, 4 NATS only).
inline std::map<std::string, std::string>
mode_env(int mode, const std::string& nats_url) {
  std::map<std::string, std::string> env{{"P2P_MDNS_ENABLED", "false"},
                                         {"LOG_LEVEL", "INFO"},
                                         {"GOSSIPSUB_HEARTBEAT_INTERVAL",
                                          "0.2"},
                                         {"NATS_URL", nats_url}};
  switch (mode) {
    case 1:
      env["P2P_ENABLED"] = "true";
      env["P2P_PRIMARY"] = "true";
      env["NATS_FALLBACK"] = "false";
      break;
    case 2:
      env["P2P_ENABLED"] = "true";
      env["P2P_PRIMARY"] = "true";
      env["NATS_FALLBACK"] = "true";
      break;
    case 3:
      env["P2P_ENABLED"] = "true";
      env["P2P_PRIMARY"] = "false";
      break;
    default: env["P2P_ENABLED"] = "false"; break;
  }
  return env;
}

/// A node that can be stopped and started again with the same key, data
/// directory and control address (another environment allowed); its stderr
/// is kept across runs.
struct bus_node {
  test::temp_dir dir;
  multiaddr control;
  std::unique_ptr<test::child_process> proc;
  test::banner b;
  std::string past_log;

  explicit bus_node(const std::map<std::string, std::string>& env) {
    control = *multiaddr::parse("/ip4/127.0.0.1/tcp/"
                                + std::to_string(test::free_tcp_port()));
    start(env);
  }

  bus_node(const bus_node&) = delete;
  bus_node& operator=(const bus_node&) = delete;

  ~bus_node() {
    stop();
  }

  void start(const std::map<std::string, std::string>& env) {
    REQUIRE(!proc);
    auto opts = test::node_options(dir);
    opts.env["P2P_CONTROL_ADDR"] = control.to_string();
    for (auto& [k, v] : env)
      opts.env[k] = v;
    proc = std::make_unique<test::child_process>(opts);
    b = test::read_banner(*proc);
  }

  /// Stops the node with `sig` (SIGKILL after 15 s) and keeps its log.
  void stop(int sig = SIGTERM) {
    if (!proc)
      return;
    proc->signal(sig);
    if (!proc->wait(15s)) {
      proc->signal(SIGKILL);
      proc->wait(5s);
    }
    past_log += proc->stderr_text();
    proc.reset();
  }

  /// Everything the node wrote to stderr (all runs); drains the pipe.
  std::string log() {
    return past_log + (proc ? proc->stderr_text() : std::string{});
  }

  std::string tcp_addr() const {
    return b.addrs.at(0);
  }

  runtime::control_client client() {
    auto c = runtime::control_client::connect(control);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    return std::move(*c);
  }

  /// The CANSWARM_STATS document.
  std::string stats() {
    auto doc = client().stats();
    REQUIRE_MESSAGE(doc, (doc ? "" : doc.error().message));
    return *doc;
  }

  /// The "bus" object of the stats.
  std::string bus() {
    return json_path(stats(), {"bus"});
  }

  std::set<std::string> topic_peers(const std::string& topic) {
    auto ids = client().list_topic_peers(topic);
    REQUIRE_MESSAGE(ids, (ids ? "" : ids.error().message));
    std::set<std::string> out;
    for (auto& id : *ids)
      out.insert(peer_id::from_bytes(id)->to_string());
    return out;
  }

  std::size_t peer_count() {
    auto xs = client().list_peers();
    REQUIRE(xs);
    return xs->size();
  }
};

/// Polls `pred` every 50 ms until it holds or `limit` passes, draining the
/// nodes' stderr meanwhile.
inline bool await(const std::function<bool()>& pred,
                  std::chrono::milliseconds limit,
                  std::initializer_list<bus_node*> nodes = {}) {
  auto deadline = clock_type::now() + limit;
  for (;;) {
    for (auto* n : nodes)
      n->log();
    if (pred())
      return true;
    if (clock_type::now() > deadline)
      return false;
    std::this_thread::sleep_for(50ms);
  }
}

inline bool await_nats_connected(bus_node& n) {
  return await(
    [&] { return json_path(n.bus(), {"nats_state"}) == "connected"; }, 15s,
    {&n});
}

inline bool await_topic_peer(bus_node& n, const std::string& peer) {
  return await([&] { return n.topic_peers(need_topic()).count(peer) > 0; }, 15s,
               {&n});
}

/// Counts every message of one SUBSCRIBE by envelope id, on its own thread.
struct collector {
  std::mutex m;
  std::map<std::string, int> counts;
  std::size_t undecodable = 0;
  std::string error;
  std::atomic<bool> done{false};
  std::thread worker;

  collector(bus_node& node, const std::string& topic) {
    auto sub = node.client().subscribe(topic);
    REQUIRE_MESSAGE(sub, (sub ? "" : sub.error().message));
    worker = std::thread{[this, s = std::move(*sub)]() mutable {
      while (!done) {
        auto msg = s.next(100ms);
        if (!msg) {
          if (msg.error().code == errc::timeout)
            continue;
          std::lock_guard<std::mutex> guard{m};
          error = msg.error().message;
          return;
        }
        std::lock_guard<std::mutex> guard{m};
        if (!msg->data) {
          ++undecodable;
          continue;
        }
        if (auto env = envelope::decode(*msg->data); env)
          ++counts[to_hex(env->id)];
        else
          ++undecodable;
      }
    }};
  }

  collector(const collector&) = delete;
  collector& operator=(const collector&) = delete;

  ~collector() {
    done = true;
    worker.join();
  }

  int count(const std::string& id) {
    std::lock_guard<std::mutex> guard{m};
    auto i = counts.find(id);
    return i == counts.end() ? 0 : i->second;
  }

  /// How many of `ids` arrived at least once.
  std::size_t received_of(const std::vector<std::string>& ids) {
    std::lock_guard<std::mutex> guard{m};
    std::size_t n = 0;
    for (auto& id : ids)
      n += counts.count(id);
    return n;
  }

  /// Ids that arrived more than once, and the extra copies.
  std::pair<std::size_t, std::size_t> duplicates() {
    std::lock_guard<std::mutex> guard{m};
    std::pair<std::size_t, std::size_t> out{0, 0};
    for (auto& [id, n] : counts)
      if (n > 1) {
        ++out.first;
        out.second += static_cast<std::size_t>(n - 1);
      }
    return out;
  }

  /// Ids received that are in none of `known` (a stray envelope).
  std::vector<std::string>
  foreign(std::initializer_list<const std::vector<std::string>*> known) {
    std::set<std::string> all;
    for (auto* k : known)
      all.insert(k->begin(), k->end());
    std::lock_guard<std::mutex> guard{m};
    std::vector<std::string> out;
    for (auto& [id, n] : counts)
      if (!all.count(id))
        out.push_back(id);
    return out;
  }
};

/// An agent publishing `total` envelopes at a steady rate through a node's
/// control API, on its own thread. A refused or failed publish (the node is
/// down, restarting or has no working transport) is retried with the SAME
/// envelope until it is accepted; a "replay" refusal means the node already
/// took it. After a failed call, `ready` (if set) must hold before the next
/// try: a careful agent waits until its node can deliver.
struct agent {
  multiaddr control;
  std::size_t total;
  identity::private_key key = identity::private_key::generate_ed25519();
  std::function<bool()> ready;
  std::vector<std::string> ids; // published, in order (read after join)
  std::atomic<std::size_t> sent{0};
  std::atomic<std::size_t> retries{0};
  std::atomic<std::size_t> replays{0};
  std::atomic<bool> stopping{false};
  std::mutex m;
  std::string error;
  std::thread worker;

  agent(multiaddr ctl, std::size_t n, std::function<bool()> ready_fn = {})
      : control(std::move(ctl)), total(n), ready(std::move(ready_fn)) {}

  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  ~agent() {
    stopping = true;
    if (worker.joinable())
      worker.join();
  }

  void start() {
    worker = std::thread{[this] { run(); }};
  }

  void join() {
    worker.join();
  }

  void fail(std::string msg) {
    std::lock_guard<std::mutex> guard{m};
    error = std::move(msg);
  }

  void run() {
    auto topic = need_topic();
    std::optional<runtime::control_client> client;
    auto next = clock_type::now();
    for (std::size_t i = 0; i < total && !stopping; ++i) {
      auto built = build_envelope(key, i);
      if (!built)
        return fail(built.error().message);
      auto& env = *built;
      auto encoded = envelope::encode(env);
      if (!encoded)
        return fail(encoded.error().message);
      auto& wire = *encoded;
      auto give_up = clock_type::now() + max_retry_time;
      bool failed_before = false;
      for (;;) {
        if (stopping)
          return;
        if (clock_type::now() > give_up)
          return fail("envelope " + std::to_string(i)
                      + " not accepted within 30 s");
        if (failed_before && ready && !ready()) {
          std::this_thread::sleep_for(50ms);
          continue;
        }
        if (!client) {
          auto c = runtime::control_client::connect(control, 2000ms);
          if (!c) {
            failed_before = true;
            ++retries;
            std::this_thread::sleep_for(50ms);
            continue;
          }
          client.emplace(std::move(*c));
        }
        auto ok = client->publish(topic, wire);
        if (ok)
          break;
        if (ok.error().message.find("replay") != std::string::npos) {
          ++replays;
          break;
        }
        client.reset();
        failed_before = true;
        ++retries;
        std::this_thread::sleep_for(50ms);
      }
      ids.push_back(to_hex(env.id));
      ++sent;
      next += publish_period;
      std::this_thread::sleep_until(next);
      if (clock_type::now() > next + 1s)
        next = clock_type::now(); // after a long retry: keep the rate
    }
  }
};

/// Waits (draining the nodes' logs) until the agent finished.
inline void await_agent(agent& a, std::initializer_list<bus_node*> nodes,
                        std::chrono::milliseconds limit = 60s) {
  auto deadline = clock_type::now() + limit;
  while (a.sent < a.total && clock_type::now() < deadline) {
    {
      std::lock_guard<std::mutex> guard{a.m};
      if (!a.error.empty())
        break;
    }
    for (auto* n : nodes)
      n->log();
    std::this_thread::sleep_for(50ms);
  }
  a.stopping = a.sent < a.total;
  a.join();
  std::lock_guard<std::mutex> guard{a.m};
  REQUIRE_MESSAGE(a.error.empty(), a.error);
  REQUIRE(a.sent == a.total);
}

/// Publishes probe envelopes through `publish` until `c` receives one (at
/// most 15 s); returns the probes' ids.
inline std::vector<std::string>
probe(collector& c, const std::function<void(const bytes&)>& publish,
      std::initializer_list<bus_node*> nodes) {
  auto key = identity::private_key::generate_ed25519();
  std::vector<std::string> ids;
  bool arrived = await(
    [&] {
      for (auto& id : ids)
        if (c.count(id) > 0)
          return true;
      auto env = make_envelope(key, 100'000 + ids.size());
      ids.push_back(to_hex(env.id));
      publish(encode_env(env));
      std::this_thread::sleep_for(200ms);
      return false;
    },
    15s, nodes);
  REQUIRE_MESSAGE(arrived, "no probe arrived");
  return ids;
}

/// Lines of `log` containing every one of `parts`.
inline std::vector<std::string>
lines_with(const std::string& log, std::initializer_list<std::string> parts) {
  std::vector<std::string> out;
  for (auto& line : test::split_lines(log))
    if (std::all_of(parts.begin(), parts.end(),
                    [&](auto& p) { return line.find(p) != std::string::npos; }))
      out.push_back(line);
  return out;
}

inline std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Relevant lines of a node's log for a failure message.
inline std::string bus_lines(bus_node& n) {
  std::string out;
  for (auto& line : test::split_lines(n.log())) {
    auto l = lower(line);
    if (l.find("bus") != std::string::npos
        || l.find("nats") != std::string::npos
        || l.find("warning") != std::string::npos
        || l.find("error") != std::string::npos)
      out += line + '\n';
  }
  if (out.size() > 6000)
    out = "...\n" + out.substr(out.size() - 6000);
  return out;
}

/// A TCP listener on a free loopback port that accepts nothing: the "NATS
/// server" of a P2P-only node, to show it is never dialled.
struct silent_listener {
  int fd = -1;
  std::uint16_t port = 0;

  silent_listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  ~silent_listener() {
    ::close(fd);
  }

  /// Connections that reached the port so far.
  int accepted() {
    int n = 0;
    for (int c; (c = ::accept(fd, nullptr, nullptr)) >= 0; ++n)
      ::close(c);
    return n;
  }
};

} // namespace canswarm::test::hybrid
