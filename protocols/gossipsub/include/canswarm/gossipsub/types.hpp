#pragma once

// Vocabulary shared by the gossipsub codec, caches, score and router:
// protocol ids, message ids, the pubsub Message, validation outcomes and the
// reasons input is refused.

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"

namespace canswarm::gossipsub {

/// The pubsub protocols a peer may speak.
enum class protocol {
  meshsub_v11, ///< "/meshsub/1.1.0": gossipsub v1.1 (PX, backoff).
  meshsub_v10, ///< "/meshsub/1.0.0": gossipsub v1.0 (no PX, no backoff).
  floodsub, ///< "/floodsub/1.0.0": flooded, never in a mesh.
};

/// Protocol ids as negotiated by multistream-select.
inline constexpr std::string_view meshsub_v11_id = "/meshsub/1.1.0";
inline constexpr std::string_view meshsub_v10_id = "/meshsub/1.0.0";
inline constexpr std::string_view floodsub_id = "/floodsub/1.0.0";

/// Returns the protocol id string of `p`.
std::string_view to_string(protocol p);

/// Parses a protocol id; nullopt if it is not a pubsub protocol.
std::optional<protocol> parse_protocol(std::string_view id);

/// Returns whether `p` is a gossipsub (mesh-capable) protocol.
inline bool is_gossipsub(protocol p) {
  return p != protocol::floodsub;
}

/// A message id: opaque bytes (from||seqno by default, or a content hash).
/// Ids up to `inline_capacity` bytes (all the usual ones: 46-byte
/// from||seqno, 32-byte hashes) are stored inline, so copying an id into
/// the seen cache, the message cache or an IHAVE never allocates.
class message_id {
public:
  /// Largest id stored without a heap allocation.
  static constexpr std::size_t inline_capacity = 64;

  message_id() = default;

  /// Copies raw id bytes held in a string (the protobuf representation).
  explicit message_id(std::string_view raw) {
    assign(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  }

  /// Copies raw id bytes.
  explicit message_id(bytes_view raw) {
    assign(raw.data(), raw.size());
  }

  /// Returns the raw bytes.
  bytes_view view() const {
    return {data(), size_};
  }

  /// Returns the raw bytes as characters.
  std::string_view chars() const {
    return {reinterpret_cast<const char*>(data()), size_};
  }

  /// Returns the number of raw bytes.
  std::size_t size() const {
    return size_;
  }

  /// Renders the id as lowercase hex (for logs).
  std::string to_hex() const;

  friend bool operator==(const message_id& a, const message_id& b) {
    return a.chars() == b.chars();
  }

  friend auto operator<=>(const message_id& a, const message_id& b) {
    return a.chars() <=> b.chars();
  }

private:
  const std::uint8_t* data() const {
    return size_ <= inline_capacity ? small_ : heap_.data();
  }

  void assign(const std::uint8_t* p, std::size_t n) {
    size_ = n;
    if (n <= inline_capacity)
      std::copy(p, p + n, small_);
    else
      heap_.assign(p, p + n);
  }

  std::size_t size_ = 0;
  std::uint8_t small_[inline_capacity] = {};
  bytes heap_; ///< Only for ids over inline_capacity.
};

/// A pubsub Message as carried in RPC.publish. `data_present` keeps the wire
/// presence of the data field so re-encoding for signature checks is exact.
struct message {
  std::optional<bytes> from; ///< Origin peer id bytes.
  bytes data; ///< Application payload.
  bool data_present = true; ///< Whether field 2 was on the wire.
  std::optional<bytes> seqno; ///< 8-byte big-endian sequence number.
  std::string topic; ///< The topic (field 4).
  std::optional<bytes> signature; ///< Origin signature (StrictSign).
  std::optional<bytes> key; ///< Origin public key if not in `from`.

  friend bool operator==(const message&, const message&) = default;
};

/// Decodes an 8-byte big-endian seqno; nullopt if absent or not 8 bytes.
std::optional<std::uint64_t> seqno_value(const message& m);

/// Outcome of application validation (gossipsub v1.1 extended validators).
enum class validation_result {
  accept, ///< Deliver and forward.
  reject, ///< Drop and penalise the sender (P4).
  ignore, ///< Drop without penalty.
};

/// Message signing policy of a topic (go/rust naming).
enum class signing_policy {
  strict_sign, ///< from, seqno and a valid signature are required.
  strict_no_sign, ///< from, seqno, signature and key must be absent.
};

/// Why a message, an RPC or a control entry from a peer was refused. Every
/// reason has a counter in router::stats and appears in input_rejected
/// events.
enum class reject_reason : std::uint8_t {
  // Messages (each is P4 for the sender in a scored topic unless noted).
  missing_signature, ///< StrictSign message without signature.
  invalid_signature, ///< The signature does not verify.
  missing_from, ///< StrictSign message without from.
  invalid_from, ///< `from` is not a peer id.
  missing_seqno, ///< StrictSign message without seqno.
  invalid_seqno, ///< seqno is not 8 bytes.
  key_mismatch, ///< `key` does not match `from`.
  invalid_key, ///< `key` is not a public key / not extractable.
  unexpected_auth_field, ///< StrictNoSign message carrying from/seqno/sig.
  message_too_large, ///< data over config::max_message_size.
  missing_topic, ///< Message without a topic.
  validator_rejected, ///< The application validator said reject.
  // RPC-level (P7 unless noted).
  malformed_rpc, ///< The protobuf does not parse.
  rpc_too_large, ///< Length prefix over max_transmit_size.
  too_many_subscriptions, ///< Over max_topics_per_peer; truncated.
  invalid_topic, ///< Topic empty or over max_topic_size (no P7).
  graft_unknown_topic, ///< GRAFT for a topic we are not in (no P7).
  graft_not_subscribed, ///< GRAFT for a topic the peer never joined.
  graft_during_backoff, ///< GRAFT before our PRUNE backoff expired.
  graft_direct_peer, ///< GRAFT from an explicit peer (spec: error).
  iwant_over_limit, ///< IWANT ids over the per-heartbeat budget.
  ihave_over_limit, ///< IHAVEs/ids over the per-heartbeat budget.
  broken_promise, ///< IHAVE'd message never followed up by IWANT.
  invalid_message_id, ///< Message id empty or over max_message_id_size.
  px_too_many_peers, ///< PRUNE PX over max_px_peers (truncated).
  outbound_queue_full, ///< The peer does not read: output dropped.
  count_, ///< Number of reasons (array size).
};

/// Number of reject reasons.
inline constexpr std::size_t reject_reason_count = static_cast<std::size_t>(
  reject_reason::count_);

/// Returns a short stable name ("invalid_signature", ...).
const char* to_string(reject_reason r);

} // namespace canswarm::gossipsub

template<>
struct std::hash<canswarm::gossipsub::message_id> {
  std::size_t
  operator()(const canswarm::gossipsub::message_id& id) const noexcept {
    return std::hash<std::string_view>{}(id.chars());
  }
};
