// The per-topic actors of the pub/sub service over real swarms on loopback:
// one actor per local topic, restarted with its subscribers after a
// failure (the other topics untouched, the router still subscribed), a
// validation in flight at the failure dropped as `ignore` (no penalty for
// the sender), the validations waiting per topic bounded (overflow
// ignored and counted), leaving a topic stops its actor; and StrictNoSign
// selected per topic by GOSSIPSUB_STRICT_NO_SIGN_TOPICS.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "canswarm/config/config.hpp"
#include "pubsub_fixture.hpp"
#include "scratch.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace canswarm::test::pubsub;
using namespace std::chrono_literals;

namespace {

bool contains(const std::vector<peer_id>& xs, const peer_id& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::uint64_t rejected(const pubsub_report& r, const std::string& reason) {
  for (auto& [name, n] : r.rejected)
    if (name == reason)
      return n;
  return 0;
}

double score_of(const pubsub_report& r, const peer_id& peer) {
  for (auto& p : r.peers)
    if (p.peer == peer)
      return p.score;
  return -1e9;
}

/// Two nodes (1 dials 0), both subscribed to `topics`, peers known.
void connect_and_join(pubsub_fixture& f,
                      const std::vector<std::string>& topics) {
  REQUIRE(f.dial(f.nodes[1],
                 dial_request{f.nodes[0].id, {f.nodes[0].dial_addr()}, 5s}));
  for (auto& topic : topics) {
    CHECK(f.subscribe(0, topic) == 1);
    CHECK(f.subscribe(1, topic) == 1);
  }
  for (auto& topic : topics)
    f.wait_topic_peers(topic, 1);
  // A few heartbeats build the meshes.
  std::this_thread::sleep_for(400ms);
}

/// Validation hooks for node 0: on "gated", "block" signals `entered` and
/// waits (at most 10 s) for `released`; anything else is accepted.
struct blocking_hook {
  std::shared_ptr<std::promise<void>>
    entered = std::make_shared<std::promise<void>>();
  std::shared_ptr<std::promise<void>>
    release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();

  std::function<gossipsub::validator(const std::string&)> hooks() const {
    return [entered = entered, released = released](
             const std::string& topic) -> gossipsub::validator {
      if (topic != "gated")
        return {};
      return [entered, released](const peer_id&, const gossipsub::message& m) {
        if (std::string(m.data.begin(), m.data.end()) == "block") {
          entered->set_value();
          released.wait_for(10s);
        }
        return gossipsub::validation_result::accept;
      };
    };
  }
};

} // namespace

TEST_CASE("one topic actor per topic, restarted with its subscribers") {
  pubsub_fixture f{2};
  connect_and_join(f, {"alpha", "beta"});
  auto infos = f.topic_actors(0);
  REQUIRE(infos.size() == 2);
  CHECK(infos[0].topic == "alpha");
  CHECK(infos[1].topic == "beta");
  REQUIRE(infos[0].actor);
  REQUIRE(infos[1].actor);
  CHECK(infos[0].actor_id != infos[1].actor_id);
  CHECK(infos[0].actor_id == infos[0].actor.id());
  for (auto& x : infos) {
    CHECK(x.restarts == 0);
    CHECK(x.subscribers == 1);
    CHECK(x.pending_validations == 0);
  }
  // The meshes form (heartbeat 100 ms) and show in the inspection.
  CHECK(f.eventually([&] {
    return contains(f.topic_actor(0, "alpha").mesh_peers, f.nodes[1].id);
  }));
  REQUIRE(f.publish(1, "alpha", "a1"));
  REQUIRE(f.publish(1, "beta", "b1"));
  CHECK(f.eventually([&] {
    return f.topic_count(0, "alpha") == 1 && f.topic_count(0, "beta") == 1;
  }));
  // Kill alpha's actor: it comes back with its subscriber, beta untouched.
  auto old_alpha = infos[0];
  auto beta = infos[1];
  f.self->send_exit(old_alpha.actor, caf::exit_reason::kill);
  CHECK(f.eventually([&] { return f.topic_actor(0, "alpha").restarts == 1; }));
  auto alpha = f.topic_actor(0, "alpha");
  CHECK(alpha.actor_id != old_alpha.actor_id);
  CHECK(alpha.subscribers == 1);
  auto beta_now = f.topic_actor(0, "beta");
  CHECK(beta_now.actor_id == beta.actor_id);
  CHECK(beta_now.restarts == 0);
  // The router stayed subscribed: the peer still sees us on alpha and we
  // are still in its mesh.
  CHECK(f.topics(0) == std::vector<std::string>{"alpha", "beta"});
  CHECK(contains(f.topic_peers(1, "alpha"), f.nodes[0].id));
  CHECK(contains(f.topic_actor(0, "alpha").mesh_peers, f.nodes[1].id));
  // The same subscriber keeps receiving, on both topics.
  REQUIRE(f.publish(1, "alpha", "a2"));
  REQUIRE(f.publish(1, "beta", "b2"));
  CHECK(f.eventually([&] {
    return f.topic_count(0, "alpha") == 2 && f.topic_count(0, "beta") == 2;
  }));
  CHECK(f.received(0, "a2").has_value());
  auto [distinct, total, dups] = f.counts(0);
  CHECK(distinct == 4);
  CHECK(total == 4);
  CHECK(dups == 0);
  // Killing it again counts again.
  f.self->send_exit(alpha.actor, caf::exit_reason::kill);
  CHECK(f.eventually([&] { return f.topic_actor(0, "alpha").restarts == 2; }));
  REQUIRE(f.publish(1, "alpha", "a3"));
  CHECK(f.eventually([&] { return f.topic_count(0, "alpha") == 3; }));
}

TEST_CASE("a validation in flight when the topic actor dies is ignored") {
  // Node 0 validates "gated": "block" waits until the test releases it,
  // anything else is accepted.
  blocking_hook hook;
  pubsub_fixture f{2, [&](std::size_t i, pubsub_config& pc) {
                     if (i == 0)
                       pc.validators = hook.hooks();
                   }};
  connect_and_join(f, {"gated"});
  auto before = f.topic_actor(0, "gated");
  REQUIRE(before.actor);
  CHECK(before.validated);
  REQUIRE(f.publish(1, "gated", "block"));
  REQUIRE(hook.entered->get_future().wait_for(10s)
          == std::future_status::ready);
  // The actor is busy with "block": the kill waits in its mailbox, and
  // "queued" reaches it after the kill.
  f.self->send_exit(before.actor, caf::exit_reason::kill);
  REQUIRE(f.publish(1, "gated", "queued"));
  CHECK(f.eventually(
    [&] { return f.topic_actor(0, "gated").pending_validations == 2; }));
  auto ignored_before = f.report(0).ignored;
  hook.release->set_value();
  CHECK(f.eventually([&] { return f.topic_actor(0, "gated").restarts == 1; }));
  auto after = f.topic_actor(0, "gated");
  CHECK(after.pending_validations == 0);
  CHECK(after.dropped_at_failure == 1);
  CHECK(
    f.eventually([&] { return f.report(0).ignored == ignored_before + 1; }));
  // "block" finished before the kill took effect; "queued" never ran.
  CHECK(f.received(0, "block").has_value());
  CHECK_FALSE(f.received(0, "queued").has_value());
  // No penalty: nothing rejected, the sender's score is not negative.
  auto r = f.report(0);
  CHECK(rejected(r, "validator_rejected") == 0);
  CHECK(score_of(r, f.nodes[1].id) >= 0);
  // The restarted actor validates and delivers.
  REQUIRE(f.publish(1, "gated", "after"));
  CHECK(f.eventually([&] { return f.received(0, "after").has_value(); }));
  CHECK_FALSE(f.received(0, "queued").has_value());
}

TEST_CASE("validations pending per topic are bounded; overflow is ignored") {
  blocking_hook hook;
  pubsub_fixture f{2, [&](std::size_t i, pubsub_config& pc) {
                     if (i == 0)
                       pc.validators = hook.hooks();
                   }};
  connect_and_join(f, {"gated"});
  REQUIRE(f.publish(1, "gated", "block"));
  REQUIRE(hook.entered->get_future().wait_for(10s)
          == std::future_status::ready);
  // "block" plus `extra` more: the first max_pubsub_pending_validations
  // wait, the rest are ignored at once.
  constexpr std::size_t extra = max_pubsub_pending_validations + 20;
  for (std::size_t k = 0; k < extra; ++k)
    REQUIRE(f.publish(1, "gated", fmt::format("m{}", k)));
  CHECK(f.eventually([&] {
    auto x = f.topic_actor(0, "gated");
    return x.pending_validations == max_pubsub_pending_validations
           && x.validation_overflow
                == extra + 1 - max_pubsub_pending_validations;
  }));
  auto r = f.report(0);
  CHECK(r.ignored == extra + 1 - max_pubsub_pending_validations);
  CHECK(rejected(r, "validator_rejected") == 0);
  CHECK(score_of(r, f.nodes[1].id) >= 0);
  // Released, every waiting message is validated and delivered.
  hook.release->set_value();
  CHECK(f.eventually([&] {
    return f.topic_actor(0, "gated").pending_validations == 0
           && f.topic_count(0, "gated")
                == static_cast<int>(max_pubsub_pending_validations);
  }));
  CHECK(f.received(0, "block").has_value());
  CHECK(f.topic_actor(0, "gated").restarts == 0);
}

TEST_CASE("leaving a topic stops its topic actor") {
  pubsub_fixture f{2};
  connect_and_join(f, {"x", "y"});
  auto x = f.topic_actor(0, "x");
  REQUIRE(x.actor);
  f.self->monitor(x.actor);
  CHECK(f.unsubscribe(0, "x") == 0);
  bool down = false;
  f.self->receive([&](caf::down_msg&
                        msg) { down = msg.source == x.actor.address(); },
                  caf::after(5s) >> [] {});
  CHECK(down);
  auto infos = f.topic_actors(0);
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].topic == "y");
  CHECK(f.topics(0) == std::vector<std::string>{"y"});
  // Joining again spawns a fresh actor (restarts start over).
  CHECK(f.subscribe(0, "x") == 1);
  auto again = f.topic_actor(0, "x");
  REQUIRE(again.actor);
  CHECK(again.actor_id != x.actor_id);
  CHECK(again.restarts == 0);
}

TEST_CASE("GOSSIPSUB_STRICT_NO_SIGN_TOPICS selects StrictNoSign per topic") {
  // Nodes 0 and 1 list "open"; node 2 (misconfigured) also lists "closed",
  // so it publishes unsigned messages there, which node 0 refuses.
  config::test::scratch_dir dir;
  auto load = [&](const std::string& topics) {
    auto options = config::test::isolated(dir);
    options.flags["GOSSIPSUB_STRICT_NO_SIGN_TOPICS"] = topics;
    auto loaded = config::load(options);
    REQUIRE(loaded);
    return loaded->values;
  };
  std::vector<config::settings> settings{load("open"), load("open"),
                                         load("open, closed")};
  pubsub_fixture f{3, [&](std::size_t i, pubsub_config& pc) {
                     apply_strict_no_sign_topics(pc.router,
                                                 settings[i]
                                                   .strict_no_sign_topics);
                   }};
  for (std::size_t i = 1; i < 3; ++i)
    REQUIRE(f.dial(f.nodes[i],
                   dial_request{f.nodes[0].id, {f.nodes[0].dial_addr()}, 5s}));
  for (std::size_t i = 0; i < 3; ++i) {
    f.subscribe(i, "open");
    f.subscribe(i, "closed");
  }
  f.wait_topic_peers("open", 1);
  f.wait_topic_peers("closed", 1);
  std::this_thread::sleep_for(400ms);
  REQUIRE(f.publish(1, "open", "unsigned-open"));
  REQUIRE(f.publish(1, "closed", "signed-closed"));
  REQUIRE(f.publish(2, "closed", "unsigned-closed"));
  CHECK(f.eventually([&] {
    return f.received(0, "unsigned-open") && f.received(0, "signed-closed")
           && rejected(f.report(0), "missing_from") >= 1;
  }));
  // "open": no origin, seqno nor signature, and node 2 got it too.
  auto open = f.received(0, "unsigned-open");
  REQUIRE(open);
  CHECK(open->from.empty());
  CHECK(open->seqno.empty());
  CHECK(open->signature.empty());
  CHECK(
    f.eventually([&] { return f.received(2, "unsigned-open").has_value(); }));
  // "closed" stays StrictSign: signed by node 1, unsigned refused.
  auto closed = f.received(0, "signed-closed");
  REQUIRE(closed);
  CHECK(closed->from == f.nodes[1].id.to_bytes());
  CHECK(closed->signature.size() == 64);
  CHECK(closed->seqno.size() == 8);
  CHECK_FALSE(f.received(0, "unsigned-closed").has_value());
  CHECK(rejected(f.report(0), "missing_from") >= 1);
}
