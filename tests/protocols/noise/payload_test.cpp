#include <doctest/doctest.h>

#include <string>

#include "canswarm/noise/payload.hpp"

using namespace canswarm;
using namespace canswarm::noise;

namespace {

// An Ed25519 public key (RFC 8032 test 1) and a 64-byte signature (RFC 8032
// test 1 over the empty message): valid shapes for the codec, whatever they
// sign.
const char* ed25519_pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af02"
                          "1a68f707511a";
const char* sig64
  = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

// NoiseHandshakePayload with every field set, annotated.
const char* golden_payload
  = "0a24" // field 1 identity_key, 36 bytes: a libp2p PublicKey protobuf
    "0801" //   PublicKey.Type = Ed25519 (1)
    "1220" //   PublicKey.Data, 32 bytes
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "1240" // field 2 identity_sig, 64 bytes
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    "2214" // field 4 extensions, 20 bytes: NoiseExtensions
    "0a04" //   webtransport_certhashes[0], 4 bytes
    "deadbeef"
    "120c" //   stream_muxers[0], 12 bytes
    "2f79616d75782f312e302e30"; // "/yamux/1.0.0"

handshake_payload golden_struct() {
  handshake_payload p;
  p.identity_key = hex("08011220");
  append(p.identity_key, hex(ed25519_pub));
  p.identity_sig = hex(sig64);
  p.ext = extensions{{hex("deadbeef")}, {"/yamux/1.0.0"}};
  return p;
}

} // namespace

TEST_CASE("the handshake payload golden vector encodes and decodes") {
  auto encoded = encode_payload(golden_struct());
  REQUIRE(encoded);
  CHECK(to_hex(*encoded) == to_hex(hex(golden_payload)));
  auto decoded = decode_payload(hex(golden_payload));
  REQUIRE(decoded);
  CHECK(*decoded == golden_struct());
}

TEST_CASE("a payload without extensions omits field 4") {
  auto p = golden_struct();
  p.ext.reset();
  auto encoded = encode_payload(p);
  REQUIRE(encoded);
  CHECK(to_hex(*encoded)
        == "0a24080112"
           "20"
             + std::string{ed25519_pub} + "1240" + sig64);
  auto decoded = decode_payload(*encoded);
  REQUIRE(decoded);
  CHECK_FALSE(decoded->ext.has_value());
}

TEST_CASE("unknown payload fields and unknown extensions are ignored") {
  auto text = std::string{golden_payload};
  // Replace the extensions with one holding an unknown code point (1025,
  // experimental range) before the known stream muxer, and add the retired
  // field 3 (libp2p_data) to the payload.
  auto cut = text.find("2214");
  REQUIRE(cut != std::string::npos);
  text = text.substr(0, cut)
         + "1a0100" // field 3, 1 byte: unknown, skipped
           "2213" // field 4 extensions, 19 bytes
           "8a400268" // field 1025 (tag 8a40), 2 bytes "hi"...
           "69"
           "120c2f79616d75782f312e302e30"; // stream_muxers[0]
  auto decoded = decode_payload(hex(text));
  REQUIRE(decoded);
  REQUIRE(decoded->ext.has_value());
  CHECK(decoded->ext->stream_muxers
        == std::vector<std::string>{"/yamux/1.0.0"});
  CHECK(decoded->ext->webtransport_certhashes.empty());
  CHECK(decoded->identity_sig == hex(sig64));
}

TEST_CASE("payloads missing the key or the signature are malformed") {
  auto no_sig = decode_payload(hex("0a0408011200"));
  REQUIRE_FALSE(no_sig);
  CHECK(no_sig.error().code == errc::malformed);
  CHECK(no_sig.error().message == "noise handshake payload lacks identity_sig");
  auto no_key = decode_payload(hex("1201ff"));
  REQUIRE_FALSE(no_key);
  CHECK(no_key.error().code == errc::malformed);
  CHECK(no_key.error().message == "noise handshake payload lacks identity_key");
}

TEST_CASE("a truncated payload protobuf is malformed") {
  auto r = decode_payload(hex("0a2408011220d75a98"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message.find("not a valid NoiseHandshakePayload")
        != std::string::npos);
}

TEST_CASE("a payload over the bound is refused before parsing") {
  bytes big(max_payload_size + 1, 0);
  auto r = decode_payload(big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  CHECK(r.error().message
        == "noise handshake payload of 16385 bytes is over the 16384-byte "
           "limit");
  // The encoder enforces the same bound on what we would send.
  auto p = golden_struct();
  p.ext->stream_muxers.assign(2000, "/yamux/1.0.0");
  auto e = encode_payload(p);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == errc::too_large);
}
