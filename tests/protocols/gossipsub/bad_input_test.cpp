// Remote-fillable bounds: every bad input is bounded, scored and reported.

#include <doctest/doctest.h>

#include "canswarm/gossipsub/limits.hpp"
#include "router_harness.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using namespace gossipsub_test;

namespace {

const std::string topic = "t";

} // namespace

TEST_CASE("an RPC subscribing to 10,000 topics is truncated and penalised") {
  harness h;
  auto p = h.add(1);
  rpc flood;
  for (int i = 0; i < 10'000; ++i)
    flood.subscriptions.push_back({true, "topic-" + std::to_string(i)});
  REQUIRE(h.feed(p, flood));
  CHECK(h.r.peer_topic_count(p) == max_topics_per_peer);
  CHECK(h.r.known_topic_count() == max_topics_per_peer);
  CHECK(h.r.stats().rejected_for(reject_reason::too_many_subscriptions)
        == 10'000 - max_topics_per_peer);
  CHECK(h.r.global_score().behaviour_penalty(p) == 1);
  auto events = h.events();
  CHECK(rejected_events(events, reject_reason::too_many_subscriptions) == 1);
  // A second flood adds nothing and is penalised again.
  REQUIRE(h.feed(p, flood));
  CHECK(h.r.peer_topic_count(p) == max_topics_per_peer);
  CHECK(h.r.global_score().behaviour_penalty(p) == 2);
}

TEST_CASE("subscriptions with empty or oversize topics are ignored") {
  harness h;
  auto p = h.add(1);
  rpc r;
  r.subscriptions.push_back({true, ""});
  r.subscriptions.push_back({true, std::string(max_topic_size + 1, 'x')});
  r.subscriptions.push_back({true, "fine"});
  REQUIRE(h.feed(p, r));
  CHECK(h.r.peer_topic_count(p) == 1);
  CHECK(h.r.stats().rejected_for(reject_reason::invalid_topic) == 2);
}

TEST_CASE("a GRAFT for a topic we are not in creates no state and no PRUNE") {
  harness h;
  auto p = h.add(1);
  h.subscribe(p, "other");
  h.drain();
  control_message c;
  for (int i = 0; i < 1000; ++i)
    c.graft.push_back({"unknown-" + std::to_string(i)});
  c.graft.push_back({"other"}); // known from the peer, but we are not in it
  REQUIRE(h.control(p, c));
  CHECK(h.r.topic_state("other") == nullptr);
  CHECK(h.r.topic_state("unknown-1") == nullptr);
  CHECK(h.r.backoffs().size() == 0);
  CHECK(h.drain().empty()); // no PRUNE storm
  CHECK(h.r.stats().rejected_for(reject_reason::graft_unknown_topic) == 1001);
  CHECK(h.r.global_score().behaviour_penalty(p) == 0);
}

TEST_CASE("a GRAFT for a topic the peer never joined is refused and "
          "penalised") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.drain();
  control_message c;
  c.graft.push_back({topic});
  REQUIRE(h.control(p, c));
  CHECK(h.r.mesh_peers(topic).empty());
  CHECK(h.r.stats().rejected_for(reject_reason::graft_not_subscribed) == 1);
  CHECK(h.r.global_score().behaviour_penalty(p) == 1);
  // The penalty makes the score negative: a retry after subscribing is
  // answered with a PRUNE, while a well-behaved peer is accepted.
  h.subscribe(p, topic);
  REQUIRE(h.control(p, c));
  CHECK(h.r.mesh_peers(topic).empty());
  CHECK(prunes_in(h.drain()[p]).size() == 1);
  auto q = h.add(2);
  h.subscribe(q, topic);
  REQUIRE(h.control(q, c));
  CHECK(h.r.mesh_peers(topic) == std::vector{q});
}

TEST_CASE("an IWANT for 100,000 ids serves at most the bound and is "
          "penalised") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  std::vector<message_id> real;
  for (int i = 0; i < 20; ++i) {
    auto res = h.r.publish(topic, to_bytes("m" + std::to_string(i)), h.now);
    REQUIRE(res);
    real.push_back(res->id);
  }
  CHECK(count_messages(h.drain()[p]) == 20); // flood published
  control_message c;
  c.iwant.emplace_back();
  c.iwant[0].ids = real;
  for (std::uint32_t i = 0; i < 100'000; ++i)
    c.iwant[0].ids.emplace_back(bytes{0xee, static_cast<std::uint8_t>(i >> 16),
                                      static_cast<std::uint8_t>(i >> 8),
                                      static_cast<std::uint8_t>(i)});
  REQUIRE(h.control(p, c));
  const auto bound = h.r.cfg().max_iwant_per_heartbeat;
  CHECK(h.r.stats().iwant_served == 20);
  CHECK(h.r.stats().iwant_not_found == bound - 20);
  CHECK(h.r.global_score().behaviour_penalty(p) == 1);
  CHECK(rejected_events(h.events(), reject_reason::iwant_over_limit) == 1);
  CHECK(count_messages(h.drain()[p]) == 20);
  // The budget is spent for this heartbeat: nothing more is served, and
  // asking again is penalised again.
  control_message again;
  again.iwant.push_back({{real[0]}});
  REQUIRE(h.control(p, again));
  CHECK(h.r.stats().iwant_served == 20);
  CHECK(h.r.global_score().behaviour_penalty(p) == 2);
  // Another peer may fetch a message at most gossip_retransmission (3)
  // times, and its budget renews every heartbeat.
  auto q = h.add(2);
  h.subscribe(q, topic);
  for (int i = 0; i < 4; ++i)
    REQUIRE(h.control(q, again));
  CHECK(h.r.stats().iwant_served == 23);
  CHECK(h.r.stats().iwant_over_retransmit == 1);
  CHECK(count_messages(h.drain()[q]) == 3);
  CHECK(h.r.global_score().behaviour_penalty(q) == 0);
}

TEST_CASE("an RPC over the size limit is refused and penalised") {
  harness h;
  auto p = h.add(1);
  bytes big(default_max_transmit_size + 1, 0);
  auto res = h.r.handle_rpc(p, big, h.now);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::too_large);
  CHECK(h.r.stats().rejected_for(reject_reason::rpc_too_large) == 1);
  CHECK(h.r.global_score().behaviour_penalty(p) == 1);
  // The connection half reports oversize length prefixes the same way.
  frame_reader reader{h.r.cfg().max_transmit_size};
  auto pushed = reader.push(varint::encode(default_max_transmit_size + 1));
  REQUIRE_FALSE(pushed);
  h.r.report_invalid_frame(p, pushed.error(), h.now);
  CHECK(h.r.stats().rejected_for(reject_reason::rpc_too_large) == 2);
  // Garbage is malformed.
  auto bad = h.r.handle_rpc(p, hex("0a ff ff"), h.now);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::malformed);
  CHECK(h.r.stats().rejected_for(reject_reason::malformed_rpc) == 1);
}

TEST_CASE("bad signature, wrong from and missing seqno are each rejected and "
          "counted") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  auto alice = key_from_seed(50);
  auto mallory = key_from_seed(60);
  rpc r;
  auto tampered = make_signed_message(alice, peer_of(alice), topic,
                                      to_bytes("a"), 1);
  auto genuine = tampered;
  tampered.data = to_bytes("b");
  r.publish.push_back(tampered);
  auto forged = make_signed_message(mallory, peer_of(mallory), topic,
                                    to_bytes("c"), 2);
  forged.from = peer_of(alice).to_bytes();
  forged.key = mallory.public_key().to_protobuf();
  r.publish.push_back(forged);
  auto unnumbered = make_signed_message(alice, peer_of(alice), topic,
                                        to_bytes("d"), 3);
  unnumbered.seqno.reset();
  r.publish.push_back(unnumbered);
  REQUIRE(h.feed(p, r));
  const auto& s = h.r.stats();
  CHECK(s.rejected_for(reject_reason::invalid_signature) == 1);
  CHECK(s.rejected_for(reject_reason::key_mismatch) == 1);
  CHECK(s.rejected_for(reject_reason::missing_seqno) == 1);
  CHECK(s.messages_delivered == 0);
  auto events = h.events();
  CHECK(rejected_events(events, reject_reason::invalid_signature) == 1);
  CHECK(rejected_events(events, reject_reason::key_mismatch) == 1);
  CHECK(rejected_events(events, reject_reason::missing_seqno) == 1);
  auto counters = h.r.topic_state(topic)->score().counters(p);
  REQUIRE(counters);
  CHECK(counters->invalid_message_deliveries == 3); // P4
  CHECK(h.r.score(p) < 0);
  CHECK(h.r.score(p) < h.r.cfg().thresholds.graylist_threshold);
  // The forged copy did not shadow the genuine message with the same id:
  // it is accepted from an honest peer (p itself is graylisted now).
  auto q = h.add(2);
  h.subscribe(q, topic);
  rpc ok;
  ok.publish.push_back(genuine);
  REQUIRE(h.feed(q, ok));
  CHECK(h.r.stats().messages_delivered == 1);
}

TEST_CASE("a peer that never reads has a bounded queue and drops are "
          "counted") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto slow = h.add(1);
  auto fast = h.add(2);
  h.subscribe(slow, topic);
  h.subscribe(fast, topic);
  h.drain();
  h.r.set_writable(slow, false);
  constexpr std::size_t n = 10'000;
  std::size_t to_fast = 0;
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(h.r.publish(topic, to_bytes("x" + std::to_string(i)), h.now));
    if (i % 1000 == 999) {
      auto out = h.drain();
      CHECK(out.count(slow) == 0);
      to_fast += count_messages(out[fast]);
    }
  }
  CHECK(to_fast == n);
  CHECK(h.r.queue_of(slow)->pending_messages()
        == max_pending_messages_per_peer);
  CHECK(h.r.stats().outbound_dropped == n - max_pending_messages_per_peer);
  // Reported and penalised once at the next heartbeat.
  h.advance(1s);
  CHECK(h.r.stats().rejected_for(reject_reason::outbound_queue_full) == 1);
  CHECK(h.r.global_score().behaviour_penalty(slow)
        == doctest::Approx(1).epsilon(0.02)); // decayed once
  CHECK(h.r.global_score().behaviour_penalty(fast) == 0);
  h.r.set_writable(slow, true);
  CHECK(count_messages(h.drain()[slow]) == max_pending_messages_per_peer);
}

TEST_CASE("a PRUNE backoff of 2^64-1 is clamped to the maximum") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  control_message g;
  g.graft.push_back({topic});
  REQUIRE(h.control(p, g));
  REQUIRE(h.r.mesh_peers(topic) == std::vector{p});
  control_message pr;
  pr.prune.push_back({topic, {}, std::numeric_limits<std::uint64_t>::max()});
  REQUIRE(h.control(p, pr));
  CHECK(h.r.mesh_peers(topic).empty());
  CHECK(h.r.backoffs().expiry(topic, p)
        == h.now + std::chrono::seconds{max_prune_backoff_seconds});
  // A PRUNE for a topic we are not in records nothing.
  pr.prune[0].topic = "elsewhere";
  REQUIRE(h.control(p, pr));
  CHECK(h.r.backoffs().size() == 1);
}

TEST_CASE("IHAVE floods are capped per heartbeat and broken promises cost "
          "P7") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  h.drain();
  control_message c;
  for (int k = 0; k < 15; ++k) {
    control_ihave ih{topic, {}};
    for (int i = 0; i < 1000; ++i)
      ih.ids.emplace_back("id-" + std::to_string(k) + "-" + std::to_string(i));
    c.ihave.push_back(std::move(ih));
  }
  REQUIRE(h.control(p, c));
  // 10 IHAVEs of 1000 ids each are looked at, but only max_ihave_length
  // (5000) ids are asked for in one heartbeat.
  CHECK(h.r.stats().iwant_ids_sent == h.r.cfg().max_ihave_length);
  CHECK(h.r.stats().ihave_ignored >= 5);
  CHECK(rejected_events(h.events(), reject_reason::ihave_over_limit) == 1);
  std::size_t asked = 0;
  auto sent = h.drain();
  for (const auto& rpc : sent[p])
    if (rpc.control)
      for (const auto& iw : rpc.control->iwant)
        asked += iw.ids.size();
  CHECK(asked == h.r.cfg().max_ihave_length);
  CHECK(h.r.promises().size() == 1);
  // The peer never delivers: after the follow-up time, P7.
  h.advance(1s);
  h.advance(1s);
  CHECK(h.r.global_score().behaviour_penalty(p) == 0);
  h.advance(1200ms);
  CHECK(h.r.global_score().behaviour_penalty(p) > 0);
  CHECK(h.r.stats().rejected_for(reject_reason::broken_promise) == 1);
}

TEST_CASE("PX beyond max_px_peers is truncated; PX from low scores ignored") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto trusted = h.add(1);
  auto stranger = h.add(2);
  h.r.set_app_score(trusted, 100);
  for (auto p : {trusted, stranger}) {
    h.subscribe(p, topic);
    control_message g;
    g.graft.push_back({topic});
    REQUIRE(h.control(p, g));
  }
  control_prune pr{topic, {}, 60};
  for (std::uint8_t i = 0; i < 20; ++i)
    pr.peers.push_back({peer_of(key_from_seed(100 + i)).to_bytes(), {}});
  pr.peers.push_back({bytes{0xff}, {}}); // not a peer id
  control_message c;
  c.prune.push_back(pr);
  h.events();
  REQUIRE(h.control(stranger, c));
  REQUIRE(h.control(trusted, c));
  std::size_t offers = 0;
  for (const auto& e : h.events())
    if (auto* px = std::get_if<px_offered>(&e)) {
      ++offers;
      CHECK(px->from == trusted);
      CHECK(px->peers.size() == max_px_peers);
    }
  CHECK(offers == 1);
  CHECK(h.r.stats().px_ignored == 1);
  CHECK(h.r.stats().rejected_for(reject_reason::px_too_many_peers) == 1);
}

TEST_CASE("mutated RPCs never crash the codec or the router") {
  // A deterministic stand-in for a fuzz target: mutations of a valid RPC
  // (flipped, inserted, dropped bytes) go through decode and handle_rpc.
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  auto k = key_from_seed(77);
  rpc seed;
  seed.subscriptions.push_back({true, "x"});
  seed.publish.push_back(
    make_signed_message(k, peer_of(k), topic, to_bytes("seed"), 1));
  seed.control = control_message{};
  seed.control->ihave.push_back({topic, {message_id{std::string{"abc"}}}});
  seed.control->iwant.push_back({{message_id{std::string{"def"}}}});
  seed.control->graft.push_back({topic});
  seed.control->prune.push_back({topic, {{bytes{1, 2}, bytes{3}}}, 5});
  const auto base = encode_rpc(seed);
  rng r{2024};
  std::size_t decoded = 0;
  for (int i = 0; i < 20'000; ++i) {
    auto body = base;
    auto edits = 1 + r.below(4);
    for (std::size_t e = 0; e < edits && !body.empty(); ++e) {
      auto pos = r.below(body.size());
      switch (r.below(3)) {
        case 0: body[pos] ^= static_cast<std::uint8_t>(1 + r.below(255)); break;
        case 1:
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(pos),
                      static_cast<std::uint8_t>(r.next()));
          break;
        default: body.erase(body.begin() + static_cast<std::ptrdiff_t>(pos));
      }
    }
    auto d = decode_rpc(body, default_max_transmit_size);
    if (d) {
      ++decoded;
      // Whatever decodes re-encodes to something that decodes the same.
      auto again = decode_rpc(encode_rpc(*d), default_max_transmit_size);
      REQUIRE(again);
      CHECK(*again == *d);
    }
    if (h.r.has_peer(p))
      (void)h.r.handle_rpc(p, body, h.now);
    if (i % 1000 == 0)
      h.advance(1s);
    h.drain();
    h.events();
  }
  CHECK(decoded > 1000);
}
