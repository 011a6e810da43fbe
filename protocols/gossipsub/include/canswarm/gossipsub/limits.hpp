#pragma once

// Bounds on everything a remote peer can make the gossipsub router hold or
// do. Each is a named constant with its reason; the tunable ones (RPC size,
// IHAVE/IWANT budgets) have a config field whose value must stay within the
// hard ceiling given here.

#include <cstddef>
#include <cstdint>

namespace canswarm::gossipsub {

/// Default largest RPC (body, without its length prefix): the pubsub spec
/// suggests limiting messages "say to 1 MiB"; go and rust use the same.
inline constexpr std::size_t default_max_transmit_size = std::size_t{1} << 20;

/// Hard ceiling for `config::max_transmit_size`: frames are buffered whole.
inline constexpr std::size_t max_transmit_size_limit = std::size_t{16} << 20;

/// Longest topic string accepted; topics are map keys held per peer.
inline constexpr std::size_t max_topic_size = 256;

/// Longest message id accepted in IHAVE/IWANT (from+seqno ids are ~46 bytes,
/// content hashes 32).
inline constexpr std::size_t max_message_id_size = 256;

/// Exactly 8 bytes: the pubsub spec's 64-bit big-endian seqno.
inline constexpr std::size_t seqno_size = 8;

/// Topics one remote peer may be subscribed to in our peer table; further
/// subscriptions are ignored, counted and penalised (P7).
inline constexpr std::size_t max_topics_per_peer = 100;

/// Subscription entries looked at per RPC (a 1 MiB RPC holds ~100,000
/// tiny ones); the rest are skipped, counted and penalised (P7).
inline constexpr std::size_t max_subscriptions_per_rpc = 5'000;

/// Distinct topics tracked for remote peers overall (topics we subscribe to
/// are always tracked); keeps a subscription flood from growing the index.
inline constexpr std::size_t max_known_topics = 10'000;

/// Topics we subscribe to or publish to (each is a topic-mesh actor).
inline constexpr std::size_t max_local_topics = 1'000;

/// Peers offered or accepted in one PRUNE peer exchange (go's PrunePeers).
inline constexpr std::size_t max_px_peers = 16;

/// Largest signed peer record carried in PX (an envelope with a few
/// addresses is well under 1 KiB).
inline constexpr std::size_t max_peer_record_size = 4096;

/// Largest accepted PRUNE backoff in seconds: a remote value above it
/// (up to 2^64-1) is clamped before it is turned into a duration.
inline constexpr std::uint64_t max_prune_backoff_seconds = 3600;

/// Message cache entries per topic: bounds memory if a topic floods within
/// the mcache_len heartbeats (oldest window entries are dropped first).
inline constexpr std::size_t max_mcache_entries = 100'000;

/// Ceiling on config::max_ihave_length (message ids per IHAVE and per peer
/// and heartbeat asked for through IWANT).
inline constexpr std::size_t max_ihave_length_limit = 100'000;

/// Ceiling on config::max_iwant_per_heartbeat (IWANT ids honoured per peer
/// and heartbeat).
inline constexpr std::size_t max_iwant_per_heartbeat_limit = 100'000;

/// Messages queued for one peer that has not been flushed (a peer that
/// never reads); more are dropped and counted.
inline constexpr std::size_t max_pending_messages_per_peer = 4096;

/// Message ids queued in IHAVE/IWANT control for one unflushed peer.
inline constexpr std::size_t max_pending_control_ids_per_peer = 50'000;

/// Messages parked for asynchronous validation; more are ignored.
inline constexpr std::size_t max_pending_validations = 8192;

/// Undelivered router events (the application polls them); more are
/// dropped and counted.
inline constexpr std::size_t max_pending_events = 65'536;

/// Outstanding IWANT follow-up promises across all peers.
inline constexpr std::size_t max_gossip_promises = 100'000;

/// Delivery records per topic for P2/P3/P4 bookkeeping of duplicates.
inline constexpr std::size_t max_delivery_records = 262'144;

/// Disconnected peers whose score is retained (spec: "the score is retained
/// for some period of time when a peer disconnects").
inline constexpr std::size_t max_retained_peers = 10'000;

/// (topic, peer) backoff entries.
inline constexpr std::size_t max_backoff_entries = 100'000;

/// Ceiling on config::seen_capacity (message ids remembered for seen_ttl).
inline constexpr std::size_t max_seen_capacity = std::size_t{1} << 22;

} // namespace canswarm::gossipsub
