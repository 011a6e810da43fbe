// Two mplex sessions joined by a simulated link (seeded RNG: random
// transmit budgets and random splits of every chunk): 8 MiB each way on
// one stream per side, echo streams that half-close, and a stream the
// listener resets mid-transfer. Everything arrives byte-identical and in
// order, and both sessions end with no streams left.

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "mplex_test_util.hpp"

using namespace mplex_test;

namespace {

constexpr std::size_t bulk_size = 8 * 1024 * 1024;
constexpr int echo_streams = 20;

bytes random_bytes(std::mt19937& rng, std::size_t n) {
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

/// One side: a session plus an application that writes what it was asked
/// to (respecting back-pressure) and records what arrives.
struct peer {
  explicit peer(role r) : s(r) {}

  struct outgoing {
    bytes data;
    std::size_t sent = 0;
    bool close_when_sent = true;
    bool closed = false;
  };

  session s;
  std::map<std::uint64_t, outgoing> out;
  std::map<std::uint64_t, bytes> received;
  std::set<std::uint64_t> opened_by_remote;
  std::set<std::uint64_t> remote_closed;
  std::set<std::uint64_t> reset;

  void send(stream_id id, bytes data, bool close_when_sent) {
    auto& o = out[id.value];
    append(o.data, data);
    o.close_when_sent = close_when_sent;
  }

  void pump_writes() {
    for (auto& [id, o] : out) {
      if (o.closed || reset.count(id))
        continue;
      while (o.sent < o.data.size()) {
        auto chunk = bytes_view{o.data}.subspan(o.sent);
        auto n = s.write(stream_id{id},
                         chunk.first(
                           std::min<std::size_t>(chunk.size(), 100'000)),
                         t0);
        REQUIRE_MESSAGE(n, n.error().describe());
        if (*n == 0)
          break;
        o.sent += *n;
      }
      if (o.sent == o.data.size() && o.close_when_sent) {
        REQUIRE(s.close(stream_id{id}));
        o.closed = true;
      }
    }
  }
};

/// Moves a random amount of `from`'s output to `to`, in random pieces.
void transfer(peer& from, peer& to, std::mt19937& rng) {
  bytes wire;
  from.s.poll_transmit(wire, 1 + rng() % (256 * 1024));
  std::size_t pos = 0;
  while (pos < wire.size()) {
    auto n = std::min<std::size_t>(wire.size() - pos, 1 + rng() % 70'000);
    to.s.handle_input(bytes_view{wire}.subspan(pos, n), t0);
    pos += n;
  }
}

} // namespace

TEST_CASE("simulated link: 8 MiB each way, echoes, half-close and reset") {
  std::mt19937 rng{20240607};
  peer client{role::client};
  peer server{role::server};

  // Client: bulk stream (number 0), echo streams (1..20), a stream the
  // server will reset (21).
  auto bulk_up = random_bytes(rng, bulk_size);
  auto up = client.s.open_stream();
  REQUIRE(up);
  client.send(*up, bulk_up, true);
  std::map<std::uint64_t, bytes> echo_sent;
  for (int i = 0; i < echo_streams; ++i) {
    auto id = client.s.open_stream();
    REQUIRE(id);
    echo_sent[id->value] = random_bytes(rng, 1 + rng() % 50'000);
    client.send(*id, echo_sent[id->value], true);
  }
  auto doomed = client.s.open_stream();
  REQUIRE(doomed);
  client.send(*doomed, random_bytes(rng, 3 * 1024 * 1024), true);

  // Server: its own bulk stream (number 0 on its side).
  auto bulk_down = random_bytes(rng, bulk_size);
  auto down = server.s.open_stream();
  REQUIRE(down);
  server.send(*down, bulk_down, true);

  const std::uint64_t up_at_server = 0 << 1 | 1;
  const std::uint64_t doomed_at_server = 21 << 1 | 1;
  bool server_reset_sent = false;

  for (int round = 0; round < 100'000; ++round) {
    client.pump_writes();
    server.pump_writes();
    transfer(client, server, rng);
    transfer(server, client, rng);

    while (auto ev = server.s.poll_event()) {
      if (auto* o = std::get_if<stream_opened>(&*ev)) {
        server.opened_by_remote.insert(o->id.value);
      } else if (auto* d = std::get_if<stream_data>(&*ev)) {
        auto id = d->id.value;
        append(server.received[id], d->data);
        // Echo streams: send back what arrives; close after the remote.
        if (id != up_at_server && id != doomed_at_server)
          server.send(d->id, d->data, false);
      } else if (auto* c = std::get_if<stream_remote_closed>(&*ev)) {
        auto id = c->id.value;
        server.remote_closed.insert(id);
        if (id == up_at_server)
          REQUIRE(server.s.close(c->id)); // Nothing to send back.
        else if (id != doomed_at_server)
          server.out[id].close_when_sent = true; // Echo done: half-close.
      } else {
        REQUIRE_MESSAGE(std::holds_alternative<stream_writable>(*ev),
                        "unexpected server event " << ev->index());
      }
    }
    if (!server_reset_sent && server.received[doomed_at_server].size() > 1000) {
      REQUIRE(server.s.reset(stream_id{doomed_at_server}));
      server_reset_sent = true;
    }
    while (auto ev = client.s.poll_event()) {
      if (auto* o = std::get_if<stream_opened>(&*ev)) {
        client.opened_by_remote.insert(o->id.value);
      } else if (auto* d = std::get_if<stream_data>(&*ev)) {
        append(client.received[d->id.value], d->data);
      } else if (auto* c = std::get_if<stream_remote_closed>(&*ev)) {
        client.remote_closed.insert(c->id.value);
        if (client.opened_by_remote.count(c->id.value))
          REQUIRE(client.s.close(c->id)); // The server's bulk stream.
      } else if (auto* r = std::get_if<stream_reset>(&*ev)) {
        client.reset.insert(r->id.value);
      } else {
        REQUIRE_MESSAGE(std::holds_alternative<stream_writable>(*ev),
                        "unexpected client event " << ev->index());
      }
    }
    if (client.s.stats().streams == 0 && server.s.stats().streams == 0
        && !client.s.wants_transmit() && !server.s.wants_transmit())
      break;
  }

  REQUIRE_FALSE(client.s.failure());
  REQUIRE_FALSE(server.s.failure());
  // Bulk both ways, byte-identical, closed after the last byte.
  CHECK(server.received[up_at_server] == bulk_up);
  CHECK(server.remote_closed.count(up_at_server) == 1);
  CHECK(client.opened_by_remote == std::set<std::uint64_t>{down->value | 1});
  CHECK(client.received[down->value | 1] == bulk_down);
  CHECK(client.remote_closed.count(down->value | 1) == 1);
  // Every echo came back whole; its stream closed both ways.
  for (const auto& [id, sent] : echo_sent) {
    CAPTURE(id);
    CHECK(client.received[id] == sent);
    CHECK(client.remote_closed.count(id) == 1);
  }
  // The reset stream: the client learned it and can no longer write.
  CHECK(server_reset_sent);
  CHECK(client.reset == std::set<std::uint64_t>{doomed->value});
  CHECK(client.s.write(*doomed, as_bytes("x"), t0).error().code
        == errc::not_found);
  CHECK(server.received[doomed_at_server].size() < 3 * 1024 * 1024);
  // Nothing left anywhere.
  CHECK(client.s.stats().streams == 0);
  CHECK(server.s.stats().streams == 0);
  CHECK(client.s.stats().send_buffered == 0);
  CHECK(server.s.stats().recv_buffered == 0);
  CHECK(server.s.stats().data_bytes_received
        >= bulk_size + server.received[doomed_at_server].size());
}
