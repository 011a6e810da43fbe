// Fuzz target: the noise-libp2p handshake payload codec
// (protocols/noise, decode_payload / encode_payload).
//
// Input: one NoiseHandshakePayload protobuf.
// Properties:
//  - a decoded payload re-encodes (it fits max_payload_size since the
//    encoding drops unknown fields) and decodes to the same payload;
//  - encoding is deterministic: re-encoding the second decode gives the
//    same bytes.

#include <cstdint>

#include "canswarm/noise/payload.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::noise;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto decoded = decode_payload({data, size});
  if (!decoded)
    return 0;
  FUZZ_CHECK(!decoded->identity_key.empty());
  auto encoded = encode_payload(*decoded);
  FUZZ_CHECK(encoded.ok());
  FUZZ_CHECK(encoded->size() <= max_payload_size);
  auto again = decode_payload(*encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *decoded);
  auto twice = encode_payload(*again);
  FUZZ_CHECK(twice.ok() && *twice == *encoded);
  return 0;
}
