// The connection core in memory: two cores joined by a lossless link with a
// virtual clock (no sockets, no CAF).

#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "canswarm/connection/core.hpp"
#include "canswarm/multiformats/multiaddr.hpp"

using namespace canswarm;
using namespace canswarm::connection;
using namespace std::chrono_literals;

namespace {

noise::key32 random_key(std::mt19937& rng) {
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

struct mem_link {
  std::mt19937 rng{42};
  time_point now{std::chrono::seconds{1000}};
  side a; // dialer
  side b; // listener

  explicit mem_link(std::optional<peer_id> expected = std::nullopt,
                    std::vector<std::string> b_protocols = {"/echo/1.0.0"}) {
    a.key = std::make_shared<const identity::private_key>(
      identity::private_key::generate_ed25519());
    b.key = std::make_shared<const identity::private_key>(
      identity::private_key::generate_ed25519());
    a.id = peer_id::from_public_key(a.key->public_key());
    b.id = peer_id::from_public_key(b.key->public_key());
    a.c = std::make_unique<core>(
      make(direction::outbound, a.key, expected ? expected : b.id, {}));
    b.c = std::make_unique<core>(
      make(direction::inbound, b.key, std::nullopt, std::move(b_protocols)));
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

} // namespace

TEST_CASE("two cores upgrade, identify each other and ping") {
  mem_link l;
  l.run();
  // The identify answers are written, their FINs wait for early_fin_delay.
  CHECK(l.a.all<identified>().empty());
  l.wait(early_fin_delay);
  REQUIRE(l.a.c->current_phase() == phase::open);
  REQUIRE(l.b.c->current_phase() == phase::open);
  REQUIRE(l.a.all<established>().size() == 1);
  CHECK(l.a.all<established>()[0].peer == l.b.id);
  CHECK(l.b.all<established>()[0].peer == l.a.id);
  auto ids = l.a.all<identified>();
  REQUIRE(ids.size() == 1);
  CHECK(ids[0].message.agent_version == "canswarm/" CANSWARM_VERSION);
  CHECK(ids[0].message.protocol_version == "ipfs/0.1.0");
  CHECK(ids[0].message.protocols
        == std::vector<std::string>{"/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0",
                                    "/ipfs/ping/1.0.0", "/echo/1.0.0"});
  REQUIRE(ids[0].message.observed_addr);
  CHECK(multiaddr::from_bytes(*ids[0].message.observed_addr)->to_string()
        == "/ip4/127.0.0.1/tcp/4001");
  REQUIRE(l.b.all<identified>().size() == 1);
  CHECK(l.a.all<identify_failed>().empty());
  // Every internal stream is gone once both sides closed it.
  CHECK(l.a.c->stream_count() == 0);
  CHECK(l.b.c->stream_count() == 0);

  bytes payload(32, 7);
  REQUIRE(l.a.c->ping(request_id{5}, payload, l.now).ok());
  l.now += 3ms;
  l.run();
  auto pings = l.a.all<ping_done>();
  REQUIRE(pings.size() == 1);
  CHECK(pings[0].request == request_id{5});
  REQUIRE(pings[0].rtt);
  l.wait(early_fin_delay);
  CHECK(l.a.c->stream_count() == 0);
}

TEST_CASE("an application stream carries data both ways with credit") {
  mem_link l;
  l.run();
  REQUIRE(l.a.c
            ->open_stream(request_id{9}, {"/nope/1.0.0", "/echo/1.0.0"},
                          l.now + 5s, l.now)
            .ok());
  l.run();
  auto ready = l.a.all<stream_ready>();
  REQUIRE(ready.size() == 1);
  CHECK(ready[0].request == request_id{9});
  CHECK(ready[0].protocol == "/echo/1.0.0");
  auto accepted = l.b.all<stream_accepted>();
  REQUIRE(accepted.size() == 1);
  CHECK(accepted[0].protocol == "/echo/1.0.0");
  auto sa = ready[0].id;
  auto sb = accepted[0].id;

  // Without consume, the sender stops at the 256 KiB initial window.
  bytes big(1 << 20);
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<std::uint8_t>(i * 31 + 7);
  std::size_t offset = 0;
  auto feed = [&] {
    while (offset < big.size()) {
      bytes chunk(big.begin() + static_cast<std::ptrdiff_t>(offset),
                  big.begin()
                    + static_cast<std::ptrdiff_t>(
                      std::min(big.size(), offset + 65536)));
      auto n = l.a.c->write(sa, std::move(chunk), l.now);
      REQUIRE(n.ok());
      offset += *n;
      if (*n == 0)
        break;
    }
  };
  feed();
  l.run();
  bytes received;
  for (auto& d : l.b.all<stream_data>())
    append(received, d.data);
  // (The window also paid for the few multistream bytes before the data.)
  CHECK(received.size() <= 256 * 1024);
  CHECK(received.size() > 255 * 1024);

  // Acknowledge as we go: everything arrives, byte-identical.
  std::size_t credited = 0;
  for (int i = 0; i < 100 && received.size() < big.size(); ++i) {
    l.b.c->consume(sb, received.size() - credited, l.now);
    credited = received.size();
    l.b.events.clear();
    feed();
    l.run();
    for (auto& d : l.b.all<stream_data>())
      append(received, d.data);
  }
  CHECK(received == big);

  REQUIRE(l.a.c->close_stream(sa).ok());
  l.run();
  CHECK(l.b.all<stream_remote_closed>().size() == 1);
  REQUIRE(l.b.c->close_stream(sb).ok());
  l.wait(early_fin_delay);
  CHECK(l.a.all<stream_remote_closed>().size() == 1);
  CHECK(l.a.c->stream_count() == 0);
  CHECK(l.b.c->stream_count() == 0);
}

TEST_CASE("a dialer expecting another peer fails with both ids") {
  auto other = peer_id::from_public_key(
    identity::private_key::generate_ed25519().public_key());
  mem_link l{other};
  l.run();
  auto cl = l.a.all<closed>();
  REQUIRE(cl.size() == 1);
  CHECK(cl[0].reason.message.find(other.to_string()) != std::string::npos);
  CHECK(cl[0].reason.message.find(l.b.id.to_string()) != std::string::npos);
  CHECK(l.a.c->current_phase() == phase::closed);
}

TEST_CASE("an unsupported protocol and a silent peer fail with reasons") {
  mem_link l;
  l.run();
  REQUIRE(
    l.a.c->open_stream(request_id{1}, {"/nope/1.0.0"}, l.now + 5s, l.now).ok());
  l.run();
  auto failed = l.a.all<stream_failed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].reason.code == errc::unsupported);

  // The handshake deadline: a listener that never hears from its dialer.
  mem_link silent;
  silent.b.c->handle_timeout(silent.now + 11s);
  auto cl = silent.b.c->poll_event();
  REQUIRE(cl);
  REQUIRE(std::holds_alternative<closed>(*cl));
  CHECK(std::get<closed>(*cl).reason.code == errc::timeout);
}
