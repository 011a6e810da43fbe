#include <doctest/doctest.h>

#include <string>

#include "canswarm/noise/handshake_state.hpp"
#include "canswarm/noise/session.hpp"

using namespace canswarm;
using namespace canswarm::noise;

namespace {

key32 filled(std::uint8_t b) {
  key32 k;
  k.fill(b);
  return k;
}

// Runs a Noise XX handshake with fixed keys and empty payloads.
struct keyed_pair {
  handshake_state init{role::initiator,
                       {},
                       x25519_keypair::from_secret(filled(1)),
                       x25519_keypair::from_secret(filled(2))};
  handshake_state resp{role::responder,
                       {},
                       x25519_keypair::from_secret(filled(3)),
                       x25519_keypair::from_secret(filled(4))};

  keyed_pair() {
    for (std::size_t i = 0; i < xx_message_count; ++i) {
      auto& w = i % 2 == 0 ? init : resp;
      auto& r = i % 2 == 0 ? resp : init;
      bytes msg;
      bytes payload;
      REQUIRE(w.write_message({}, msg));
      REQUIRE(r.read_message(msg, payload));
    }
  }

  // Fresh sessions (split may be called again for more copies).
  session initiator() {
    auto c = init.split();
    REQUIRE(c);
    return session{std::move(c->first), std::move(c->second)};
  }
  session responder() {
    auto c = resp.split();
    REQUIRE(c);
    return session{std::move(c->first), std::move(c->second)};
  }
};

bytes pattern(std::size_t n) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return out;
}

std::size_t be16(const bytes& b, std::size_t at) {
  return (std::size_t{b[at]} << 8) | b[at + 1];
}

} // namespace

TEST_CASE("a 1 MiB write splits into 17 maximal frames") {
  keyed_pair keys;
  auto a = keys.initiator();
  auto b = keys.responder();
  auto data = pattern(1 << 20);
  bytes wire;
  a.encrypt(data, wire);
  // 16 full frames of 65519 plaintext bytes, then 272 bytes.
  CHECK(a.frames_sent() == 17);
  CHECK(wire.size() == data.size() + 17 * (length_prefix_size + tag_size));
  std::size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    CHECK(be16(wire, at) == max_frame_size);
    at += length_prefix_size + max_frame_size;
  }
  CHECK(be16(wire, at) == 272 + tag_size);
  bytes plain;
  REQUIRE(b.decrypt(wire, plain));
  CHECK(plain == data);
  CHECK(b.frames_received() == 17);
  CHECK(b.buffered() == 0);
}

TEST_CASE("writes at the frame boundary use one or two frames") {
  keyed_pair keys;
  auto a = keys.initiator();
  bytes one;
  a.encrypt(pattern(max_frame_plaintext), one);
  CHECK(one.size() == length_prefix_size + max_frame_size);
  bytes two;
  a.encrypt(pattern(max_frame_plaintext + 1), two);
  CHECK(a.frames_sent() == 3);
  CHECK(be16(two, 0) == max_frame_size);
  CHECK(be16(two, length_prefix_size + max_frame_size) == 1 + tag_size);
  bytes none;
  a.encrypt({}, none);
  CHECK(none.empty());
}

TEST_CASE("frames arriving a byte at a time are reassembled") {
  keyed_pair keys;
  auto a = keys.initiator();
  auto b = keys.responder();
  bytes wire;
  a.encrypt(to_bytes("hello"), wire);
  a.encrypt(pattern(70000), wire);
  a.encrypt(to_bytes("bye"), wire);
  bytes plain;
  for (auto byte : wire) {
    REQUIRE(b.decrypt(bytes_view{&byte, 1}, plain));
    CHECK(b.buffered() <= length_prefix_size + max_frame_size);
  }
  auto expected = to_bytes("hello");
  append(expected, pattern(70000));
  append(expected, to_bytes("bye"));
  CHECK(plain == expected);
  CHECK(b.buffered() == 0);
}

TEST_CASE("both directions use their own keys") {
  keyed_pair keys;
  auto a = keys.initiator();
  auto b = keys.responder();
  bytes ab;
  bytes ba;
  a.encrypt(to_bytes("ping"), ab);
  b.encrypt(to_bytes("ping"), ba);
  CHECK(ab != ba); // different keys give different ciphertexts
  bytes plain;
  REQUIRE(a.decrypt(ba, plain));
  REQUIRE(b.decrypt(ab, plain));
  CHECK(plain == to_bytes("pingping"));
  // A frame sent back to its own sender fails authentication.
  auto c = keys.initiator();
  bytes again;
  c.encrypt(to_bytes("ping"), again);
  auto r = c.decrypt(again, plain);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
}

TEST_CASE("a tampered transport frame fails the AEAD check for good") {
  keyed_pair keys;
  auto a = keys.initiator();
  auto b = keys.responder();
  bytes wire;
  a.encrypt(to_bytes("first"), wire);
  auto first_len = wire.size();
  a.encrypt(to_bytes("second"), wire);
  wire[first_len + 4] ^= 0x01; // a ciphertext byte of the second frame
  bytes plain;
  auto r = b.decrypt(wire, plain);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(r.error().message
        == "noise transport frame failed authentication (AEAD tag mismatch)");
  CHECK(plain == to_bytes("first")); // frames before the bad one stand
  REQUIRE(b.failure().has_value());
  bytes more;
  a.encrypt(to_bytes("third"), more);
  CHECK_FALSE(b.decrypt(more, plain)); // sticky
}

TEST_CASE("a frame shorter than the tag is malformed") {
  keyed_pair keys;
  auto b = keys.responder();
  bytes plain;
  auto r = b.decrypt(hex("0005 0102030405"), plain);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message
        == "noise transport frame of 5 bytes is shorter than its 16-byte tag");
}

TEST_CASE("an empty frame carries an empty plaintext") {
  keyed_pair keys;
  auto b = keys.responder();
  // A tag-only frame from another copy of the initiator's sending cipher.
  auto c = keys.init.split();
  REQUIRE(c);
  bytes frame(length_prefix_size + tag_size);
  frame[1] = tag_size;
  REQUIRE(c->first.seal_to(nullptr, 0, frame.data() + length_prefix_size));
  bytes plain;
  REQUIRE(b.decrypt(frame, plain));
  CHECK(plain.empty());
  CHECK(b.frames_received() == 1);
}

TEST_CASE("a session refuses to reuse the last nonce") {
  cipher_state send;
  send.initialize_key(filled(9));
  send.set_nonce(max_nonce - 1);
  cipher_state receive;
  receive.initialize_key(filled(9));
  receive.set_nonce(max_nonce - 1);
  session a{std::move(send), cipher_state{}};
  session b{cipher_state{}, std::move(receive)};
  bytes wire;
  a.encrypt(to_bytes("last"), wire);
  bytes plain;
  REQUIRE(b.decrypt(wire, plain));
  CHECK(plain == to_bytes("last"));
  bytes more;
  a.encrypt(to_bytes("one too many"), more);
  CHECK(more.empty());
  REQUIRE(a.failure().has_value());
  CHECK(a.failure()->code == errc::refused);
}
