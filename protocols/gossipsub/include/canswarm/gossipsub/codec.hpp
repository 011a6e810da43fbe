#pragma once

// Gossipsub RPC codec: the pubsub RPC protobuf (subscriptions, publish,
// control {ihave, iwant, graft, prune{topic, peers, backoff}}) as plain
// structs, and the uvarint-length-prefixed framing of pubsub streams.
//
// Decoding uses the generated protobuf class (private to codec.cpp);
// encoding writes the canonical field order by hand so that
//  - a Message is encoded once and its bytes are spliced into the RPC of
//    every peer it is sent to (no per-peer re-encoding), and
//  - the exact size of every entry is known, so the router can split what
//    it queued for a peer into frames under max_transmit_size.
// The result is byte-identical to protobuf's serializer (golden vectors).
//
// Deviations from spec: string fields are treated as bytes (no UTF-8
// check), which every implementation does in practice.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/gossipsub/types.hpp"

namespace canswarm::gossipsub {

/// RPC.SubOpts: a subscription change.
struct sub_opts {
  bool subscribe = true;
  std::string topic;
  friend bool operator==(const sub_opts&, const sub_opts&) = default;
};

/// PeerInfo of a PRUNE peer exchange.
struct peer_info {
  std::optional<bytes> peer_id;
  std::optional<bytes> signed_peer_record;
  friend bool operator==(const peer_info&, const peer_info&) = default;
};

/// ControlIHave: message ids we have for a topic.
struct control_ihave {
  std::string topic;
  std::vector<message_id> ids;
  friend bool operator==(const control_ihave&, const control_ihave&) = default;
};

/// ControlIWant: message ids we want.
struct control_iwant {
  std::vector<message_id> ids;
  friend bool operator==(const control_iwant&, const control_iwant&) = default;
};

/// ControlGraft: the sender added us to its mesh for `topic`.
struct control_graft {
  std::string topic;
  friend bool operator==(const control_graft&, const control_graft&) = default;
};

/// ControlPrune: the sender removed us from its mesh for `topic`.
struct control_prune {
  std::string topic;
  std::vector<peer_info> peers; ///< v1.1 peer exchange.
  std::optional<std::uint64_t> backoff; ///< v1.1 backoff in seconds.
  friend bool operator==(const control_prune&, const control_prune&) = default;
};

/// ControlMessage.
struct control_message {
  std::vector<control_ihave> ihave;
  std::vector<control_iwant> iwant;
  std::vector<control_graft> graft;
  std::vector<control_prune> prune;

  /// Returns whether no control entry is present.
  bool empty() const {
    return ihave.empty() && iwant.empty() && graft.empty() && prune.empty();
  }

  friend bool operator==(const control_message&, const control_message&)
    = default;
};

/// A decoded RPC.
struct rpc {
  std::vector<sub_opts> subscriptions;
  std::vector<message> publish;
  std::optional<control_message> control; ///< nullopt if absent or empty.
  friend bool operator==(const rpc&, const rpc&) = default;
};

/// Decodes an RPC body (without length prefix). A body over `max_size` is
/// errc::too_large; bytes that do not parse are errc::malformed.
result<rpc> decode_rpc(bytes_view body, std::size_t max_size);

/// Encodes one Message protobuf (canonical field order).
bytes encode_message(const message& m);

/// Returns "libp2p-pubsub:" + the Message protobuf without signature and
/// key: the bytes a StrictSign signature covers.
bytes signing_payload(const message& m);

/// Like signing_payload, into `out` (replacing its content; reuses its
/// capacity).
void signing_payload(const message& m, bytes& out);

/// Encodes `r` (without length prefix).
bytes encode_rpc(const rpc& r);

/// The parts of an outbound RPC: messages are already-encoded Message
/// protobufs shared with other peers' RPCs.
struct rpc_parts {
  std::span<const sub_opts> subscriptions;
  std::span<const std::shared_ptr<const bytes>> publish;
  const control_message* control = nullptr; ///< Omitted if null or empty.
};

/// Appends the RPC body made of `parts` to `out`.
void encode_rpc(const rpc_parts& parts, bytes& out);

/// Size of a length-delimited field with a one-byte tag and `payload` bytes.
std::size_t field_size(std::size_t payload);

/// Payload sizes of the entries of an RPC / ControlMessage (wrap each in
/// field_size for its size inside the parent).
std::size_t payload_size(const sub_opts& s);
std::size_t payload_size(const control_ihave& c);
std::size_t payload_size(const control_iwant& c);
std::size_t payload_size(const control_graft& c);
std::size_t payload_size(const control_prune& c);
std::size_t payload_size(const control_message& c);

/// Appends a frame: uvarint length of `body`, then `body`.
void append_frame(bytes_view body, bytes& out);

/// Reassembles uvarint-length-prefixed RPC frames from a byte stream (one
/// per inbound pubsub stream, in the connection handler). A length over
/// `max_size` is refused from the prefix, before the body is buffered.
class frame_reader {
public:
  explicit frame_reader(std::size_t max_size) : max_size_(max_size) {}

  /// Appends received bytes. Fails (errc::too_large / errc::malformed) once
  /// a length prefix is over the limit or not a valid varint; the stream
  /// must then be reset.
  result<void> push(bytes_view data);

  /// Takes the next complete frame body, if any; fails like `push` when the
  /// next length prefix is over the limit.
  result<std::optional<bytes>> next();

  /// Bytes buffered but not yet returned.
  std::size_t buffered() const {
    return buffer_.size() - start_;
  }

private:
  result<void> check_prefix();

  std::size_t max_size_;
  bytes buffer_;
  std::size_t start_ = 0;
  bool failed_ = false;
};

} // namespace canswarm::gossipsub
