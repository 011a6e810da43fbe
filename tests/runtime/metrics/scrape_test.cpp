#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/metrics/exposer.hpp"
#include "canswarm/metrics/limits.hpp"
#include "canswarm/metrics/node_metrics.hpp"
#include "canswarm/metrics/series.hpp"
#include "scrape.hpp"

using namespace canswarm;
using namespace canswarm::metrics;
using test::exposition;

namespace {

/// A node_metrics served on a free loopback port.
struct served {
  node_metrics metrics;
  std::unique_ptr<exposer> server;

  served() {
    exposer_config cfg;
    cfg.bind_address = "127.0.0.1:0";
    auto started = exposer::start(cfg, metrics);
    REQUIRE_MESSAGE(started, started.error().describe());
    server = std::move(*started);
    REQUIRE(server->port() != 0);
  }

  exposition scrape() {
    auto res = test::http_get(server->port(), metrics_path);
    REQUIRE(res.status == 200);
    CHECK(res.headers["content-type"].find("text/plain") != std::string::npos);
    return test::parse_exposition(res.body);
  }
};

using labels = std::map<std::string, std::string>;

} // namespace

TEST_CASE("every series is served with the values and labels set") {
  served s;
  auto& m = s.metrics;
  m.connection_opened(direction::inbound);
  m.connection_opened(direction::outbound);
  m.connection_opened(direction::outbound);
  m.connection_closed(direction::outbound, "idle_timeout");
  m.handshake_failed("noise_decrypt");
  m.handshake_failed("noise_decrypt");
  m.bytes_in("/meshsub/1.1.0", 1000);
  m.bytes_out("/meshsub/1.1.0", 250);
  m.bytes_out("/ipfs/id/1.0.0", 7);
  m.set_connected_peers(5);
  m.message_delivered("tasks");
  m.message_delivered("tasks");
  m.message_duplicated("tasks");
  m.message_rejected("invalid_signature");
  CHECK(m.observe_publish_to_deliver_latency(0.02));
  CHECK(m.set_propagation_rate("tasks", 0.97));
  CHECK(m.set_mesh_size("tasks", 6));
  CHECK(m.set_peer_score("12D3KooWA", 12.5));
  CHECK(m.set_peer_score("12D3KooWB", -3));
  m.set_bus_mode("p2p");
  m.failover("p2p", "nats");
  m.set_bus_mode("nats");
  m.supervisor_restart("transport");
  m.envelopes_published("nats");
  m.envelopes_received("p2p");
  m.envelopes_received("p2p");
  m.dedup_hit();
  m.gate_rejected("replay");

  auto e = s.scrape();
  for (const auto& info : all_series) {
    CAPTURE(info.name);
    CHECK(e.types[std::string{info.name}] == to_string(info.type));
    CHECK(e.helps[std::string{info.name}] == info.help);
  }
  CHECK(e.value(series::connected_peers) == 5);
  CHECK(e.value(series::connections_opened, {{"direction", "inbound"}}) == 1);
  CHECK(e.value(series::connections_opened, {{"direction", "outbound"}}) == 2);
  CHECK(e.value(series::connections_closed,
                {{"direction", "outbound"}, {"reason", "idle_timeout"}})
        == 1);
  CHECK(e.value(series::handshake_failures, {{"reason", "noise_decrypt"}})
        == 2);
  CHECK(e.value(series::bytes,
                {{"direction", "inbound"}, {"protocol", "/meshsub/1.1.0"}})
        == 1000);
  CHECK(e.value(series::bytes,
                {{"direction", "outbound"}, {"protocol", "/meshsub/1.1.0"}})
        == 250);
  CHECK(e.value(series::bytes,
                {{"direction", "outbound"}, {"protocol", "/ipfs/id/1.0.0"}})
        == 7);
  CHECK(e.value(series::messages_delivered, {{"topic", "tasks"}}) == 2);
  CHECK(e.value(series::messages_duplicated, {{"topic", "tasks"}}) == 1);
  CHECK(e.value(series::messages_rejected, {{"reason", "invalid_signature"}})
        == 1);
  auto hist = std::string{series::publish_to_deliver};
  CHECK(e.value(hist + "_count") == 1);
  CHECK(e.value(hist + "_sum") == doctest::Approx(0.02));
  CHECK(e.value(series::propagation_ratio, {{"topic", "tasks"}})
        == doctest::Approx(0.97));
  CHECK(e.value(series::mesh_peers, {{"topic", "tasks"}}) == 6);
  CHECK(e.value(series::peer_score, {{"peer", "12D3KooWA"}}) == 12.5);
  CHECK(e.value(series::peer_score, {{"peer", "12D3KooWB"}}) == -3);
  CHECK_FALSE(e.value(series::peer_score, {{"peer", "other"}}));
  CHECK(e.value(series::bus_mode, {{"mode", "nats"}}) == 1);
  CHECK(e.value(series::bus_mode, {{"mode", "p2p"}}) == 0);
  CHECK(e.value(series::bus_failovers, {{"from", "p2p"}, {"to", "nats"}}) == 1);
  CHECK(e.value(series::supervisor_restarts, {{"component", "transport"}})
        == 1);
  CHECK(e.value(series::envelopes,
                {{"direction", "outbound"}, {"transport", "nats"}})
        == 1);
  CHECK(
    e.value(series::envelopes, {{"direction", "inbound"}, {"transport", "p2p"}})
    == 2);
  CHECK(e.value(series::dedup_hits) == 1);
  CHECK(e.value(series::gate_rejections, {{"reason", "replay"}}) == 1);
  CHECK(e.value(series::label_overflows, {{"label", "topic"}}) == 0);
}

TEST_CASE("publish-to-deliver observations move the histogram buckets") {
  served s;
  auto& m = s.metrics;
  auto bucket = [](const exposition& e, std::string le) {
    return e.value(std::string{series::publish_to_deliver} + "_bucket",
                   {{"le", le}});
  };
  auto before = s.scrape();
  CHECK(bucket(before, "0.1") == 0);
  CHECK(bucket(before, "+Inf") == 0);

  CHECK(m.observe_publish_to_deliver_latency(0.00005)); // below 0.1 ms
  CHECK(m.observe_publish_to_deliver_latency(0.05));
  CHECK(m.observe_publish_to_deliver_latency(0.2)); // over the 100 ms line
  CHECK(m.observe_publish_to_deliver_latency(20)); // only +Inf
  CHECK_FALSE(m.observe_publish_to_deliver_latency(-0.001)); // clock skew
  CHECK_FALSE(m.observe_publish_to_deliver_latency(std::nan("")));

  auto e = s.scrape();
  CHECK(bucket(e, "0.0001") == 1);
  CHECK(bucket(e, "0.05") == 2);
  CHECK(bucket(e, "0.1") == 2);
  CHECK(bucket(e, "0.25") == 3);
  CHECK(bucket(e, "10") == 3);
  CHECK(bucket(e, "+Inf") == 4);
  CHECK(e.count(std::string{series::publish_to_deliver} + "_bucket")
        == latency_buckets_seconds.size() + 1);
  CHECK(e.value(std::string{series::publish_to_deliver} + "_count") == 4);
  CHECK(e.value(std::string{series::publish_to_deliver} + "_sum")
        == doctest::Approx(20.25005));
}

TEST_CASE("10000 peers leave at most 100 peer series plus other") {
  served s;
  auto& m = s.metrics;
  constexpr int peers = 10000;
  for (int i = 0; i < peers; ++i)
    REQUIRE(m.set_peer_score("peer-" + std::to_string(i), i));
  auto e = s.scrape();
  CHECK(e.count(series::peer_score) == max_peer_score_labels + 1);
  // Tracked: the 100 most recent peers with their own score.
  CHECK(e.value(series::peer_score, {{"peer", "peer-9999"}}) == 9999);
  CHECK(e.value(series::peer_score, {{"peer", "peer-9900"}}) == 9900);
  CHECK_FALSE(e.value(series::peer_score, {{"peer", "peer-9899"}}));
  // Aggregated: the next max_scored_peers - 100 peers (5904..9899), averaged.
  auto first = peers - static_cast<int>(max_scored_peers);
  auto last = peers - static_cast<int>(max_peer_score_labels) - 1;
  CHECK(e.value(series::peer_score, {{"peer", "other"}})
        == doctest::Approx((first + last) / 2.0));
  CHECK(e.value(series::label_overflows, {{"label", "peer"}})
        == peers - max_peer_score_labels);

  // A forgotten peer's slot goes to the newest aggregated peer.
  m.forget_peer("peer-9950");
  e = s.scrape();
  CHECK_FALSE(e.value(series::peer_score, {{"peer", "peer-9950"}}));
  CHECK(e.value(series::peer_score, {{"peer", "peer-9899"}}) == 9899);
  CHECK(e.count(series::peer_score) == max_peer_score_labels + 1);

  CHECK_FALSE(m.set_peer_score("other", 1)); // reserved label value
  CHECK_FALSE(m.set_peer_score("p", std::numeric_limits<double>::infinity()));
}

TEST_CASE("topics and reasons beyond their caps count under other") {
  served s;
  auto& m = s.metrics;
  constexpr int topics = 10000;
  for (int i = 0; i < topics; ++i) {
    m.message_delivered("topic-" + std::to_string(i));
    m.gate_rejected("reason-" + std::to_string(i));
  }
  // Gauges of a topic beyond the cap are not recorded.
  CHECK(m.set_mesh_size("topic-0", 3));
  CHECK_FALSE(m.set_mesh_size("topic-9999", 3));
  CHECK_FALSE(m.set_propagation_rate("topic-9999", 1));
  auto e = s.scrape();
  CHECK(e.count(series::messages_delivered) == max_topic_labels + 1);
  CHECK(e.value(series::messages_delivered, {{"topic", "topic-0"}}) == 1);
  CHECK(e.value(series::messages_delivered, {{"topic", "other"}})
        == topics - max_topic_labels);
  CHECK(e.count(series::gate_rejections) == max_reason_labels + 1);
  CHECK(e.value(series::gate_rejections, {{"reason", "other"}})
        == topics - max_reason_labels);
  CHECK(e.count(series::mesh_peers) == 1);
  CHECK(e.count(series::propagation_ratio) == 0);
  CHECK(e.value(series::label_overflows, {{"label", "topic"}})
        == topics - max_topic_labels + 2);
  CHECK(e.value(series::label_overflows, {{"label", "gate_reason"}})
        == topics - max_reason_labels);
}

TEST_CASE("remote label values reach the scrape sanitised") {
  served s;
  auto& m = s.metrics;
  m.message_rejected("bad\"quote\nnewline\\");
  m.message_rejected("");
  m.message_rejected(std::string(max_label_value_size + 1, 'x'));
  auto e = s.scrape(); // parses: nothing broke the text format
  CHECK(e.value(series::messages_rejected, {{"reason", "bad\"quote_newline\\"}})
        == 1);
  CHECK(e.value(series::messages_rejected, {{"reason", "unknown"}}) == 1);
  CHECK(e.value(series::messages_rejected, {{"reason", "other"}}) == 1);
}

TEST_CASE("unsubscribing removes a topic's gauges and keeps its counters") {
  served s;
  auto& m = s.metrics;
  m.message_delivered("tasks");
  m.set_mesh_size("tasks", 4);
  m.set_propagation_rate("tasks", 1.5); // clamped
  auto e = s.scrape();
  CHECK(e.value(series::propagation_ratio, {{"topic", "tasks"}}) == 1);
  m.topic_unsubscribed("tasks");
  e = s.scrape();
  CHECK(e.count(series::mesh_peers) == 0);
  CHECK(e.count(series::propagation_ratio) == 0);
  CHECK(e.value(series::messages_delivered, {{"topic", "tasks"}}) == 1);
  CHECK(m.set_mesh_size("tasks", 2)); // resubscribing brings it back
  CHECK(s.scrape().value(series::mesh_peers, {{"topic", "tasks"}}) == 2);
}

TEST_CASE("updates from many threads are all counted") {
  served s;
  auto& m = s.metrics;
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&m, t] {
      for (int i = 0; i < per_thread; ++i) {
        m.message_delivered(i % 2 == 0 ? "a" : "b");
        m.bytes_in("/meshsub/1.1.0", 3);
        m.set_peer_score("p" + std::to_string((t * per_thread + i) % 300), i);
        m.dedup_hit();
      }
    });
  for (auto& w : workers)
    w.join();
  auto e = s.scrape();
  CHECK(e.value(series::messages_delivered, {{"topic", "a"}})
        == threads * per_thread / 2);
  CHECK(e.value(series::bytes,
                {{"direction", "inbound"}, {"protocol", "/meshsub/1.1.0"}})
        == threads * per_thread * 3);
  CHECK(e.value(series::dedup_hits) == threads * per_thread);
  CHECK(e.count(series::peer_score) == max_peer_score_labels + 1);
}
