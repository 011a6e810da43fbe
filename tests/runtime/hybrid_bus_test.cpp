// The hybrid bus (issue #7) against real `canswarm node` processes and a
// real nats-server on loopback:
//  1. mode 1 (P2P only) with nothing to connect to: it never dials NATS;
//  2. bad input published straight onto NATS by a plain nats.c client is
//     rejected by the gate with its reason and never delivered;
//  3. mode 2: the P2P side goes away (the relay between publisher and
//     subscriber is killed) while 1,000 envelopes are published: all arrive
//     once, through NATS after the switch;
//  4. mode 3: nats-server is killed -9 and restarted while 1,000 envelopes
//     are published: all arrive once, through P2P meanwhile, and the bus
//     returns to NATS;
//  5. migration: three nodes move from mode 3 to 2 to 1 by rolling restarts
//     while one agent keeps publishing through the first; an observer that
//     is never restarted receives every envelope once.
//
// Envelopes are published through the control API (PUBSUB PUBLISH of the
// encoded envelope on its `/swarm/thread/...` topic) and received through it
// (SUBSCRIBE); "exactly once" counts every message a subscription gets, by
// envelope id, so a duplicate the node lets through is seen.

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
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

/// The thread every test publishes on.
const std::string thread_id = "hybrid bus/7";

/// Steady publishing rate: one envelope every 10 ms (100/s).
constexpr auto publish_period = 10ms;

/// Longest time the agent retries one envelope before the test fails.
constexpr auto max_retry_time = 30s;

// -- JSON (the one-line documents of CANSWARM_STATS) ------------------------

/// Index just past the string starting at s[i] == '"'.
std::size_t skip_string(const std::string& s, std::size_t i) {
  for (++i; i < s.size() && s[i] != '"'; ++i)
    if (s[i] == '\\')
      ++i;
  return i + 1;
}

/// The text of the value starting at s[i]: a string without its quotes, an
/// object or array with its brackets, or a bare number/literal.
std::string json_value_at(const std::string& s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
    ++i;
  if (i >= s.size())
    return "";
  if (s[i] == '"') {
    auto end = skip_string(s, i);
    return s.substr(i + 1, end - i - 2);
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (auto j = i; j < s.size();) {
      char c = s[j];
      if (c == '"') {
        j = skip_string(s, j);
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      if ((c == '}' || c == ']') && --depth == 0)
        return s.substr(i, j - i + 1);
      ++j;
    }
    return "";
  }
  auto j = i;
  while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']')
    ++j;
  return s.substr(i, j - i);
}

/// The value of `key` at the top level of the JSON object `obj` (nullopt if
/// absent).
std::optional<std::string> json_get(const std::string& obj,
                                    const std::string& key) {
  int depth = 0;
  for (std::size_t i = 0; i < obj.size();) {
    char c = obj[i];
    if (c == '"') {
      auto end = skip_string(obj, i);
      if (depth == 1) {
        auto k = end;
        while (k < obj.size()
               && std::isspace(static_cast<unsigned char>(obj[k])))
          ++k;
        if (k < obj.size() && obj[k] == ':'
            && obj.compare(i + 1, end - i - 2, key) == 0)
          return json_value_at(obj, k + 1);
      }
      i = end;
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    ++i;
  }
  return std::nullopt;
}

/// The keys at the top level of the JSON object `obj`.
std::vector<std::string> json_keys(const std::string& obj) {
  std::vector<std::string> out;
  int depth = 0;
  for (std::size_t i = 0; i < obj.size();) {
    char c = obj[i];
    if (c == '"') {
      auto end = skip_string(obj, i);
      auto k = end;
      while (k < obj.size() && std::isspace(static_cast<unsigned char>(obj[k])))
        ++k;
      if (depth == 1 && k < obj.size() && obj[k] == ':')
        out.push_back(obj.substr(i + 1, end - i - 2));
      i = end;
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    ++i;
  }
  return out;
}

/// `obj.a.b...` as text ("" if any part is absent).
std::string json_path(const std::string& obj,
                      std::initializer_list<std::string> keys) {
  std::string cur = obj;
  for (auto& k : keys) {
    auto v = json_get(cur, k);
    if (!v)
      return "";
    cur = *v;
  }
  return cur;
}

/// `obj.a.b...` as a number (-1 if absent or not a number).
long long json_num(const std::string& obj,
                   std::initializer_list<std::string> keys) {
  auto v = json_path(obj, keys);
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return -1;
  return std::stoll(v);
}

// -- envelopes ---------------------------------------------------------------

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

/// A signed NEED envelope of `thread_id` with payload {"seq":N}.
/// Without doctest assertions, for the agent's thread.
result<envelope::envelope> build_envelope(const identity::private_key& key,
                                          std::uint64_t seq) {
  auto payload = "{\"seq\":" + std::to_string(seq) + "}";
  auto env = envelope::make(envelope::kind::need, thread_id,
                            bytes(payload.begin(), payload.end()), seq + 1,
                            unix_now_ns(), {}, random_bytes(16),
                            random_bytes(envelope::id_size));
  if (auto ok = envelope::sign(env, key); !ok)
    return ok.error();
  return env;
}

envelope::envelope make_envelope(const identity::private_key& key,
                                 std::uint64_t seq) {
  auto env = build_envelope(key, seq);
  REQUIRE_MESSAGE(env, (env ? "" : env.error().message));
  return std::move(*env);
}

bytes encode_env(const envelope::envelope& env) {
  auto wire = envelope::encode(env);
  REQUIRE_MESSAGE(wire, (wire ? "" : wire.error().message));
  return *wire;
}

std::string need_topic() {
  return *envelope::p2p_topic(thread_id, envelope::kind::need);
}

std::string need_subject() {
  return *envelope::nats_subject(thread_id, envelope::kind::need);
}

// -- nodes -------------------------------------------------------------------

/// The environment of an operating mode (1 P2P only, 2 P2P primary with
/// NATS fallback, 3 NATS primary with P2P fallback, 4 NATS only).
std::map<std::string, std::string> mode_env(int mode,
                                            const std::string& nats_url) {
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
bool await(const std::function<bool()>& pred, std::chrono::milliseconds limit,
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

bool await_nats_connected(bus_node& n) {
  return await(
    [&] { return json_path(n.bus(), {"nats_state"}) == "connected"; }, 15s,
    {&n});
}

bool await_topic_peer(bus_node& n, const std::string& peer) {
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
void await_agent(agent& a, std::initializer_list<bus_node*> nodes,
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
std::vector<std::string> probe(collector& c,
                               const std::function<void(const bytes&)>& publish,
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
std::vector<std::string> lines_with(const std::string& log,
                                    std::initializer_list<std::string> parts) {
  std::vector<std::string> out;
  for (auto& line : test::split_lines(log))
    if (std::all_of(parts.begin(), parts.end(),
                    [&](auto& p) { return line.find(p) != std::string::npos; }))
      out.push_back(line);
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Relevant lines of a node's log for a failure message.
std::string bus_lines(bus_node& n) {
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

} // namespace

TEST_CASE("mode 1 (P2P only) with no nats-server anywhere: 50 envelopes "
          "reach `canswarm subscribe` once each and NATS is never dialled") {
  // NATS_URL points at a port where something listens but nothing answers
  // NATS: a P2P-only node must never even open a connection to it. The
  // nodes get no PATH, so no nats-server could be started by them either.
  silent_listener no_nats;
  auto url = "nats://127.0.0.1:" + std::to_string(no_nats.port);
  bus_node a{mode_env(1, url)};
  auto env_b = mode_env(1, url);
  env_b["P2P_BOOTSTRAP_NODES"] = a.tcp_addr();
  bus_node b{env_b};

  test::temp_dir work;
  test::child_process sub{
    {test::canswarm_binary(),
     {"subscribe", "--control", b.control.to_string(), "--thread", thread_id,
      "--kind", "NEED", "--count", "50", "--timeout", "40"},
     {},
     false,
     work.path().string()}};
  REQUIRE(await(
    [&] {
      return sub.stderr_text().find("subscribed to 1 topic")
             != std::string::npos;
    },
    15s, {&a, &b}));
  REQUIRE_MESSAGE(await_topic_peer(a, b.b.id), bus_lines(a));
  std::this_thread::sleep_for(1s); // a few heartbeats for the mesh

  agent pub{a.control, 50};
  pub.start();
  await_agent(pub, {&a, &b});

  std::vector<std::string> got;
  for (int i = 0; i < 50; ++i) {
    auto line = sub.read_line(20s);
    REQUIRE_MESSAGE(line, (sub.stderr_text() + bus_lines(b)));
    std::smatch m;
    REQUIRE(
      std::regex_search(*line, m, std::regex{"\"id\":\"([0-9a-f]{32})\""}));
    got.push_back(m[1].str());
  }
  CHECK(sub.wait(10s) == 0);
  CHECK(sub.read_rest(1s).empty());
  CHECK_MESSAGE(sub.stderr_text().find("rejected") == std::string::npos,
                sub.stderr_text());
  auto published = pub.ids;
  std::sort(published.begin(), published.end());
  std::sort(got.begin(), got.end());
  CHECK(got == published);
  CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());

  for (auto* n : {&a, &b}) {
    auto bus = n->bus();
    INFO("bus stats: ", bus);
    CHECK(json_path(bus, {"mode"}) == "p2p-only");
    CHECK(json_path(bus, {"primary"}) == "p2p");
    CHECK(json_path(bus, {"nats_state"}) == "off");
    CHECK(json_num(bus, {"published", "nats"}) == 0);
    CHECK(json_num(bus, {"received", "nats"}) == 0);
    CHECK(json_num(bus, {"failovers"}) == 0);
  }
  CHECK(json_num(a.bus(), {"published", "p2p"}) == 50);
  CHECK(json_num(b.bus(), {"received", "p2p"}) == 50);
  CHECK(json_num(b.bus(), {"delivered"}) == 50);
  MESSAGE("mode 1: printed ", got.size(), "/50; A: ", a.bus(),
          "; B: ", b.bus());

  a.stop();
  b.stop();
  CHECK(no_nats.accepted() == 0);
  for (auto* n : {&a, &b}) {
    auto log = lower(n->log());
    CHECK_MESSAGE(log.find("nats-bridge") == std::string::npos, n->log());
    CHECK_MESSAGE(lines_with(log, {"connect", "nats"}).empty(), n->log());
    CHECK_MESSAGE(log.find(std::to_string(no_nats.port)) == std::string::npos,
                  n->log());
  }
}

TEST_CASE(
  "bad input straight onto NATS (random bytes, forged signature, "
  "payload-hash mismatch, unsigned, wrong verb or thread) is rejected with "
  "its reason and never delivered; a valid envelope after it is") {
  test::nats_server srv{false};
  bus_node n{mode_env(3, srv.url())};
  REQUIRE_MESSAGE(await_nats_connected(n), bus_lines(n));

  test::temp_dir work;
  // Every verb of the thread: the wrong-subject envelope below is heard.
  test::child_process sub{{test::canswarm_binary(),
                           {"subscribe", "--control", n.control.to_string(),
                            "--thread", thread_id, "--timeout", "50"},
                           {},
                           false,
                           work.path().string()}};
  REQUIRE(await(
    [&] {
      return sub.stderr_text().find("subscribed to 15 topics")
             != std::string::npos;
    },
    15s, {&n}));

  nats::client_options o;
  o.urls = {srv.url()};
  o.name = "hybrid-bus-test";
  auto conn = nats::connection::connect(o, {});
  REQUIRE_MESSAGE(conn, (conn ? "" : conn.error().message));
  auto& nc = **conn;
  auto publish = [&](const std::string& subject, const bytes& data) {
    REQUIRE(nc.publish(subject, data));
    REQUIRE(nc.flush(2000ms));
  };

  auto key = identity::private_key::generate_ed25519();
  std::set<std::string> printed;
  auto read_printed = [&](std::chrono::milliseconds wait) {
    // read_line(0) would not read the pipe: wait at least 1 ms.
    wait = std::max(wait, std::chrono::milliseconds{1});
    while (auto line = sub.read_line(wait)) {
      std::smatch m;
      REQUIRE(
        std::regex_search(*line, m, std::regex{"\"id\":\"([0-9a-f]{32})\""}));
      CHECK_MESSAGE(printed.insert(m[1].str()).second, *line);
      wait = 1ms;
    }
  };
  // The node's NATS subscription is live once a valid envelope gets through.
  std::set<std::string> probes;
  REQUIRE_MESSAGE(await(
                    [&] {
                      read_printed(0ms);
                      for (auto& id : probes)
                        if (printed.count(id))
                          return true;
                      auto env = make_envelope(key, probes.size());
                      probes.insert(to_hex(env.id));
                      publish(need_subject(), encode_env(env));
                      read_printed(300ms);
                      return false;
                    },
                    15s, {&n}),
                  bus_lines(n));
  auto rejected_before = json_path(n.bus(), {"nats_rejected"});
  INFO("nats_rejected before: ", rejected_before);

  // 1. Bytes that are no envelope (0x74: field 14 with the invalid wire
  //    type 4, so the decoder refuses it at once).
  std::string garbage = "this is not an envelope";
  publish(need_subject(), bytes(garbage.begin(), garbage.end()));
  // 2. A forged signature (valid encoding).
  auto forged = make_envelope(key, 1001);
  forged.signature[0] ^= 0x01;
  publish(need_subject(), encode_env(forged));
  // 3. A payload that no longer matches its hash (signature over the hash
  //    is still valid).
  auto tampered = make_envelope(key, 1002);
  tampered.payload.push_back(' ');
  publish(need_subject(), encode_env(tampered));
  // 4. No signature at all.
  auto unsigned_env = make_envelope(key, 1003);
  unsigned_env.signature.clear();
  publish(need_subject(), encode_env(unsigned_env));
  // 5. A valid NEED envelope on the PROPOSE subject of its thread.
  auto misplaced = make_envelope(key, 1004);
  publish(*envelope::nats_subject(thread_id, envelope::kind::propose),
          encode_env(misplaced));
  // 6. A valid envelope of another thread on this thread's subject.
  auto stray = envelope::make(envelope::kind::need, "another thread",
                              bytes{'{', '}'}, 1, unix_now_ns(), {},
                              random_bytes(16),
                              random_bytes(envelope::id_size));
  REQUIRE(envelope::sign(stray, key));
  publish(need_subject(), encode_env(stray));
  // Then a valid envelope: it is delivered, the others are not.
  auto valid = make_envelope(key, 1005);
  publish(need_subject(), encode_env(valid));

  REQUIRE_MESSAGE(await(
                    [&] {
                      read_printed(0ms);
                      return printed.count(to_hex(valid.id)) > 0;
                    },
                    15s, {&n}),
                  (sub.stderr_text() + bus_lines(n) + n.bus()));
  std::this_thread::sleep_for(500ms);
  read_printed(200ms);
  for (auto* bad : {&forged, &tampered, &unsigned_env, &misplaced, &stray})
    CHECK_MESSAGE(printed.count(to_hex(bad->id)) == 0, to_hex(bad->id));
  for (auto& id : printed)
    CHECK_MESSAGE((probes.count(id) || id == to_hex(valid.id)), id);
  // Nothing reached the subscriber's own gate to be refused there.
  CHECK_MESSAGE(sub.stderr_text().find("rejected") == std::string::npos,
                sub.stderr_text());

  auto bus = n.bus();
  INFO("bus stats: ", bus);
  auto rej = json_path(bus, {"nats_rejected"});
  auto count = [&](const std::string& reason) {
    auto v = json_num(rej, {reason});
    return v < 0 ? 0 : v;
  };
  CHECK(count("bad_signature") >= 1);
  CHECK(count("payload_hash_mismatch") == 1);
  CHECK(count("undecodable") + count("malformed") == 1);
  // The verb (misplaced) and the thread (stray) of the subject must match
  // the envelope's.
  CHECK(count("bad_subject") + count("subject_mismatch") == 2);
  // Six bad messages, six rejections (the probes were all valid).
  CHECK_MESSAGE(json_keys(rejected_before).empty(), rejected_before);
  long long total = 0;
  for (auto& reason : json_keys(rej))
    total += count(reason);
  CHECK(total == 6);
  auto log = n.log();
  for (auto& reason : {"bad_signature", "payload_hash_mismatch"})
    CHECK_MESSAGE(!lines_with(log, {"WARNING", reason}).empty(), log);
  CHECK_MESSAGE(lines_with(log, {"WARNING", "rejected"}).size() >= 6, log);
  MESSAGE("nats_rejected: ", rej, "; delivered ", printed.size(), " (",
          probes.size(), " probes + 1 valid)");
}

TEST_CASE("mode 2: the P2P path dies (relay killed -9) while 1,000 envelopes "
          "are published: all arrive once, through NATS after the switch") {
  test::nats_server srv{false};
  // The line A - R - B: R is A's only peer, so killing it leaves A's
  // publishes with no peer at all.
  bus_node r{mode_env(1, srv.url())};
  auto env_a = mode_env(2, srv.url());
  env_a["P2P_BOOTSTRAP_NODES"] = r.tcp_addr();
  bus_node a{env_a};
  auto env_b = mode_env(2, srv.url());
  env_b["P2P_BOOTSTRAP_NODES"] = r.tcp_addr();
  bus_node b{env_b};
  REQUIRE_MESSAGE(await_nats_connected(a), bus_lines(a));
  REQUIRE_MESSAGE(await_nats_connected(b), bus_lines(b));

  // R relays the topic (gossipsub forwards only on topics a node joined).
  auto relay = std::make_unique<collector>(r, need_topic());
  collector got{b, need_topic()};
  REQUIRE(await_topic_peer(a, r.b.id));
  REQUIRE(await_topic_peer(r, b.b.id));

  // Both paths work before the test: a probe through A (P2P) and one put
  // on NATS directly (B's NATS subscription).
  auto p2p_probes = probe(got,
                          [&](const bytes& w) {
                            REQUIRE(a.client().publish(need_topic(), w));
                          },
                          {&a, &b, &r});
  nats::client_options o;
  o.urls = {srv.url()};
  auto conn = nats::connection::connect(o, {});
  REQUIRE_MESSAGE(conn, (conn ? "" : conn.error().message));
  auto nats_probes = probe(got,
                           [&](const bytes& w) {
                             REQUIRE((*conn)->publish(need_subject(), w));
                             REQUIRE((*conn)->flush(2000ms));
                           },
                           {&a, &b, &r});
  auto before = a.bus();
  CHECK(json_num(before, {"failovers"}) == 0);
  CHECK(json_path(before, {"active"}) == "p2p");

  agent pub{a.control, 1000};
  pub.start();
  REQUIRE(await([&] { return pub.sent >= 500; }, 30s, {&a, &b, &r}));
  r.stop(SIGKILL);
  auto killed_at = pub.sent.load();
  await_agent(pub, {&a, &b});

  bool all = await([&] { return got.received_of(pub.ids) == 1000; }, 20s,
                   {&a, &b});
  std::this_thread::sleep_for(1s); // late duplicates would show now
  auto [dup_ids, dup_copies] = got.duplicates();
  auto bus_a = a.bus();
  auto bus_b = b.bus();
  MESSAGE("relay killed after ", killed_at, " envelopes; delivered ",
          got.received_of(pub.ids), "/1000, duplicates ", dup_copies,
          "; agent retries ", pub.retries.load(), "; A: ", bus_a,
          "; B: ", bus_b);
  CHECK_MESSAGE(all, (bus_lines(a) + bus_lines(b)));
  CHECK(dup_ids == 0);
  CHECK(got.undecodable == 0);
  CHECK(got.foreign({&pub.ids, &p2p_probes, &nats_probes}).empty());
  CHECK(json_num(bus_a, {"failovers"}) >= 1);
  CHECK(json_num(bus_a, {"published", "nats"}) > 0);
  CHECK(json_num(bus_a, {"published", "p2p"}) > 0);
  CHECK(json_path(bus_a, {"active"}) == "nats");
  CHECK(json_num(bus_b, {"received", "nats"}) > 0);
  relay.reset();
}

TEST_CASE("mode 3: nats-server is killed -9 and restarted while 1,000 "
          "envelopes are published: all arrive once, through P2P meanwhile, "
          "and the bus returns to NATS") {
  test::nats_server srv{false};
  bus_node a{mode_env(3, srv.url())};
  auto env_b = mode_env(3, srv.url());
  env_b["P2P_BOOTSTRAP_NODES"] = a.tcp_addr();
  bus_node b{env_b};
  REQUIRE_MESSAGE(await_nats_connected(a), bus_lines(a));
  REQUIRE_MESSAGE(await_nats_connected(b), bus_lines(b));
  collector got{b, need_topic()};
  REQUIRE(await_topic_peer(a, b.b.id));
  auto probes = probe(got,
                      [&](const bytes& w) {
                        REQUIRE(a.client().publish(need_topic(), w));
                      },
                      {&a, &b});
  auto before = a.bus();
  CHECK(json_path(before, {"mode"}) == "nats-primary");
  CHECK(json_path(before, {"active"}) == "nats");

  agent pub{a.control, 1000};
  pub.start();
  REQUIRE(await([&] { return pub.sent >= 500; }, 30s, {&a, &b}));
  srv.kill();
  auto killed_at = pub.sent.load();
  std::this_thread::sleep_for(2s);
  srv.start();
  auto restarted_at = pub.sent.load();
  await_agent(pub, {&a, &b});

  bool all = await([&] { return got.received_of(pub.ids) == 1000; }, 20s,
                   {&a, &b});
  bool back = await(
    [&] {
      auto bus = a.bus();
      return json_path(bus, {"active"}) == "nats"
             && json_num(bus, {"failbacks"}) >= 1;
    },
    20s, {&a, &b});
  std::this_thread::sleep_for(1s);
  auto [dup_ids, dup_copies] = got.duplicates();
  auto bus_a = a.bus();
  auto bus_b = b.bus();
  MESSAGE("nats-server killed after ", killed_at,
          " envelopes, restarted after ", restarted_at, "; delivered ",
          got.received_of(pub.ids), "/1000, duplicates ", dup_copies,
          "; agent retries ", pub.retries.load(), "; A: ", bus_a,
          "; B: ", bus_b);
  CHECK_MESSAGE(all, (bus_lines(a) + bus_lines(b)));
  CHECK(dup_ids == 0);
  CHECK(got.undecodable == 0);
  CHECK(got.foreign({&pub.ids, &probes}).empty());
  CHECK(back);
  CHECK(json_num(bus_a, {"failovers"}) >= 1);
  CHECK(json_num(bus_a, {"failbacks"}) >= 1);
  CHECK(json_path(bus_a, {"active"}) == "nats");
  CHECK(json_path(bus_a, {"nats_state"}) == "connected");
  CHECK(json_num(bus_a, {"published", "p2p"}) > 0);
  CHECK(json_num(bus_a, {"published", "nats"}) > 0);
  CHECK(json_num(bus_b, {"received", "p2p"}) > 0);
}

namespace {

/// The migration run; `agent_waits`: after a failed publish the agent waits
/// until N1 can deliver (see n1_ready) before it tries again.
void run_migration(bool agent_waits) {
  test::nats_server srv{false};
  // O: mode 2 throughout, never restarted, the hub the others dial.
  bus_node o{mode_env(2, srv.url())};
  REQUIRE_MESSAGE(await_nats_connected(o), bus_lines(o));
  auto env_for = [&](int mode) {
    auto e = mode_env(mode, srv.url());
    e["P2P_BOOTSTRAP_NODES"] = o.tcp_addr();
    return e;
  };
  bus_node n1{env_for(3)};
  bus_node n2{env_for(3)};
  bus_node n3{env_for(3)};
  std::vector<bus_node*> ns{&n1, &n2, &n3};
  for (auto* n : ns)
    REQUIRE_MESSAGE(await_nats_connected(*n), bus_lines(*n));
  collector got{o, need_topic()};
  REQUIRE(await_topic_peer(n1, o.b.id));
  auto probes = probe(got,
                      [&](const bytes& w) {
                        REQUIRE(n1.client().publish(need_topic(), w));
                      },
                      {&o, &n1, &n2, &n3});

  // N1 can deliver: O is a topic peer (P2P), or NATS is connected in a
  // mode that uses it. Asked only after a failed publish (restart).
  auto n1_ready = [&] {
    auto c = runtime::control_client::connect(n1.control, 1000ms);
    if (!c)
      return false;
    auto doc = c->stats();
    if (!doc)
      return false;
    auto bus = json_path(*doc, {"bus"});
    if (json_path(bus, {"mode"}) != "p2p-only"
        && json_path(bus, {"nats_state"}) == "connected")
      return true;
    auto c2 = runtime::control_client::connect(n1.control, 1000ms);
    if (!c2)
      return false;
    auto ids = c2->list_topic_peers(need_topic());
    if (!ids)
      return false;
    for (auto& id : *ids)
      if (peer_id::from_bytes(id)->to_string() == o.b.id)
        return true;
    return false;
  };
  // Enough for the whole run at 100/s (the agent is stopped at the end).
  agent pub{n1.control, 100'000,
            agent_waits ? std::function<bool()>{n1_ready}
                        : std::function<bool()>{}};
  pub.start();
  std::vector<std::string> steps;
  auto all_nodes = std::initializer_list<bus_node*>{&o, &n1, &n2, &n3};
  REQUIRE(await([&] { return pub.sent >= 100; }, 15s, all_nodes));
  for (int mode : {2, 1}) {
    for (std::size_t k = 0; k < ns.size(); ++k) {
      auto& n = *ns[k];
      n.stop();
      n.start(env_for(mode));
      REQUIRE_MESSAGE(await([&] { return n.peer_count() >= 1; }, 15s,
                            all_nodes),
                      bus_lines(n));
      if (mode == 2)
        CHECK_MESSAGE(await_nats_connected(n), bus_lines(n));
      auto bus = n.bus();
      CHECK(json_path(bus, {"mode"})
            == (mode == 2 ? "p2p-primary" : "p2p-only"));
      steps.push_back("N" + std::to_string(k + 1) + "->mode "
                      + std::to_string(mode) + " at envelope "
                      + std::to_string(pub.sent.load()));
      // Let the agent publish a while on the new layout.
      auto mark = pub.sent.load();
      REQUIRE(await([&] { return pub.sent >= mark + 100; }, 30s, all_nodes));
    }
  }
  pub.stopping = true;
  pub.join();
  {
    std::lock_guard<std::mutex> guard{pub.m};
    REQUIRE_MESSAGE(pub.error.empty(), pub.error);
  }
  auto total = pub.ids.size();
  bool all = await([&] { return got.received_of(pub.ids) == total; }, 20s,
                   all_nodes);
  std::this_thread::sleep_for(1s);
  auto [dup_ids, dup_copies] = got.duplicates();
  std::string missing;
  for (std::size_t i = 0; i < total && missing.size() < 400; ++i)
    if (got.count(pub.ids[i]) == 0)
      missing += std::to_string(i) + ' ';
  std::string step_text;
  for (auto& s : steps)
    step_text += s + "; ";
  MESSAGE("migration: ", step_text, "delivered ", got.received_of(pub.ids), "/",
          total, ", duplicates ", dup_copies, ", agent retries ",
          pub.retries.load(), " (replay refusals ", pub.replays.load(),
          "); O: ", o.bus(), "; N1: ", n1.bus());
  CHECK_MESSAGE(all,
                ("missing: " + missing + "\n" + bus_lines(n1) + bus_lines(o)));
  CHECK(dup_ids == 0);
  CHECK(got.undecodable == 0);
  CHECK(total >= 600);
  CHECK(got.foreign({&pub.ids, &probes}).empty());
  CHECK(json_path(n1.bus(), {"mode"}) == "p2p-only");
  CHECK(json_path(n1.bus(), {"nats_state"}) == "off");
}

} // namespace

TEST_CASE("migration: three nodes move from mode 3 to 2 to 1 by rolling "
          "restarts while an agent keeps publishing through the first; the "
          "observer receives every envelope once") {
  run_migration(true);
}

// The same with an agent that retries only a publish the node refused and
// otherwise trusts the OK. Before 54c8b1e this lost the envelope just after
// N1 restarted in about one run of four: in mode 2 the first publish reached
// no P2P peer and failed over to NATS a few ms before the NATS bridge had
// connected; in mode 1 a publish that reached no peer had no fallback; the
// control API answered OK both times. The bus now holds such a publish.
TEST_CASE("migration with an agent that trusts every OK: no envelope lost") {
  run_migration(false);
}

// The migration test lost one envelope in a CI run: N1 (mode 3) was
// stopping, its NATS bridge (the last child, so the first stopped) was gone,
// and the control server, stopped later, still took a publish; the bus
// answered OK and held it, and the node exited with it. The control server
// now stops first, while the transports can still carry what it took.
TEST_CASE("an ordered shutdown stops the control server before the bus's "
          "transports") {
  test::nats_server srv{false};
  auto env = mode_env(3, srv.url());
  env["LOG_LEVEL"] = "debug";
  bus_node n{env};
  REQUIRE_MESSAGE(await_nats_connected(n), bus_lines(n));
  n.stop();
  auto text = n.log();
  auto control = text.find("stopping child control");
  auto nats = text.find("stopping child nats");
  auto bus = text.find("stopping child bus");
  REQUIRE_MESSAGE(control != std::string::npos, text);
  REQUIRE_MESSAGE(nats != std::string::npos, text);
  REQUIRE_MESSAGE(bus != std::string::npos, text);
  CHECK(control < nats);
  CHECK(nats < bus);
}
