#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "canswarm/metrics/series.hpp"

using namespace canswarm::metrics;

namespace {

std::string read(const std::string& relative) {
  std::ifstream in{std::string{CANSWARM_DEPLOY_DIR} + "/" + relative};
  REQUIRE_MESSAGE(in.good(), "cannot open deploy/" << relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool mentions(const std::string& text, std::string_view name) {
  return text.find(name) != std::string::npos;
}

} // namespace

TEST_CASE("the dashboard has a panel query for every exported series") {
  auto dashboard = read("grafana/canswarm-dashboard.json");
  for (const auto& info : all_series) {
    CAPTURE(info.name);
    CHECK(mentions(dashboard, info.name));
  }
  // The guide's thresholds are drawn on the panels.
  CHECK(mentions(dashboard, "histogram_quantile(0.99"));
  CHECK(mentions(dashboard, "histogram_quantile(0.5"));
}

TEST_CASE("the alert rules use the series and the guide's thresholds") {
  auto alerts = read("prometheus/canswarm-alerts.yml");
  CHECK(mentions(alerts, std::string{series::connected_peers} + " < 3"));
  CHECK(mentions(alerts, "histogram_quantile(0.99"));
  CHECK(mentions(alerts, std::string{series::publish_to_deliver} + "_bucket"));
  CHECK(mentions(alerts, "> 0.1"));
  CHECK(mentions(alerts, std::string{series::propagation_ratio} + " < 0.95"));
  CHECK(mentions(alerts, series::connections_opened));
  CHECK(mentions(alerts, series::connections_closed));
  CHECK(mentions(alerts, series::bus_failovers));
  CHECK(mentions(alerts, series::supervisor_restarts));
  CHECK(mentions(alerts, "for: 5m"));
}

TEST_CASE("the scrape example targets the default metrics port") {
  auto prom = read("prometheus/prometheus.yml");
  CHECK(mentions(prom, "9464"));
  CHECK(mentions(prom, "canswarm-alerts.yml"));
}
