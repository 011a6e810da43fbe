#pragma once

// One router under test with hand-driven peers: RPCs are fed in directly
// and every frame the router emits is decoded per destination.

#include <unordered_map>
#include <vector>

#include <doctest/doctest.h>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/router.hpp"
#include "canswarm/gossipsub/signing.hpp"
#include "canswarm/varint/varint.hpp"
#include "test_util.hpp"

namespace gossipsub_test {

namespace gs = canswarm::gossipsub;
using namespace std::chrono_literals;

/// A router plus helpers to talk to it as its peers.
struct harness {
  explicit harness(gs::config cfg = {})
      : r(*gs::router::make(std::move(cfg), key_from_seed(200), 42, 0, now)) {}

  /// Adds a peer whose key has seed `seed`.
  canswarm::peer_id add(std::uint8_t seed,
                        gs::protocol p = gs::protocol::meshsub_v11,
                        bool outbound = false, std::string ip = {}) {
    auto id = peer_of(key_from_seed(seed));
    REQUIRE(r.add_peer(id, p, outbound, std::move(ip), now));
    return id;
  }

  /// Feeds `rpc` from `peer`.
  canswarm::result<void> feed(const canswarm::peer_id& peer,
                              const gs::rpc& rpc) {
    return r.handle_rpc(peer, gs::encode_rpc(rpc), now);
  }

  /// Makes `peer` subscribe to `topic`.
  void subscribe(const canswarm::peer_id& peer, const std::string& topic) {
    gs::rpc rpc;
    rpc.subscriptions.push_back({true, topic});
    REQUIRE(feed(peer, rpc));
  }

  /// Feeds a control message from `peer`.
  canswarm::result<void> control(const canswarm::peer_id& peer,
                                 gs::control_message c) {
    gs::rpc rpc;
    rpc.control = std::move(c);
    return feed(peer, rpc);
  }

  /// Decodes everything the router sends, per destination.
  std::unordered_map<canswarm::peer_id, std::vector<gs::rpc>> drain() {
    std::unordered_map<canswarm::peer_id, std::vector<gs::rpc>> out;
    while (auto t = r.poll_transmit()) {
      auto f = canswarm::varint::read_frame(t->frame, t->frame.size());
      REQUIRE(f.st == canswarm::varint::status::ok);
      REQUIRE(f.size == t->frame.size());
      auto rpc = gs::decode_rpc(f.body, r.cfg().max_transmit_size);
      REQUIRE(rpc);
      out[t->peer].push_back(std::move(*rpc));
    }
    return out;
  }

  /// Returns all pending events.
  std::vector<gs::event> events() {
    std::vector<gs::event> out;
    while (auto e = r.poll_event())
      out.push_back(std::move(*e));
    return out;
  }

  /// Advances time and runs what is due.
  void advance(canswarm::duration d) {
    now += d;
    r.handle_timeout(now);
  }

  canswarm::time_point now{};
  gs::router r;
};

/// Counts the messages / control entries in decoded RPCs.
inline std::size_t count_messages(const std::vector<gs::rpc>& rpcs) {
  std::size_t n = 0;
  for (const auto& r : rpcs)
    n += r.publish.size();
  return n;
}

/// Returns all PRUNEs in decoded RPCs.
inline std::vector<gs::control_prune>
prunes_in(const std::vector<gs::rpc>& rpcs) {
  std::vector<gs::control_prune> out;
  for (const auto& r : rpcs)
    if (r.control)
      out.insert(out.end(), r.control->prune.begin(), r.control->prune.end());
  return out;
}

/// Returns the number of input_rejected events with `reason`.
inline std::size_t rejected_events(const std::vector<gs::event>& events,
                                   gs::reject_reason reason) {
  std::size_t n = 0;
  for (const auto& e : events)
    if (auto* r = std::get_if<gs::input_rejected>(&e); r && r->reason == reason)
      ++n;
  return n;
}

} // namespace gossipsub_test
