// In-memory simulation: an initiator and a responder joined by a simulated
// link that delivers bytes one at a time, in seeded random chunks, or all
// at once; the handshake completes, both learn the other's peer id and the
// sessions carry 1 MiB each way.

#include <doctest/doctest.h>

#include <random>

#include "canswarm/tls/handshake.hpp"
#include "tls_fixtures.hpp"

using namespace canswarm;
using namespace tls_test;

namespace {

bytes pattern(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng{seed};
  bytes out(size);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

/// Moves `data` from `from` to `to` through a pipe of the given mode.
bytes transfer(tls::session& from, tls::session& to, const bytes& data,
               delivery mode, std::uint32_t seed) {
  sim_pipe wire_link{mode, seed};
  bytes wire;
  // Write in uneven pieces to exercise record boundaries.
  std::size_t pos = 0;
  std::size_t piece = 1;
  while (pos < data.size()) {
    auto n = std::min(piece, data.size() - pos);
    from.encrypt(bytes_view{data}.subspan(pos, n), wire);
    pos += n;
    piece = piece * 3 + 7;
  }
  REQUIRE_FALSE(from.failure());
  wire_link.send(wire);
  bytes received;
  while (!wire_link.empty())
    REQUIRE(to.decrypt(wire_link.deliver(), received));
  CHECK(to.buffered() == 0);
  return received;
}

void simulate(delivery mode, std::uint32_t seed, std::size_t payload) {
  auto alice_key = identity_from(0x01);
  auto bob_key = identity_from(0x02);
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  run(alice, bob, mode, seed);
  REQUIRE(alice.state() == tls::handshake::status::done);
  REQUIRE(bob.state() == tls::handshake::status::done);
  CHECK(alice.remote_peer() == peer_of(bob_key));
  CHECK(bob.remote_peer() == peer_of(alice_key));
  CHECK(alice.remote_public_key() == bob_key.public_key());
  CHECK(bob.remote_public_key() == alice_key.public_key());
  CHECK(alice.selected_alpn() == "libp2p");
  CHECK(bob.selected_alpn() == "libp2p");
  CHECK(alice.take_remaining().empty());
  CHECK(bob.take_remaining().empty());

  auto a = alice.finish();
  auto b = bob.finish();
  REQUIRE(a);
  REQUIRE(b);
  auto to_bob = pattern(payload, seed);
  auto to_alice = pattern(payload, seed + 1);
  CHECK(transfer(*a, *b, to_bob, mode, seed) == to_bob);
  CHECK(transfer(*b, *a, to_alice, mode, seed + 1) == to_alice);
}

} // namespace

TEST_CASE("the handshake completes with bytes delivered one at a time") {
  simulate(delivery::byte_at_a_time, 7, 64 * 1024);
}

TEST_CASE("the handshake completes over randomly chunked delivery") {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    simulate(delivery::random_chunks, seed, 1 << 20);
  }
}

TEST_CASE("the sessions carry 1 MiB each way delivered whole") {
  simulate(delivery::whole, 3, 1 << 20);
}
