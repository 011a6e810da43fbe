#pragma once

// Two yamux sessions joined by a simulated byte-stream link with latency and
// seeded random segmentation, driven by a virtual clock.

#include <algorithm>
#include <cstdint>
#include <deque>

#include "yamux_test_util.hpp"

namespace canswarm::yamux::test {

/// splitmix64: a cheap deterministic generator.
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// The byte at `offset` of the deterministic test stream `seed`.
inline std::uint8_t pattern_byte(std::uint64_t seed, std::uint64_t offset) {
  return static_cast<std::uint8_t>(mix(seed ^ (offset >> 3))
                                   >> (8 * (offset & 7)));
}

/// Fills `out` with pattern bytes [offset, offset + out.size()).
inline void fill_pattern(std::uint64_t seed, std::uint64_t offset, bytes& out) {
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = pattern_byte(seed, offset + i);
}

/// One direction of the link: byte segments in flight.
struct pipe {
  struct segment {
    time_point arrival;
    bytes data;
  };
  std::deque<segment> in_flight;
};

/// Client and server sessions over a simulated link.
class sim {
public:
  sim(duration latency, config client_cfg, config server_cfg,
      std::size_t max_segment = 0, std::uint64_t seed = 1)
      : client(role::client, client_cfg),
        server(role::server, server_cfg),
        latency_(latency),
        max_segment_(max_segment),
        rng_(seed) {}

  session client;
  session server;
  time_point now = t0();
  bool client_reading = true; ///< False: the client's input is never read.
  bool server_reading = true;

  /// Moves both sessions' output onto the link.
  void flush() {
    send(client, to_server_);
    send(server, to_client_);
  }

  /// Delivers due segments, fires due timers, flushes. Returns false when
  /// nothing is pending at all (idle).
  bool step() {
    flush();
    if (!(server_reading && due(to_server_))
        && !(client_reading && due(to_client_))) {
      auto next = std::min({server_reading ? arrival(to_server_) : no_deadline,
                            client_reading ? arrival(to_client_) : no_deadline,
                            client.poll_timeout(), server.poll_timeout()});
      if (next == no_deadline)
        return false;
      now = std::max(now, next);
    }
    if (server_reading)
      deliver(to_server_, server);
    if (client_reading)
      deliver(to_client_, client);
    if (client.poll_timeout() <= now)
      client.handle_timeout(now);
    if (server.poll_timeout() <= now)
      server.handle_timeout(now);
    flush();
    return true;
  }

  /// Steps until nothing is in flight and no output is pending (timers
  /// alone do not count), or `max_steps`.
  void settle(int max_steps = 10000) {
    for (int i = 0; i < max_steps; ++i) {
      flush();
      if (to_server_.in_flight.empty() && to_client_.in_flight.empty())
        return;
      step();
    }
    FAIL("link did not settle");
  }

private:
  void send(session& s, pipe& p) {
    auto out = s.take_output();
    std::size_t pos = 0;
    while (pos < out.size()) {
      auto n = out.size() - pos;
      if (max_segment_ > 0)
        n = std::min<std::size_t>(n, 1 + mix(rng_++) % max_segment_);
      if (n == out.size()) {
        p.in_flight.push_back({now + latency_, std::move(out)});
        return;
      }
      p.in_flight.push_back(
        {now + latency_,
         bytes(out.begin() + static_cast<std::ptrdiff_t>(pos),
               out.begin() + static_cast<std::ptrdiff_t>(pos + n))});
      pos += n;
    }
  }

  bool due(const pipe& p) const {
    return !p.in_flight.empty() && p.in_flight.front().arrival <= now;
  }

  static time_point arrival(const pipe& p) {
    return p.in_flight.empty() ? no_deadline : p.in_flight.front().arrival;
  }

  void deliver(pipe& p, session& s) {
    while (due(p)) {
      s.handle_input(p.in_flight.front().data, now);
      p.in_flight.pop_front();
    }
  }

  pipe to_server_;
  pipe to_client_;
  duration latency_;
  std::size_t max_segment_;
  std::uint64_t rng_;
};

} // namespace canswarm::yamux::test
