#pragma once

// The node's metrics: one object per node, shared by every actor that
// reports something. Each method updates one series of series.hpp; callers
// never see prometheus-cpp. All methods are thread-safe (CAF runs actors on
// a thread pool) and cheap: a mutex-protected hash lookup of the label value
// plus an atomic update (unlabelled series skip the mutex).
//
// Cardinality: label values that may come from remote input (topics,
// reasons, protocol ids, peer ids) pass through the caps of limits.hpp.
// Beyond a cap, counters count under the value "other"; gauges of a topic
// beyond the cap are not recorded (a single topic="other" gauge would mix
// unrelated topics and mislead alerts). Every refused value increments
// canswarm_metrics_label_overflows_total{label}.
//
// Creating one: `auto m = std::make_shared<metrics::node_metrics>();` in the
// node, handed to each actor's spawn function (actors keep the shared_ptr in
// their state); metrics::exposer serves it over HTTP.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace canswarm::metrics {

/// Which side opened a connection, or which way bytes or envelopes flowed.
enum class direction { inbound, outbound };

/// Returns "inbound" or "outbound" (the `direction` label value).
std::string_view to_string(direction dir);

namespace detail {
struct registry_access;
} // namespace detail

/// The node's metric series with a typed, thread-safe update API.
class node_metrics {
public:
  /// Creates every series family (empty until first updated).
  node_metrics();
  ~node_metrics();
  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  // Event methods take a count `n` (default 1) so a reporter that polls
  // cumulative counters can add the difference since its last poll.

  // -- libp2p swarm ----------------------------------------------------------

  /// A connection finished its upgrade (security + muxer).
  void connection_opened(direction dir);

  /// A connection closed; `reason` is a short word ("eof", "reset",
  /// "idle_timeout", "protocol_error", ...).
  void connection_closed(direction dir, std::string_view reason);

  /// A connection upgrade failed ("noise_decrypt", "no_common_muxer", ...).
  void handshake_failed(std::string_view reason);

  /// `n` application bytes arrived on a stream of `protocol`.
  void bytes_in(std::string_view protocol, std::uint64_t n);

  /// `n` application bytes were sent on a stream of `protocol`.
  void bytes_out(std::string_view protocol, std::uint64_t n);

  /// Sets the number of peers with at least one open connection.
  void set_connected_peers(std::size_t n);

  // -- gossipsub -------------------------------------------------------------

  /// A message on `topic` was delivered to the local application.
  void message_delivered(std::string_view topic, std::uint64_t n = 1);

  /// A message on `topic` arrived again (already seen).
  void message_duplicated(std::string_view topic, std::uint64_t n = 1);

  /// A message failed validation for `reason`.
  void message_rejected(std::string_view reason, std::uint64_t n = 1);

  /// Records one publish-to-deliver latency. Returns false (and records
  /// nothing) for a negative or non-finite value, e.g. clock skew.
  bool observe_publish_to_deliver_latency(double seconds);

  /// Sets the propagation ratio of `topic`, clamped to [0, 1]. Returns false
  /// for NaN or a topic beyond the cap (nothing recorded).
  bool set_propagation_rate(std::string_view topic, double ratio);

  /// Sets the mesh size of `topic`. Returns false for a topic beyond the cap.
  bool set_mesh_size(std::string_view topic, std::size_t n);

  /// Removes the per-topic gauges after unsubscribing (counters stay).
  void topic_unsubscribed(std::string_view topic);

  /// Sets the score of `peer` (its peer id text); see peer_score_table.hpp
  /// for which peers get their own series. Returns false for a non-finite
  /// score, an over-long id or the reserved id "other".
  bool set_peer_score(std::string_view peer, double score);

  /// Forgets the score of a disconnected peer.
  void forget_peer(std::string_view peer);

  // -- CAN Swarm bus and node ------------------------------------------------

  /// Marks `mode` as the current bus transport (1) and every other mode
  /// seen so far as 0.
  void set_bus_mode(std::string_view mode);

  /// The bus switched transports.
  void failover(std::string_view from, std::string_view to,
                std::uint64_t n = 1);

  /// The supervisor restarted `component`.
  void supervisor_restart(std::string_view component, std::uint64_t n = 1);

  /// An envelope was published on `transport`.
  void envelopes_published(std::string_view transport, std::uint64_t n = 1);

  /// An envelope was received on `transport`.
  void envelopes_received(std::string_view transport, std::uint64_t n = 1);

  /// An envelope was dropped as a duplicate.
  void dedup_hit(std::uint64_t n = 1);

  /// The policy gate refused an envelope for `reason`.
  void gate_rejected(std::string_view reason, std::uint64_t n = 1);

  // -- export ----------------------------------------------------------------

  /// Returns every series in the Prometheus text exposition format 0.0.4
  /// (what /metrics serves).
  std::string render_text() const;

private:
  friend struct detail::registry_access;
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace canswarm::metrics
