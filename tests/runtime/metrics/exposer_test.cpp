#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "canswarm/metrics/exposer.hpp"
#include "canswarm/metrics/series.hpp"
#include "scrape.hpp"

using namespace canswarm;
using namespace canswarm::metrics;

TEST_CASE("port 0 binds a free loopback port without a warning") {
  node_metrics m;
  std::vector<std::string> warnings;
  exposer_config cfg;
  cfg.bind_address = "127.0.0.1:0";
  cfg.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto e = exposer::start(cfg, m);
  REQUIRE_MESSAGE(e, e.error().describe());
  CHECK((*e)->port() != 0);
  CHECK((*e)->host() == "127.0.0.1");
  CHECK((*e)->url()
        == "http://127.0.0.1:" + std::to_string((*e)->port()) + "/metrics");
  CHECK_FALSE((*e)->warning());
  CHECK(warnings.empty());
  auto res = test::http_get((*e)->port(), "/metrics");
  CHECK(res.status == 200);
  CHECK(res.body.find(series::connected_peers) != std::string::npos);
  CHECK(test::http_get((*e)->port(), "/other").status == 404);
}

TEST_CASE("a non-loopback bind warns through the callback and the accessor") {
  node_metrics m;
  std::vector<std::string> warnings;
  exposer_config cfg;
  cfg.bind_address = "0.0.0.0:0";
  cfg.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto e = exposer::start(cfg, m);
  REQUIRE_MESSAGE(e, e.error().describe());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("not a loopback address") != std::string::npos);
  REQUIRE((*e)->warning());
  CHECK(*(*e)->warning() == warnings[0]);
  m.set_connected_peers(4);
  auto body = test::http_get((*e)->port(), "/metrics").body;
  CHECK(test::parse_exposition(body).value(series::connected_peers) == 4);
}

TEST_CASE("binding a port in use fails with an io error") {
  node_metrics m;
  exposer_config cfg;
  cfg.bind_address = "127.0.0.1:0";
  auto first = exposer::start(cfg, m);
  REQUIRE(first);
  cfg.bind_address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = exposer::start(cfg, m);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::io);
  CHECK(second.error().message.find(cfg.bind_address) != std::string::npos);
}

TEST_CASE("a malformed address fails before binding and without a warning") {
  node_metrics m;
  int calls = 0;
  exposer_config cfg;
  cfg.bind_address = "9464";
  cfg.on_warning = [&](const std::string&) { ++calls; };
  auto e = exposer::start(cfg, m);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == errc::invalid_argument);
  CHECK(calls == 0);
}

TEST_CASE("an IPv6 address that civetweb cannot bind names the cause") {
  node_metrics m;
  exposer_config cfg;
  cfg.bind_address = "[::1]:0";
  auto e = exposer::start(cfg, m);
  if (e) {
    // A civetweb built with IPv6 binds it: then it must serve too.
    CHECK((*e)->port() != 0);
  } else {
    CHECK(e.error().code == errc::io);
    CHECK(e.error().message.find("IPv6") != std::string::npos);
  }
}

TEST_CASE("a scrape still works after the metrics object is destroyed") {
  auto m = std::make_unique<node_metrics>();
  exposer_config cfg;
  cfg.bind_address = "127.0.0.1:0";
  auto e = exposer::start(cfg, *m);
  REQUIRE(e);
  m.reset(); // the exposer holds only a weak reference to the registry
  auto res = test::http_get((*e)->port(), "/metrics");
  CHECK(res.status == 200);
  CHECK(res.body.find(series::connected_peers) == std::string::npos);
}
