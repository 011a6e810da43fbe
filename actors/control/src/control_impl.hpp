#pragma once

// Internals of the control API shared by its source files: the state of
// each broker and the bridge functions that move bytes between a socket and
// a libp2p stream.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <caf/io/broker.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "canswarm/control/bridge_flow.hpp"
#include "canswarm/control/interfaces.hpp"
#include "canswarm/control/server.hpp"
#include "canswarm/control/subscription_flow.hpp"
#include "canswarm/p2pd/frame_reader.hpp"

namespace canswarm::control::detail {

inline constexpr std::string_view component = "control";

// -- bridging
// ------------------------------------------------------------------

/// One libp2p stream bridged to a socket of the broker that owns this state.
struct bridge_state {
  /// The socket (invalid while an inbound bridge is still dialing).
  caf::io::connection_handle hdl;
  /// Whether bytes flow (the socket exists and the stream is known).
  bool active = false;
  /// Whether socket reads are currently halted (backpressure).
  bool halted = false;
  /// Whether the remote closed and the socket gets a FIN once idle.
  bool fin_pending = false;
  /// The stream, once known.
  std::optional<stream_ref> ref;
  bridge_flow flow;
  /// Stream bytes that arrived before the bridge was active.
  std::vector<bytes> early;
  /// For log lines, e.g. "/echo/1.0.0 stream 3 of 12D3KooW...".
  std::string label;
};

/// Records a stream message addressed to the bridge; returns false when it
/// is for another stream (it is then ignored).
bool bridge_accepts(const bridge_state& b, const stream_key& key);

/// Starts moving bytes: the socket and the stream are both known. Writes
/// early stream bytes, enables reading.
void bridge_activate(caf::io::broker* self, bridge_state& b);

/// Hands socket bytes to the muxer (reads pause on backpressure).
void bridge_on_socket_data(caf::io::broker* self, bridge_state& b,
                           std::vector<char>& buf);

/// Hands raw bytes (e.g. buffered after the STREAM_OPEN request) to the
/// muxer.
void bridge_write(caf::io::broker* self, bridge_state& b, bytes data);

/// Writes stream bytes to the socket (or keeps them until active).
void bridge_on_stream_data(caf::io::broker* self, bridge_state& b,
                           stream_data& msg);

/// The socket transferred bytes: grants credit for the stream bytes.
void bridge_on_transferred(caf::io::broker* self, bridge_state& b,
                           const caf::io::data_transferred_msg& msg);

/// The remote closed its side: FIN to the socket once everything is
/// written; reading from the socket goes on.
void bridge_on_stream_closed(caf::io::broker* self, bridge_state& b);

/// The stream is gone: close the socket and terminate.
void bridge_on_stream_reset(caf::io::broker* self, bridge_state& b,
                            const std::string& reason);

/// The socket closed: close the stream for writing, drain the remote.
void bridge_on_socket_closed(caf::io::broker* self, bridge_state& b);

/// Resets the stream (if known), closes the socket and terminates.
void bridge_abort(caf::io::broker* self, bridge_state& b,
                  const std::string& reason);

/// Terminates the broker once the bridge has nothing left to do.
void bridge_maybe_finish(caf::io::broker* self, bridge_state& b);

// -- control connections ----------------------------------------------------

/// What every control connection needs, handed over by the server.
struct connection_context {
  caf::actor server;
  swarm_actor swarm;
  control_router_actor router;
  peer_id self;
  caf::timespan connection_timeout{};
  std::uint64_t number = 0; ///< For log lines.
  /// Null: the node runs without pub/sub.
  std::shared_ptr<pubsub_locator> pubsub;
  /// Null: no envelope gate (CANSWARM_STATS reports "envelopes": null).
  std::shared_ptr<ingress_gate> gate;
  /// Null: thread topics go straight to pub/sub.
  std::shared_ptr<bus_locator> bus;
  /// The root supervisor (CANSWARM_INSPECT; null: no inspector).
  std::shared_ptr<actor_locator<supervisor_actor>> root;
  /// The control API is bound to loopback or a unix socket (kill allowed).
  bool local_only = false;
};

/// A control connection after SUBSCRIBE.
struct subscription_state {
  /// The topic (empty until the pub/sub actor confirmed the subscription).
  std::string topic;
  /// The pub/sub actor holding the subscription (or the bus, for a thread
  /// topic).
  pubsub_actor service;
  bus_actor bus;
  subscription_flow flow;
  /// Whether bytes from the client were discarded (logged once).
  bool discarded_input = false;
};

/// Where a control connection is.
enum class phase {
  requests, ///< Reading requests.
  busy, ///< Waiting for the swarm's answer to a request.
  streaming, ///< After STREAM_OPEN: the connection is a stream.
  subscribed, ///< After SUBSCRIBE: the connection carries PSMessages.
  closing, ///< An error was answered; waiting for the client to close.
};

/// State of a control connection broker.
struct connection_state {
  static inline const char* name = "control-connection";

  /// Not an aggregate: CAF would construct it from the actor pointer.
  connection_state() = default;

  connection_context ctx;
  caf::io::connection_handle hdl;
  p2pd::frame_reader reader;
  phase at = phase::requests;
  std::size_t requests = 0;
  /// Whether socket reads are halted because a busy request has more than
  /// max_busy_buffered bytes of later input waiting behind it.
  bool read_halted = false;
  bridge_state bridge;
  subscription_state sub;
};

using connection_ptr = caf::io::stateful_broker<connection_state>*;

/// Behaviour of a forked control connection.
caf::behavior control_connection(connection_ptr self,
                                 caf::io::connection_handle hdl,
                                 connection_context ctx);

/// Input kept while a request is busy before socket reads are halted
/// (pipelined requests, or stream bytes a client sends right after its
/// STREAM_OPEN).
inline constexpr std::size_t max_busy_buffered = 64 * 1024;

/// Enters the busy phase: no more requests are answered until the answer.
/// Reading goes on into the frame reader up to max_busy_buffered.
void go_busy(connection_ptr self);

/// Resumes socket reads if they were halted.
void resume_reading(connection_ptr self);

/// Answers one decoded request (may go busy and answer later).
void handle_request(connection_ptr self, p2pd::request& req);

/// Writes a response on the control connection.
void send_response(connection_ptr self, const p2pd::response& resp);

/// Answers CANSWARM_INSPECT (inspect.cpp).
void on_canswarm_inspect(connection_ptr self,
                         const std::optional<p2pd::inspect_request>& req);

/// Answers a request that finished asynchronously and reads the next one.
void finish_request(connection_ptr self, const p2pd::response& resp);

/// Answers with ERROR and closes the connection.
void fail_connection(connection_ptr self, const std::string& reason);

// -- pub/sub (pubsub.cpp) ---------------------------------------------------

/// Answers a PUBSUB request (SUBSCRIBE turns the connection into a
/// subscription on success).
void handle_pubsub(connection_ptr self, const p2pd::ps_request& req);

/// Writes a delivered message to a subscribed connection (or drops it when
/// the client does not read).
void on_pubsub_message(connection_ptr self, const pubsub_message& msg);

/// The socket of a subscribed connection transferred bytes.
void on_subscription_transferred(connection_ptr self,
                                 const caf::io::data_transferred_msg& msg);

/// Bytes from the client of a subscribed connection (discarded).
void on_subscription_input(connection_ptr self, std::size_t n);

/// The client closed a subscribed connection: unsubscribe and terminate.
void end_subscription(connection_ptr self);

/// An actor the connection monitors terminated (the pub/sub actor of a
/// subscription: close the connection).
void on_subscription_down(connection_ptr self, const caf::down_msg& msg);

// -- inbound streams ----------------------------------------------------------

/// One inbound stream handed to a bridge.
struct routed_stream {
  caf::actor bridge;
  caf::actor connection;
  stream_id id;
};

/// State of the stream router.
struct router_state {
  static inline const char* name = "control-router";

  /// Not an aggregate: CAF would construct it from the actor pointer.
  router_state() = default;

  swarm_actor swarm;
  /// Protocol -> the client listener its streams go to.
  std::map<std::string, multiaddr> routes;
  std::map<stream_key, routed_stream> streams;
  std::set<stream_key> dialing;
};

/// Behaviour of the stream router.
control_router_actor::behavior_type
router(control_router_actor::stateful_pointer<router_state> self,
       swarm_actor swarm);

/// State of an inbound bridge broker.
struct inbound_state {
  static inline const char* name = "control-bridge";

  inbound_state() = default;
  inbound_state(const inbound_state&) = delete;
  inbound_state& operator=(const inbound_state&) = delete;
  ~inbound_state();

  bridge_state bridge;
  control_router_actor router;
  stream_key key;
  multiaddr target;
  std::optional<multiaddr> remote_addr; ///< For the StreamInfo.
  int fd = -1; ///< Connected socket waiting for remote_addr.
};

using inbound_ptr = caf::io::stateful_broker<inbound_state>*;

/// Behaviour of the bridge of one inbound stream: dials `target`, writes
/// the StreamInfo, then bridges.
caf::behavior inbound_bridge(inbound_ptr self, stream_ref ref, multiaddr target,
                             swarm_actor swarm, control_router_actor router);

} // namespace canswarm::control::detail
