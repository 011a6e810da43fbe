#include "canswarm/config/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

using namespace canswarm::config;
namespace fs = std::filesystem;

namespace {

fs::path config_dir() {
  const char* root = std::getenv("CANSWARM_SOURCE_DIR");
  REQUIRE_MESSAGE(root != nullptr, "CANSWARM_SOURCE_DIR is not set");
  return fs::path{root} / "config";
}

/// Loads one example with no environment, as a fresh shell would.
loaded load_example(const std::string& name) {
  load_options options;
  options.env_file = (config_dir() / name).string();
  auto result = load(options);
  REQUIRE_MESSAGE(result.ok(),
                  name << ": " << (result ? "" : result.error().message));
  CHECK_MESSAGE(result->warnings.empty(), name);
  return *result;
}

const origin& origin_of(const loaded& config, std::string_view name) {
  auto it = std::find_if(config.origins.begin(), config.origins.end(),
                         [&](const origin& o) { return o.name == name; });
  REQUIRE(it != config.origins.end());
  return *it;
}

} // namespace

TEST_CASE("every example env file in config/ validates without warnings") {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator{config_dir()})
    if (entry.path().extension() == ".env")
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names
        == std::vector<std::string>{"bootstrap-node.env", "mode1-p2p-only.env",
                                    "mode2-p2p-primary-nats-fallback.env",
                                    "mode3-nats-primary-p2p-fallback.env",
                                    "scenario1-single-region-dev.env",
                                    "scenario2-multi-region-production.env",
                                    "scenario3-behind-firewall.env"});
  for (const auto& name : names) {
    CAPTURE(name);
    auto config = load_example(name);
    // Every example sets the operating mode explicitly.
    CHECK(origin_of(config, "P2P_ENABLED").from == source::env_file);
    CHECK(origin_of(config, "P2P_PRIMARY").from == source::env_file);
  }
}

TEST_CASE("the operating-mode examples select the guide's three modes") {
  auto mode1 = load_example("mode1-p2p-only.env").values;
  CHECK(mode1.p2p_enabled);
  CHECK(mode1.p2p_primary);
  CHECK_FALSE(mode1.nats_fallback);
  auto mode2 = load_example("mode2-p2p-primary-nats-fallback.env").values;
  CHECK(mode2.p2p_primary);
  CHECK(mode2.nats_fallback);
  CHECK(mode2.nats_urls
        == std::vector<std::string>{"nats://nats.example.com:4222"});
  auto mode3 = load_example("mode3-nats-primary-p2p-fallback.env").values;
  CHECK(mode3.p2p_enabled);
  CHECK_FALSE(mode3.p2p_primary);
}

TEST_CASE("the scenario examples match the guide's deployment scenarios") {
  auto dev = load_example("scenario1-single-region-dev.env").values;
  CHECK(dev.mdns_enabled);
  CHECK_FALSE(dev.dht_enabled);
  CHECK(dev.bootstrap_nodes.empty());
  CHECK(dev.level == log_level::debug);
  CHECK(dev.format == log_format::text);
  auto prod = load_example("scenario2-multi-region-production.env").values;
  CHECK_FALSE(prod.mdns_enabled);
  CHECK(prod.dht_enabled);
  CHECK(prod.nats_fallback);
  CHECK(prod.format == log_format::json); // for the log shipper
  CHECK(prod.bootstrap_nodes.size() == 3);
  for (const auto& addr : prod.bootstrap_nodes)
    CHECK(addr.value_of("p2p").has_value());
  auto firewall = load_example("scenario3-behind-firewall.env").values;
  CHECK(firewall.circuit_relay_enabled);
  REQUIRE(firewall.bootstrap_nodes.size() == 1);
  CHECK(firewall.bootstrap_nodes[0].value_of("dns4") == "relay.example.com");
  auto boot = load_example("bootstrap-node.env").values;
  CHECK(boot.bootstrap_nodes.empty());
  CHECK(boot.announce_addrs.size() == 1);
  CHECK(boot.dht_enabled);
}
