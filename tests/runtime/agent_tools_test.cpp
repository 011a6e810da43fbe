// The agent tools against real nodes: three `canswarm node` processes on
// loopback (2 and 3 dial 1), `canswarm subscribe` on node 3 and `canswarm
// publish` on node 2; plus the tools' refusals and `canswarm peers`.

#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>

#include "agent_node.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "node_harness.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

using node_proc = test::agent_node;

/// Runs `canswarm <args>` to completion.
test::run_result run_tool(std::vector<std::string> args,
                          const std::string& dir) {
  return test::run({test::canswarm_binary(), std::move(args), {}, false, dir},
                   20s);
}

/// The value of "field":"..." in a JSON line ("" if absent).
std::string json_field(const std::string& line, const std::string& field) {
  std::smatch m;
  std::regex re{"\"" + field + "\":\"((?:[^\"\\\\]|\\\\.)*)\""};
  return std::regex_search(line, m, re) ? m[1].str() : "";
}

/// The value of "field":<number> in a JSON line ("" if absent).
std::string json_number(const std::string& line, const std::string& field) {
  std::smatch m;
  std::regex re{"\"" + field + "\":([0-9]+)"};
  return std::regex_search(line, m, re) ? m[1].str() : "";
}

} // namespace

TEST_CASE("five envelopes published through node 2 reach `canswarm "
          "subscribe` on node 3 via node 1, verified, each printed once") {
  node_proc n1;
  node_proc n2{{{"P2P_BOOTSTRAP_NODES", n1.tcp_addr()}}};
  node_proc n3{{{"P2P_BOOTSTRAP_NODES", n1.tcp_addr()}}};
  REQUIRE(n1.await_peers(2) == 2);

  test::temp_dir work;
  auto key = work.file("agent.key");
  auto kg = run_tool({"keygen", "--key-file", key}, work.path().string());
  REQUIRE_MESSAGE(kg.exit_code == 0, kg.err);

  // `canswarm peers` on node 1 lists both dialers with an address.
  auto peers = run_tool({"peers", "--control", n1.control.to_string()},
                        work.path().string());
  REQUIRE_MESSAGE(peers.exit_code == 0, peers.err);
  auto peer_lines = test::split_lines(peers.out);
  REQUIRE(peer_lines.size() == 2);
  for (auto* n : {&n2, &n3}) {
    auto hit = std::find_if(peer_lines.begin(), peer_lines.end(), [&](auto& l) {
      return l.starts_with(n->b.id
                           + " /ip4/127.0.0.1"
                             "/tcp/");
    });
    CHECK_MESSAGE(hit != peer_lines.end(), peers.out);
  }

  const std::string thread = "demo thread/1";
  auto need = *envelope::p2p_topic(thread, envelope::kind::need);
  auto propose = *envelope::p2p_topic(thread, envelope::kind::propose);

  // Node 1 relays: gossipsub forwards only on topics a node joined, and
  // nodes 2 and 3 are connected through node 1 alone.
  std::vector<runtime::subscription> relay;
  for (auto& topic : {need, propose}) {
    auto sub = n1.client().subscribe(topic);
    REQUIRE_MESSAGE(sub, (sub ? "" : sub.error().message));
    relay.push_back(std::move(*sub));
  }

  // The subscriber: every verb of the thread on node 3.
  test::child_process sub{
    {test::canswarm_binary(),
     {"subscribe", "--control", n3.control.to_string(), "--thread", thread,
      "--count", "5", "--timeout", "60"},
     {},
     false,
     work.path().string()}};
  for (auto& topic : {need, propose}) {
    REQUIRE_MESSAGE(n1.await_topic_peer(topic, n3.b.id), sub.stderr_text());
    REQUIRE(n2.await_topic_peer(topic, n1.b.id));
  }
  // One control connection per verb; the line comes once all 15 are
  // confirmed (the two above may be confirmed before the rest).
  const std::string all_subscribed = "subscribed to 15 topics of thread "
                                     "\"demo thread/1\"";
  auto until = std::chrono::steady_clock::now() + 15s;
  while (sub.stderr_text().find(all_subscribed) == std::string::npos
         && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  CHECK_MESSAGE(sub.stderr_text().find(all_subscribed) != std::string::npos,
                sub.stderr_text());
  // A few heartbeats (200 ms) for node 1's mesh to graft node 3.
  std::this_thread::sleep_for(1s);

  std::vector<std::string> published;
  const char* kinds[] = {"NEED", "PROPOSE", "need", "Propose", "NEED"};
  for (int i = 0; i < 5; ++i) {
    auto r = run_tool({"publish", "--control", n2.control.to_string(), "--key",
                       key, "--thread", thread, "--kind", kinds[i], "--lamport",
                       std::to_string(i + 1), "--payload",
                       "{\"step\":" + std::to_string(i) + "}"},
                      work.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto lines = test::split_lines(r.out);
    REQUIRE(lines.size() == 1);
    auto id = json_field(lines[0], "id");
    CHECK(std::regex_match(id, std::regex{"[0-9a-f]{32}"}));
    CHECK(json_field(lines[0], "thread") == thread);
    CHECK(json_field(lines[0], "topic") == (i % 2 == 0 ? need : propose));
    CHECK(json_field(lines[0], "kind") == (i % 2 == 0 ? "NEED" : "PROPOSE"));
    published.push_back(id);
  }

  std::vector<std::string> received;
  std::set<std::string> senders;
  for (int i = 0; i < 5; ++i) {
    auto line = sub.read_line(20s);
    REQUIRE_MESSAGE(line, sub.stderr_text());
    auto id = json_field(*line, "id");
    auto at = std::find(published.begin(), published.end(), id);
    REQUIRE_MESSAGE(at != published.end(), *line);
    auto n = at - published.begin();
    CHECK(json_field(*line, "thread") == thread);
    CHECK(json_field(*line, "kind") == (n % 2 == 0 ? "NEED" : "PROPOSE"));
    CHECK(json_number(*line, "lamport") == std::to_string(n + 1));
    CHECK(json_field(*line, "payload")
          == "{\\\"step\\\":" + std::to_string(n) + "}");
    CHECK(!json_number(*line, "ts_ns").empty());
    senders.insert(json_field(*line, "sender"));
    received.push_back(id);
  }
  CHECK(sub.wait(10s) == 0);
  CHECK(sub.read_rest(1s).empty());
  std::sort(published.begin(), published.end());
  std::sort(received.begin(), received.end());
  CHECK(received == published);
  REQUIRE(senders.size() == 1);
  CHECK(std::regex_match(*senders.begin(), std::regex{"[0-9a-f]{64}"}));
}

TEST_CASE("publish refuses a bad kind, a zero Lamport time and a missing "
          "key with exit 2 and the reason; subscribe times out with exit "
          "1") {
  test::temp_dir work;
  auto dir = work.path().string();
  auto key = work.file("agent.key");
  REQUIRE(run_tool({"keygen", "--key-file", key}, dir).exit_code == 0);
  // Nothing listens here: the refusals come before any connection.
  auto control = "/ip4/127.0.0.1/tcp/" + std::to_string(test::free_tcp_port());
  std::vector<std::string> base{"publish", "--control", control,
                                "--key",   key,         "--thread",
                                "t1",      "--payload", "{}"};

  auto args = base;
  args.insert(args.end(), {"--kind", "SHOUT"});
  auto bad_kind = run_tool(args, dir);
  CHECK(bad_kind.exit_code == 2);
  CHECK_MESSAGE(bad_kind.err.find("SHOUT") != std::string::npos, bad_kind.err);
  CHECK(bad_kind.out.empty());

  args = base;
  args.insert(args.end(), {"--kind", "NEED", "--lamport", "0"});
  auto zero = run_tool(args, dir);
  CHECK(zero.exit_code == 2);
  CHECK_MESSAGE(zero.err.find("refused by the policy gate (zero_lamport)")
                  != std::string::npos,
                zero.err);
  CHECK(zero.out.empty());

  auto no_key = run_tool({"publish", "--control", control, "--thread", "t1",
                          "--kind", "NEED", "--payload", "{}"},
                         dir);
  CHECK(no_key.exit_code == 2);
  CHECK_MESSAGE(no_key.err.find("--key") != std::string::npos, no_key.err);

  // A reachable node, no publisher: --count is not reached in time.
  node_proc n;
  auto sub = run_tool({"subscribe", "--control", n.control.to_string(),
                       "--thread", "t1", "--kind", "NEED", "--count", "1",
                       "--timeout", "1"},
                      dir);
  CHECK(sub.exit_code == 1);
  CHECK_MESSAGE(sub.err.find("timed out after 0 of 1") != std::string::npos,
                sub.err);
  CHECK(sub.out.empty());
}

TEST_CASE("the agent tools are documented in --help") {
  test::temp_dir work;
  auto top = run_tool({"--help"}, work.path().string());
  CHECK(top.exit_code == 0);
  for (auto* cmd : {"publish", "subscribe", "peers"}) {
    CHECK(top.out.find(std::string{"  "} + cmd) != std::string::npos);
    auto h = run_tool({cmd, "--help"}, work.path().string());
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("--control ADDR") != std::string::npos);
  }
}
