// Gossipsub advisory classes (issue #9): remote-driven state growth through
// subscriptions and GRAFTs, and oversize IHAVE. Each case feeds bounded
// RPCs (within max_subscriptions_per_rpc and the 1 MiB RPC limit) through
// the router, then checks that state stayed within its named bound and that
// a well-behaved peer is still served.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "canswarm/gossipsub/limits.hpp"
#include "router_harness.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using namespace gossipsub_test;

namespace {

const std::string ours = "ours";

/// Fills `r` with subscriptions to `n` fresh topics "flood-<next>...".
void add_fresh_topics(rpc& r, std::size_t n, std::size_t& next) {
  for (std::size_t i = 0; i < n; ++i)
    r.subscriptions.push_back({true, "flood-" + std::to_string(next++)});
}

/// 200 distinct peer seeds, skipping the router's own key (seed 200).
std::vector<std::uint8_t> peer_seeds() {
  std::vector<std::uint8_t> out;
  for (int s = 1; out.size() < 200; ++s)
    if (s != 200)
      out.push_back(static_cast<std::uint8_t>(s));
  return out;
}

/// Checks that a fresh, well-behaved peer can still join our mesh.
void honest_peer_served(harness& h) {
  auto honest = h.add(250);
  h.subscribe(honest, ours);
  control_message g;
  g.graft.push_back({ours});
  REQUIRE(h.control(honest, g));
  auto mesh = h.r.mesh_peers(ours);
  CHECK(std::find(mesh.begin(), mesh.end(), honest) != mesh.end());
  CHECK(h.r.global_score().behaviour_penalty(honest) == 0);
}

} // namespace

// Advisory class: unbounded subscription state (1,000,000 unique-topic
// subscriptions from one peer, in bounded RPCs).
TEST_CASE("one peer subscribing to 1,000,000 unique topics in bounded RPCs "
          "holds max_topics_per_peer") {
  harness h;
  REQUIRE(h.r.subscribe(ours, h.now));
  auto p = h.add(1);
  std::size_t next = 0;
  constexpr std::size_t rpcs = 1'000'000 / max_subscriptions_per_rpc;
  for (std::size_t i = 0; i < rpcs; ++i) {
    rpc r;
    add_fresh_topics(r, max_subscriptions_per_rpc, next);
    if (i == 0) // Every RPC is legal in size: the bound is not the framing.
      CHECK(encode_rpc(r).size() < default_max_transmit_size);
    REQUIRE(h.feed(p, r));
    REQUIRE(h.r.peer_topic_count(p) <= max_topics_per_peer);
  }
  CHECK(next == 1'000'000);
  CHECK(h.r.peer_topic_count(p) == max_topics_per_peer);
  CHECK(h.r.known_topic_count() == max_topics_per_peer);
  // Each RPC over the cap costs the peer one behaviour penalty (P7) until
  // its score falls below the graylist threshold; from then on its RPCs
  // are dropped unread.
  const auto penalties = h.r.global_score().behaviour_penalty(p);
  CHECK(penalties >= 1);
  CHECK(h.r.stats().rpcs_graylisted > 0);
  CHECK(penalties + h.r.stats().rpcs_graylisted == rpcs);
  CHECK(h.r.stats().rejected_for(reject_reason::too_many_subscriptions)
        == penalties * max_subscriptions_per_rpc - max_topics_per_peer);
  CHECK(h.events().size() <= max_pending_events);
  honest_peer_served(h);
}

// Advisory class: unbounded topic index (1,000,000 unique-topic
// subscriptions spread over 200 peers, 5,000 per RPC).
TEST_CASE("200 peers subscribing to 1,000,000 unique topics leave the topic "
          "index at max_known_topics") {
  harness h;
  REQUIRE(h.r.subscribe(ours, h.now));
  std::vector<peer_id> peers;
  for (auto seed : peer_seeds())
    peers.push_back(h.add(seed));
  std::size_t next = 0;
  for (const auto& p : peers) {
    rpc r;
    add_fresh_topics(r, max_subscriptions_per_rpc, next);
    REQUIRE(h.feed(p, r));
    REQUIRE(h.r.known_topic_count() <= max_known_topics);
  }
  CHECK(next == 1'000'000);
  CHECK(h.r.known_topic_count() == max_known_topics);
  std::size_t held = 0;
  for (const auto& p : peers) {
    CHECK(h.r.peer_topic_count(p) <= max_topics_per_peer);
    held += h.r.peer_topic_count(p);
  }
  CHECK(held == max_known_topics);
  // The first 100 peers fill the index; what the others send is ignored.
  CHECK(h.r.stats().subscriptions_ignored
        == (peers.size() - max_known_topics / max_topics_per_peer)
             * max_subscriptions_per_rpc);
  // Our own topic is always tracked, even with the index full.
  honest_peer_served(h);
  CHECK(h.r.topic_peer_count(ours) == 1);
}

// Advisory class: GRAFT for unknown topics creating state or PRUNE replies
// (100,000 GRAFTs in four RPCs of 25,000).
TEST_CASE("GRAFTs for 100,000 unknown topics create no state and no PRUNE") {
  harness h;
  REQUIRE(h.r.subscribe(ours, h.now));
  auto p = h.add(1);
  h.subscribe(p, ours);
  h.drain();
  for (int part = 0; part < 4; ++part) {
    control_message c;
    for (int i = 0; i < 25'000; ++i)
      c.graft.push_back({"unknown-" + std::to_string(part * 25'000 + i)});
    rpc r;
    r.control = c;
    CHECK(encode_rpc(r).size() < default_max_transmit_size);
    REQUIRE(h.control(p, std::move(c)));
    CHECK(h.drain().empty()); // No PRUNE storm.
  }
  CHECK(h.r.topic_state("unknown-0") == nullptr);
  CHECK(h.r.topic_state("unknown-99999") == nullptr);
  CHECK(h.r.backoffs().size() == 0);
  CHECK(h.r.known_topic_count() == 1); // Only "ours", from the subscribe.
  CHECK(h.r.stats().rejected_for(reject_reason::graft_unknown_topic)
        == 100'000);
  CHECK(h.r.global_score().behaviour_penalty(p) == 0);
  // The same peer's GRAFT for our topic still works.
  control_message g;
  g.graft.push_back({ours});
  REQUIRE(h.control(p, g));
  CHECK(h.r.mesh_peers(ours) == std::vector{p});
}

// Advisory class: oversize IHAVE (one IHAVE with 5,001 ids: we ask for at
// most max_ihave_length of them per heartbeat).
TEST_CASE("an IHAVE with 5,001 ids asks for at most max_ihave_length") {
  harness h;
  REQUIRE(h.r.cfg().max_ihave_length == 5'000);
  REQUIRE(h.r.subscribe(ours, h.now));
  auto p = h.add(1);
  h.subscribe(p, ours);
  h.drain();
  control_message c;
  control_ihave ih{ours, {}};
  for (int i = 0; i < 5'001; ++i)
    ih.ids.emplace_back("id-" + std::to_string(i));
  c.ihave.push_back(std::move(ih));
  REQUIRE(h.control(p, c));
  CHECK(h.r.stats().iwant_ids_sent == 5'000);
  CHECK(h.r.stats().ihave_ignored == 1);
  CHECK(rejected_events(h.events(), reject_reason::ihave_over_limit) == 1);
  std::size_t asked = 0;
  auto sent = h.drain();
  for (const auto& r : sent[p])
    if (r.control)
      for (const auto& iw : r.control->iwant)
        asked += iw.ids.size();
  CHECK(asked == 5'000);
  // The same IHAVE again in this heartbeat asks for nothing more.
  REQUIRE(h.control(p, c));
  CHECK(h.r.stats().iwant_ids_sent == 5'000);
  CHECK(h.r.promises().size() <= max_gossip_promises);
}
