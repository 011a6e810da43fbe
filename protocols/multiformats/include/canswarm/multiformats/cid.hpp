#pragma once

// The slice of CIDv1 that libp2p peer ids use:
// <multibase prefix><varint version = 1><varint codec = 0x72 libp2p-key>
// <multihash>, with multibase 'b' (base32 lowercase, no padding) or 'z'
// (base58btc). Also the peer-ids spec's rule for telling a bare base58btc
// multihash from a CID.
//
// Deviations from spec: only the 'b' and 'z' multibases are decoded.

#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::cid {

/// The libp2p-key multicodec (public keys as CID content).
inline constexpr std::uint64_t libp2p_key = 0x72;

/// The only CID version carried in text here.
inline constexpr std::uint64_t version_1 = 1;

/// Decodes a CIDv1 text with the libp2p-key codec and returns its multihash
/// bytes (validated with multihash::parse).
result<bytes> decode_libp2p_key(std::string_view text);

/// Renders `multihash` as a CIDv1 libp2p-key in base32 ("bafz...").
std::string encode_libp2p_key(bytes_view multihash);

/// Decodes peer id text as the peer-ids spec says: a bare base58btc multihash
/// when it starts with '1' or 'Q', else a CIDv1 libp2p-key. Returns the
/// multihash bytes (validated with multihash::parse).
result<bytes> peer_id_multihash_from_text(std::string_view text);

} // namespace canswarm::cid
