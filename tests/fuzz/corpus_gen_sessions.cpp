// Seeds of the state-machine fuzz targets: noise_session, noise_handshake
// (recorded from an honest pair under the fake crypto this generator links,
// the same the fuzz target links) and yamux_session (operation scripts and
// bytes of real yamux peers).

#include <chrono>
#include <stdexcept>
#include <string>

#include "canswarm/noise/handshake.hpp"
#include "canswarm/noise/session.hpp"
#include "canswarm/yamux/session.hpp"
#include "corpus_gen.hpp"
#include "noise_fixture.hpp"

namespace canswarm::fuzz {

namespace {

void noise_session_seeds(seed_sink& sink) {
  bytes plain{1, 0, 0, 0};
  append_long(plain, as_bytes("hello"));
  append_long(plain, as_bytes("world, a second write"));
  sink.add("noise_session", "round-trip", plain);
  plain[1] = 5; // chunk size
  sink.add("noise_session", "round-trip-chunked", plain);
  plain[0] = 0x81; // flip a bit
  plain[2] = 0x12;
  sink.add("noise_session", "tampered", plain);
  bytes big{0x41, 0, 0, 0};
  append_long(big, as_bytes("0123456789abcdef"));
  sink.add("noise_session", "big", big);
  bytes forged{0, 0, 0x00, 0x20};
  append(forged, bytes(32, 0x55));
  append(forged, bytes{0x00, 0x05, 1, 2, 3, 4, 5});
  sink.add("noise_session", "forged", forged);
  bytes partial{0, 3, 0xff, 0xff};
  append(partial, bytes(10, 0x66));
  sink.add("noise_session", "partial", partial);
}

void noise_handshake_seeds(seed_sink& sink) {
  auto init = make_initiator(true);
  auto resp = make_responder();
  init.start();
  auto m1 = init.take_output();
  resp.handle_input(m1);
  auto m2 = resp.take_output();
  init.handle_input(m2);
  auto m3 = init.take_output();
  resp.handle_input(m3);
  auto si = init.finish();
  auto sr = resp.finish();
  if (!si || !sr)
    throw std::runtime_error("honest noise pair did not complete");
  bytes from_resp;
  sr->encrypt(as_bytes("from the responder"), from_resp);
  bytes from_init;
  si->encrypt(as_bytes("from the initiator"), from_init);
  sink.add("noise_handshake", "initiator", {0, 0}, m2);
  bytes with_data = m2;
  append(with_data, from_resp);
  sink.add("noise_handshake", "initiator-expect-data", {2, 0}, with_data);
  sink.add("noise_handshake", "initiator-chunked", {2, 7}, m2);
  bytes to_resp = m1;
  append(to_resp, m3);
  sink.add("noise_handshake", "responder-chunked", {1, 13}, to_resp);
  append(to_resp, from_init);
  sink.add("noise_handshake", "responder-data", {1, 0}, to_resp);
  bytes pair{4, 0, 1};
  append_short(pair, "/yamux/1.0.0");
  pair.push_back(2);
  append_short(pair, "/yamux/1.0.0");
  append_short(pair, "/mplex/6.7.0");
  append(pair, as_bytes("data"));
  sink.add("noise_handshake", "pair", pair);
}

// Operation scripts for yamux_session (see its operation table).
struct ops {
  bytes out;
  ops& raw(std::uint8_t b) {
    out.push_back(b);
    return *this;
  }
  ops& u16(std::uint16_t v) {
    return raw(static_cast<std::uint8_t>(v >> 8))
      .raw(static_cast<std::uint8_t>(v));
  }
  ops& open() {
    return raw(0);
  }
  ops& write(std::uint8_t stream, std::uint16_t n) {
    return raw(1).raw(stream).u16(n);
  }
  ops& close(std::uint8_t stream) {
    return raw(2).raw(stream);
  }
  ops& reset(std::uint8_t stream) {
    return raw(3).raw(stream);
  }
  ops& transmit() {
    return raw(4).u16(0xffff);
  }
  ops& deliver(bytes_view data) {
    raw(5);
    append_long(out, data);
    return *this;
  }
  ops& deliver_link() {
    return raw(5).u16(0xffff);
  }
  ops& advance(std::uint16_t ms) {
    return raw(6).u16(ms);
  }
  ops& drain() {
    return raw(7);
  }
  ops& ping() {
    return raw(8);
  }
  ops& go_away() {
    return raw(9).raw(0);
  }
  ops& consume(std::uint8_t stream) {
    return raw(10).raw(stream).u16(0xffff);
  }
};

void yamux_session_seeds(seed_sink& sink) {
  using namespace yamux;
  auto now = time_point{} + std::chrono::hours{1};
  session client{role::client};
  session server{role::server};
  auto id = *client.open_stream();
  (void)client.write(id, as_bytes("hello over yamux"), now);
  (void)client.close(id);
  client.ping(now);
  auto from_client = client.take_output();
  server.handle_input(from_client, now);
  while (server.poll_event()) {
  }
  (void)server.write(id, as_bytes("answer"), now);
  (void)server.close(id);
  auto from_server = server.take_output();
  // One session (server role) fed a real client's bytes.
  ops single_server;
  single_server.raw(2)
    .deliver(from_client)
    .drain()
    .write(0, 100)
    .transmit()
    .advance(500)
    .ping()
    .transmit()
    .close(0)
    .reset(0)
    .go_away()
    .transmit();
  sink.add("yamux_session", "server-fed-client", single_server.out);
  // One session (client role) fed a real server's answer.
  ops single_client;
  single_client.raw(0)
    .open()
    .write(0, 16)
    .close(0)
    .transmit()
    .deliver(from_server)
    .drain()
    .advance(11000)
    .transmit();
  sink.add("yamux_session", "client-fed-server", single_client.out);
  // Two sessions: streams both ways, closes, resets, timers.
  for (std::uint8_t mode : {1, 5, 9, 17}) {
    ops pair;
    pair.raw(mode);
    pair.raw(0).open().raw(0).write(0, 3000).raw(0).transmit();
    pair.raw(1).deliver_link().raw(1).drain().raw(1).write(0, 700);
    pair.raw(1).open().raw(1).write(1, 40000).raw(1).transmit();
    pair.raw(0).deliver_link().raw(0).drain().raw(0).consume(0);
    pair.raw(0).consume(1).raw(0).transmit().raw(1).deliver_link();
    pair.raw(1).drain().raw(1).close(0).raw(1).reset(1).raw(1).transmit();
    pair.raw(0).deliver_link().raw(0).drain().raw(0).advance(2000);
    pair.raw(0).ping().raw(0).transmit().raw(1).deliver_link();
    pair.raw(1).transmit().raw(0).deliver_link().raw(0).drain();
    pair.raw(0).go_away().raw(0).transmit().raw(1).deliver_link();
    sink.add("yamux_session", "pair-mode-" + std::to_string(mode), pair.out);
  }
}

} // namespace

void add_session_seeds(seed_sink& sink) {
  noise_session_seeds(sink);
  noise_handshake_seeds(sink);
  yamux_session_seeds(sink);
}

} // namespace canswarm::fuzz
