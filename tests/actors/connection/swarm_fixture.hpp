#pragma once

// A doctest fixture for the connection tests: a real actor system and
// blocking helpers for the swarm requests.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>

#include "canswarm/log/log.hpp"
#include "stream_actors.hpp"

namespace canswarm::test {

using namespace std::chrono_literals;

struct swarm_fixture {
  io_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  /// How long one transfer may take.
  caf::timespan transfer_timeout = 120s;

  swarm_fixture() {
    if (std::getenv("CANSWARM_TEST_DEBUG") != nullptr)
      transfer_timeout = 20s;
    // CANSWARM_TEST_DEBUG=1: debug log with the protocol channel.
    if (std::getenv("CANSWARM_TEST_DEBUG") != nullptr) {
      log::global().set_level(log::level::debug);
      log::global().set_protocol_debug(true);
    }
  }

  /// Dials; returns the peer id or the error.
  result<peer_id> dial(const test_node& from, dial_request req,
                       caf::timespan wait = 20s) {
    result<peer_id> out = make_error(errc::io, "no answer");
    self->request(from.swarm, wait, dial_atom::value, std::move(req))
      .receive([&](peer_id& id) { out = std::move(id); },
               [&](caf::error& err) { out = from_caf_error(sys, err); });
    return out;
  }

  result<peer_info> info(const test_node& n, const peer_id& peer) {
    result<peer_info> out = make_error(errc::io, "no answer");
    self->request(n.swarm, 5s, peer_info_atom::value, peer)
      .receive([&](peer_info& x) { out = std::move(x); },
               [&](caf::error& err) { out = from_caf_error(sys, err); });
    return out;
  }

  /// Waits until `n` has an identify record of `peer`.
  result<peer_info> wait_info(const test_node& n, const peer_id& peer) {
    for (int i = 0; i < 100; ++i) {
      auto x = info(n, peer);
      if (x)
        return x;
      std::this_thread::sleep_for(50ms);
    }
    return info(n, peer);
  }

  std::vector<peer_entry> peers(const test_node& n) {
    std::vector<peer_entry> out;
    self->request(n.swarm, 5s, peers_atom::value)
      .receive([&](std::vector<peer_entry>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// The swarm's supervision view (live connections, peers redialled).
  std::vector<peer_connection_info> peer_conns(const test_node& n) {
    std::vector<peer_connection_info> out;
    self->request(n.swarm, 5s, peer_conns_atom::value)
      .receive([&](std::vector<peer_connection_info>&
                     xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// Kills `peer`'s connection actors at `n`; the killed ones or the error.
  result<std::vector<conn_id>> kill_peer(const test_node& n,
                                         const peer_id& peer) {
    result<std::vector<conn_id>> out = make_error(errc::io, "no answer");
    self->request(n.swarm, 5s, kill_peer_atom::value, peer)
      .receive([&](std::vector<conn_id>& xs) { out = std::move(xs); },
               [&](caf::error& err) { out = from_caf_error(sys, err); });
    return out;
  }

  /// The swarm's one-line status.
  std::string status(const test_node& n) {
    std::string out;
    self->request(n.swarm, 5s, status_atom::value)
      .receive([&](component_status& st) { out = st.summary; },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  result<caf::timespan> ping(const test_node& n, const peer_id& peer) {
    result<caf::timespan> out = make_error(errc::io, "no answer");
    self->request(n.swarm, 30s, ping_atom::value, peer)
      .receive([&](caf::timespan rtt) { out = rtt; },
               [&](caf::error& err) { out = from_caf_error(sys, err); });
    return out;
  }

  void set_handler(const test_node& n, std::string protocol, caf::actor h) {
    self
      ->request(n.swarm, 5s, set_handler_atom::value,
                std::vector<std::string>{std::move(protocol)},
                caf::actor_cast<stream_handler_actor>(h))
      .receive([](std::uint64_t) {},
               [&](caf::error& err) { FAIL(sys.render(err)); });
  }

  /// Opens `protocol` with a client as owner and transfers `payload`.
  result<bytes> transfer(const test_node& from, const peer_id& to,
                         const std::string& protocol, bytes payload,
                         std::uint64_t expected) {
    auto client = spawn_client(sys);
    stream_ref ref;
    bool opened = false;
    result<bytes> out = make_error(errc::io, "no answer");
    self
      ->request(from.swarm, 10s, open_stream_atom::value, to,
                std::vector<std::string>{protocol}, caf::timespan{5s},
                caf::actor_cast<stream_handler_actor>(client))
      .receive(
        [&](stream_ref& r) {
          ref = std::move(r);
          opened = true;
        },
        [&](caf::error& err) { out = from_caf_error(sys, err); });
    if (!opened) {
      self->send_exit(client, caf::exit_reason::user_shutdown);
      return out;
    }
    CHECK(ref.protocol == protocol);
    CHECK(ref.peer == to);
    self
      ->request(client, transfer_timeout, transfer_atom::value, ref,
                std::move(payload), expected)
      .receive([&](bytes& back) { out = std::move(back); },
               [&](caf::error& err) { out = from_caf_error(sys, err); });
    if (!out.ok()) {
      self->request(ref.connection, 5s, status_atom::value)
        .receive([&](component_status& st) { MESSAGE(st.summary); },
                 [&](caf::error&) {});
      self->request(client, 5s, stats_atom::value)
        .receive(
          [&](std::uint64_t received, bool closed, std::uint64_t accepted,
              int in_flight, bool fin_sent) {
            MESSAGE("client: received " << received << ", remote closed "
                                        << closed << ", accepted " << accepted
                                        << ", writes in flight " << in_flight
                                        << ", fin sent " << fin_sent);
          },
          [&](caf::error&) {});
    }
    self->send_exit(client, caf::exit_reason::user_shutdown);
    return out;
  }
};

inline bool contains(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace canswarm::test
