// The connection core in memory: two cores joined by a lossless link with a
// virtual clock (no sockets, no CAF).

#include <doctest/doctest.h>

#include "core_link.hpp"

using namespace canswarm;
using namespace canswarm::connection;
using namespace canswarm::test;
using namespace std::chrono_literals;

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
