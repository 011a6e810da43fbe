// `canswarm inspect` against real nodes: node A (mode 2: P2P primary, NATS
// fallback, a real nats-server) with three peers and two subscribed topics
// shows its supervisor tree with every subsystem, its topic actors and its
// peer connections; killing a topic actor, the NATS bridge and a peer
// connection (A dialled that peer: B is its bootstrap node) through the
// inspector makes their supervisors restart them (restart counts visible;
// the swarm redials B) and envelopes keep being delivered afterwards.

#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "canswarm/envelope/topic.hpp"
#include "nats_server.hpp"
#include "node_harness.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

test::run_result run_tool(std::vector<std::string> args,
                          const std::string& dir) {
  return test::run({test::canswarm_binary(), std::move(args), {}, false, dir},
                   20s);
}

/// The inspector's node object named `name` (its JSON up to its children).
std::string node_json(const std::string& doc, const std::string& name) {
  auto at = doc.find("{\"name\":\"" + name + "\"");
  if (at == std::string::npos)
    return {};
  auto end = doc.find("\"children\":", at);
  return doc.substr(at, end - at);
}

/// A numeric field of the node object named `name`.
std::uint64_t field_of(const std::string& doc, const std::string& name,
                       const std::string& field) {
  std::smatch m;
  auto obj = node_json(doc, name);
  std::regex re{"\"" + field + "\":([0-9]+)"};
  REQUIRE_MESSAGE(std::regex_search(obj, m, re), doc);
  return std::stoull(m[1].str());
}

std::uint64_t restarts_of(const std::string& doc, const std::string& name) {
  return field_of(doc, name, "restarts");
}

/// The bus's count of envelopes received over P2P in `canswarm stats`.
std::uint64_t p2p_received(const std::string& stats) {
  std::smatch m;
  std::regex re{"\"received\":\\{\"total\":[0-9]+,\"p2p\":([0-9]+)"};
  REQUIRE_MESSAGE(std::regex_search(stats, m, re), stats);
  return std::stoull(m[1].str());
}

} // namespace

TEST_CASE("inspect shows the supervisor tree; killed actors come back and "
          "delivery goes on") {
  test::nats_server nats{false};
  std::map<std::string, std::string> env{{"LOG_LEVEL", "INFO"},
                                         {"GOSSIPSUB_HEARTBEAT_INTERVAL",
                                          "0.2"},
                                         {"NATS_URL", nats.url()},
                                         {"NATS_FALLBACK", "true"},
                                         {"P2P_METRICS_ADDR", "127.0.0.1:0"}};
  // B first: A dials it (its bootstrap node), so A's connection to B is
  // outbound and A's swarm redials B when that connection dies. C and D
  // dial A.
  auto peer_env = env;
  peer_env.erase("P2P_METRICS_ADDR");
  test::control_node b{peer_env};
  auto a_env = env;
  a_env["P2P_BOOTSTRAP_NODES"] = b.b.addrs.at(0);
  test::control_node a{a_env};
  peer_env["P2P_BOOTSTRAP_NODES"] = a.b.addrs.at(0);
  test::control_node c{peer_env};
  test::control_node d{peer_env};

  test::temp_dir work;
  auto dir = work.path().string();
  const std::string thread = "inspect-1";
  auto need = *envelope::p2p_topic(thread, envelope::kind::need);
  auto propose = *envelope::p2p_topic(thread, envelope::kind::propose);

  // Two topics on A: NEED (a subscriber that counts), PROPOSE.
  test::child_process sub_need{
    {test::canswarm_binary(),
     {"subscribe", "--control", a.control.to_string(), "--thread", thread,
      "--kind", "NEED", "--count", "3", "--timeout", "60"},
     {},
     false,
     dir}};
  test::child_process sub_propose{
    {test::canswarm_binary(),
     {"subscribe", "--control", a.control.to_string(), "--thread", thread,
      "--kind", "PROPOSE", "--timeout", "120"},
     {},
     false,
     dir}};

  // The tree: every subsystem, three peers, both topic actors.
  std::string doc;
  auto until = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto r = run_tool({"inspect", "--control", a.control.to_string(), "--json"},
                      dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    doc = r.out;
    auto peers = 0;
    for (auto* n : {&b, &c, &d})
      peers += doc.find("\"name\":\"peer:" + n->b.id + "\"") != doc.npos;
    if ((peers == 3 && doc.find("topic:" + need) != doc.npos
         && doc.find("topic:" + propose) != doc.npos)
        || std::chrono::steady_clock::now() > until)
      break;
    std::this_thread::sleep_for(200ms);
  }
  INFO(doc);
  CHECK(doc.starts_with("{\"name\":\"root\",\"role\":\"supervisor\""));
  for (auto name :
       {"swarm", "metrics", "pubsub", "bus", "transport", "control", "nats"}) {
    auto obj = node_json(doc, name);
    CHECK_MESSAGE(obj.find("\"state\":\"running\"") != obj.npos, name);
    CHECK_MESSAGE(obj.find("\"restarts\":0") != obj.npos, name);
    // Every root component answers its status with its mailbox size.
    CHECK_MESSAGE(std::regex_search(obj, std::regex{"\"mailbox\":[0-9]+"}),
                  name);
  }
  CHECK(node_json(doc, "bus").find("mode p2p-primary") != std::string::npos);
  for (auto* n : {&b, &c, &d}) {
    CHECK(
      doc.find("\"name\":\"peer:" + n->b.id + "\",\"role\":\"peer-connection\"")
      != std::string::npos);
    CHECK(restarts_of(doc, "peer:" + n->b.id) == 0);
  }
  CHECK(node_json(doc, "peer:" + b.b.id).find(" outbound ")
        != std::string::npos);
  CHECK(node_json(doc, "peer:" + c.b.id).find(" inbound ")
        != std::string::npos);
  CHECK(node_json(doc, "topic:" + need).find("\"role\":\"topic-mesh\"")
        != std::string::npos);
  CHECK(restarts_of(doc, "topic:" + need) == 0);

  // The text tree names the same actors.
  auto text = run_tool({"inspect", "--control", a.control.to_string()}, dir);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.starts_with("root (supervisor) running"));
  CHECK(text.out.find("topic:" + need + " (topic-mesh) running")
        != std::string::npos);

  auto key = work.file("agent.key");
  REQUIRE(run_tool({"keygen", "--key-file", key}, dir).exit_code == 0);
  // B's mesh must know A subscribes before B publishes.
  std::this_thread::sleep_for(1s);
  auto publish = [&](int lamport) {
    auto r = run_tool({"publish", "--control", b.control.to_string(), "--key",
                       key, "--thread", thread, "--kind", "NEED", "--lamport",
                       std::to_string(lamport)},
                      dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  };
  publish(1);
  REQUIRE_MESSAGE(sub_need.read_line(15s), sub_need.stderr_text());

  // Kill the NEED topic actor: pub/sub restarts it with its subscribers.
  auto k1 = run_tool({"inspect", "--control", a.control.to_string(), "--json",
                      "--kill", "topic:" + need},
                     dir);
  REQUIRE_MESSAGE(k1.exit_code == 0, k1.err);
  CHECK(restarts_of(k1.out, "topic:" + need) == 1);
  CHECK(restarts_of(k1.out, "topic:" + propose) == 0);
  publish(2);
  CHECK_MESSAGE(sub_need.read_line(15s), sub_need.stderr_text());

  // Kill the NATS bridge: the root restarts it and the metrics reporter
  // after it (rest_for_one; the reporter is the last child), nothing
  // before it; the bus keeps delivering.
  auto k2 = run_tool({"inspect", "--control", a.control.to_string(), "--json",
                      "--kill", "nats"},
                     dir);
  REQUIRE_MESSAGE(k2.exit_code == 0, k2.err);
  CHECK(restarts_of(k2.out, "nats") == 1);
  CHECK(restarts_of(k2.out, "bus") == 0);
  CHECK(restarts_of(k2.out, "control") == 0);
  CHECK(restarts_of(k2.out, "metrics") == 1);
  publish(3);
  CHECK_MESSAGE(sub_need.read_line(15s), sub_need.stderr_text());

  // Kill the metrics reporter: only it restarts (it only reads the
  // others).
  auto km = run_tool({"inspect", "--control", a.control.to_string(), "--json",
                      "--kill", "metrics"},
                     dir);
  REQUIRE_MESSAGE(km.exit_code == 0, km.err);
  CHECK(restarts_of(km.out, "metrics") == 2);
  CHECK(restarts_of(km.out, "nats") == 1);
  CHECK(restarts_of(km.out, "swarm") == 0);
  CHECK(restarts_of(km.out, "pubsub") == 0);
  CHECK(sub_need.wait(10s) == std::optional<int>{0});

  // Kill A's connection to B: the swarm redials B (a restart of that
  // peer), and B's envelopes reach A across the new connection.
  auto stats_a = [&] {
    auto r = run_tool({"stats", "--control", a.control.to_string()}, dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return r.out;
  };
  auto peer_b = "peer:" + b.b.id;
  auto actor_before = field_of(doc, peer_b, "actor_id");
  auto k3 = run_tool({"inspect", "--control", a.control.to_string(), "--json",
                      "--kill", peer_b},
                     dir);
  REQUIRE_MESSAGE(k3.exit_code == 0, k3.err);
  std::string obj;
  until = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto r = run_tool({"inspect", "--control", a.control.to_string(), "--json"},
                      dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    doc = r.out;
    obj = node_json(doc, peer_b);
    if ((obj.find("\"state\":\"running\"") != obj.npos
         && obj.find("\"restarts\":1") != obj.npos)
        || std::chrono::steady_clock::now() > until)
      break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(doc);
  CHECK(obj.find("\"state\":\"running\"") != obj.npos);
  CHECK(restarts_of(doc, peer_b) == 1);
  CHECK(obj.find(" outbound ") != obj.npos);
  CHECK(obj.find("1 connection death") != obj.npos);
  CHECK(field_of(doc, peer_b, "actor_id") != actor_before); // A new actor.
  CHECK(restarts_of(doc, "peer:" + c.b.id) == 0);
  CHECK(restarts_of(doc, "peer:" + d.b.id) == 0);
  CHECK(restarts_of(doc, "swarm") == 0); // The swarm itself lives on.
  auto tree = run_tool({"inspect", "--control", a.control.to_string()}, dir);
  REQUIRE(tree.exit_code == 0);
  CHECK(tree.out.find(peer_b + " (peer-connection) running, 1 restart")
        != std::string::npos);

  // B's subscriptions view of A is rebuilt on the new connection.
  std::this_thread::sleep_for(1s);
  auto p2p_before = p2p_received(stats_a());
  auto proposal = run_tool({"publish", "--control", b.control.to_string(),
                            "--key", key, "--thread", thread, "--kind",
                            "PROPOSE", "--lamport", "4"},
                           dir);
  REQUIRE_MESSAGE(proposal.exit_code == 0, proposal.err);
  auto line = sub_propose.read_line(15s);
  REQUIRE_MESSAGE(line, sub_propose.stderr_text());
  CHECK(line->find("\"kind\":\"PROPOSE\"") != std::string::npos);
  // Over P2P, i.e. across the redialled connection: B has no other peer.
  CHECK(p2p_received(stats_a()) > p2p_before);
  auto b_peers = run_tool({"peers", "--control", b.control.to_string()}, dir);
  REQUIRE(b_peers.exit_code == 0);
  CHECK(b_peers.out.starts_with(a.b.id + " "));
  CHECK(std::count(b_peers.out.begin(), b_peers.out.end(), '\n') == 1);

  // Bad kill targets get a specific error.
  auto bad = run_tool({"inspect", "--control", a.control.to_string(), "--kill",
                       "no-such-actor"},
                      dir);
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("no running component \"no-such-actor\"")
        != std::string::npos);
  auto worse = run_tool({"inspect", "--control", a.control.to_string(),
                         "--kill", "Bad Name!"},
                        dir);
  CHECK(worse.exit_code != 0);
  CHECK(worse.err.find("expected a component name") != std::string::npos);
  auto not_peer = run_tool({"inspect", "--control", a.control.to_string(),
                            "--kill", "peer:not-a-peer-id"},
                           dir);
  CHECK(not_peer.exit_code != 0);
  CHECK(not_peer.err.find("not a peer id") != std::string::npos);
  auto agent = run_tool({"peer-id", "--key-file", key}, dir);
  REQUIRE(agent.exit_code == 0);
  auto stranger = agent.out.substr(0, agent.out.find_first_of("\r\n"));
  auto unknown = run_tool({"inspect", "--control", a.control.to_string(),
                           "--kill", "peer:" + stranger},
                          dir);
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.err.find("not connected to " + stranger) != std::string::npos);
  CHECK(unknown.err.find("CANSWARM_INSPECT: CANSWARM_INSPECT")
        == std::string::npos);
}
