// Internal to the envelope bus (bus.cpp, bus_send.cpp): its state, and the
// sending side that bus.cpp calls into.

#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "canswarm/bus/bus.hpp"
#include "canswarm/envelope/lamport_clock.hpp"
#include "canswarm/envelope/replay_cache.hpp"
#include "canswarm/log/log.hpp"

namespace canswarm::bus_detail {

inline constexpr std::string_view bus_component = "bus";

/// Wall-clock time in nanoseconds since the epoch (envelope timestamps).
std::uint64_t unix_ns();

/// One local subscription.
struct bus_sub {
  std::string subject; ///< As given (may be a wildcard).
  envelope_handler_actor handler;
};

/// An envelope sent recently, for a re-send on failover.
struct sent_entry {
  std::chrono::steady_clock::time_point at;
  std::string topic;
  std::string subject;
  bus_transport via;
  std::shared_ptr<const bytes> wire;
  bytes id;
};

using steady = std::chrono::steady_clock;

/// One publish on its way: answered by every transport it was sent on;
/// when none of them took it, it is held for a later attempt.
struct attempt {
  sent_entry entry;
  std::size_t pending = 0;
  bool reached = false;
};

using attempt_ptr = std::shared_ptr<attempt>;

struct bus_state {
  static inline const char* name = "bus";
  bus_config cfg;
  bool p2p = false; ///< P2P enabled.
  bool nats = false; ///< NATS enabled.
  pubsub_actor pubsub;
  nats_bridge_actor bridge;
  std::unique_ptr<envelope::gate_enforcer> preflight;
  envelope::lamport_clock clock;
  /// P2P topic -> local subscriptions.
  std::map<std::string, std::vector<bus_sub>> subs;
  /// P2P topic -> subscribers by topic (the control API).
  std::map<std::string, std::vector<pubsub_subscriber_actor>> topic_subs;
  std::size_t subscriptions = 0;
  /// NATS subjects the bridge delivers to us (it has no unsubscribe: a
  /// subject stays until the bridge restarts).
  std::set<std::string> nats_subjects;
  /// Envelope ids seen (published or received), for exactly-once delivery.
  envelope::replay_cache seen{default_bus_dedup_window,
                              default_bus_dedup_capacity};
  /// Sent on the primary within replay_window (oldest first).
  std::deque<sent_entry> recent;
  /// Publishes no transport took (oldest first), tried again when one is
  /// healthy; at most max_bus_held, each for at most max_bus_hold_time.
  std::deque<sent_entry> held;
  /// Health of each transport as the bus last saw it.
  bool p2p_healthy = true;
  nats::link_state nats_link = nats::link_state::connecting;
  bool nats_probe_pending = false;
  /// Publishes go to both transports until then (after a recovery).
  steady::time_point overlap_until{};
  bus_transport active = bus_transport::p2p;
  bus_stats stats;

  ~bus_state() {
    // Their publishers were answered OK: say they are lost, not silently.
    if (!held.empty())
      log::warning(bus_component,
                   "stopping with {} publishes no transport took: they are "
                   "lost",
                   held.size());
  }
};

using bus_self = bus_actor::stateful_pointer<bus_state>;

// -- sending (bus_send.cpp) ---------------------------------------------------

bool healthy(bus_self self, bus_transport t);
bus_transport other(bus_transport t);
/// Sends a new envelope where the mode and health say.
void route(bus_self self, sent_entry e);
/// Tries the held publishes again.
void retry_held(bus_self self);
void set_p2p_health(bus_self self, bool ok, const std::string& why);
void set_nats_link(bus_self self, nats::link_state s, const std::string& why);
/// NATS came back: the held publishes need not wait for the next tick.
void on_nats_connected(bus_self self);

} // namespace canswarm::bus_detail
