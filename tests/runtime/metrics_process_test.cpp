// Issue #8: the Prometheus series of the pub/sub service, the bus, the gate
// and the supervisor move with real traffic between two `canswarm node`
// processes (scraped over HTTP from /metrics, parsed as text format 0.0.4).

#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "agent_node.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/envelope/topic.hpp"
#include "metrics/scrape.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

/// A node whose metrics endpoint listens on a free loopback port.
struct metrics_node : test::agent_node {
  std::uint16_t port;

  explicit metrics_node(std::uint16_t metrics_port,
                        std::map<std::string, std::string> extra = {})
      : agent_node(with_metrics(metrics_port, std::move(extra))),
        port(metrics_port) {}

  static std::map<std::string, std::string>
  with_metrics(std::uint16_t port, std::map<std::string, std::string> env) {
    env["P2P_METRICS_ADDR"] = "127.0.0.1:" + std::to_string(port);
    return env;
  }

  metrics::test::exposition scrape() {
    auto res = metrics::test::http_get(port, "/metrics");
    REQUIRE(res.status == 200);
    return metrics::test::parse_exposition(res.body);
  }

  /// The value of a sample (0 when absent).
  double value(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
    return scrape().value(name, labels).value_or(0);
  }

  /// Polls until `pred` holds for the sample's value (or 15 s pass);
  /// returns the last value.
  double await(const std::string& name,
               const std::map<std::string, std::string>& labels,
               const std::function<bool(double)>& pred) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    auto v = value(name, labels);
    while (!pred(v) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(100ms);
      v = value(name, labels);
    }
    return v;
  }
};

test::run_result run_tool(std::vector<std::string> args,
                          const std::string& dir) {
  return test::run({test::canswarm_binary(), std::move(args), {}, false, dir},
                   20s);
}

} // namespace

TEST_CASE("metrics: delivered, envelopes, latency, mesh, scores, "
          "propagation, gate rejections and restarts (topic actor, peer "
          "connection) move with real traffic") {
  metrics_node a{test::free_tcp_port()};
  metrics_node b{test::free_tcp_port(),
                 {{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  REQUIRE(a.await_peers(1) == 1);
  const std::string thread = "metrics thread";
  auto topic = *envelope::p2p_topic(thread, envelope::kind::need);
  auto sub_a = a.client().subscribe(topic);
  REQUIRE_MESSAGE(sub_a, (sub_a ? "" : sub_a.error().message));
  auto sub_b = b.client().subscribe(topic);
  REQUIRE_MESSAGE(sub_b, (sub_b ? "" : sub_b.error().message));
  REQUIRE(a.await_topic_peer(topic, b.b.id));
  REQUIRE(b.await_topic_peer(topic, a.b.id));

  // Gauges: connected peers equals LIST_PEERS, the mesh of the topic has
  // the other node, the bus runs on P2P, the peer has a score series.
  const std::map<std::string, std::string> on_topic{{"topic", topic}};
  CHECK(a.await("libp2p_swarm_connected_peers", {}, [](double v) {
    return v == 1;
  }) == 1);
  CHECK(a.client().list_peers()->size() == 1);
  CHECK(a.await("libp2p_gossipsub_mesh_peers", on_topic, [](double v) {
    return v == 1;
  }) == 1);
  CHECK(a.await("canswarm_bus_mode", {{"mode", "p2p"}}, [](double v) {
    return v == 1;
  }) == 1);
  CHECK(a.scrape().value("libp2p_gossipsub_peer_score", {{"peer", b.b.id}}));

  auto delivered0 = a.value("libp2p_gossipsub_messages_delivered_total",
                            on_topic);
  auto inbound0 = a.value("canswarm_envelopes_total",
                          {{"direction", "inbound"}, {"transport", "p2p"}});
  auto latency0 = a.value("libp2p_gossipsub_publish_to_deliver_seconds_"
                          "count");

  test::temp_dir work;
  auto key = work.file("agent.key");
  auto kg = run_tool({"keygen", "--key-file", key}, work.path().string());
  REQUIRE_MESSAGE(kg.exit_code == 0, kg.err);
  auto publish = [&](int lamport, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"publish",
                                  "--control",
                                  b.control.to_string(),
                                  "--key",
                                  key,
                                  "--thread",
                                  thread,
                                  "--kind",
                                  "NEED",
                                  "--lamport",
                                  std::to_string(lamport),
                                  "--payload",
                                  "{}"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_tool(args, work.path().string());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  };
  constexpr int sent = 5;
  for (int i = 1; i <= sent; ++i)
    publish(i);

  // Counters rise by exactly the number sent, and stay there over further
  // polls of the reporter (1 s): differences are added once.
  auto delivered = a.await("libp2p_gossipsub_messages_delivered_total",
                           on_topic,
                           [&](double v) { return v >= delivered0 + sent; });
  CHECK(delivered == delivered0 + sent);
  std::this_thread::sleep_for(2500ms);
  auto after = a.scrape();
  CHECK(after.value("libp2p_gossipsub_messages_delivered_total", on_topic)
        == delivered0 + sent);
  CHECK(after.value("canswarm_envelopes_total",
                    {{"direction", "inbound"}, {"transport", "p2p"}})
        == inbound0 + sent);
  CHECK(after.value("libp2p_gossipsub_publish_to_deliver_seconds_count")
        == latency0 + sent);
  // Gossipsub's application bytes, both ways, under its protocol id.
  for (auto dir : {"inbound", "outbound"}) {
    double n = 0;
    for (auto& smp : after.samples)
      if (smp.name == "libp2p_swarm_bytes_total"
          && smp.labels["direction"] == dir
          && smp.labels["protocol"].rfind("/meshsub/", 0) == 0)
        n += smp.value;
    CHECK_MESSAGE(n > 0, dir);
  }
  auto pub = b.scrape();
  CHECK(pub.value("canswarm_envelopes_total",
                  {{"direction", "outbound"}, {"transport", "p2p"}})
        == sent);
  // Every publish reached the one topic peer it had.
  CHECK(pub.value("libp2p_gossipsub_propagation_ratio", on_topic) == 1.0);

  // A forged envelope: refused by the gate on A, counted by reason, not
  // delivered.
  publish(sent + 1, {"--forge", "signature"});
  CHECK(a.await("canswarm_gate_rejections_total", {{"reason", "bad_signature"}},
                [](double v) { return v >= 1; })
        == 1);
  CHECK(a.await("libp2p_gossipsub_messages_rejected_total",
                {{"reason", "validator_rejected"}},
                [](double v) { return v >= 1; })
        == 1);
  CHECK(a.value("libp2p_gossipsub_messages_delivered_total", on_topic)
        == delivered0 + sent);

  // A topic actor killed through the inspector: one supervisor restart.
  auto kill = run_tool({"inspect", "--control", a.control.to_string(), "--kill",
                        "topic:" + topic},
                       work.path().string());
  REQUIRE_MESSAGE(kill.exit_code == 0, kill.err);
  CHECK(a.await("canswarm_supervisor_restarts_total",
                {{"component", "pubsub_topic"}},
                [](double v) { return v >= 1; })
        == 1);
  publish(sent + 2);
  CHECK(a.await("libp2p_gossipsub_messages_delivered_total", on_topic,
                [&](double v) { return v >= delivered0 + sent + 1; })
        == delivered0 + sent + 1);

  // B dialled A: B's connection actor killed through the inspector is
  // redialled, one "peer_connection" restart on B, and delivery continues.
  auto kill_peer = run_tool({"inspect", "--control", b.control.to_string(),
                             "--kill", "peer:" + a.b.id},
                            work.path().string());
  REQUIRE_MESSAGE(kill_peer.exit_code == 0, kill_peer.err);
  CHECK(b.await("canswarm_supervisor_restarts_total",
                {{"component", "peer_connection"}},
                [](double v) { return v >= 1; })
        == 1);
  REQUIRE(b.await_topic_peer(topic, a.b.id));
  REQUIRE(a.await_topic_peer(topic, b.b.id));
  publish(sent + 3);
  CHECK(a.await("libp2p_gossipsub_messages_delivered_total", on_topic,
                [&](double v) { return v >= delivered0 + sent + 2; })
        == delivered0 + sent + 2);
  CHECK(a.await("libp2p_swarm_connected_peers", {}, [](double v) {
    return v == 1;
  }) == 1);

  // The reporter itself killed: its restart is counted once, it finds the
  // live connection again, and the counters neither reset nor double.
  auto kill_reporter = run_tool({"inspect", "--control", a.control.to_string(),
                                 "--kill", "metrics"},
                                work.path().string());
  REQUIRE_MESSAGE(kill_reporter.exit_code == 0, kill_reporter.err);
  CHECK(a.await("canswarm_supervisor_restarts_total",
                {{"component", "metrics"}}, [](double v) { return v >= 1; })
        == 1);
  CHECK(a.await("libp2p_swarm_connected_peers", {}, [](double v) {
    return v == 1;
  }) == 1);
  std::this_thread::sleep_for(2500ms);
  CHECK(a.value("libp2p_gossipsub_messages_delivered_total", on_topic)
        == delivered0 + sent + 2);
  CHECK(a.value("canswarm_supervisor_restarts_total",
                {{"component", "pubsub_topic"}})
        == 1);
}
