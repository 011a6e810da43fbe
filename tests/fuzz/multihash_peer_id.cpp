// Fuzz target: multihashes, peer ids and their text forms (base58btc,
// base32, CIDv1) from protocols/multiformats and protocols/identity.
//
// Input: the whole input is tried both as binary (multihash, peer id bytes)
// and as text (base58btc, base32, CID, peer id text).
// Properties:
//  - multihash::parse accepts only a canonical encoding: make(code, digest)
//    reproduces the input, and digests stay within max_digest_size;
//  - a peer id from bytes keeps them, and both its text forms parse back to
//    it; an inlined key matches the peer id;
//  - a peer id parsed from text renders to text that parses to the same id;
//  - base58btc and base32 decoding are exact inverses of encoding (both
//    text forms are canonical: the decoders refuse non-canonical text);
//  - a decoded CID re-encodes to a CID with the same multihash.

#include <cstdint>
#include <string>

#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/base32.hpp"
#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/cid.hpp"
#include "canswarm/multiformats/multihash.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;

namespace {

void check_multihash(bytes_view in) {
  auto mh = multihash::parse(in);
  if (!mh)
    return;
  FUZZ_CHECK(mh->digest.size() <= multihash::max_digest_size);
  auto again = multihash::make(mh->code, mh->digest);
  FUZZ_CHECK(again == fuzz::copy(in));
}

void check_peer_id_round_trips(const peer_id& id) {
  auto text = peer_id::parse(id.to_string());
  FUZZ_CHECK(text.ok() && *text == id);
  auto cid_text = peer_id::parse(id.to_cid_string());
  FUZZ_CHECK(cid_text.ok() && *cid_text == id);
  if (auto key = id.extract_public_key()) {
    FUZZ_CHECK(id.matches(*key));
    FUZZ_CHECK(peer_id::from_public_key(*key) == id);
  }
}

void check_peer_id_bytes(bytes_view in) {
  auto id = peer_id::from_bytes(in);
  if (!id)
    return;
  FUZZ_CHECK(id->to_bytes() == fuzz::copy(in));
  check_peer_id_round_trips(*id);
}

void check_peer_id_text(std::string_view text) {
  auto id = peer_id::parse(text);
  if (!id)
    return;
  FUZZ_CHECK(peer_id::from_bytes(id->to_bytes()).ok());
  check_peer_id_round_trips(*id);
}

void check_bases(std::string_view text) {
  if (auto b58 = base58btc_decode(text))
    FUZZ_CHECK(base58btc_encode(*b58) == text);
  if (auto b32 = base32_decode(text))
    FUZZ_CHECK(base32_encode(*b32) == text);
}

void check_cid(std::string_view text) {
  if (auto mh = cid::decode_libp2p_key(text)) {
    FUZZ_CHECK(multihash::parse(*mh).ok());
    auto again = cid::decode_libp2p_key(cid::encode_libp2p_key(*mh));
    FUZZ_CHECK(again.ok() && *again == *mh);
  }
  if (auto mh = cid::peer_id_multihash_from_text(text))
    FUZZ_CHECK(multihash::parse(*mh).ok());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  bytes_view in{data, size};
  auto text = fuzz::as_text(in);
  check_multihash(in);
  check_peer_id_bytes(in);
  check_peer_id_text(text);
  check_bases(text);
  check_cid(text);
  return 0;
}
