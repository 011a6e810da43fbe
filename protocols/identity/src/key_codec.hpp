#pragma once

// The two-field libp2p key protobuf (PublicKey and PrivateKey share it):
//   field 1 Type (varint, KeyType enum), field 2 Data (length-delimited).
// Hand-coded: encoding is deterministic (field 1 then field 2), decoding is
// strict. Internal to canswarm_identity.

#include <cstddef>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm::identity::detail {

/// A decoded key message.
struct key_message {
  key_type type = key_type::ed25519;
  bytes data;
};

/// Encodes Type then Data.
bytes encode_key_message(key_type type, bytes_view data);

/// Decodes a key message; `what` ("PublicKey"/"PrivateKey") prefixes errors.
/// Unknown, duplicate or missing fields, wrong wire types, an unknown key
/// type and input over `max_size` bytes are rejected.
result<key_message> decode_key_message(bytes_view in, std::string_view what,
                                       std::size_t max_size);

} // namespace canswarm::identity::detail
