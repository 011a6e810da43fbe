#pragma once

// A `canswarm node` for process tests that publish and subscribe through
// the control API (agent tools, metrics): pub/sub-ready settings and the
// polling helpers those tests share.

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "canswarm/identity/peer_id.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "node_harness.hpp"

namespace canswarm::test {

using namespace std::chrono_literals;

/// Pub/sub-ready settings for the agent-tools nodes (`extra` overrides).
inline std::map<std::string, std::string>
agent_node_env(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> env{{"P2P_MDNS_ENABLED", "false"},
                                         {"LOG_LEVEL", "INFO"},
                                         {"GOSSIPSUB_HEARTBEAT_INTERVAL",
                                          "0.2"}};
  for (auto& [k, v] : extra)
    env[k] = v;
  return env;
}

/// A running node ready for pub/sub (no mDNS, 200 ms heartbeat) with a
/// client of its control API.
struct agent_node : control_node {
  explicit agent_node(std::map<std::string, std::string> extra = {})
      : control_node(agent_node_env(std::move(extra))) {}

  runtime::control_client client() {
    auto c = runtime::control_client::connect(control);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    return std::move(*c);
  }

  /// Peer ids LIST_PEERS (PUBSUB) shows on `topic`.
  std::set<std::string> topic_peers(const std::string& topic) {
    auto ids = client().list_topic_peers(topic);
    REQUIRE_MESSAGE(ids, (ids ? "" : ids.error().message));
    std::set<std::string> out;
    for (auto& id : *ids)
      out.insert(peer_id::from_bytes(id)->to_string());
    return out;
  }

  /// Polls until `peer` is on `topic` (or 15 s pass).
  bool await_topic_peer(const std::string& topic, const std::string& peer) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (topic_peers(topic).contains(peer))
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  /// Polls LIST_PEERS until it has `n` entries (or 10 s pass).
  std::size_t await_peers(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      auto xs = client().list_peers();
      REQUIRE(xs);
      if (xs->size() == n || std::chrono::steady_clock::now() > deadline)
        return xs->size();
      std::this_thread::sleep_for(50ms);
    }
  }

  std::string tcp_addr() const {
    return b.addrs.at(0);
  }
};

} // namespace canswarm::test
