// The hybrid bus during rolling restarts (issue #7): three nodes move from
// mode 3 to 2 to 1 while one agent keeps publishing through the first; an
// observer that is never restarted receives every envelope once. And the
// node's shutdown order that keeps a stopping node from losing a publish.

#include <doctest/doctest.h>

#include "hybrid_bus_support.hpp"

using namespace canswarm;
using namespace canswarm::test::hybrid;
using namespace std::chrono_literals;

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
