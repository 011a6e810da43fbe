#pragma once

// The Exchange message of /plaintext/2.0.0 (libp2p specs plaintext/README.md,
// "Messages"):
//
//   message Exchange { optional bytes id = 1; optional PublicKey pubkey = 2; }
//
// `id` is the sender's peer id as binary multihash, `pubkey` its libp2p
// PublicKey message. Hand-coded protobuf: encoding is deterministic (field
// 1, then field 2); decoding skips unknown fields as protobuf requires.
//
// Deviations from spec: both fields are required (the spec marks them
// optional, but the handshake cannot proceed without either), and a field
// given twice is refused instead of merged.

#include <cstddef>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace canswarm::plaintext {

/// The multistream-select protocol id.
inline constexpr std::string_view protocol_id = "/plaintext/2.0.0";

/// Largest Exchange accepted: a public key protobuf (at most
/// identity::max_key_protobuf_size), a peer id multihash (at most 2 + 42
/// bytes) and field headers fit with room to spare.
inline constexpr std::size_t max_exchange_size = identity::max_key_protobuf_size
                                                 + 256;

/// A decoded Exchange. Whether `id` matches `key` is checked by the
/// handshake, not the codec.
struct exchange {
  peer_id id;
  identity::public_key key;

  friend bool operator==(const exchange&, const exchange&) = default;
};

/// Encodes the protobuf body (no length prefix).
bytes encode_exchange(const exchange& msg);

/// Encodes the Exchange of `key` (id derived from it).
bytes encode_exchange(const identity::public_key& key);

/// Decodes a protobuf body. errc::too_large over `max_exchange_size`;
/// errc::malformed for bad protobuf, a missing or duplicate field, or an
/// id / key that does not decode (the key's own error code is kept, e.g.
/// errc::too_large for an oversize RSA key).
result<exchange> decode_exchange(bytes_view body);

} // namespace canswarm::plaintext
