// The pub/sub actor over real swarms on loopback TCP (one actor system, four
// nodes): gossipsub meshes form over the swarm's streams, every published
// message reaches every other subscriber exactly once, subscriptions end
// with their subscriber, and a peer that sends an oversize frame loses its
// stream (with the reason logged) while the mesh keeps delivering.

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/pubsub/pubsub.hpp"
#include "swarm_fixture.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

using count_atom = caf::atom_constant<caf::atom("count")>;

struct collector_state {
  static inline const char* name = "test_collector";
  std::map<std::string, int> seen; ///< data text -> times received.
};

/// Collects pubsub messages; (count_atom) -> (distinct, total, duplicates).
caf::behavior collector(caf::stateful_actor<collector_state>* self) {
  return {
    [self](pubsub_message& m) {
      self->state.seen[std::string(m.data.begin(), m.data.end())]++;
    },
    [self](count_atom) {
      int total = 0;
      int dups = 0;
      for (auto& [k, n] : self->state.seen) {
        total += n;
        dups += n - 1;
      }
      return caf::make_message(static_cast<int>(self->state.seen.size()), total,
                               dups);
    },
  };
}

struct pubsub_fixture : swarm_fixture {
  std::vector<test_node> nodes;
  std::vector<pubsub_actor> ps;
  std::vector<caf::actor> collectors;

  explicit pubsub_fixture(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back(start_node(sys, self));
      pubsub_config pc;
      pc.key = nodes.back().key;
      pc.swarm = nodes.back().swarm;
      pc.router.heartbeat_interval = 100ms;
      pc.router.heartbeat_initial_delay = 50ms;
      auto a = spawn_pubsub(sys, pc);
      REQUIRE(a);
      ps.push_back(*a);
      collectors.push_back(sys.spawn(collector));
    }
  }

  ~pubsub_fixture() {
    for (auto& c : collectors)
      self->send_exit(c, caf::exit_reason::user_shutdown);
    for (auto& a : ps)
      self->send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& n : nodes)
      stop_node(self, n);
  }

  std::uint64_t subscribe(std::size_t i, const std::string& topic) {
    std::uint64_t out = 0;
    self
      ->request(ps[i], 5s, pubsub_subscribe_atom::value, topic,
                caf::actor_cast<pubsub_subscriber_actor>(collectors[i]))
      .receive([&](std::uint64_t n) { out = n; },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  result<std::uint64_t> publish(std::size_t i, const std::string& topic,
                                const std::string& text) {
    result<std::uint64_t> out = make_error(errc::io, "no answer");
    self
      ->request(ps[i], 5s, pubsub_publish_atom::value, topic,
                bytes(text.begin(), text.end()))
      .receive([&](std::uint64_t n) { out = n; },
               [&](caf::error& err) {
                 out = unwrap_error(sys, err, pubsub_error_category);
               });
    return out;
  }

  std::vector<peer_id> topic_peers(std::size_t i, const std::string& topic) {
    std::vector<peer_id> out;
    self->request(ps[i], 5s, pubsub_peers_atom::value, topic)
      .receive([&](std::vector<peer_id>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  std::vector<std::string> topics(std::size_t i) {
    std::vector<std::string> out;
    self->request(ps[i], 5s, pubsub_topics_atom::value)
      .receive([&](std::vector<std::string>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// (distinct, total, duplicates) received by node i's collector.
  std::tuple<int, int, int> counts(std::size_t i) {
    std::tuple<int, int, int> out;
    self->request(collectors[i], 5s, count_atom::value)
      .receive(
        [&](int d, int t, int dup) {
          out = {d, t, dup};
        },
        [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// Waits until every node knows `want` peers on `topic`.
  void wait_topic_peers(const std::string& topic, std::size_t want) {
    for (int round = 0; round < 100; ++round) {
      bool all = true;
      for (std::size_t i = 0; i < ps.size(); ++i)
        all = all && topic_peers(i, topic).size() >= want;
      if (all)
        return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("topic peers did not appear");
  }

  /// Waits until node i's collector saw `distinct` different messages.
  void wait_distinct(std::size_t i, int distinct) {
    for (int round = 0; round < 200; ++round) {
      if (std::get<0>(counts(i)) >= distinct)
        return;
      std::this_thread::sleep_for(25ms);
    }
  }
};

} // namespace

TEST_CASE("every message reaches every other subscriber exactly once") {
  pubsub_fixture f{4};
  // A ring: 1->0, 2->1, 3->2, 0->3.
  for (std::size_t i = 0; i < 4; ++i) {
    auto& to = f.nodes[(i + 3) % 4];
    REQUIRE(f.dial(f.nodes[i], dial_request{to.id, {to.dial_addr()}, 5s}));
  }
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(f.subscribe(i, "canswarm-test") == 1);
  f.wait_topic_peers("canswarm-test", 2);
  // Let a few heartbeats build the meshes.
  std::this_thread::sleep_for(400ms);
  constexpr int per_node = 25;
  for (int k = 0; k < per_node; ++k)
    for (std::size_t i = 0; i < 4; ++i)
      REQUIRE(f.publish(i, "canswarm-test", fmt::format("n{}-m{}", i, k)));
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    f.wait_distinct(i, 3 * per_node);
    auto [distinct, total, dups] = f.counts(i);
    // Own messages are not delivered locally (router deviation).
    CHECK(distinct == 3 * per_node);
    CHECK(total == 3 * per_node);
    CHECK(dups == 0);
  }
  CHECK(f.topics(0) == std::vector<std::string>{"canswarm-test"});
  // Publishing on a topic nobody else has is fine (0 peers), an empty
  // topic is refused with its reason.
  auto r = f.publish(0, "nobody-here", "x");
  REQUIRE(r);
  CHECK(*r == 0);
  auto bad = f.publish(0, "", "x");
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::invalid_argument);
}

TEST_CASE("a subscription ends with its subscriber") {
  pubsub_fixture f{2};
  REQUIRE(f.dial(f.nodes[1],
                 dial_request{f.nodes[0].id, {f.nodes[0].dial_addr()}, 5s}));
  f.subscribe(0, "a");
  f.subscribe(1, "a");
  f.wait_topic_peers("a", 1);
  CHECK(f.topics(1) == std::vector<std::string>{"a"});
  f.self->send_exit(f.collectors[1], caf::exit_reason::user_shutdown);
  for (int i = 0; i < 100 && !f.topics(1).empty(); ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(f.topics(1).empty());
  // The remote learns that we left.
  for (int i = 0; i < 100 && !f.topic_peers(0, "a").empty(); ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(f.topic_peers(0, "a").empty());
}

TEST_CASE("an oversize pub/sub frame resets that stream only") {
  pubsub_fixture f{3};
  REQUIRE(f.dial(f.nodes[1],
                 dial_request{f.nodes[0].id, {f.nodes[0].dial_addr()}, 5s}));
  REQUIRE(f.dial(f.nodes[2],
                 dial_request{f.nodes[0].id, {f.nodes[0].dial_addr()}, 5s}));
  for (std::size_t i = 0; i < 3; ++i)
    f.subscribe(i, "t");
  f.wait_topic_peers("t", 1);
  // Node 2 opens another /meshsub/1.1.0 stream to node 0 by hand and
  // announces a frame of 2^32 bytes (the bound is 1 MiB + a little).
  bytes prefix{0x80, 0x80, 0x80, 0x80, 0x10};
  auto back = f.transfer(f.nodes[2], f.nodes[0].id, "/meshsub/1.1.0", prefix,
                         1);
  CHECK(!back);
  // Node 2's own pub/sub stream was replaced by the hand-made one and then
  // reset; node 1 and node 0 keep exchanging messages.
  REQUIRE(f.publish(1, "t", "after"));
  f.wait_distinct(0, 1);
  CHECK(std::get<0>(f.counts(0)) == 1);
}
