// noise-libp2p handshake payload codec on the generated protobuf classes;
// the generated types stay in this file.

#include "canswarm/noise/payload.hpp"

#include <fmt/format.h>

#include "pb/noise_payload.pb.h"

namespace canswarm::noise {

result<bytes> encode_payload(const handshake_payload& payload) {
  pb::NoiseHandshakePayload msg;
  msg.set_identity_key(payload.identity_key.data(),
                       payload.identity_key.size());
  msg.set_identity_sig(payload.identity_sig.data(),
                       payload.identity_sig.size());
  if (payload.ext) {
    auto* ext = msg.mutable_extensions();
    for (auto& hash : payload.ext->webtransport_certhashes)
      ext->add_webtransport_certhashes(hash.data(), hash.size());
    for (auto& muxer : payload.ext->stream_muxers)
      ext->add_stream_muxers(muxer);
  }
  auto size = msg.ByteSizeLong();
  if (size > max_payload_size)
    return make_error(errc::too_large,
                      fmt::format("noise handshake payload of {} bytes is "
                                  "over the {}-byte limit",
                                  size, max_payload_size));
  bytes out(size);
  if (!msg.SerializeToArray(out.data(), static_cast<int>(out.size())))
    return make_error(errc::invalid_argument,
                      "noise handshake payload failed to serialize");
  return out;
}

result<handshake_payload> decode_payload(bytes_view encoded) {
  if (encoded.size() > max_payload_size)
    return make_error(errc::too_large,
                      fmt::format("noise handshake payload of {} bytes is "
                                  "over the {}-byte limit",
                                  encoded.size(), max_payload_size));
  pb::NoiseHandshakePayload msg;
  if (!msg.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())))
    return make_error(errc::malformed, "noise handshake payload is not a valid "
                                       "NoiseHandshakePayload protobuf");
  if (!msg.has_identity_key() || msg.identity_key().empty())
    return make_error(errc::malformed,
                      "noise handshake payload lacks identity_key");
  if (!msg.has_identity_sig() || msg.identity_sig().empty())
    return make_error(errc::malformed,
                      "noise handshake payload lacks identity_sig");
  handshake_payload out;
  out.identity_key = to_bytes(msg.identity_key());
  out.identity_sig = to_bytes(msg.identity_sig());
  if (msg.has_extensions()) {
    auto& ext = msg.extensions();
    noise::extensions e;
    for (auto& hash : ext.webtransport_certhashes())
      e.webtransport_certhashes.push_back(to_bytes(hash));
    for (auto& muxer : ext.stream_muxers())
      e.stream_muxers.push_back(muxer);
    out.ext = std::move(e);
  }
  return out;
}

} // namespace canswarm::noise
