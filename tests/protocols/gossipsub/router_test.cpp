// Router behaviour with hand-driven peers: publishing, validation, mesh
// rules, protocol versions.

#include <doctest/doctest.h>

#include "router_harness.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using namespace gossipsub_test;

namespace {

const std::string topic = "t";

rpc with_message(message m) {
  rpc r;
  r.publish.push_back(std::move(m));
  return r;
}

} // namespace

TEST_CASE("publishing without peers is not an error") {
  harness h;
  auto res = h.r.publish(topic, to_bytes("alone"), h.now);
  REQUIRE(res);
  CHECK(res->peers == 0);
  CHECK(h.r.stats().messages_published == 1);
  // Oversize data is refused with the limit named.
  auto big = h.r.publish(topic, bytes(h.r.cfg().max_message_size + 1, 0),
                         h.now);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::too_large);
  CHECK(big.error().message.find("max_message_size") != std::string::npos);
  CHECK_FALSE(h.r.publish("", to_bytes("x"), h.now));
}

TEST_CASE("flood publishing reaches every topic peer above the publish "
          "threshold") {
  harness h;
  std::vector<peer_id> peers;
  for (std::uint8_t i = 1; i <= 10; ++i) {
    peers.push_back(h.add(i));
    h.subscribe(peers.back(), topic);
  }
  auto outsider = h.add(20); // not in the topic
  h.r.set_app_score(peers[0], -60); // below publish threshold (-50)
  auto res = h.r.publish(topic, to_bytes("hi"), h.now);
  REQUIRE(res);
  CHECK(res->peers == 9);
  auto out = h.drain();
  CHECK(out.count(peers[0]) == 0);
  CHECK(count_messages(out[outsider]) == 0);
  for (std::size_t i = 1; i < peers.size(); ++i)
    CHECK(count_messages(out[peers[i]]) == 1);
}

TEST_CASE("without flood publishing a non-subscriber publishes to D fanout "
          "peers") {
  config cfg;
  cfg.flood_publish = false;
  harness h{cfg};
  for (std::uint8_t i = 1; i <= 10; ++i)
    h.subscribe(h.add(i), topic);
  auto res = h.r.publish(topic, to_bytes("hi"), h.now);
  REQUIRE(res);
  CHECK(res->peers == cfg.d);
  CHECK(h.r.fanout_peers(topic).size() == cfg.d);
  // The fanout expires after fanout_ttl without publishing.
  h.advance(cfg.fanout_ttl + 2s);
  CHECK(h.r.topic_state(topic) == nullptr);
}

TEST_CASE("a valid message is delivered once, forwarded to the mesh, and "
          "duplicates are dropped") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto src = h.add(1);
  auto other = h.add(2);
  for (auto p : {src, other}) {
    h.subscribe(p, topic);
    control_message g;
    g.graft.push_back({topic});
    REQUIRE(h.control(p, g));
  }
  h.drain();
  auto origin = key_from_seed(77);
  auto m = make_signed_message(origin, peer_of(origin), topic,
                               to_bytes("payload"), 9);
  REQUIRE(h.feed(src, with_message(m)));
  REQUIRE(h.feed(other, with_message(m))); // duplicate
  std::size_t delivered = 0;
  for (const auto& e : h.events())
    if (auto* d = std::get_if<message_event>(&e)) {
      ++delivered;
      CHECK(d->topic == topic);
      CHECK(d->source == src);
      CHECK(d->msg->data == to_bytes("payload"));
      CHECK(seqno_value(*d->msg) == 9u);
      CHECK(d->id == default_message_id(m));
    }
  CHECK(delivered == 1);
  CHECK(h.r.stats().messages_duplicate == 1);
  auto out = h.drain();
  CHECK(out.count(src) == 0); // never back to the source
  CHECK(count_messages(out[other]) == 1);
  // P2: the first deliverer is credited.
  CHECK(h.r.topic_state(topic)->score().counters(src)->first_message_deliveries
        == 1);
}

TEST_CASE("messages for topics we are not subscribed to are ignored") {
  harness h;
  auto p = h.add(1);
  auto k = key_from_seed(77);
  REQUIRE(h.feed(p, with_message(make_signed_message(k, peer_of(k), "nope",
                                                     to_bytes("x"), 1))));
  CHECK(h.r.stats().messages_unsubscribed == 1);
  CHECK(h.events().empty());
}

TEST_CASE("synchronous and asynchronous validators feed the score") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  REQUIRE(h.r.subscribe("async", h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  h.subscribe(p, "async");
  h.r.set_validator(topic, [](const peer_id&, const message& m) {
    if (m.data == to_bytes("bad"))
      return validation_result::reject;
    if (m.data == to_bytes("meh"))
      return validation_result::ignore;
    return validation_result::accept;
  });
  h.r.set_async_validation("async", true);
  auto k = key_from_seed(77);
  std::uint64_t seq = 0;
  auto msg = [&](std::string t, std::string d) {
    return with_message(
      make_signed_message(k, peer_of(k), std::move(t), to_bytes(d), ++seq));
  };
  REQUIRE(h.feed(p, msg(topic, "bad")));
  REQUIRE(h.feed(p, msg(topic, "meh")));
  REQUIRE(h.feed(p, msg(topic, "good")));
  CHECK(h.r.stats().rejected_for(reject_reason::validator_rejected) == 1);
  CHECK(h.r.stats().messages_ignored == 1);
  CHECK(h.r.stats().messages_delivered == 1);
  CHECK(h.r.topic_state(topic)->score().counters(p)->invalid_message_deliveries
        == 1);
  h.events();
  REQUIRE(h.feed(p, msg("async", "later")));
  CHECK(h.r.pending_validations() == 1);
  std::optional<message_id> waiting;
  for (const auto& e : h.events())
    if (auto* v = std::get_if<validation_request>(&e))
      waiting = v->id;
  REQUIRE(waiting);
  CHECK(h.r.stats().messages_delivered == 1);
  REQUIRE(h.r.report_validation(*waiting, validation_result::accept, h.now));
  CHECK(h.r.stats().messages_delivered == 2);
  auto again = h.r.report_validation(*waiting, validation_result::accept,
                                     h.now);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::not_found);
}

TEST_CASE("a full mesh accepts GRAFTs only from outbound peers") {
  config cfg;
  cfg.d = 2;
  cfg.d_lo = 1;
  cfg.d_hi = 2;
  cfg.d_out = 0;
  cfg.d_score = 1;
  harness h{cfg};
  REQUIRE(h.r.subscribe(topic, h.now));
  auto graft = [&](const peer_id& p) {
    h.subscribe(p, topic);
    control_message g;
    g.graft.push_back({topic});
    REQUIRE(h.control(p, g));
  };
  auto a = h.add(1), b = h.add(2), inbound = h.add(3);
  auto outbound = h.add(4, protocol::meshsub_v11, true);
  graft(a);
  graft(b);
  h.drain();
  graft(inbound);
  CHECK(h.r.mesh_peers(topic).size() == 2);
  auto out = h.drain();
  auto pr = prunes_in(out[inbound]);
  REQUIRE(pr.size() == 1);
  CHECK(pr[0].backoff == 60u);
  graft(outbound);
  CHECK(h.r.mesh_peers(topic).size() == 3);
  // The next heartbeat prunes back to D.
  h.advance(200ms);
  CHECK(h.r.mesh_peers(topic).size() == 2);
}

TEST_CASE("leaving a topic prunes with the unsubscribe backoff; v1.0 peers "
          "get no backoff field") {
  harness h;
  auto v11 = h.add(1, protocol::meshsub_v11);
  auto v10 = h.add(2, protocol::meshsub_v10);
  auto flood = h.add(3, protocol::floodsub);
  for (auto p : {v11, v10, flood})
    h.subscribe(p, topic);
  REQUIRE(h.r.subscribe(topic, h.now));
  auto mesh = h.r.mesh_peers(topic);
  CHECK(mesh.size() == 2); // floodsub peers never join a mesh
  auto joined = h.drain();
  for (auto p : {v11, v10}) {
    REQUIRE(joined[p].size() == 1);
    CHECK(joined[p][0].subscriptions == std::vector{sub_opts{true, topic}});
    REQUIRE(joined[p][0].control);
    CHECK(joined[p][0].control->graft.size() == 1);
  }
  CHECK_FALSE(joined[flood][0].control);
  REQUIRE(h.r.unsubscribe(topic, h.now));
  auto left = h.drain();
  auto pr11 = prunes_in(left[v11]);
  REQUIRE(pr11.size() == 1);
  CHECK(pr11[0].backoff == 10u);
  auto pr10 = prunes_in(left[v10]);
  REQUIRE(pr10.size() == 1);
  CHECK_FALSE(pr10[0].backoff);
  CHECK(prunes_in(left[flood]).empty());
  CHECK(left[flood][0].subscriptions == std::vector{sub_opts{false, topic}});
  CHECK(h.r.backoffs().active(topic, v11, h.now + 9s));
}

TEST_CASE("oversubscription pruning offers PX when enabled") {
  config cfg;
  cfg.do_px = true;
  harness h{cfg};
  REQUIRE(h.r.subscribe(topic, h.now));
  std::vector<peer_id> peers;
  for (std::uint8_t i = 1; i <= 16; ++i) {
    peers.push_back(h.add(i, protocol::meshsub_v11, i > 8));
    h.subscribe(peers.back(), topic);
    control_message g;
    g.graft.push_back({topic});
    REQUIRE(h.control(peers.back(), g));
  }
  // 8 inbound and 4 outbound GRAFTs fill D_hi; 4 more outbound go over.
  CHECK(h.r.mesh_peers(topic).size() > h.r.cfg().d_hi);
  h.drain();
  h.advance(200ms);
  auto mesh = h.r.mesh_peers(topic);
  CHECK(mesh.size() == h.r.cfg().d);
  std::size_t outbound_kept = 0;
  for (const auto& p : mesh)
    for (std::size_t i = 8; i < 16; ++i)
      if (p == peers[i])
        ++outbound_kept;
  CHECK(outbound_kept >= h.r.cfg().d_out);
  auto out = h.drain();
  std::size_t with_px = 0;
  for (const auto& [p, rpcs] : out)
    for (const auto& pr : prunes_in(rpcs)) {
      CHECK(pr.backoff == 60u);
      CHECK(pr.peers.size() <= max_px_peers);
      if (!pr.peers.empty())
        ++with_px;
    }
  CHECK(with_px > 0);
}

TEST_CASE("gossip goes to non-mesh peers and IWANT is served from the "
          "cache") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  std::vector<peer_id> peers;
  for (std::uint8_t i = 1; i <= 12; ++i) {
    peers.push_back(h.add(i));
    h.subscribe(peers.back(), topic);
  }
  h.advance(200ms); // first heartbeat grafts D peers
  CHECK(h.r.mesh_peers(topic).size() == h.r.cfg().d);
  auto res = h.r.publish(topic, to_bytes("gossip me"), h.now);
  REQUIRE(res);
  h.drain();
  h.advance(1s);
  auto out = h.drain();
  auto mesh = h.r.mesh_peers(topic);
  std::size_t ihaves = 0;
  for (const auto& [p, rpcs] : out)
    for (const auto& r : rpcs)
      if (r.control)
        for (const auto& ih : r.control->ihave) {
          ++ihaves;
          CHECK(std::find(mesh.begin(), mesh.end(), p) == mesh.end());
          CHECK(ih.ids == std::vector{res->id});
        }
  CHECK(ihaves == 12 - h.r.cfg().d);
}

TEST_CASE("a StrictNoSign topic carries no author fields and refuses "
          "signed messages") {
  config cfg;
  cfg.topic_signing["anon"] = signing_policy::strict_no_sign;
  harness h{cfg};
  REQUIRE(h.r.subscribe("anon", h.now));
  auto p = h.add(1);
  h.subscribe(p, "anon");
  h.drain();
  auto res = h.r.publish("anon", to_bytes("no author"), h.now);
  REQUIRE(res);
  auto out = h.drain();
  REQUIRE(count_messages(out[p]) == 1);
  const auto& m = out[p][0].publish[0];
  CHECK_FALSE(m.from);
  CHECK_FALSE(m.seqno);
  CHECK_FALSE(m.signature);
  CHECK_FALSE(m.key);
  CHECK(res->id == content_message_id(m)); // content-addressed
  // Publishing the same content again is a duplicate id.
  auto again = h.r.publish("anon", to_bytes("no author"), h.now);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::refused);
  // Incoming: unsigned accepted, signed refused.
  REQUIRE(
    h.feed(p, with_message(make_unsigned_message("anon", to_bytes("from p")))));
  CHECK(h.r.stats().messages_delivered == 1);
  auto k = key_from_seed(77);
  REQUIRE(h.feed(p, with_message(make_signed_message(k, peer_of(k), "anon",
                                                     to_bytes("signed"), 1))));
  CHECK(h.r.stats().rejected_for(reject_reason::unexpected_auth_field) == 1);
}

TEST_CASE("explicit peers get every message, never join the mesh and are "
          "never graylisted") {
  config cfg;
  auto direct = peer_of(key_from_seed(9));
  cfg.direct_peers.push_back(direct);
  harness h{cfg};
  REQUIRE(h.r.subscribe(topic, h.now));
  auto d = h.add(9);
  REQUIRE(d == direct);
  auto src = h.add(1);
  for (auto p : {d, src})
    h.subscribe(p, topic);
  h.advance(200ms);
  CHECK(h.r.mesh_peers(topic) == std::vector{src});
  h.drain();
  // A GRAFT from the explicit peer is an error answered with PRUNE.
  control_message g;
  g.graft.push_back({topic});
  REQUIRE(h.control(d, g));
  CHECK(h.r.stats().rejected_for(reject_reason::graft_direct_peer) == 1);
  CHECK(prunes_in(h.drain()[d]).size() == 1);
  // Messages are forwarded to it although it is not in the mesh.
  auto k = key_from_seed(77);
  REQUIRE(h.feed(src, with_message(make_signed_message(k, peer_of(k), topic,
                                                       to_bytes("x"), 1))));
  CHECK(count_messages(h.drain()[d]) == 1);
  // Even with a terrible score its RPCs are read.
  h.r.set_app_score(d, -1000);
  REQUIRE(h.feed(d, with_message(make_signed_message(k, peer_of(k), topic,
                                                     to_bytes("y"), 2))));
  CHECK(h.r.stats().rpcs_graylisted == 0);
  CHECK(h.r.stats().messages_delivered == 2);
}

TEST_CASE("removing a peer clears it from meshes and retains its score") {
  harness h;
  REQUIRE(h.r.subscribe(topic, h.now));
  auto p = h.add(1);
  h.subscribe(p, topic);
  control_message g;
  g.graft.push_back({topic});
  REQUIRE(h.control(p, g));
  h.r.set_app_score(p, -5);
  h.r.remove_peer(p, h.now);
  CHECK(h.r.mesh_peers(topic).empty());
  CHECK(h.r.topic_peer_count(topic) == 0);
  CHECK_FALSE(h.r.has_peer(p));
  CHECK(h.r.score(p) == doctest::Approx(-5)); // retained
  auto r = h.r.handle_rpc(p, encode_rpc(rpc{}), h.now);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
  // Reconnecting restores the retained score.
  h.add(1);
  CHECK(h.r.score(p) == doctest::Approx(-5));
}
