#pragma once

// The catalogue of every series the node exports: name, type, label names
// and help text. Names follow the Prometheus/libp2p conventions: a
// `libp2p_<component>_` prefix for libp2p-level series (as rust-libp2p's
// libp2p-metrics does), `canswarm_` for this application's message bus,
// `_total` on counters and a base-unit suffix (`_seconds`, `_ratio`).
// node_metrics registers exactly these; the Grafana dashboard and the alert
// rules in deploy/ refer to them by these names (a test checks that).

#include <array>
#include <cstddef>
#include <string_view>

namespace canswarm::metrics {

/// The Prometheus metric type of a series.
enum class series_type { counter, gauge, histogram };

/// Returns "counter", "gauge" or "histogram" (as in `# TYPE` lines).
std::string_view to_string(series_type type);

/// One exported series family.
struct series_info {
  std::string_view name;
  series_type type;
  /// Label names, comma-separated, empty for none.
  std::string_view labels;
  std::string_view help;
};

namespace series {

// libp2p swarm (connections, transports, muxers, security).
inline constexpr std::string_view connected_peers = "libp2p_swarm_connected_"
                                                    "peers";
inline constexpr std::string_view connections_opened
  = "libp2p_swarm_connections_opened_total";
inline constexpr std::string_view connections_closed
  = "libp2p_swarm_connections_closed_total";
inline constexpr std::string_view handshake_failures = "libp2p_swarm_handshake_"
                                                       "failures_total";
inline constexpr std::string_view bytes = "libp2p_swarm_bytes_total";

// gossipsub router.
inline constexpr std::string_view messages_delivered
  = "libp2p_gossipsub_messages_delivered_total";
inline constexpr std::string_view messages_duplicated
  = "libp2p_gossipsub_messages_duplicated_total";
inline constexpr std::string_view messages_rejected = "libp2p_gossipsub_"
                                                      "messages_rejected_total";
inline constexpr std::string_view publish_to_deliver
  = "libp2p_gossipsub_publish_to_deliver_seconds";
inline constexpr std::string_view propagation_ratio = "libp2p_gossipsub_"
                                                      "propagation_ratio";
inline constexpr std::string_view mesh_peers = "libp2p_gossipsub_mesh_peers";
inline constexpr std::string_view peer_score = "libp2p_gossipsub_peer_score";

// CAN Swarm message bus and node.
inline constexpr std::string_view bus_mode = "canswarm_bus_mode";
inline constexpr std::string_view bus_failovers = "canswarm_bus_failovers_"
                                                  "total";
inline constexpr std::string_view supervisor_restarts = "canswarm_supervisor_"
                                                        "restarts_total";
inline constexpr std::string_view envelopes = "canswarm_envelopes_total";
inline constexpr std::string_view dedup_hits = "canswarm_bus_dedup_hits_total";
inline constexpr std::string_view gate_rejections = "canswarm_gate_rejections_"
                                                    "total";
inline constexpr std::string_view label_overflows = "canswarm_metrics_label_"
                                                    "overflows_total";

} // namespace series

/// Every exported family, in registration order.
inline constexpr std::array<series_info, 19> all_series{{
  {series::connected_peers, series_type::gauge, "",
   "Peers with at least one open connection (guide: keep > 3)."},
  {series::connections_opened, series_type::counter, "direction",
   "Connections established (after security and muxer upgrade)."},
  {series::connections_closed, series_type::counter, "direction,reason",
   "Connections closed, by why they closed."},
  {series::handshake_failures, series_type::counter, "reason",
   "Connection upgrades (multistream, noise/tls, muxer) that failed."},
  {series::bytes, series_type::counter, "direction,protocol",
   "Application bytes carried on streams, by negotiated protocol."},
  {series::messages_delivered, series_type::counter, "topic",
   "Gossipsub messages delivered to the local application."},
  {series::messages_duplicated, series_type::counter, "topic",
   "Gossipsub messages received again after the first copy."},
  {series::messages_rejected, series_type::counter, "reason",
   "Gossipsub messages rejected by validation."},
  {series::publish_to_deliver, series_type::histogram, "",
   "Time from the publisher's send to local delivery (guide: P99 < 100 ms)."},
  {series::propagation_ratio, series_type::gauge, "topic",
   "Share of expected peers that received recent messages (guide: > 0.95)."},
  {series::mesh_peers, series_type::gauge, "topic",
   "Peers in the local gossipsub mesh of a topic."},
  {series::peer_score, series_type::gauge, "peer",
   "Gossipsub peer score; the 100 most recently updated peers, the mean of "
   "the others under peer=\"other\"."},
  {series::bus_mode, series_type::gauge, "mode",
   "1 for the message bus transport currently in use, 0 for the others."},
  {series::bus_failovers, series_type::counter, "from,to",
   "Message bus switches from one transport to another."},
  {series::supervisor_restarts, series_type::counter, "component",
   "Components restarted by their supervisor."},
  {series::envelopes, series_type::counter, "direction,transport",
   "CAN Swarm envelopes published (outbound) and received (inbound)."},
  {series::dedup_hits, series_type::counter, "",
   "Envelopes dropped because they were already seen (e.g. via both buses)."},
  {series::gate_rejections, series_type::counter, "reason",
   "Envelopes refused by the policy gate."},
  {series::label_overflows, series_type::counter, "label",
   "Label values refused by a cardinality cap (counted as \"other\")."},
}};

} // namespace canswarm::metrics
