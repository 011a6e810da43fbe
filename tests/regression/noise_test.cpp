// Noise advisory classes (issue #9) at the level of the handshake and the
// transport framing: an oversize RSA identity key inside a real handshake,
// and length prefixes at and "above" 65,535.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "canswarm/noise/handshake.hpp"
#include "canswarm/noise/handshake_state.hpp"
#include "canswarm/noise/payload.hpp"
#include "canswarm/noise/session.hpp"
#include "der_builder.hpp"
#include "noise_fixtures.hpp"

using namespace canswarm;
using namespace canswarm::noise;
using namespace noise_test;

namespace {

/// A SubjectPublicKeyInfo for rsaEncryption with a synthetic `bits`-bit
/// modulus (all 0xff) and e = 65537: only its size matters.
bytes synthetic_rsa_spki(std::size_t bits) {
  using test_der::der;
  bytes modulus(bits / 8 + 1, 0xff);
  modulus[0] = 0x00;
  bytes rsa_key = der(0x30, der(0x02, modulus), der(0x02, hex("010001")));
  bytes bit_string{0x00};
  append(bit_string, rsa_key);
  return der(0x30, hex("300d06092a864886f70d0101010500"),
             der(0x03, bit_string));
}

/// Runs an initiator against a bare Noise responder whose message 2 carries
/// `payload`; returns the initiator.
handshake run_against(bytes_view payload) {
  handshake init{role::initiator, identity_from(0x00), seq32(0x40),
                 seq32(0x60)};
  handshake_state fake{role::responder,
                       {},
                       x25519_keypair::from_secret(seq32(0x80)),
                       x25519_keypair::from_secret(seq32(0xa0))};
  init.start();
  bytes ignored;
  REQUIRE(fake.read_message(unframed(init.take_output()), ignored));
  bytes msg2;
  REQUIRE(fake.write_message(payload, msg2));
  init.handle_input(framed(msg2));
  return init;
}

/// Transport sessions of an honest handshake (initiator, responder).
std::pair<session, session> session_pair() {
  handshake init{role::initiator, identity_from(0x00), seq32(0x40),
                 seq32(0x60)};
  handshake resp{role::responder, identity_from(0x20), seq32(0x80),
                 seq32(0xa0)};
  init.start();
  resp.start();
  resp.handle_input(init.take_output());
  init.handle_input(resp.take_output());
  resp.handle_input(init.take_output());
  auto a = init.finish();
  auto b = resp.finish();
  REQUIRE(a);
  REQUIRE(b);
  return {std::move(*a), std::move(*b)};
}

} // namespace

// Advisory class: oversize RSA identity key (16,384 bits) in the Noise
// handshake payload, rejected from its DER header before any signature
// verification, quickly.
TEST_CASE("a 16,384-bit RSA identity key in message 2 is refused before "
          "verification") {
  auto key = test_der::key_protobuf(0, synthetic_rsa_spki(16384));
  REQUIRE(key.size() < identity::max_key_protobuf_size);
  // A 2048-byte "signature": verification would be the expensive part.
  auto payload = encode_payload({key, bytes(2048, 0x5a), std::nullopt});
  REQUIRE(payload);
  REQUIRE(payload->size() <= max_payload_size);
  // The same handshake with an honest Ed25519 identity, for the time.
  auto signer = identity_from(0x20);
  auto signed_msg = to_bytes(static_key_prefix);
  append(signed_msg, x25519_keypair::from_secret(seq32(0x80)).public_key);
  auto honest = encode_payload(
    {signer.public_key().to_protobuf(), signer.sign(signed_msg), std::nullopt});
  REQUIRE(honest);
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  for (int i = 0; i < 20; ++i)
    REQUIRE(run_against(*honest).state() != handshake::status::failed);
  auto honest_time = clock::now() - start;
  start = clock::now();
  for (int i = 0; i < 20; ++i) {
    auto init = run_against(*payload);
    REQUIRE(init.state() == handshake::status::failed);
    REQUIRE(init.failure()->code == errc::too_large);
    CHECK(init.failure()->message
          == "noise remote identity key: RSA public key: 16384-bit modulus, "
             "over the 8192-bit limit");
    CHECK_FALSE(init.remote_peer().has_value());
    CHECK(init.take_output().empty()); // No message 3.
    CHECK_FALSE(init.finish());
  }
  auto refused_time = clock::now() - start;
  // The refusal comes from the key's DER header, before the signature
  // check (the message above is from_protobuf's): it costs no more than an
  // honest Ed25519 handshake (same X25519 work), with slack for noise.
  CHECK(refused_time < 3 * honest_time + std::chrono::milliseconds{50});
}

// Advisory class: a Noise length prefix above 65,535. The 2-byte prefix
// cannot express more, so the largest frame (0xffff) is the worst a peer
// can announce: a session buffers at most that one frame, and we never
// announce more ourselves.
TEST_CASE("a maximal 0xffff frame of garbage is buffered within one frame, "
          "then fails; we never send a frame over 65,535") {
  static_assert(max_frame_size == std::numeric_limits<std::uint16_t>::max());
  auto [alice, bob] = session_pair();
  bytes wire{0xff, 0xff};
  wire.resize(length_prefix_size + max_frame_size, 0xa5);
  bytes plain;
  // All but the last byte: a legal partial frame, held, nothing delivered.
  REQUIRE(bob.decrypt(bytes_view{wire}.first(wire.size() - 1), plain));
  CHECK(plain.empty());
  CHECK(bob.buffered() == length_prefix_size + max_frame_size - 1);
  auto r = bob.decrypt(bytes_view{wire}.last(1), plain);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(plain.empty());
  // Sticky: more maximal frames are refused without growing the buffer.
  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(bob.decrypt(wire, plain));
    CHECK(bob.buffered() <= length_prefix_size + max_frame_size);
  }
  // Our side: 1 MiB + 1 goes out in frames that each announce <= 65,535.
  bytes big(1024 * 1024 + 1, 0x11);
  bytes out;
  alice.encrypt(big, out);
  std::size_t at = 0, frames = 0;
  while (at < out.size()) {
    REQUIRE(out.size() - at >= length_prefix_size);
    std::size_t len = (std::size_t{out[at]} << 8) | out[at + 1];
    CHECK(len <= max_frame_size);
    at += length_prefix_size + len;
    ++frames;
  }
  CHECK(at == out.size());
  CHECK(frames == (big.size() + max_frame_plaintext - 1) / max_frame_plaintext);
}

// Advisory class: a Noise length prefix above 65,535, handshake phase: a
// maximal message 1 (prefix 0xffff) is refused once complete, and a prefix
// with nothing behind it fails nothing and buffers nothing beyond it.
TEST_CASE("a maximal 0xffff handshake message 1 is refused") {
  handshake resp{role::responder, identity_from(0x20), seq32(0x80),
                 seq32(0xa0)};
  resp.start();
  resp.handle_input(bytes{0xff, 0xff});
  CHECK(resp.state() == handshake::status::in_progress);
  bytes body(max_frame_size, 0x01);
  resp.handle_input(bytes_view{body}.first(max_frame_size - 1));
  CHECK(resp.state() == handshake::status::in_progress);
  resp.handle_input(bytes_view{body}.last(1));
  REQUIRE(resp.state() == handshake::status::failed);
  CHECK(resp.failure()->code == errc::protocol);
  CHECK(resp.take_output().empty());
  CHECK_FALSE(resp.finish());
}
