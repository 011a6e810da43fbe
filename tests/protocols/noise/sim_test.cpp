// In-memory simulation: an initiator and a responder joined by a simulated
// link that delivers bytes one at a time, in seeded random chunks, or all at
// once; the handshake completes and the sessions carry data both ways.

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>

#include "canswarm/noise/handshake.hpp"
#include "noise_fixtures.hpp"

using namespace canswarm;
using namespace canswarm::noise;
using namespace noise_test;

namespace {

enum class delivery { byte_at_a_time, random_chunks, whole };

// One direction of the link: bytes in flight, released in chunks.
class pipe {
public:
  pipe(delivery mode, std::uint32_t seed) : mode_(mode), rng_(seed) {}

  void send(bytes_view data) {
    if (empty()) {
      in_flight_.clear();
      head_ = 0;
    }
    append(in_flight_, data);
  }

  bool empty() const {
    return head_ == in_flight_.size();
  }

  // Releases the next chunk (a view valid until the next send).
  bytes_view deliver() {
    std::size_t n = in_flight_.size() - head_;
    if (mode_ == delivery::byte_at_a_time)
      n = std::min<std::size_t>(n, 1);
    else if (mode_ == delivery::random_chunks)
      n = std::min<std::size_t>(n, std::uniform_int_distribution<
                                     std::size_t>{1, 3000}(rng_));
    auto chunk = bytes_view{in_flight_}.subspan(head_, n);
    head_ += n;
    return chunk;
  }

private:
  delivery mode_;
  std::mt19937 rng_;
  bytes in_flight_;
  std::size_t head_ = 0; ///< Bytes of in_flight_ already delivered.
};

struct simulation {
  identity::private_key alice_key = identity_from(0x01);
  identity::private_key bob_key = identity_from(0x02);
  handshake alice{role::initiator, alice_key, seq32(0x10), seq32(0x30),
                  peer_of(bob_key)};
  handshake bob{role::responder, bob_key, seq32(0x50), seq32(0x70)};
  pipe to_bob;
  pipe to_alice;

  simulation(delivery mode, std::uint32_t seed)
      : to_bob(mode, seed), to_alice(mode, seed + 1) {}

  // Runs until neither side has anything to send or deliver.
  void run_handshake() {
    alice.start();
    bob.start();
    for (int steps = 0; steps < 1'000'000; ++steps) {
      to_bob.send(alice.take_output());
      to_alice.send(bob.take_output());
      if (to_bob.empty() && to_alice.empty())
        return;
      if (!to_bob.empty())
        bob.handle_input(to_bob.deliver());
      if (!to_alice.empty())
        alice.handle_input(to_alice.deliver());
    }
    FAIL("handshake did not settle");
  }
};

// Pushes `wire` through `p` in its chunking and decrypts on the way out.
bytes carry(pipe& p, session& receiver, const bytes& wire) {
  p.send(wire);
  bytes plain;
  while (!p.empty())
    REQUIRE(receiver.decrypt(p.deliver(), plain));
  return plain;
}

bytes pattern(std::size_t n, std::uint8_t salt) {
  bytes out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>((i * 131) ^ salt);
  return out;
}

void check_simulation(delivery mode) {
  simulation sim{mode, 42};
  sim.run_handshake();
  REQUIRE(sim.alice.state() == handshake::status::done);
  REQUIRE(sim.bob.state() == handshake::status::done);
  CHECK(sim.alice.remote_peer() == peer_of(sim.bob_key));
  CHECK(sim.bob.remote_peer() == peer_of(sim.alice_key));
  CHECK(sim.alice.handshake_hash() == sim.bob.handshake_hash());

  auto alice = sim.alice.finish();
  auto bob = sim.bob.finish();
  REQUIRE(alice);
  REQUIRE(bob);
  bytes early;
  REQUIRE(bob->decrypt(sim.bob.take_remaining(), early));
  CHECK(early.empty());

  bytes wire;
  alice->encrypt(to_bytes("hello bob"), wire);
  CHECK(carry(sim.to_bob, *bob, wire) == to_bytes("hello bob"));
  wire.clear();
  bob->encrypt(to_bytes("hello alice"), wire);
  CHECK(carry(sim.to_alice, *alice, wire) == to_bytes("hello alice"));

  // 1 MiB each way, split into frames, interleaved with small writes.
  auto big_a = pattern(1 << 20, 0x5a);
  auto big_b = pattern(1 << 20, 0xa5);
  wire.clear();
  alice->encrypt(big_a, wire);
  alice->encrypt(to_bytes("tail"), wire);
  auto expected = big_a;
  append(expected, to_bytes("tail"));
  CHECK(carry(sim.to_bob, *bob, wire) == expected);
  wire.clear();
  bob->encrypt(big_b, wire);
  CHECK(carry(sim.to_alice, *alice, wire) == big_b);
  CHECK(alice->frames_sent() == 1 + 17 + 1);
  CHECK(bob->frames_received() == 1 + 17 + 1);
  CHECK(bob->buffered() == 0);
  CHECK(alice->buffered() == 0);
}

} // namespace

TEST_CASE("a handshake over a byte-at-a-time link authenticates both peers") {
  check_simulation(delivery::byte_at_a_time);
}

TEST_CASE("a handshake over a randomly chunked link authenticates both peers") {
  check_simulation(delivery::random_chunks);
}

TEST_CASE("a handshake over a whole-buffer link authenticates both peers") {
  check_simulation(delivery::whole);
}

TEST_CASE("data sent with the last handshake message reaches the responder") {
  simulation sim{delivery::whole, 7};
  sim.alice.start();
  sim.bob.handle_input(sim.alice.take_output());
  sim.alice.handle_input(sim.bob.take_output());
  REQUIRE(sim.alice.state() == handshake::status::done);
  auto alice = sim.alice.finish();
  REQUIRE(alice);
  // Message 3 and two transport frames in one write, delivered byte by byte.
  auto flight = sim.alice.take_output();
  alice->encrypt(to_bytes("0-RTT-ish"), flight);
  alice->encrypt(pattern(100000, 1), flight);
  std::size_t i = 0;
  for (; sim.bob.state() == handshake::status::in_progress; ++i)
    sim.bob.handle_input(bytes_view{flight}.subspan(i, 1));
  REQUIRE(sim.bob.state() == handshake::status::done);
  auto bob = sim.bob.finish();
  REQUIRE(bob);
  bytes plain;
  REQUIRE(bob->decrypt(sim.bob.take_remaining(), plain));
  REQUIRE(bob->decrypt(bytes_view{flight}.subspan(i), plain));
  auto expected = to_bytes("0-RTT-ish");
  append(expected, pattern(100000, 1));
  CHECK(plain == expected);
}
