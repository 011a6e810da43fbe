#pragma once

// Message types of the NATS bridge, each with a CAF `inspect` overload.
// Registered by add_nats_message_types().

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/nats/client.hpp"

namespace canswarm {

/// Transport tag of envelopes that arrived over NATS.
inline constexpr std::string_view nats_transport_tag = "nats";

/// An envelope that arrived over NATS and passed the gate.
struct nats_envelope {
  /// The envelope's canonical wire bytes (as received).
  bytes wire;
  /// Thread id and verb from the subject (the thread id equals the
  /// envelope's own).
  std::string thread_id;
  std::string verb;
  /// The subject it arrived on.
  std::string subject;
  /// Always "nats".
  std::string transport;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_envelope& x) {
  return f(caf::meta::type_name("nats_envelope"), x.wire, x.thread_id, x.verb,
           x.subject, x.transport);
}

/// A change of the bridge's NATS connection.
struct nats_connection_event {
  nats::link_state state = nats::link_state::connecting;
  /// nats.c's error text, if any (e.g. why it disconnected).
  std::string detail;
  /// Reconnects since the bridge started.
  std::uint64_t reconnects = 0;
};

template<class Inspector>
typename Inspector::result_type
inspect(Inspector& f, nats_connection_event& x) {
  return f(caf::meta::type_name("nats_connection_event"), x.state, x.detail,
           x.reconnects);
}

/// The answer to a publish.
struct nats_publish_receipt {
  /// JetStream: the stream sequence (0 for core NATS).
  std::uint64_t stream_seq = 0;
  /// JetStream: the server had this envelope id already (not stored again).
  bool duplicate = false;
  /// Core NATS: accepted while disconnected, into nats.c's reconnect buffer
  /// (sent on reconnect; lost if the connection closes first).
  bool buffered = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_publish_receipt& x) {
  return f(caf::meta::type_name("nats_publish_receipt"), x.stream_seq,
           x.duplicate, x.buffered);
}

/// The bridge's health, for the hybrid bus, the inspector and tests.
struct nats_health {
  nats::link_state state = nats::link_state::connecting;
  /// The last connection or publish error (empty if none).
  std::string last_error;
  /// Server we are connected to (empty if none).
  std::string url;
  bool jetstream = false;
  std::uint64_t published = 0; ///< Publishes acknowledged / accepted.
  std::uint64_t publish_errors = 0; ///< Publishes that failed.
  std::uint64_t refused = 0; ///< Publishes refused at max_in_flight.
  std::uint64_t received = 0; ///< Messages from NATS handled.
  std::uint64_t delivered = 0; ///< Envelopes forwarded to subscribers.
  std::uint64_t rejected = 0; ///< Envelopes the ingress check refused.
  std::uint64_t dropped = 0; ///< Messages dropped at max_backlog.
  std::uint64_t reconnects = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t in_flight = 0; ///< Publishes awaiting their outcome.
  std::uint64_t subscriptions = 0;
  /// Rejections by reason (gate reason names, plus "bad_subject" and
  /// "subject_mismatch").
  std::map<std::string, std::uint64_t> rejected_by_reason;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_health& x) {
  return f(caf::meta::type_name("nats_health"), x.state, x.last_error, x.url,
           x.jetstream, x.published, x.publish_errors, x.refused, x.received,
           x.delivered, x.rejected, x.dropped, x.reconnects, x.disconnects,
           x.in_flight, x.subscriptions, x.rejected_by_reason);
}

// -- internal: from nats.c threads to the bridge ------------------------------

/// A message of subscription `sub`. The nats.c message travels as a handle
/// and is not serialised (local only).
struct nats_inbound {
  std::uint64_t sub = 0;
  nats::message msg;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_inbound& x) {
  return f(caf::meta::type_name("nats_inbound"), x.sub);
}

/// nats.c reported a connection-state change.
struct nats_state_change {
  nats::link_state state = nats::link_state::connecting;
  std::string detail;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_state_change& x) {
  return f(caf::meta::type_name("nats_state_change"), x.state, x.detail);
}

/// The outcome of the asynchronous JetStream publish `seq`.
struct nats_ack_result {
  std::uint64_t seq = 0;
  bool ok = false;
  std::uint64_t stream_seq = 0;
  bool duplicate = false;
  /// On failure: the errc and message.
  std::uint8_t code = 0;
  std::string text;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, nats_ack_result& x) {
  return f(caf::meta::type_name("nats_ack_result"), x.seq, x.ok, x.stream_seq,
           x.duplicate, x.code, x.text);
}

// -- errors -------------------------------------------------------------------

namespace nats {

/// CAF error category of bridge failures: the code is the errc plus one
/// (CAF 0.17 reads code 0 as "no error"), the context the specific message.
inline constexpr caf::atom_value error_category = caf::atom("nats");

/// Wraps an error for a CAF response.
caf::error to_caf_error(const error& err);

/// Unwraps an error of `error_category`; other CAF errors become errc::io
/// (errc::timeout for a request timeout) with CAF's rendering.
error from_caf_error(caf::actor_system& sys, const caf::error& err);

} // namespace nats

/// Registers the bridge's message types, actor handles and error category.
/// To be merged into add_message_types().
void add_nats_message_types(caf::actor_system_config& cfg);

} // namespace canswarm
