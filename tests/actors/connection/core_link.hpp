#pragma once

// Two connection cores joined in memory by a lossless link with a virtual
// clock (no sockets, no CAF), for the core tests. Each side's upgrade
// preferences and identity key are chosen by the test.

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "canswarm/connection/core.hpp"
#include "canswarm/multiformats/multiaddr.hpp"

namespace canswarm::test {

using namespace canswarm::connection;
using namespace std::chrono_literals;

inline noise::key32 random_key(std::mt19937& rng) {
  noise::key32 k;
  for (auto& b : k)
    b = static_cast<std::uint8_t>(rng());
  return k;
}

/// One side: a key, its core and the events it produced.
struct side {
  std::shared_ptr<const identity::private_key> key;
  peer_id id;
  std::unique_ptr<core> c;
  std::vector<core_event> events;

  template<class T>
  std::vector<T> all() const {
    std::vector<T> result;
    for (auto& ev : events)
      if (auto* x = std::get_if<T>(&ev))
        result.push_back(*x);
    return result;
  }
};

/// What one side of a mem_link runs with.
struct side_options {
  std::shared_ptr<const identity::private_key> key; ///< Fresh Ed25519 if null.
  std::vector<security_kind> security = default_security;
  std::vector<muxer_kind> muxers = default_muxers;
};

struct mem_link {
  std::mt19937 rng{42};
  time_point now{std::chrono::seconds{1000}};
  side a; // dialer
  side b; // listener

  explicit mem_link(std::optional<peer_id> expected = std::nullopt,
                    std::vector<std::string> b_protocols = {"/echo/1.0.0"},
                    side_options ao = {}, side_options bo = {}) {
    a.key = ao.key ? ao.key
                   : std::make_shared<const identity::private_key>(
                     identity::private_key::generate_ed25519());
    b.key = bo.key ? bo.key
                   : std::make_shared<const identity::private_key>(
                     identity::private_key::generate_ed25519());
    a.id = peer_id::from_public_key(a.key->public_key());
    b.id = peer_id::from_public_key(b.key->public_key());
    auto ca = make(direction::outbound, a.key, expected ? expected : b.id, {});
    ca.security = std::move(ao.security);
    ca.muxers = std::move(ao.muxers);
    auto cb = make(direction::inbound, b.key, std::nullopt,
                   std::move(b_protocols));
    cb.security = std::move(bo.security);
    cb.muxers = std::move(bo.muxers);
    a.c = std::make_unique<core>(std::move(ca));
    b.c = std::make_unique<core>(std::move(cb));
    a.c->start(now);
    b.c->start(now);
  }

  core_config make(direction d, std::shared_ptr<const identity::private_key> k,
                   std::optional<peer_id> expected,
                   std::vector<std::string> protocols) {
    core_config cfg;
    cfg.dir = d;
    cfg.key = k;
    cfg.static_secret = random_key(rng);
    cfg.ephemeral_secret = random_key(rng);
    cfg.wall_clock = 1'700'000'000; // 2023-11-14, inside any cert window.
    cfg.expected_peer = std::move(expected);
    cfg.observed_addr = multiaddr::parse("/ip4/127.0.0.1/tcp/4001")->to_bytes();
    cfg.handshake_deadline = now + 10s;
    cfg.identify.public_key = k->public_key().to_protobuf();
    cfg.app_protocols = std::move(protocols);
    return cfg;
  }

  /// Moves bytes both ways until neither side has anything to send.
  void run() {
    for (int round = 0; round < 10000; ++round) {
      bool moved = false;
      for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        bytes out;
        from->c->poll_transmit(out, 1 << 20);
        if (!out.empty()) {
          moved = true;
          to->c->handle_input(out, now);
        }
      }
      for (auto* s : {&a, &b})
        while (auto ev = s->c->poll_event())
          s->events.push_back(std::move(*ev));
      if (!moved)
        return;
    }
    FAIL("link did not settle");
  }

  /// Lets time pass (deferred FINs, timers), then moves bytes again.
  void wait(duration d) {
    now += d;
    a.c->handle_timeout(now);
    b.c->handle_timeout(now);
    run();
  }
};

} // namespace canswarm::test
