// Deterministic network simulations of the gossipsub router.

#include <chrono>
#include <ctime>

#include <doctest/doctest.h>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/signing.hpp"
#include "sim.hpp"

using namespace gossipsub_sim;
using canswarm::to_bytes;

namespace {

const std::string topic = "blocks";

/// Each node dials between `lo` and `hi` random other nodes.
void random_graph(simulator& sim, gs::rng& r, std::size_t lo, std::size_t hi,
                  link_config lc = {}) {
  auto n = sim.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto want = lo + r.below(hi - lo + 1);
    for (std::size_t tries = 0, made = 0; made < want && tries < 10 * hi;
         ++tries) {
      auto j = r.below(n);
      if (j == i || sim.connected(i, j))
        continue;
      sim.connect(i, j, lc);
      ++made;
    }
  }
}

/// Builds `n` subscribed nodes on a random graph and lets meshes form.
simulator make_network(std::size_t n, std::uint64_t seed, std::size_t lo,
                       std::size_t hi, link_config lc = {},
                       gs::config cfg = {}) {
  simulator sim{seed};
  for (std::size_t i = 0; i < n; ++i)
    sim.add_node(cfg);
  gs::rng r{seed ^ 0xabcdef};
  random_graph(sim, r, lo, hi, lc);
  for (std::size_t i = 0; i < n; ++i)
    sim.subscribe(i, topic);
  return sim;
}

/// Publishes `count` messages from random nodes, `gap` apart.
std::vector<std::pair<std::size_t, gs::message_id>>
publish_some(simulator& sim, gs::rng& r, std::size_t count, duration gap) {
  std::vector<std::pair<std::size_t, gs::message_id>> out;
  for (std::size_t k = 0; k < count; ++k) {
    auto from = r.below(sim.size());
    auto res = sim.publish(from, topic,
                           to_bytes("message " + std::to_string(k)));
    REQUIRE(res);
    out.emplace_back(from, res->id);
    sim.run_for(gap);
  }
  return out;
}

/// Counts (node, message) pairs not delivered exactly once.
std::size_t
missing(simulator& sim,
        const std::vector<std::pair<std::size_t, gs::message_id>>& published) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < sim.size(); ++i)
    for (const auto& [from, id] : published) {
      if (i == from)
        continue; // own messages are not delivered locally
      auto d = sim.at(i).delivered.find(id);
      if (d == sim.at(i).delivered.end() || d->second != 1)
        ++bad;
    }
  return bad;
}

std::optional<gs::rpc> decode(bytes_view body) {
  auto r = gs::decode_rpc(body, gs::default_max_transmit_size);
  return r ? std::optional<gs::rpc>{std::move(*r)} : std::nullopt;
}

} // namespace

TEST_CASE("100 nodes: every message reaches every subscriber exactly once") {
  auto sim = make_network(100, 1, 10, 20);
  sim.run_for(5s);
  gs::rng r{7};
  auto published = publish_some(sim, r, 20, 100ms);
  sim.run_for(10s);
  CHECK(missing(sim, published) == 0);
  std::uint64_t rejected = 0;
  for (std::size_t i = 0; i < sim.size(); ++i)
    for (auto n : sim.router(i).stats().rejected)
      rejected += n;
  CHECK(rejected == 0); // honest network: nothing refused
}

TEST_CASE("100 nodes: mesh degrees stay within [D_lo, D_hi] after the first "
          "heartbeats") {
  auto sim = make_network(100, 2, 10, 20);
  gs::config cfg;
  std::size_t checks = 0, violations = 0;
  sim.after_heartbeat = [&](std::size_t i) {
    if (sim.now() < time_point{} + 3s)
      return;
    auto n = sim.router(i).mesh_peers(topic).size();
    ++checks;
    if (n < cfg.d_lo || n > cfg.d_hi)
      ++violations;
  };
  gs::rng r{8};
  sim.run_for(5s);
  publish_some(sim, r, 30, 500ms);
  sim.run_for(30s);
  CHECK(checks > 100 * 40);
  CHECK(violations == 0);
  // Meshes are symmetric in steady state (spec v1.0: "if a peer A is in the
  // mesh of peer B, then peer B is also in the mesh of peer A").
  std::size_t links = 0, asymmetric = 0;
  for (std::size_t i = 0; i < sim.size(); ++i)
    for (const auto& p : sim.router(i).mesh_peers(topic)) {
      ++links;
      auto j = sim.index_of(p);
      auto back = sim.router(j).mesh_peers(topic);
      if (std::find(back.begin(), back.end(), sim.at(i).id) == back.end())
        ++asymmetric;
    }
  CHECK(links > 0);
  CHECK(asymmetric * 50 <= links); // at most 2% in flight
}

TEST_CASE("a message dropped on a link is repaired through IHAVE/IWANT") {
  auto sim = make_network(30, 3, 8, 12);
  // Every link into node 0 loses eager message pushes; only messages node 0
  // asks for with IWANT get through.
  for (std::size_t j = 1; j < sim.size(); ++j)
    if (sim.connected(j, 0))
      sim.link(j, 0).drop_unrequested_messages = true;
  sim.run_for(5s);
  gs::rng r{9};
  std::vector<std::pair<std::size_t, gs::message_id>> published;
  for (std::size_t k = 0; k < 10; ++k) {
    auto from = 1 + r.below(sim.size() - 1);
    auto res = sim.publish(from, topic,
                           to_bytes("repair " + std::to_string(k)));
    REQUIRE(res);
    published.emplace_back(from, res->id);
    sim.run_for(200ms);
  }
  sim.run_for(10s);
  auto& victim = sim.at(0);
  for (const auto& [from, id] : published)
    CHECK(victim.delivered[id] == 1);
  CHECK(sim.stats().messages_stripped >= 10); // the eager pushes were lost
  CHECK(victim.router.stats().iwant_ids_sent >= 10);
  std::uint64_t served = 0;
  for (std::size_t j = 1; j < sim.size(); ++j)
    served += sim.router(j).stats().iwant_served;
  CHECK(served >= 10);
}

TEST_CASE("lossy links (2% of frames lost) still deliver every message") {
  link_config lossy;
  lossy.loss = 0.02;
  auto sim = make_network(100, 4, 10, 20, lossy);
  sim.run_for(5s);
  gs::rng r{10};
  auto published = publish_some(sim, r, 20, 200ms);
  sim.run_for(15s);
  CHECK(sim.stats().frames_lost > 0);
  CHECK(missing(sim, published) == 0);
}

TEST_CASE("a peer sending invalid signatures gets graylisted") {
  simulator sim{5};
  for (int i = 0; i < 6; ++i)
    sim.add_node({});
  const std::size_t victim = 0, attacker = 1;
  for (std::size_t i = 1; i < 6; ++i)
    sim.connect(i, victim);
  sim.connect(2, 3);
  for (std::size_t i = 0; i < 6; ++i)
    sim.subscribe(i, topic);
  std::size_t graylisted_events = 0;
  sim.on_event = [&](std::size_t node, const gs::event& e) {
    if (auto* g = std::get_if<gs::peer_graylisted>(&e))
      if (node == victim && g->peer == sim.at(attacker).id)
        ++graylisted_events;
  };
  sim.run_for(3s);
  // 20 messages whose signatures do not verify, in one RPC.
  auto key = simulator::key_of(attacker);
  gs::rpc bad;
  for (std::uint64_t k = 0; k < 20; ++k) {
    auto m = gs::make_signed_message(key, sim.at(attacker).id, topic,
                                     to_bytes("spam"), 1000 + k);
    (*m.signature)[5] ^= 0x40;
    bad.publish.push_back(std::move(m));
  }
  sim.send_raw(attacker, victim, gs::encode_rpc(bad));
  sim.run_for(100ms);
  auto& v = sim.router(victim);
  // P4 is squared: the third bad signature crosses the graylist threshold,
  // and the rest of the RPC is not even verified.
  auto verified = v.stats().rejected_for(gs::reject_reason::invalid_signature);
  CHECK(verified == 3);
  CHECK(v.stats().messages_graylisted == 20 - verified);
  auto s = v.score(sim.at(attacker).id);
  CHECK(s < v.cfg().thresholds.graylist_threshold);
  // Now even a valid message from the attacker is ignored unread.
  auto before = v.stats().rpcs_graylisted;
  gs::rpc good;
  good.publish.push_back(gs::make_signed_message(key, sim.at(attacker).id,
                                                 topic, to_bytes("valid"),
                                                 5000));
  auto good_id = gs::default_message_id(good.publish[0]);
  sim.send_raw(attacker, victim, gs::encode_rpc(good));
  sim.run_for(1500ms); // includes a heartbeat
  CHECK(v.stats().rpcs_graylisted > before);
  CHECK(sim.at(victim).delivered.count(good_id) == 0);
  CHECK(graylisted_events == 1);
  auto mesh = v.mesh_peers(topic);
  CHECK(std::find(mesh.begin(), mesh.end(), sim.at(attacker).id) == mesh.end());
  // Honest traffic still flows to the victim.
  auto res = sim.publish(3, topic, to_bytes("honest"));
  REQUIRE(res);
  sim.run_for(1s);
  CHECK(sim.at(victim).delivered[res->id] == 1);
}

TEST_CASE("PRUNE backoff is honoured: no re-GRAFT before it expires") {
  simulator sim{6};
  sim.add_node({});
  sim.add_node({});
  sim.connect(0, 1);
  sim.subscribe(0, topic);
  sim.subscribe(1, topic);
  sim.run_for(3s);
  REQUIRE(sim.router(0).mesh_peers(topic).size() == 1);
  std::optional<time_point> pruned;
  std::vector<std::pair<std::size_t, time_point>> grafts;
  sim.on_frame = [&](std::size_t from, std::size_t to, bytes_view body) {
    auto r = decode(body);
    if (!r || !r->control)
      return;
    if (!r->control->prune.empty() && from == 0 && !pruned)
      pruned = sim.now();
    if (!r->control->graft.empty())
      grafts.emplace_back(from, sim.now());
  };
  // Node 0 gives node 1 a negative score: pruned at the next heartbeat.
  const auto& b = sim.at(1).id;
  sim.act(0, [&](gs::router& r) { r.set_app_score(b, -1); });
  sim.run_for(1500ms);
  REQUIRE(pruned);
  CHECK(sim.router(0).mesh_peers(topic).empty());
  CHECK(sim.router(1).mesh_peers(topic).empty());
  // The score is restored, but both sides wait the backoff (60 s + slack).
  sim.act(0, [&](gs::router& r) { r.set_app_score(b, 0); });
  sim.run_for(70s);
  REQUIRE_FALSE(grafts.empty());
  for (const auto& [from, when] : grafts)
    CHECK(when >= *pruned + 60s);
  CHECK(
    sim.router(0).stats().rejected_for(gs::reject_reason::graft_during_backoff)
    == 0);
  CHECK(sim.router(0).mesh_peers(topic).size() == 1);
  CHECK(sim.router(1).mesh_peers(topic).size() == 1);
}

TEST_CASE("a GRAFT during the PRUNE backoff is penalised through P7") {
  simulator sim{7};
  sim.add_node({});
  sim.add_node({});
  sim.connect(0, 1);
  sim.subscribe(0, topic);
  sim.subscribe(1, topic);
  sim.run_for(3s);
  const auto& b = sim.at(1).id;
  sim.act(0, [&](gs::router& r) { r.set_app_score(b, -1); });
  sim.run_for(1500ms);
  sim.act(0, [&](gs::router& r) { r.set_app_score(b, 0); });
  REQUIRE(sim.router(0).backoffs().active(topic, b, sim.now()));
  std::size_t prunes_back = 0;
  sim.on_frame = [&](std::size_t from, std::size_t, bytes_view body) {
    auto r = decode(body);
    if (from == 0 && r && r->control && !r->control->prune.empty())
      ++prunes_back;
  };
  // Node 1 ignores the backoff 2 s after the PRUNE (inside the 10 s flood
  // threshold: double penalty).
  gs::rpc graft;
  graft.control = gs::control_message{};
  graft.control->graft.push_back({topic});
  sim.send_raw(1, 0, gs::encode_rpc(graft));
  sim.run_for(100ms);
  auto& a = sim.router(0);
  CHECK(a.stats().rejected_for(gs::reject_reason::graft_during_backoff) == 1);
  CHECK(a.global_score().behaviour_penalty(b)
        == doctest::Approx(2.0).epsilon(0.05));
  CHECK(a.score(b) < 0);
  CHECK(a.mesh_peers(topic).empty());
  CHECK(prunes_back == 1);
}

TEST_CASE("floodsub and meshsub v1.0 peers interoperate with v1.1 routers") {
  simulator sim{8};
  for (int i = 0; i < 8; ++i)
    sim.add_node({});
  const std::size_t flood = 6, v10 = 7;
  gs::rng r{11};
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = i + 1; j < 6; ++j)
      sim.connect(i, j);
  for (std::size_t j : {0, 2, 4}) {
    sim.connect(flood, j, {}, gs::protocol::floodsub, gs::protocol::floodsub);
    sim.connect(v10, j, {}, gs::protocol::meshsub_v10,
                gs::protocol::meshsub_v10);
  }
  for (std::size_t i = 0; i < 8; ++i)
    sim.subscribe(i, topic);
  std::size_t control_to_flood = 0;
  sim.on_frame = [&](std::size_t, std::size_t to, bytes_view body) {
    auto d = decode(body);
    if (to == flood && d && d->control)
      ++control_to_flood;
  };
  sim.run_for(5s);
  std::vector<std::pair<std::size_t, gs::message_id>> published;
  for (std::size_t from : {flood, v10, std::size_t{3}}) {
    auto res = sim.publish(from, topic, to_bytes("mixed"));
    REQUIRE(res);
    published.emplace_back(from, res->id);
    sim.run_for(500ms);
  }
  sim.run_for(5s);
  CHECK(missing(sim, published) == 0);
  CHECK(control_to_flood == 0);
  CHECK(sim.router(flood).mesh_peers(topic).empty()); // no mesh via floodsub
  CHECK_FALSE(sim.router(v10).mesh_peers(topic).empty());
}

TEST_CASE("a 1000-node network delivers everything within seconds") {
  // CPU time, not wall time: CI machines are shared.
  auto started = std::clock();
  auto sim = make_network(1000, 9, 10, 20);
  sim.run_for(3s);
  gs::rng r{12};
  auto published = publish_some(sim, r, 10, 100ms);
  sim.run_for(5s);
  auto cpu = static_cast<double>(std::clock() - started) / CLOCKS_PER_SEC;
  CHECK(missing(sim, published) == 0);
  MESSAGE("1000-node simulation (11 virtual seconds): " << cpu << " s of CPU");
  CHECK(cpu < 60.0); // ~3 s in a release build, ~25 s with sanitizers
}
