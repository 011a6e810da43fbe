// Fuzz target: the libp2p key protobufs (protocols/identity,
// public_key::from_protobuf / from_data, private_key::from_protobuf) and
// signature verification with remote-supplied keys and signatures.
//
// Input: byte 0 selects the mode:
//   0  public key protobuf (the rest);
//   1  private key protobuf (the rest; key files only, still parsed from
//      bytes we do not control when a file is corrupt);
//   2  public key protobuf (2-byte length), message (1-byte length) and
//      signature (the rest): verify must not crash and must agree with
//      check_verify;
//   3  public key Data for the type chosen by byte 1 (the rest).
// Properties:
//  - a decoded public key re-encodes to a protobuf that decodes to the same
//    key, and encoding is stable (a key has one protobuf form, which is
//    what peer ids hash);
//  - a decoded private key re-encodes to a protobuf that decodes to a key
//    with the same public key; it signs a message that its public key
//    verifies.

#include <cstdint>

#include "canswarm/identity/keys.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::identity;

namespace {

void check_public(const public_key& key) {
  auto encoded = key.to_protobuf();
  FUZZ_CHECK(encoded.size() <= max_key_protobuf_size);
  auto again = public_key::from_protobuf(encoded);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == key);
  FUZZ_CHECK(again->to_protobuf() == encoded);
  auto from_data = public_key::from_data(key.type(), key.data());
  FUZZ_CHECK(from_data.ok() && *from_data == key);
}

void check_private(bytes_view in) {
  auto key = private_key::from_protobuf(in);
  if (!key)
    return;
  auto pub = key->public_key();
  check_public(pub);
  auto again = private_key::from_protobuf(key->to_protobuf());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->type() == key->type());
  FUZZ_CHECK(again->public_key() == pub);
  auto message = as_bytes("canswarm fuzz probe");
  auto sig = key->sign(message);
  FUZZ_CHECK(pub.verify(message, sig));
}

void check_verify(fuzz::input& in) {
  auto key = public_key::from_protobuf(in.take_long());
  if (!key)
    return;
  auto message = in.take_short();
  auto signature = in.rest();
  auto checked = key->check_verify(message, signature);
  FUZZ_CHECK(checked.ok() == key->verify(message, signature));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  switch (in.byte() % 4) {
    case 0:
      if (auto key = public_key::from_protobuf(in.rest()))
        check_public(*key);
      break;
    case 1: check_private(in.rest()); break;
    case 2: check_verify(in); break;
    default: {
      auto type = static_cast<key_type>(in.byte() % 4);
      if (auto key = public_key::from_data(type, in.rest())) {
        FUZZ_CHECK(key->type() == type);
        check_public(*key);
      }
      break;
    }
  }
  return 0;
}
