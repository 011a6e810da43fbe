// Peer score: P1-P4 (topic_score), P5-P7 (peer_score), decay, retention,
// and the validation of score and router parameters.

#include <cmath>

#include <doctest/doctest.h>

#include "canswarm/gossipsub/config.hpp"
#include "canswarm/gossipsub/peer_score.hpp"
#include "canswarm/gossipsub/topic_score.hpp"
#include "test_util.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using namespace std::chrono_literals;
using gossipsub_test::key_from_seed;
using gossipsub_test::peer_of;

namespace {

const time_point t0{};

message_id id(int n) {
  return message_id{std::to_string(n)};
}

topic_score_params only(double topic_weight = 1) {
  topic_score_params p;
  p.topic_weight = topic_weight;
  p.time_in_mesh_weight = 0;
  p.first_message_deliveries_weight = 0;
  p.mesh_message_deliveries_weight = 0;
  p.mesh_failure_penalty_weight = 0;
  p.invalid_message_deliveries_weight = 0;
  return p;
}

} // namespace

TEST_CASE("P1 counts time in mesh in quanta, capped, refreshed at decay") {
  auto params = only(0.5);
  params.time_in_mesh_weight = 2;
  params.time_in_mesh_quantum = 1s;
  params.time_in_mesh_cap = 10;
  topic_score ts{params, 120s};
  auto p = peer_of(key_from_seed(1));
  ts.graft(p, t0);
  ts.decay(t0 + 3500ms, 0.01);
  CHECK(ts.score(p) == doctest::Approx(3 * 2 * 0.5));
  ts.decay(t0 + 60s, 0.01);
  CHECK(ts.score(p) == doctest::Approx(10 * 2 * 0.5));
  ts.prune(p);
  CHECK(ts.score(p) == 0);
}

TEST_CASE("P2 rewards first deliveries, capped, and decays to zero") {
  auto params = only();
  params.first_message_deliveries_weight = 1;
  params.first_message_deliveries_cap = 3;
  params.first_message_deliveries_decay = 0.5;
  topic_score ts{params, 120s};
  auto p = peer_of(key_from_seed(1));
  auto q = peer_of(key_from_seed(2));
  for (int i = 0; i < 5; ++i) {
    ts.first_seen(id(i), t0);
    ts.accepted(id(i), p, t0);
    ts.duplicate(id(i), q, t0); // duplicates earn no P2
  }
  CHECK(ts.score(p) == doctest::Approx(3));
  CHECK(ts.score(q) == 0);
  ts.decay(t0 + 1s, 0.6);
  CHECK(ts.score(p) == doctest::Approx(1.5));
  ts.decay(t0 + 2s, 0.6); // 0.75
  ts.decay(t0 + 3s, 0.6); // 0.375 < 0.6: zero
  CHECK(ts.score(p) == 0);
}

TEST_CASE("P3 penalises a mesh delivery deficit after activation; P3b sticks") {
  auto params = only();
  params.mesh_message_deliveries_weight = -1;
  params.mesh_message_deliveries_threshold = 4;
  params.mesh_message_deliveries_cap = 8;
  params.mesh_message_deliveries_activation = 5s;
  params.mesh_message_deliveries_window = 10ms;
  params.mesh_message_deliveries_decay = 0.99;
  params.mesh_failure_penalty_weight = -2;
  params.mesh_failure_penalty_decay = 0.99;
  topic_score ts{params, 120s};
  auto lazy = peer_of(key_from_seed(1));
  auto busy = peer_of(key_from_seed(2));
  auto late = peer_of(key_from_seed(3));
  ts.graft(lazy, t0);
  ts.graft(busy, t0);
  ts.graft(late, t0);
  // busy delivers 3 messages first and one near-first (within the window);
  // late replays one after the window: no credit.
  for (int i = 0; i < 3; ++i) {
    ts.first_seen(id(i), t0);
    ts.accepted(id(i), busy, t0);
  }
  ts.first_seen(id(9), t0);
  ts.accepted(id(9), lazy, t0 + 1s);
  ts.duplicate(id(9), busy, t0 + 1s + 5ms);
  ts.duplicate(id(9), late, t0 + 1s + 50ms);
  ts.decay(t0 + 4s, 0.01); // not yet active
  CHECK(ts.score(lazy) == 0);
  ts.decay(t0 + 6s, 0.01); // active now
  auto c = *ts.counters(busy);
  CHECK(c.mesh_deliveries_active);
  CHECK(c.mesh_message_deliveries == doctest::Approx(4 * 0.99 * 0.99));
  auto lazy_c = *ts.counters(lazy);
  auto deficit = 4 - lazy_c.mesh_message_deliveries;
  CHECK(ts.score(lazy) == doctest::Approx(-deficit * deficit));
  auto late_deficit = 4.0;
  CHECK(ts.score(late) == doctest::Approx(-late_deficit * late_deficit));
  // Pruning with an active deficit adds the sticky P3b penalty.
  ts.prune(late);
  CHECK(ts.counters(late)->mesh_failure_penalty == doctest::Approx(16));
  CHECK(ts.score(late) == doctest::Approx(16 * -2));
}

TEST_CASE("P4 squares invalid deliveries, including duplicates of them") {
  auto params = only(0.5);
  params.invalid_message_deliveries_weight = -10;
  params.invalid_message_deliveries_decay = 0.9;
  topic_score ts{params, 120s};
  auto src = peer_of(key_from_seed(1));
  auto dup_during = peer_of(key_from_seed(2));
  auto dup_after = peer_of(key_from_seed(3));
  ts.first_seen(id(1), t0);
  ts.duplicate(id(1), dup_during, t0);
  ts.rejected(id(1), src, t0);
  ts.duplicate(id(1), dup_after, t0 + 1s);
  ts.invalid_message(src); // e.g. a bad signature: no record
  CHECK(ts.score(src) == doctest::Approx(2 * 2 * -10 * 0.5));
  CHECK(ts.score(dup_during) == doctest::Approx(-5));
  CHECK(ts.score(dup_after) == doctest::Approx(-5));
  // Ignored messages cost nothing.
  ts.first_seen(id(2), t0);
  ts.ignored(id(2), t0);
  auto q = peer_of(key_from_seed(4));
  ts.duplicate(id(2), q, t0);
  CHECK(ts.score(q) == 0);
}

TEST_CASE("an unscored topic keeps no state") {
  topic_score ts{std::nullopt, 120s};
  auto p = peer_of(key_from_seed(1));
  ts.first_seen(id(1), t0);
  ts.rejected(id(1), p, t0);
  CHECK(ts.score(p) == 0);
  CHECK_FALSE(ts.counters(p));
  CHECK(ts.records() == 0);
}

TEST_CASE("P5 P6 P7 and the topic cap combine into the global score") {
  peer_score_params params;
  params.topic_score_cap = 50;
  params.app_specific_weight = 2;
  params.ip_colocation_factor_weight = -3;
  params.ip_colocation_factor_threshold = 2;
  params.behaviour_penalty_weight = -10;
  params.behaviour_penalty_threshold = 1;
  params.behaviour_penalty_decay = 0.5;
  peer_score ps{params};
  std::vector<peer_id> peers;
  for (std::uint8_t i = 0; i < 4; ++i) {
    peers.push_back(peer_of(key_from_seed(i * 40)));
    ps.add_peer(peers.back(), "10.0.0.1");
  }
  auto& p = peers[0];
  // 4 peers on one IP, threshold 2: surplus 2, P6 = 4.
  CHECK(ps.colocated(p) == 4);
  CHECK(ps.score(p, 0) == doctest::Approx(4 * -3));
  CHECK(ps.score(p, 80) == doctest::Approx(50 - 12)); // topic cap
  CHECK(ps.score(p, -80) == doctest::Approx(-80 - 12)); // negative uncapped
  ps.set_app_score(p, 5);
  CHECK(ps.score(p, 0) == doctest::Approx(10 - 12));
  ps.add_penalty(p, 3); // (3 - 1)^2 * -10
  CHECK(ps.score(p, 0) == doctest::Approx(10 - 12 - 40));
  ps.decay(t0); // penalty 1.5: (0.5)^2 * -10
  CHECK(ps.score(p, 0) == doctest::Approx(10 - 12 - 2.5));
  // Whitelisted and unknown IPs are never colocated.
  params.ip_colocation_whitelist.insert("10.0.0.1");
  peer_score wl{params};
  for (const auto& q : peers)
    wl.add_peer(q, "10.0.0.1");
  CHECK(wl.score(p, 0) == 0);
}

TEST_CASE("a disconnected peer's score is retained, then forgotten") {
  peer_score_params params;
  params.retain_score = 60s;
  peer_score ps{params};
  auto p = peer_of(key_from_seed(1));
  ps.add_peer(p, "10.0.0.1");
  ps.add_penalty(p, 5);
  ps.remove_peer(p, t0);
  CHECK(ps.known(p));
  ps.add_peer(p, "10.0.0.2"); // reconnect within the retention time
  CHECK(ps.behaviour_penalty(p) > 0);
  ps.remove_peer(p, t0 + 10s);
  CHECK(ps.decay(t0 + 69s).empty());
  auto forgotten = ps.decay(t0 + 70s);
  CHECK(forgotten == std::vector{p});
  CHECK_FALSE(ps.known(p));
}

TEST_CASE("score parameters and thresholds reject values against the spec") {
  CHECK(peer_score_params{}.validate());
  CHECK(peer_score_thresholds{}.validate());
  topic_score_params t;
  t.invalid_message_deliveries_weight = 1;
  auto bad = t.validate();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("invalid_message_deliveries_weight")
        != std::string::npos);
  t = {};
  t.first_message_deliveries_decay = 1.0;
  CHECK_FALSE(t.validate());
  t = {};
  t.mesh_message_deliveries_weight = -1;
  t.mesh_message_deliveries_cap = 0.5; // below the threshold of 1
  CHECK_FALSE(t.validate());
  peer_score_thresholds th;
  th.graylist_threshold = th.publish_threshold;
  CHECK_FALSE(th.validate());
  th = {};
  th.gossip_threshold = 1;
  CHECK_FALSE(th.validate());
  peer_score_params sp;
  sp.topics["x"].topic_weight = -1;
  auto topic_err = sp.validate();
  REQUIRE_FALSE(topic_err);
  CHECK(topic_err.error().message.find("topic 'x'") != std::string::npos);
}

TEST_CASE("config validation rejects inconsistent overlay parameters") {
  CHECK(config{}.validate());
  CHECK(config::bootstrapper().validate());
  auto c = config{};
  c.d_lo = 7; // above D
  auto err = c.validate();
  REQUIRE_FALSE(err);
  CHECK(err.error().code == errc::invalid_argument);
  CHECK(err.error().message.find("d_lo") != std::string::npos);
  c = {};
  c.d_out = 4; // must be < d_lo and <= d/2
  CHECK_FALSE(c.validate());
  c = {};
  c.mcache_gossip = 6;
  CHECK_FALSE(c.validate());
  c = {};
  c.gossip_factor = 1.5;
  CHECK_FALSE(c.validate());
  c = {};
  c.max_transmit_size = max_transmit_size_limit + 1;
  CHECK_FALSE(c.validate());
  c = {};
  c.max_message_size = c.max_transmit_size + 1;
  CHECK_FALSE(c.validate());
  c = {};
  c.heartbeat_interval = 0s;
  CHECK_FALSE(c.validate());
  c = {};
  c.prune_backoff = std::chrono::seconds{max_prune_backoff_seconds + 1};
  CHECK_FALSE(c.validate());
  c = {};
  c.max_ihave_length = 0;
  CHECK_FALSE(c.validate());
  c = {};
  c.thresholds.publish_threshold = 0; // above the gossip threshold
  CHECK_FALSE(c.validate());
  c.scoring = false; // thresholds unused without scoring
  CHECK(c.validate());
}
