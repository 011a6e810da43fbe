// The inspector's kill targets and tree rendering (inspect.hpp).

#include <doctest/doctest.h>

#include <string>

#include "canswarm/control/inspect.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

using namespace canswarm;
using namespace canswarm::control;

namespace {

/// Parses `text`; the target or the error text.
std::pair<kill_target, std::string> parse(const std::string& text,
                                          bool expect_ok) {
  kill_target t;
  std::string error;
  auto ok = parse_kill_target(text, t, error);
  CHECK_MESSAGE(ok == expect_ok, text, ": ", error);
  return {t, error};
}

} // namespace

TEST_CASE("kill targets name a component, a topic or a peer") {
  auto [child, e1] = parse("nats", true);
  CHECK(child.what == kill_target::kind::root_child);
  CHECK(child.name == "nats");
  auto [topic, e2] = parse("topic:/swarm/thread/x/need", true);
  CHECK(topic.what == kill_target::kind::topic);
  CHECK(topic.name == "/swarm/thread/x/need");
  auto id = peer_id::from_public_key(
              identity::private_key::generate_ed25519().public_key())
              .to_string();
  auto [peer, e3] = parse("peer:" + id, true);
  CHECK(peer.what == kill_target::kind::peer);
  CHECK(peer.name == id);
}

TEST_CASE("bad kill targets say what is expected") {
  CHECK(parse("peer:", false).second.find("names no peer")
        != std::string::npos);
  CHECK(parse("peer:not-a-peer-id", false).second.find("not a peer id")
        != std::string::npos);
  CHECK(parse("topic:", false).second.find("names no topic")
        != std::string::npos);
  auto bad = parse("Bad Name!", false).second;
  CHECK(bad.find("expected a component name") != std::string::npos);
  CHECK(bad.find("peer:<peer id>") != std::string::npos);
  CHECK(parse("", false).second.find("peer:<peer id>") != std::string::npos);
}

TEST_CASE("a peer connection's state and restarts show in text and JSON") {
  inspect_node root{"root", "supervisor", "running", 0, 1, "", {}};
  inspect_node swarm{"swarm", "swarm", "running", 0, 2, "1 connection", {}};
  swarm.children.push_back(inspect_node{"peer:12D3KooWabc",
                                        "peer-connection",
                                        "running",
                                        1,
                                        42,
                                        "connection #3 outbound",
                                        {}});
  swarm.children.push_back(inspect_node{"peer:12D3KooWdef",
                                        "peer-connection",
                                        "restarting",
                                        2,
                                        0,
                                        "no connection",
                                        {}});
  root.children.push_back(swarm);
  auto text = inspect_text(root);
  CHECK(text.find("    |-- peer:12D3KooWabc (peer-connection) running, 1 "
                  "restart, #42: connection #3 outbound\n")
        != std::string::npos);
  CHECK(text.find("`-- peer:12D3KooWdef (peer-connection) restarting, 2 "
                  "restarts: no connection\n")
        != std::string::npos);
  auto json = inspect_json(root);
  CHECK(json.find("{\"name\":\"peer:12D3KooWabc\",\"role\":\"peer-"
                  "connection\",\"state\":\"running\",\"restarts\":1,"
                  "\"actor_id\":42,")
        != std::string::npos);
  CHECK(json.find("\"state\":\"restarting\",\"restarts\":2,\"actor_id\":0")
        != std::string::npos);
}

TEST_CASE("a known mailbox size shows in text and JSON, an unknown one as "
          "null") {
  inspect_node root{"root", "supervisor", "running", 0, 1, "3 children", {}};
  root.mailbox = 0;
  inspect_node bus{"bus", "envelope-bus", "running", 0, 7, "mode p2p", {}};
  bus.mailbox = 12;
  root.children.push_back(bus);
  root.children.push_back(
    inspect_node{"topic:t", "topic-mesh", "running", 0, 9, "", {}});
  auto text = inspect_text(root);
  CHECK(text.find("root (supervisor) running, 0 restarts, #1, mailbox 0: 3 "
                  "children\n")
        != std::string::npos);
  CHECK(text.find("bus (envelope-bus) running, 0 restarts, #7, mailbox 12: "
                  "mode p2p\n")
        != std::string::npos);
  CHECK(text.find("topic:t (topic-mesh) running, 0 restarts, #9\n")
        != std::string::npos);
  auto json = inspect_json(root);
  CHECK(json.find("\"summary\":\"mode p2p\",\"mailbox\":12,")
        != std::string::npos);
  CHECK(json.find("\"name\":\"topic:t\",\"role\":\"topic-mesh\",\"state\":"
                  "\"running\",\"restarts\":0,\"actor_id\":9,\"summary\":\"\","
                  "\"mailbox\":null,")
        != std::string::npos);
}
