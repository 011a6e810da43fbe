// The plaintext handshake: two handshakes joined in memory (whole and
// byte by byte, with application data after the Exchange), the golden wire
// bytes, and the refusals: a peer id that does not match the key, a dialer
// reaching the wrong peer, an oversize length prefix.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/plaintext/handshake.hpp"
#include "canswarm/varint/varint.hpp"

using namespace canswarm;
using namespace canswarm::plaintext;

namespace {

using status = handshake::status;

identity::public_key spec_key() {
  return *identity::public_key::from_protobuf(
    hex("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fc"
        "e27e"));
}

/// Frames an Exchange body as it goes on the wire.
bytes framed(const bytes& body) {
  bytes out;
  varint::write_frame(body, out);
  return out;
}

} // namespace

TEST_CASE("our Exchange goes out length-prefixed (golden bytes)") {
  handshake h{spec_key()};
  h.start();
  h.start(); // Idempotent.
  // 4e = 78 bytes, then the Exchange of exchange_test's golden vector.
  CHECK(to_hex(h.take_output())
        == "4e"
           "0a260024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf601"
           "0f0e42d474fce27e"
           "1224080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e"
           "42d474fce27e");
  CHECK(h.take_output().empty());
  CHECK(h.state() == status::in_progress);
  CHECK(h.local_peer().to_string()
        == "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
}

TEST_CASE("a dialer and a listener complete the handshake") {
  auto dialer_key = identity::private_key::generate_ed25519().public_key();
  auto rsa = identity::private_key::generate_rsa(2048);
  REQUIRE(rsa);
  auto listener_key = rsa->public_key();
  auto listener_id = peer_id::from_public_key(listener_key);
  handshake dialer{dialer_key, listener_id};
  handshake listener{listener_key};

  dialer.start();
  auto to_listener = dialer.take_output();
  append(to_listener, as_bytes("hello listener")); // Early application data.
  listener.handle_input(to_listener);
  REQUIRE(listener.state() == status::done);
  CHECK(listener.take_remaining() == to_bytes("hello listener"));
  CHECK(listener.remote_peer() == peer_id::from_public_key(dialer_key));
  CHECK(listener.remote_public_key() == dialer_key);

  // The listener's Exchange (and data) reach the dialer one byte at a time.
  auto to_dialer = listener.take_output();
  append(to_dialer, as_bytes("hi"));
  for (std::size_t i = 0; i < to_dialer.size(); ++i) {
    CHECK(dialer.state()
          == (i < to_dialer.size() - 2 ? status::in_progress : status::done));
    dialer.handle_input(bytes_view{to_dialer}.subspan(i, 1));
  }
  REQUIRE(dialer.state() == status::done);
  CHECK(dialer.remote_peer() == listener_id);
  CHECK(dialer.remote_public_key() == listener_key);
  CHECK(dialer.take_remaining() == to_bytes("hi"));
  CHECK(dialer.take_remaining().empty());
  CHECK_FALSE(dialer.failure().has_value());
}

TEST_CASE("a listener that receives first answers and completes") {
  auto a = identity::private_key::generate_secp256k1().public_key();
  auto b = identity::private_key::generate_ecdsa().public_key();
  handshake first{a};
  handshake second{b};
  first.start();
  second.handle_input(first.take_output()); // Starts and completes.
  CHECK(second.state() == status::done);
  first.handle_input(second.take_output());
  CHECK(first.state() == status::done);
  CHECK(first.remote_peer() == second.local_peer());
  CHECK(second.remote_peer() == first.local_peer());
}

TEST_CASE("an Exchange whose id is not its key's is refused, naming both") {
  auto honest = identity::private_key::generate_ed25519().public_key();
  auto claimed = identity::private_key::generate_ed25519().public_key();
  auto claimed_id = peer_id::from_public_key(claimed);
  auto honest_id = peer_id::from_public_key(honest);
  handshake h{spec_key()};
  h.handle_input(framed(encode_exchange(exchange{claimed_id, honest})));
  REQUIRE(h.state() == status::failed);
  REQUIRE(h.failure());
  CHECK(h.failure()->code == errc::crypto);
  CHECK(h.failure()->message
        == "peer id mismatch: remote claims " + claimed_id.to_string()
             + " but its Ed25519 public key is " + honest_id.to_string());
  CHECK_FALSE(h.remote_peer().has_value());
  CHECK_FALSE(h.remote_public_key().has_value());
  // Nothing more happens once failed.
  h.handle_input(framed(encode_exchange(honest)));
  CHECK(h.state() == status::failed);
  CHECK(h.take_remaining().empty());
}

TEST_CASE("a dialer that reaches another peer fails") {
  auto expected = peer_id::from_public_key(
    identity::private_key::generate_ed25519().public_key());
  auto actual = identity::private_key::generate_ed25519().public_key();
  handshake h{spec_key(), expected};
  h.handle_input(framed(encode_exchange(actual)));
  REQUIRE(h.state() == status::failed);
  CHECK(h.failure()->code == errc::crypto);
  CHECK(h.failure()->message
        == "peer id mismatch: dialed " + expected.to_string() + ", remote is "
             + peer_id::from_public_key(actual).to_string());
}

TEST_CASE("an oversize Exchange length fails before its body arrives") {
  handshake h{spec_key()};
  // c0 3e = 8000, over max_exchange_size; no body follows.
  h.handle_input(hex("c03e"));
  REQUIRE(h.state() == status::failed);
  CHECK(h.failure()->code == errc::too_large);
  CHECK(h.failure()->message
        == "plaintext Exchange length: frame length 8000 over limit "
             + std::to_string(max_exchange_size));

  handshake m{spec_key()};
  m.handle_input(hex("ffffffffffffffffff01"));
  REQUIRE(m.state() == status::failed);
  CHECK(m.failure()->code == errc::malformed);

  handshake g{spec_key()};
  g.handle_input(hex("02 0a05"));
  REQUIRE(g.state() == status::failed);
  CHECK(g.failure()->code == errc::malformed);
  CHECK(g.failure()->message
        == "plaintext: Exchange protobuf: field 1 (id) truncated");
}
