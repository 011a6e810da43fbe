#pragma once

// The swarm: one per node, the network-wide registry of libp2p connections.
//
// - Connections: every peer_connection registers (inbound ones ask for
//   admission first); the swarm counts them against P2P_MAX_CONNECTIONS,
//   refusing (and counting) inbound connections beyond it, and keeps the
//   live ones by conn_id and peer_id.
// - Dials: each gets a request_id; at most max_concurrent_dials connect at
//   once (the rest wait in a bounded queue); a dial is answered with the
//   authenticated peer id, or an error naming what failed, at its deadline
//   at the latest.
// - Identify: our own record (public key, listen addresses, agent and
//   protocol version) goes to every connection; the remote records arrive
//   as identify_update and are kept per peer (at most max_peer_records).
// - Streams: application protocol handlers are registered here and pushed
//   to every connection; ping and open_stream requests are delegated to a
//   connection of the peer.
// - Events: subscribers receive connection_event on every up / down, and
//   a down event with an empty peer id for a connection that failed before
//   its upgrade finished.
// - Supervision: a connection actor that terminates without reporting its
//   close (connection_down) died abnormally: killed (kill_peer_atom, the
//   inspector's fault injection) or crashed. A normal close by either side
//   and an idle close are reported, so they are no death. For an upgraded
//   outbound connection the swarm redials the address it used, with the
//   peer id it authenticated, after redial_delay(1), then redial_delay(2)
//   ... for at most max_redial_attempts attempts; each death that starts
//   a redial is a restart of that peer, limited by a restart_policy
//   (max_peer_restarts within peer_restart_period, then the swarm gives the
//   peer up). Inbound connections are left to the remote to redial (it
//   knows where it dialled us; we only know its ephemeral source port).
//   Deaths and restarts are logged at INFO and counted per peer
//   (peer_conns_atom, shown by the inspector).
//
// Shutdown: on an exit message the swarm asks every connection to close and
// terminates; connections log their own close.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "canswarm/actors/listener.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/connection/core.hpp"
#include "canswarm/connection/interfaces.hpp"
#include "canswarm/connection/peer_connection.hpp"
#include "canswarm/identify/peer_record.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm {

/// Identify records kept: every connected peer plus the most recently
/// disconnected ones up to this many in total.
inline constexpr std::size_t max_peer_records = 1024;

/// Connection-event subscribers (logger, metrics, a few tools).
inline constexpr std::size_t max_subscribers = 64;

/// Application protocols with a registered handler.
inline constexpr std::size_t max_handlers = 128;

/// Peers with a disconnect request waiting for their connections to close.
inline constexpr std::size_t max_pending_disconnects = 1024;

/// Backoff before the first redial of a peer whose outbound connection died
/// (doubling with each failed attempt): quick enough that a crash costs
/// little, long enough not to hammer a peer that is going away.
inline constexpr caf::timespan redial_initial_backoff = std::chrono::
  milliseconds{100};

/// Longest backoff between two redial attempts.
inline constexpr caf::timespan redial_max_backoff = std::chrono::seconds{5};

/// Redial attempts after one death before the peer is given up (100 ms,
/// 200 ms, 400 ms, 800 ms, 1.6 s: about 3 s plus the dial times).
inline constexpr std::uint32_t max_redial_attempts = 5;

/// Restarts of one peer within peer_restart_period; one more death gives
/// the peer up (a connection that keeps crashing is not redialled forever).
inline constexpr std::size_t max_peer_restarts = 5;
inline constexpr caf::timespan peer_restart_period = std::chrono::seconds{60};

/// Peers whose connection deaths the swarm remembers (an entry of a peer
/// with no redial in progress is evicted first).
inline constexpr std::size_t max_supervised_peers = 1024;

/// Backoff before redial attempt `attempt` (1-based): redial_initial_backoff
/// doubled attempt - 1 times, at most redial_max_backoff.
caf::timespan redial_delay(std::uint32_t attempt);

/// The swarm instance the listener's factory hands inbound connections to
/// (updated by swarm_spawner on every (re)start; thread-safe).
class swarm_locator {
public:
  void set(swarm_actor swarm) {
    std::lock_guard<std::mutex> guard{mtx_};
    swarm_ = std::move(swarm);
  }

  swarm_actor get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return swarm_;
  }

private:
  mutable std::mutex mtx_;
  swarm_actor swarm_;
};

/// Configuration of the swarm.
struct swarm_config {
  /// Our identity key.
  std::shared_ptr<const identity::private_key> key;
  /// Application bytes per protocol on outbound connections (inbound ones
  /// get theirs from inbound_connection_factory); empty: not counted.
  stream_byte_counter count_bytes;
  /// P2P_MAX_CONNECTIONS: live connections (any direction, handshaking
  /// included) before inbound ones are refused and dials fail.
  std::size_t max_connections = 100;
  /// P2P_CONNECTION_TIMEOUT: connect + upgrade; also the default dial
  /// timeout.
  caf::timespan connection_timeout = std::chrono::seconds{30};
  /// Addresses announced in Identify (a trailing /p2p is dropped).
  std::vector<multiaddr> listen_addrs;
  /// Updated with each started instance (may be null).
  std::shared_ptr<swarm_locator> locator;
  /// P2P_SECURITY / P2P_MUXERS: upgrade protocols in preference order.
  std::vector<connection::security_kind>
    security = connection::default_security;
  std::vector<connection::muxer_kind> muxers = connection::default_muxers;

  /// Checks the key, the limit (1..100000), the timeout (> 0) and the
  /// preference lists (non-empty, no repeats).
  result<void> validate() const;
};

/// A connection known to the swarm.
struct swarm_connection {
  peer_connection_actor actor;
  peer_id peer; ///< Empty until the upgrade finished.
  multiaddr remote_addr;
  connection::direction dir = connection::direction::inbound;
  request_id dial; ///< The dial that created it (outbound), else 0.
  bool up = false;
};

/// What the swarm knows about one peer's connection deaths.
struct peer_supervision {
  /// Bounds the restarts (max_peer_restarts within peer_restart_period).
  supervision::restart_policy policy{
    supervision::policy_config{supervision::strategy::one_for_one,
                               max_peer_restarts, peer_restart_period}};
  multiaddr redial_addr; ///< Address of the dead outbound connection.
  std::uint32_t attempt = 0; ///< Redial attempt in progress (0: none).
  bool gave_up = false; ///< No (more) redials after the last death.
  std::uint64_t restarts = 0; ///< Redials started after a death.
  std::uint64_t deaths = 0; ///< Connection actors that died abnormally.
  std::string last_death; ///< Why the last one died.
};

/// A dial in progress.
struct pending_dial {
  caf::typed_response_promise<peer_id> rp;
  dial_request req;
  time_point deadline{};
  bool started = false;
  conn_id conn; ///< Set once the socket connected.
};

/// State of the swarm actor.
struct swarm_state {
  /// CAF actor name.
  static inline const char* name = "swarm";

  swarm_config cfg;
  peer_id self_id;
  std::vector<bytes> listen_addrs; ///< Binary, without /p2p.
  std::map<conn_id, swarm_connection> conns;
  std::uint64_t next_conn = 0;
  std::map<request_id, pending_dial> dials;
  std::deque<request_id> dial_queue;
  std::size_t active_dials = 0;
  std::uint64_t next_request = 0;
  std::map<std::string, stream_handler_actor> handlers;
  std::unordered_map<peer_id, identify::peer_record> records;
  std::deque<peer_id> record_order; ///< Insertion order, for eviction.
  std::vector<connection_event_actor> subscribers;
  std::map<peer_id, std::vector<caf::typed_response_promise<std::uint64_t>>>
    disconnects;
  std::map<peer_id, peer_supervision> supervised;
  std::uint64_t refused_inbound = 0;
  std::uint64_t dials_ok = 0;
  std::uint64_t dials_failed = 0;
  std::uint64_t deaths = 0; ///< Connection actors that died abnormally.
  std::uint64_t restarts = 0; ///< Peer redials started after a death.
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, swarm_state& x) {
  return f(caf::meta::type_name("swarm_state"), x.self_id, x.refused_inbound,
           x.dials_ok, x.dials_failed, x.active_dials, x.deaths, x.restarts);
}

/// The swarm's behaviour; `cfg` must be valid.
swarm_actor::behavior_type
swarm(swarm_actor::stateful_pointer<swarm_state> self, swarm_config cfg);

/// Validates `cfg` and spawns a swarm.
result<swarm_actor> spawn_swarm(caf::actor_system& sys, swarm_config cfg);

/// Returns a supervisor spawn function for the swarm (which must start
/// before the transport, so inbound connections find it).
spawn_function swarm_spawner(swarm_config cfg);

/// The listener's connection factory: forks every accepted connection into
/// a peer_connection that asks the swarm found through `locator` for
/// admission and must finish its upgrade within `connection_timeout`;
/// `write_stall` is its peer_connection_config::write_stall_limit,
/// `count_bytes` its byte counter.
connection_factory
inbound_connection_factory(std::shared_ptr<swarm_locator> locator,
                           std::shared_ptr<const identity::private_key> key,
                           caf::timespan connection_timeout,
                           duration write_stall = write_stall_limit,
                           stream_byte_counter count_bytes = {});

} // namespace canswarm
