#pragma once

// Named bounds of the metrics registry. Every label value that can come from
// remote input (topics, reasons, protocol ids, peer ids) is admitted into a
// per-label set of at most the cap below; later distinct values are counted
// under the label value `other` (counters) or dropped (gauges, see
// node_metrics.hpp). Prometheus keeps one time series per label combination,
// so each cap bounds the scrape size and the server's memory no matter what
// peers send.

#include <array>
#include <cstddef>
#include <string_view>

namespace canswarm::metrics {

/// The label value that collects everything beyond a cap.
inline constexpr std::string_view overflow_label = "other";

/// The label value that stands for an empty input string (Prometheus treats
/// an empty label value as an absent label).
inline constexpr std::string_view empty_label = "unknown";

/// Longest label value kept; longer ones count as overflow. Topics and
/// reasons are short words; a 1 KiB topic from a peer must not become a
/// 1 KiB label in every scrape.
inline constexpr std::size_t max_label_value_size = 128;

/// Distinct topics (shared by every topic-labelled series). A node subscribes
/// to a handful of thread topics; 64 leaves room for all of them.
inline constexpr std::size_t max_topic_labels = 64;

/// Distinct reasons per reason-labelled series (connection close, handshake
/// failure, message rejection, gate rejection): the code's reason enums have
/// fewer than 20 values each, remote error strings must not grow this.
inline constexpr std::size_t max_reason_labels = 32;

/// Distinct protocol ids in libp2p_swarm_bytes_total: only negotiated
/// protocols are counted, and the node speaks fewer than 20.
inline constexpr std::size_t max_protocol_labels = 32;

/// Peers with their own libp2p_gossipsub_peer_score series: the most recently
/// updated ones ("top 100 by recency"); the rest are averaged under
/// peer="other".
inline constexpr std::size_t max_peer_score_labels = 100;

/// Peers whose last score is remembered for the peer="other" average; beyond
/// it the least recently updated peer is forgotten. Well above any
/// configured connection limit (gossipsub only scores connected peers and
/// those it retains for a short while after they disconnect).
inline constexpr std::size_t max_scored_peers = 4096;

/// Distinct bus modes / transports (p2p, nats, hybrid ... are local names).
inline constexpr std::size_t max_bus_mode_labels = 8;

/// Distinct transports in canswarm_envelopes_total (p2p, nats).
inline constexpr std::size_t max_transport_labels = 8;

/// Distinct supervised components (the supervisor tree has ~10 children).
inline constexpr std::size_t max_component_labels = 64;

/// Bucket upper bounds (seconds) of
/// libp2p_gossipsub_publish_to_deliver_seconds: 0.1 ms .. 10 s, roughly
/// 1-2.5-5 per decade, with 75 ms, 100 ms and 150 ms so the guide's
/// "P99 < 100 ms" threshold is a bucket boundary and histogram_quantile is
/// precise around it.
inline constexpr std::array<double, 18>
  latency_buckets_seconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                          0.01,   0.025,   0.05,   0.075, 0.1,    0.15,
                          0.25,   0.5,     1.0,    2.5,   5.0,    10.0};

} // namespace canswarm::metrics
