// A misbehaving remote against a real swarm over loopback TCP: a raw socket
// in the test thread speaks multistream, Noise and yamux through the pure
// protocol libraries (bad_input_peer.hpp) to get past the earlier layers,
// then breaks a rule of the next one. Each case checks that canswarm
// (a) closes that connection (the socket sees EOF or a reset), (b) logs the
// specific reason, and (c) keeps serving well-behaved peers: a swarm
// connected before the attack still pings, and a new one dials and pings.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "bad_input_peer.hpp"
#include "canswarm/actors/listener.hpp"
#include "canswarm/connection/peer_connection.hpp"
#include "canswarm/multistream/codec.hpp"
#include "canswarm/multistream/negotiator.hpp"
#include "canswarm/noise/session.hpp"
#include "canswarm/varint/varint.hpp"
#include "canswarm/yamux/config.hpp"
#include "canswarm/yamux/frame.hpp"
#include "swarm_fixture.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

using fixture = swarm_fixture;
using yamux::frame_type;
using yamux::header;

/// How long canswarm may take to close an offending connection.
constexpr auto close_wait = 5000ms;

/// The stall limit of the slow-reader case (the default is 30 s).
constexpr auto test_write_stall = 2s;

bytes random_bytes(std::size_t n) {
  std::mt19937 rng{42};
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng());
  return out;
}

/// start_node with the write-stall limit and the connection timeout of
/// inbound connections set.
test_node start_target(caf::actor_system& sys, caf::scoped_actor& self,
                       duration write_stall = write_stall_limit,
                       caf::timespan timeout = 10s) {
  test_node n;
  n.key = std::make_shared<const identity::private_key>(
    identity::private_key::generate_ed25519());
  n.id = peer_id::from_public_key(n.key->public_key());
  auto locator = std::make_shared<swarm_locator>();
  swarm_config sc;
  sc.key = n.key;
  sc.connection_timeout = timeout;
  sc.locator = locator;
  n.swarm = spawn_swarm(sys, sc).value();
  listener_config lc;
  lc.listen_addrs = {multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
  lc.factory = inbound_connection_factory(locator, n.key, timeout, write_stall);
  n.transport = caf::actor_cast<transport_actor>(listener_spawner(lc)(sys));
  self->request(n.transport, 5s, addresses_atom::value)
    .receive([&](std::vector<std::string>& xs) { n.listen = std::move(xs); },
             [&](caf::error& err) { FAIL(sys.render(err)); });
  std::vector<multiaddr> addrs;
  for (const auto& a : n.listen)
    addrs.push_back(multiaddr::parse(a).value());
  self->send(n.swarm, listen_addrs_atom::value, std::move(addrs));
  return n;
}

/// A target node, a well-behaved node connected to it before the attack,
/// the attacker and a log capture.
struct scene {
  fixture& f;
  log_capture logs;
  test_node target;
  test_node good;
  std::optional<raw_peer> bad;
  std::string bad_label; ///< "tcp/<attacker port> " in the log label.

  explicit scene(fixture& fx, duration write_stall = write_stall_limit,
                 caf::timespan timeout = 10s)
      : f(fx),
        target(start_target(f.sys, f.self, write_stall, timeout)),
        good(start_node(f.sys, f.self)) {
    auto id = f.dial(good, dial_request{{}, {target.dial_addr()}, 5s});
    CHECK_MESSAGE(id.ok(), id.error().describe());
  }

  /// Connects the attacker (`rcvbuf`: see raw_peer).
  raw_peer& connect(int rcvbuf = 0) {
    bad.emplace(port_of(target.listen.at(0)), rcvbuf);
    bad_label = "tcp/" + std::to_string(bad->local_port()) + " ";
    return *bad;
  }

  ~scene() {
    stop_node(f.self, good);
    stop_node(f.self, target);
  }

  /// (a), (b) and (c): the attacker's socket closes, a close line of its
  /// connection names every one of `reason`, and honest peers still work.
  void expect_closed_with(std::vector<std::string> reason) {
    CHECK_MESSAGE(bad->wait_closed(close_wait),
                  "canswarm kept the offending connection open");
    reason.push_back(bad_label);
    reason.push_back(" closed: ");
    auto line = logs.wait_for(reason, 3000ms);
    CHECK_MESSAGE(!line.empty(), "no such close line in:\n" << logs.dump());
    MESSAGE("logged: " << line);
    expect_honest_peers_served();
  }

  void expect_honest_peers_served() {
    // The connection made before the attack is still up.
    auto rtt = f.ping(good, target.id);
    CHECK_MESSAGE(rtt.ok(), rtt.error().describe());
    // A new peer still gets in.
    auto late = start_node(f.sys, f.self);
    auto id = f.dial(late, dial_request{{}, {target.dial_addr()}, 5s});
    CHECK_MESSAGE(id.ok(), id.error().describe());
    if (id.ok()) {
      auto rtt2 = f.ping(late, target.id);
      CHECK_MESSAGE(rtt2.ok(), rtt2.error().describe());
    }
    stop_node(f.self, late);
  }
};

header frame(frame_type type, std::uint16_t flags, std::uint32_t stream,
             std::uint32_t length) {
  return header{yamux::protocol_version, type, flags, stream, length};
}

/// The number before `suffix` in `text` (0 if absent).
std::uint64_t number_before(const std::string& text,
                            const std::string& suffix) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex{"(\\d+) " + suffix}))
    return std::stoull(m[1].str());
  return 0;
}

} // namespace

// -- multistream --------------------------------------------------------------

TEST_CASE_FIXTURE(fixture, "a multistream line over 1024 bytes is refused "
                           "naming the limit") {
  scene s{*this};
  s.connect();
  bytes wire = multistream::encode_line(multistream::protocol_id);
  // One byte over max_line_size (text + '\n' = 1025 bytes).
  constexpr std::size_t body = multistream::max_line_size + 1;
  varint::encode(body, wire);
  wire.insert(wire.end(), body - 1, 'a');
  wire.push_back('\n');
  s.bad->send(wire);
  s.expect_closed_with({"security negotiation", "frame length 1025 over "
                                                "limit 1024"});
}

TEST_CASE_FIXTURE(fixture, "a multistream line without a newline is "
                           "refused") {
  scene s{*this};
  s.connect();
  bytes wire = multistream::encode_line(multistream::protocol_id);
  // A complete frame ("/noise", length 6) whose body lacks the '\n'.
  std::string text{noise::protocol_id};
  varint::encode(text.size(), wire);
  wire.insert(wire.end(), text.begin(), text.end());
  s.bad->send(wire);
  s.expect_closed_with({"security negotiation", "does not end with a "
                                                "newline"});
}

// -- noise --------------------------------------------------------------------

TEST_CASE_FIXTURE(fixture, "a garbage Noise handshake message is refused") {
  scene s{*this};
  s.connect();
  s.bad->negotiate_plain(std::string{noise::protocol_id});
  // A framed message 1 of 100 random bytes: 32 read as the ephemeral key,
  // the other 68 as a payload message 1 must not carry. (Unframed garbage
  // would only announce a length up to 65535 and wait; the handshake
  // deadline bounds that.)
  bytes wire{0x00, 100};
  append(wire, random_bytes(100));
  s.bad->send(wire);
  s.expect_closed_with({"noise handshake", "68 unexpected payload bytes"});
}

TEST_CASE_FIXTURE(fixture, "a Noise handshake message that cannot decrypt "
                           "is refused") {
  scene s{*this};
  s.connect();
  s.bad->negotiate_plain(std::string{noise::protocol_id});
  // Message 1: 32 random bytes are a usable ephemeral key.
  bytes msg1{0x00, 32};
  append(msg1, random_bytes(32));
  s.bad->send(msg1);
  // canswarm answers with message 2 (e, ee, s, es, payload).
  auto answer = s.bad->read_some(3000ms);
  REQUIRE(answer.size() > 2 + 32 + 48);
  // Message 3 (s, se, payload) with a random encrypted static key.
  bytes msg3{0x00, 96};
  append(msg3, random_bytes(96));
  s.bad->send(msg3);
  s.expect_closed_with({"noise handshake", "failed authentication"});
}

// A Noise message is at most 65535 bytes on the wire: the 2-byte big-endian
// length prefix cannot express more, so no peer can make a Noise session
// hold more than one prefix plus 65535 bytes of a partial frame.
static_assert(noise::length_prefix_size == 2);
static_assert(noise::max_frame_size
              == std::numeric_limits<std::uint16_t>::max());

TEST_CASE_FIXTURE(fixture, "a maximal Noise transport frame of garbage is "
                           "refused once complete") {
  scene s{*this};
  s.connect();
  s.bad->negotiate_plain(std::string{noise::protocol_id});
  s.bad->noise_handshake(s.target.id);
  // Prefix 0xffff: the largest frame there is. All but its last byte first:
  // canswarm must wait (a partial frame is legal) ...
  bytes wire{0xff, 0xff};
  append(wire, random_bytes(noise::max_frame_size));
  s.bad->send(bytes_view{wire}.first(wire.size() - 1));
  CHECK_FALSE(s.bad->wait_closed(300ms));
  // ... and refuse it as soon as it is complete and fails authentication.
  s.bad->send(bytes_view{wire}.last(1));
  s.expect_closed_with({"noise transport", "failed authentication"});
}

// -- yamux --------------------------------------------------------------------

TEST_CASE_FIXTURE(fixture, "a yamux window update that overflows the send "
                           "window is refused") {
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  // A legal but huge credit: stream 1 opens with 256 KiB, plus 2^31 - 1.
  // (max_window_limit bounds the receive windows we grant; credit a peer
  // grants us costs nothing, so only the 32-bit overflow is an error.)
  s.bad->send_frame(
    frame(frame_type::window_update, yamux::flag_syn, 1, 0x7fffffffu));
  CHECK(s.bad->ping_alive(11, 3000ms));
  // Now 2^31 more: the window would pass 2^32 - 1.
  s.bad->send_frame(frame(frame_type::window_update, 0, 1, 0x80000000u));
  s.expect_closed_with({"yamux", "window update of 2147483648 overflows the "
                                 "send window"});
}

TEST_CASE_FIXTURE(fixture, "a first yamux DATA frame over the initial "
                           "window is refused") {
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  // The header alone: the length is checked before any body is buffered.
  s.bad->send_frame(
    frame(frame_type::data, yamux::flag_syn, 1, yamux::initial_window + 1));
  s.expect_closed_with({"yamux", "DATA frame of 262145 bytes exceeds the "
                                 "receive window of 262144"});
}

TEST_CASE_FIXTURE(fixture, "a yamux DATA header announcing 0xFFFFFFFF "
                           "bytes, then silence, is refused at the header") {
  // Issue #9: a header announcing a 4 GiB body on an open stream, then
  // nothing more, the socket left open. The length is over any receive
  // window, so the session fails at the header: nothing waits for the body
  // (not the ping timeout, not the connection timeout) and nothing is
  // allocated for it.
  struct debug_level {
    log::level saved = log::global().threshold();
    debug_level() {
      log::global().set_level(log::level::debug); // The close summary.
    }
    ~debug_level() {
      log::global().set_level(saved);
    }
  } debug;
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  // Stream 1 opens legally (an empty SYN) and is acknowledged.
  s.bad->send_frame(frame(frame_type::window_update, yamux::flag_syn, 1, 0));
  auto ack = s.bad
               ->read_frame_until([](const header& h) { return h.stream == 1; },
                                  3000ms);
  REQUIRE(ack.has_value());
  CHECK(ack->has(yamux::flag_ack));
  // The header alone, then silence.
  auto start = std::chrono::steady_clock::now();
  s.bad->send_frame(frame(frame_type::data, 0, 1, 0xffffffffu));
  CHECK(s.bad->wait_closed(close_wait));
  auto took = std::chrono::steady_clock::now() - start;
  MESSAGE("closed "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
          << " ms after the header");
  // At once: well before the first timer that could end a silent session
  // (the unanswered RTT ping fails it after ping_timeout, 10 s).
  CHECK(took < yamux::config{}.ping_timeout / 4);
  // The close summary (DEBUG): the connection read the upgrade and the
  // headers, a few hundred bytes, and bridged no stream.
  auto summary = s.logs.wait_for({s.bad_label, " bytes read in "}, 3000ms);
  REQUIRE_MESSAGE(!summary.empty(), "no close summary in:\n" << s.logs.dump());
  MESSAGE("summary: " << summary);
  auto read = number_before(summary, "bytes read in");
  CHECK(read > 0);
  CHECK(read < 16 * 1024);
  CHECK(summary.find(" 0 streams bridged") != std::string::npos);
  // The reason names the announced length; honest peers, the one connected
  // all along and a new one, still open streams (each ping is a new one).
  s.expect_closed_with({"yamux", "DATA frame of 4294967295 bytes exceeds the "
                                 "receive window of 262144"});
}

TEST_CASE_FIXTURE(fixture, "an unknown yamux frame type is refused") {
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  // version 0, type 7, no flags, stream 0, length 0.
  bytes raw{0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  s.bad->send_secure(raw);
  s.expect_closed_with({"yamux", "unknown yamux frame type 0x07"});
}

TEST_CASE_FIXTURE(fixture, "yamux streams over the session bound are reset "
                           "one by one") {
  // The bound: yamux::config::max_concurrent_streams (256, the core keeps
  // the default) live streams in both directions, and at most
  // max_inbound_ack_backlog (256) unacknowledged inbound ones. Over it an
  // inbound SYN is answered with RST (as go-yamux does) while fewer than
  // max_refused_streams (64) were refused in a row; the session and the
  // connection stay up. The next case goes past that.
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  constexpr std::size_t bound = yamux::config{}.max_concurrent_streams;
  constexpr std::size_t opened = bound + 44;
  bytes batch;
  for (std::uint32_t i = 0; i < opened; ++i)
    yamux::encode_header(frame(frame_type::window_update, yamux::flag_syn,
                               2 * i + 1, 0),
                         batch);
  s.bad->send_secure(batch);
  std::vector<std::uint32_t> reset;
  s.bad->read_frame_until(
    [&](const header& h) {
      if (h.type == frame_type::window_update && h.has(yamux::flag_rst)
          && (h.stream & 1) == 1)
        reset.push_back(h.stream);
      return reset.size() >= opened - bound + 1;
    },
    3000ms);
  std::sort(reset.begin(), reset.end());
  MESSAGE(reset.size() << " of " << opened << " streams reset, first "
                       << (reset.empty() ? 0 : reset.front()));
  // canswarm's own identify stream takes one slot: 255 of ours fit.
  CHECK(reset.size() == opened - bound + 1);
  REQUIRE_FALSE(reset.empty());
  CHECK(reset.front() == 2 * (bound - 1) + 1);
  // The session is alive and still answers.
  CHECK(s.bad->ping_alive(12, 3000ms));
  // The bound counts live streams: once ours are reset, a new one opens.
  bytes resets;
  for (std::uint32_t i = 0; i + 1 < bound; ++i)
    yamux::encode_header(frame(frame_type::window_update, yamux::flag_rst,
                               2 * i + 1, 0),
                         resets);
  s.bad->send_secure(resets);
  constexpr std::uint32_t fresh = 2 * opened + 1;
  s.bad->send_frame(
    frame(frame_type::window_update, yamux::flag_syn, fresh, 0));
  auto answer = s.bad->read_frame_until([&](const header&
                                              h) { return h.stream == fresh; },
                                        3000ms);
  REQUIRE(answer.has_value());
  CHECK(answer->has(yamux::flag_ack));
  CHECK_FALSE(answer->has(yamux::flag_rst));
  CHECK_FALSE(s.bad->wait_closed(100ms));
  s.expect_honest_peers_served();
}

TEST_CASE_FIXTURE(fixture, "a peer that keeps opening streams over the "
                           "bound is disconnected") {
  scene s{*this};
  s.connect();
  s.bad->upgrade(s.target.id);
  constexpr std::size_t bound = yamux::config{}.max_concurrent_streams;
  constexpr std::size_t refusals = yamux::config{}.max_refused_streams;
  constexpr std::size_t opened = bound + refusals + 8;
  bytes batch;
  for (std::uint32_t i = 0; i < opened; ++i)
    yamux::encode_header(frame(frame_type::window_update, yamux::flag_syn,
                               2 * i + 1, 0),
                         batch);
  s.bad->send_secure(batch);
  s.expect_closed_with({"yamux", "max_refused_streams 64 exceeded"});
}

// -- a closed connection is freed -------------------------------------------

namespace {

/// Keeps the connection of the first `protocol` stream opened to it as a
/// weak address (it must not keep the connection alive). (stats_atom) ->
/// actor_addr, invalid before such a stream opened.
caf::behavior connection_recorder(caf::event_based_actor*,
                                  std::string protocol) {
  auto conn = std::make_shared<caf::actor_addr>();
  return {
    [conn, protocol](stream_opened& x) {
      if (!*conn && x.ref.protocol == protocol)
        *conn = caf::actor_cast<caf::actor_addr>(x.ref.connection);
    },
    [](stream_data&) {},
    [](stream_closed&) {},
    [](stream_reset&) {},
    [conn](stats_atom) { return *conn; },
  };
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a closed connection is freed once its pending "
                           "timer fires") {
  // A CAF 0.17 broker's mailbox stays open after it quits, so the timer
  // tick a connection armed for its connection timeout lands there after
  // the close. A tick sent by the connection itself held a strong reference
  // to it from its own mailbox: the connection (and what its mailbox held,
  // such as the swarm's close request) was never freed (LeakSanitizer).
  // Here the tick is due 2 s after the connect; the connection closes long
  // before, and must be gone once the tick has fired.
  constexpr auto timeout = 2s;
  scene s{*this, write_stall_limit, timeout};
  const std::string probe = "/canswarm/probe/1.0.0";
  auto recorder = sys.spawn(connection_recorder, probe);
  set_handler(s.target, probe, recorder);
  auto connected = std::chrono::steady_clock::now();
  s.connect();
  s.bad->upgrade(s.target.id);
  // Stream 1 with the probe protocol: the recorder learns the connection.
  s.bad->send_frame(frame(frame_type::window_update, yamux::flag_syn, 1, 0));
  multistream::dialer d{{probe}};
  auto proposal = d.take_output();
  s.bad->send_frame(frame(frame_type::data, 0, 1,
                          static_cast<std::uint32_t>(proposal.size())),
                    proposal);
  caf::actor_addr conn;
  for (int i = 0; i < 100 && !conn; ++i) {
    self->request(recorder, 5s, stats_atom::value)
      .receive([&](caf::actor_addr& x) { conn = std::move(x); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    if (!conn)
      std::this_thread::sleep_for(20ms);
  }
  REQUIRE_MESSAGE(conn, "no stream reached the recorder");
  CHECK(caf::actor_cast<caf::strong_actor_ptr>(conn) != nullptr);
  // Closed at once (an unknown frame type) ...
  bytes raw{0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  s.bad->send_secure(raw);
  s.expect_closed_with({"yamux", "unknown yamux frame type 0x07"});
  REQUIRE(std::chrono::steady_clock::now() - connected < timeout);
  // ... and freed at the latest shortly after the tick is due.
  bool freed = false;
  while (!freed
         && std::chrono::steady_clock::now() - connected < timeout + 3s) {
    freed = caf::actor_cast<caf::strong_actor_ptr>(conn) == nullptr;
    if (!freed)
      std::this_thread::sleep_for(50ms);
  }
  auto after = std::chrono::steady_clock::now() - connected;
  MESSAGE(
    "connection freed: "
    << freed << ", "
    << std::chrono::duration_cast<std::chrono::milliseconds>(after).count()
    << " ms after the connect");
  CHECK_MESSAGE(freed, "the closed connection is still referenced "
                       "(a reference cycle)");
  self->send_exit(recorder, caf::exit_reason::user_shutdown);
}

// -- a peer that stops reading ------------------------------------------------

namespace {

/// Writes `total` bytes in 256 KiB pieces (4 in flight) on every stream
/// opened to it. (stats_atom) -> (uint64 accepted, bool opened, bool failed,
/// actor_addr connection).
struct flood_state {
  static inline const char* name = "test_flood";
  caf::actor conn;
  stream_id id;
  std::uint64_t total = 0;
  std::uint64_t offered = 0;
  std::uint64_t accepted = 0;
  int in_flight = 0;
  bool opened = false;
  bool failed = false;
};

using flood_ptr = caf::stateful_actor<flood_state>*;

constexpr std::size_t flood_piece = 256 * 1024;

void flood_pump(flood_ptr self) {
  auto& st = self->state;
  while (!st.failed && st.in_flight < 4 && st.offered < st.total) {
    st.offered += flood_piece;
    ++st.in_flight;
    self
      ->request(st.conn, caf::infinite, stream_write_atom::value, st.id,
                bytes(flood_piece, 0x5a))
      .then(
        [self](std::uint64_t n) {
          self->state.accepted += n;
          --self->state.in_flight;
          flood_pump(self);
        },
        [self](caf::error&) {
          --self->state.in_flight;
          self->state.failed = true;
        });
  }
}

caf::behavior flood_handler(flood_ptr self, std::uint64_t total) {
  self->state.total = total;
  return {
    [self](stream_opened& x) {
      auto& st = self->state;
      if (st.opened)
        return;
      st.opened = true;
      st.conn = x.ref.connection;
      st.id = x.ref.key.id;
      flood_pump(self);
    },
    [self](stream_data& x) {
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 stream_ack_atom::value, x.key.id,
                 static_cast<std::uint64_t>(x.data.size()));
    },
    [](stream_closed&) {},
    [](stream_reset&) {},
    [self](stats_atom) {
      auto& st = self->state;
      return caf::make_message(st.accepted, st.opened, st.failed,
                               caf::actor_cast<caf::actor_addr>(st.conn));
    },
  };
}

/// The third field of /proc/sys/net/ipv4/tcp_wmem: the most the kernel
/// buffers on a TCP socket we write to.
std::uint64_t kernel_send_buffer_max() {
  std::ifstream in{"/proc/sys/net/ipv4/tcp_wmem"};
  std::uint64_t lo = 0, def = 0, hi = 0;
  in >> lo >> def >> hi;
  return hi > 0 ? hi : 4 * 1024 * 1024;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a peer that stops reading is disconnected with "
                           "bounded buffering") {
  // The remote's receive buffer is small; our socket's send buffer is the
  // kernel's (tcp_wmem). Behind it, the connection holds at most
  // write_high_water (+ one transmit chunk) handed to CAF, and yamux at
  // most max_stream_send_buffer for the stream; the handler's further
  // writes wait unaccepted.
  constexpr int rcvbuf = 64 * 1024;
  scene s{*this, test_write_stall};
  constexpr std::uint64_t offered = 256ull << 20;
  auto flood = sys.spawn(flood_handler, offered);
  set_handler(s.target, "/canswarm/flood/1.0.0", flood);
  s.connect(rcvbuf);
  s.bad->upgrade(s.target.id);
  // Open stream 1 granting a 1 GiB send window, then propose the flood
  // protocol on it; from here on the attacker never reads.
  s.bad->send_frame(
    frame(frame_type::window_update, yamux::flag_syn, 1, 1u << 30));
  multistream::dialer d{{"/canswarm/flood/1.0.0"}};
  auto proposal = d.take_output();
  s.bad->send_frame(frame(frame_type::data, 0, 1,
                          static_cast<std::uint32_t>(proposal.size())),
                    proposal);

  std::uint64_t max_in_flight = 0;
  std::uint64_t max_muxer_buffered = 0;
  std::uint64_t accepted = 0;
  bool opened = false;
  caf::actor conn;
  auto start = std::chrono::steady_clock::now();
  std::string closed_line;
  while (std::chrono::steady_clock::now() - start < 15s) {
    self->request(flood, 5s, stats_atom::value)
      .receive(
        [&](std::uint64_t acc, bool op, bool, caf::actor_addr c) {
          accepted = acc;
          opened = op;
          if (op) // Before, c is not a connection.
            conn = caf::actor_cast<caf::actor>(c);
        },
        [&](caf::error& err) { FAIL(sys.render(err)); });
    if (conn)
      self->request(conn, 1s, status_atom::value)
        .receive(
          [&](component_status& st) {
            max_in_flight = std::max(max_in_flight,
                                     number_before(st.summary, "in flight"));
            max_muxer_buffered = std::
              max(max_muxer_buffered,
                  number_before(st.summary, "bytes buffered to send"));
          },
          [](caf::error&) {}); // Closed meanwhile.
    closed_line = s.logs.wait_for({s.bad_label, " closed: "}, 0ms);
    if (!closed_line.empty())
      break;
    std::this_thread::sleep_for(100ms);
  }
  auto took = std::chrono::steady_clock::now() - start;
  MESSAGE("stalled reader: handler's writes accepted "
          << accepted << " of " << offered << " bytes, at most "
          << max_in_flight << " in flight at the connection, "
          << max_muxer_buffered << " in yamux; closed after "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
          << " ms");
  REQUIRE(opened);
  CHECK(accepted > 0);
  CHECK(max_in_flight > 0);
  CHECK(max_in_flight <= write_high_water + transmit_chunk_size + 64 * 1024);
  CHECK(max_muxer_buffered <= yamux::config{}.max_stream_send_buffer);
  // Everything the handler got accepted sits in yamux, at the connection,
  // or in the two kernel buffers.
  CHECK(accepted <= yamux::config{}.max_stream_send_buffer + write_high_water
                      + transmit_chunk_size + kernel_send_buffer_max()
                      + 4 * rcvbuf + 1024 * 1024);
  CHECK(accepted < offered / 4);
  // Closed for the stall, after the (shortened) limit and well before the
  // default one.
  CHECK(took >= test_write_stall);
  CHECK(took < write_stall_limit);
  s.expect_closed_with({"write timeout", "the peer stopped reading"});
  self->send_exit(flood, caf::exit_reason::user_shutdown);
}
