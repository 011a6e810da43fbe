#pragma once

// The Identify message of /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0
// (libp2p/specs identify/README.md), as a plain struct with a codec.
//
// On the wire: uvarint length prefix, then the protobuf (proto2) message
//   publicKey=1 listenAddrs=2 (repeated) protocols=3 (repeated)
//   observedAddr=4 protocolVersion=5 agentVersion=6 signedPeerRecord=8.
// Addresses (binary multiaddrs), the public key (libp2p PublicKey protobuf)
// and the signed peer record (SignedEnvelope) are opaque bytes here; the
// caller parses them with the multiformats / identity libraries.
//
// Deviations from spec: the spec sets no limits. We accept messages up to
// 8 KiB and send at most 4 KiB (go-libp2p's signedIDSize and
// maxOwnIdentifyMsgSize; rust-libp2p refuses more than 4 KiB), and refuse
// messages over the per-field caps below, which go-libp2p does not have (it
// keeps up to 500 addresses and 1024 protocols per peer after the fact).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::identify {

/// Protocol id of the request/response variant.
inline constexpr std::string_view protocol_id = "/ipfs/id/1.0.0";

/// Protocol id of the push variant.
inline constexpr std::string_view push_protocol_id = "/ipfs/id/push/1.0.0";

/// Largest message body we accept (go-libp2p signedIDSize, 8 KiB).
inline constexpr std::size_t max_message_size = 8 * 1024;

/// Largest message body we send (go-libp2p maxOwnIdentifyMsgSize; rust-libp2p
/// rejects anything larger than 4 KiB).
inline constexpr std::size_t max_own_message_size = 4 * 1024;

/// Most frames merged into one message: go-libp2p sends the signed peer
/// record in a second frame when the message is large, and reads up to 10.
inline constexpr std::size_t max_messages = 10;

/// Most listen addresses per message (and kept per peer): real peers
/// announce a handful; go-libp2p keeps at most 500 for a connected peer.
inline constexpr std::size_t max_listen_addrs = 100;

/// Most protocols per message (and kept per peer): real peers announce tens;
/// go-libp2p caps a peer at 1024.
inline constexpr std::size_t max_protocols = 256;

/// Longest protocol id: it must fit a multistream-select line (1024 bytes
/// including the newline).
inline constexpr std::size_t max_protocol_size = 1023;

/// Longest binary multiaddr (listen or observed): a DNS name is at most 255
/// bytes, a relayed address with two peer ids about 100.
inline constexpr std::size_t max_address_size = 1024;

/// Longest protocolVersion / agentVersion string ("kubo/0.29.0/..." is
/// about 30 bytes).
inline constexpr std::size_t max_version_size = 256;

/// One Identify message. Absent optional fields are std::nullopt; the
/// repeated fields are empty when absent.
struct message {
  std::optional<std::string> protocol_version;
  std::optional<std::string> agent_version;
  std::optional<bytes> public_key; ///< libp2p PublicKey protobuf.
  std::vector<bytes> listen_addrs; ///< Binary multiaddrs.
  std::optional<bytes> observed_addr; ///< Binary multiaddr.
  std::vector<std::string> protocols; ///< Protocol ids.
  std::optional<bytes> signed_peer_record; ///< SignedEnvelope bytes.

  friend bool operator==(const message&, const message&) = default;
};

/// Checks the per-field caps. Errors are errc::too_large and name the limit,
/// e.g. "101 listen addresses over limit 100 (max_listen_addrs)".
result<void> check_limits(const message& m);

/// Encodes the protobuf body (no length prefix), fields in field-number
/// order. Fails when a cap is exceeded or the body would be larger than
/// max_own_message_size.
result<bytes> encode(const message& m);

/// Encodes one frame: uvarint length prefix, then the body.
result<bytes> encode_frame(const message& m);

/// Decodes one protobuf body. A body larger than max_message_size or over a
/// cap is errc::too_large naming the limit; bytes that are not an Identify
/// protobuf are errc::malformed. Unknown fields are ignored.
result<message> decode(bytes_view body);

/// Merges `next` into `into` the way protobuf merges concatenated messages
/// (present optional fields replace, repeated fields append), then checks
/// the caps on the result.
result<void> merge(message& into, const message& next);

} // namespace canswarm::identify
