#pragma once

// Codec of the noise-libp2p handshake payload, the protobuf carried
// encrypted in XX messages 2 and 3:
//
//   message NoiseExtensions {
//     repeated bytes webtransport_certhashes = 1;
//     repeated string stream_muxers = 2;
//   }
//   message NoiseHandshakePayload {
//     optional bytes identity_key = 1;        // libp2p PublicKey protobuf
//     optional bytes identity_sig = 2;        // over static_key_prefix + s
//     optional NoiseExtensions extensions = 4;
//   }
//
// Deviations from spec: none. Unknown fields (including future extension
// code points) are skipped.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::noise {

/// What the identity signature covers, followed by the 32-byte Noise static
/// public key (libp2p noise spec, "The libp2p Handshake Payload").
inline constexpr std::string_view static_key_prefix = "noise-libp2p-static-"
                                                      "key:";

/// Largest handshake payload accepted or sent. A libp2p public key protobuf
/// is at most 4 KiB (identity::max_key_protobuf_size), its signature at most
/// 1 KiB (RSA-8192), leaving ample room for extensions; caps decoding work.
inline constexpr std::size_t max_payload_size = 16 * 1024;

/// NoiseExtensions.
struct extensions {
  std::vector<bytes> webtransport_certhashes;
  std::vector<std::string> stream_muxers;

  bool empty() const {
    return webtransport_certhashes.empty() && stream_muxers.empty();
  }

  friend bool operator==(const extensions&, const extensions&) = default;
};

/// NoiseHandshakePayload.
struct handshake_payload {
  bytes identity_key;
  bytes identity_sig;
  std::optional<noise::extensions> ext;

  friend bool operator==(const handshake_payload&, const handshake_payload&)
    = default;
};

/// Encodes deterministically (fields in number order; `ext` omitted when
/// unset). errc::too_large when the result exceeds max_payload_size.
result<bytes> encode_payload(const handshake_payload& payload);

/// Decodes a payload. errc::too_large over max_payload_size (checked before
/// parsing), errc::malformed for bad protobuf, a missing identity_key or a
/// missing identity_sig.
result<handshake_payload> decode_payload(bytes_view encoded);

} // namespace canswarm::noise
