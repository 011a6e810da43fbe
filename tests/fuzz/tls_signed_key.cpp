// Fuzz target: the libp2p TLS extension and certificate verification
// (protocols/tls, decode_signed_key and verify_certificate).
//
// Input: byte 0 selects the mode:
//   0  the rest is a SignedKey DER (strict decoder);
//   1  the rest is a certificate DER given to verify_certificate at a fixed
//      time inside the validity of generated certificates.
// Properties:
//  - a decoded SignedKey re-encodes to exactly the input (strict DER has one
//    encoding);
//  - a verified certificate yields a peer id derived from its host key.

#include <cstdint>

#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/signed_key.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::tls;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  if (in.byte() % 2 == 0) {
    auto der = in.rest();
    if (auto key = decode_signed_key(der)) {
      auto again = encode_signed_key(*key);
      FUZZ_CHECK(again.ok() && *again == fuzz::copy(der));
    }
    return 0;
  }
  // 2025-01-01T00:00:00Z: inside the default validity of generated
  // certificates (seeds).
  auto verified = verify_certificate(in.rest(), unix_time{1735689600});
  if (verified)
    FUZZ_CHECK(verified->peer
               == peer_id::from_public_key(verified->public_key));
  return 0;
}
