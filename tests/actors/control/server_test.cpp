// The control API in one process: two swarms on loopback TCP, a control
// server for one of them, driven by a small blocking p2pd client (the codec
// over a plain socket), as the interop suite drives the go daemon.

#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "canswarm/control/limits.hpp"
#include "canswarm/control/server.hpp"
#include "canswarm/log/log.hpp"
#include "control_client.hpp"
#include "stream_actors.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;
namespace p2pd = canswarm::p2pd;

namespace {

multiaddr ma(const std::string& text) {
  auto a = multiaddr::parse(text);
  REQUIRE_MESSAGE(a.ok(), text);
  return *a;
}

/// Captures log lines for the lifetime of the fixture (declared first, so
/// it outlives the actor system and sees every actor's last lines).
struct log_capture {
  std::vector<std::string> lines;
  std::mutex mtx;

  log_capture() {
    log::global().set_level(log::level::debug);
    // CANSWARM_TEST_LOG=1 also shows the lines (for debugging).
    auto echo = std::getenv("CANSWARM_TEST_LOG") != nullptr;
    log::global().set_sink([this, echo](std::string_view line) {
      std::lock_guard<std::mutex> guard{mtx};
      lines.emplace_back(line);
      if (echo)
        std::cerr << line << std::endl;
    });
  }

  ~log_capture() {
    log::global().set_sink({});
    log::global().set_level(log::level::info);
  }
};

struct fixture {
  log_capture logs;
  io_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  test_node a = start_node(sys, self);
  test_node b = start_node(sys, self);
  std::vector<std::string>& lines = logs.lines;
  std::mutex& mtx = logs.mtx;

  ~fixture() {
    stop_node(self, a);
    stop_node(self, b);
  }

  bool logged(const std::string& needle) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& l : lines)
      if (l.find(needle) != std::string::npos)
        return true;
    return false;
  }

  control::server_config config_for(const test_node& n,
                                    const std::string& where) {
    control::server_config sc;
    sc.control_addr = ma(where);
    sc.swarm = n.swarm;
    sc.self = n.id;
    for (auto& l : n.listen)
      sc.listen_addrs.push_back(ma(l));
    sc.connection_timeout = 10s;
    return sc;
  }

  control::started_server
  start(const test_node& n, const std::string& where = "/ip4/127.0.0.1/tcp/0") {
    auto s = control::start_control_server(sys, config_for(n, where));
    REQUIRE_MESSAGE(s.ok(), s.error().describe());
    return *s;
  }

  void stop(const control::started_server& s) {
    self->monitor(s.actor);
    self->send_exit(s.actor, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }

  control_client client(const control::started_server& s) {
    auto c = control_client::connect(s.bound);
    REQUIRE_MESSAGE(c.ok(), c.error().describe());
    return std::move(*c);
  }

  /// Waits until the server's status summary contains `text`.
  bool wait_for_summary(const control::started_server& s,
                        const std::string& text) {
    for (int i = 0; i < 200; ++i) {
      std::string summary;
      self->request(s.actor, 5s, status_atom::value)
        .receive([&](component_status& x) { summary = x.summary; },
                 [&](caf::error&) {});
      if (summary.find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  void set_handler(const test_node& n, std::string protocol, caf::actor h) {
    self
      ->request(n.swarm, 5s, set_handler_atom::value,
                std::vector<std::string>{std::move(protocol)},
                caf::actor_cast<stream_handler_actor>(h))
      .receive([](std::uint64_t) {},
               [&](caf::error& err) { FAIL(sys.render(err)); });
  }
};

p2pd::request identify() {
  return p2pd::request{};
}

p2pd::request list_peers() {
  p2pd::request r;
  r.type = p2pd::request_type::list_peers;
  return r;
}

p2pd::request connect_to(const test_node& n) {
  p2pd::request r;
  r.type = p2pd::request_type::connect;
  p2pd::connect_request c;
  c.peer = n.id.to_bytes();
  for (auto& l : n.listen)
    c.addrs.push_back(ma(l).to_bytes());
  c.timeout = 0; // the default
  r.connect = c;
  return r;
}

p2pd::request stream_open(const test_node& n, std::string proto) {
  p2pd::request r;
  r.type = p2pd::request_type::stream_open;
  r.stream_open = p2pd::stream_open_request{n.id.to_bytes(),
                                            {std::move(proto)},
                                            5};
  return r;
}

bytes text_bytes(std::string_view s) {
  return bytes(s.begin(), s.end());
}

/// Asserts an OK response and returns it.
p2pd::response expect_ok(result<p2pd::response> r) {
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  INFO("error: " << (r->error ? r->error->msg : ""));
  REQUIRE(r->type == p2pd::response_type::ok);
  return *r;
}

/// Asserts an ERROR response and returns its text.
std::string expect_error(result<p2pd::response> r) {
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  REQUIRE(r->type == p2pd::response_type::error);
  REQUIRE(r->error.has_value());
  return r->error->msg;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "IDENTIFY, CONNECT, LIST_PEERS and DISCONNECT on "
                           "one control connection") {
  auto s = start(a);
  CHECK(s.bound.value_of("ip4") == "127.0.0.1");
  CHECK(s.bound.value_of("tcp") != "0");
  auto c = client(s);
  auto id = expect_ok(c.call(identify()));
  REQUIRE(id.identify.has_value());
  CHECK(id.identify->id == a.id.to_bytes());
  REQUIRE(id.identify->addrs.size() == 1);
  CHECK(id.identify->addrs[0] == ma(a.listen[0]).to_bytes());

  CHECK(expect_ok(c.call(list_peers())).peers.empty());
  expect_ok(c.call(connect_to(b)));
  auto ps = expect_ok(c.call(list_peers())).peers;
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].id == b.id.to_bytes());
  REQUIRE(ps[0].addrs.size() == 1);
  CHECK(ps[0].addrs[0] == ma(b.listen[0]).to_bytes());

  p2pd::request d;
  d.type = p2pd::request_type::disconnect;
  d.disconnect = p2pd::disconnect_request{b.id.to_bytes()};
  expect_ok(c.call(d));
  CHECK(expect_ok(c.call(list_peers())).peers.empty());
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "thousands of requests on one connection, "
                           "sequential and pipelined, are all answered") {
  // Regression: a request that arrived while the previous one was being
  // answered (socket reading halted) must still be read and answered.
  auto s = start(a);
  auto c = client(s);
  for (int i = 0; i < 2000; ++i) {
    auto r = c.call(i % 2 == 0 ? identify() : list_peers());
    REQUIRE_MESSAGE(r, "request " << i << ": " << r.error().message);
    REQUIRE(r->type == p2pd::response_type::ok);
  }
  // 64 requests written back to back, then 64 responses read.
  for (int round = 0; round < 20; ++round) {
    bytes out;
    for (int i = 0; i < 64; ++i)
      p2pd::write_message(i % 2 == 0 ? identify() : list_peers(), out);
    REQUIRE(c.send_raw(out));
    for (int i = 0; i < 64; ++i) {
      auto r = c.read_response();
      REQUIRE_MESSAGE(r, "round " << round << ", response " << i << ": "
                                  << r.error().message);
      CHECK(r->type == p2pd::response_type::ok);
      CHECK(r->identify.has_value() == (i % 2 == 0));
    }
  }
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "a js-style client opens one connection per "
                           "request") {
  auto s = start(a);
  for (int i = 0; i < 3; ++i) {
    auto c = client(s);
    expect_ok(c.call(identify()));
    c.socket().close();
  }
  auto c = client(s);
  expect_ok(c.call(connect_to(b)));
  c.socket().close();
  auto c2 = client(s);
  CHECK(expect_ok(c2.call(list_peers())).peers.size() == 1);
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "CONNECT failures are ERROR responses with the "
                           "reason") {
  auto s = start(a);
  auto c = client(s);
  // The address belongs to b, but we expect a's own id there.
  auto wrong = connect_to(b);
  auto other = start_node(sys, self);
  wrong.connect->peer = other.id.to_bytes();
  auto msg = expect_error(c.call(wrong));
  CHECK_FALSE(msg.empty());
  p2pd::request bad;
  bad.type = p2pd::request_type::connect;
  bad.connect = p2pd::connect_request{{0x00, 0x01}, {}, std::nullopt};
  CHECK(expect_error(c.call(bad)).starts_with("CONNECT: invalid peer id"));
  // Still usable.
  expect_ok(c.call(identify()));
  stop_node(self, other);
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "STREAM_OPEN turns the control connection into "
                           "the stream") {
  set_handler(b, "/echo/1.0.0", spawn_echo_handler(sys));
  auto s = start(a);
  auto c = client(s);
  expect_ok(c.call(connect_to(b)));
  auto st = client(s);
  auto resp = expect_ok(st.call(stream_open(b, "/echo/1.0.0")));
  REQUIRE(resp.stream.has_value());
  CHECK(resp.stream->peer == b.id.to_bytes());
  CHECK(resp.stream->proto == "/echo/1.0.0");
  CHECK(resp.stream->addr == ma(b.listen[0]).to_bytes());
  auto hello = text_bytes("hello, echo");
  REQUIRE(st.socket().write(hello));
  auto back = st.socket().read_exact(hello.size());
  REQUIRE_MESSAGE(back.ok(), back.error().describe());
  CHECK(*back == hello);

  // Several windows' worth, written and read at the same time: the bridge
  // must keep credit flowing both ways.
  auto big = pattern(3 * 1024 * 1024);
  std::thread writer([&] { CHECK(st.socket().write(big)); });
  auto echoed = st.socket().read_exact(big.size());
  writer.join();
  REQUIRE_MESSAGE(echoed.ok(), echoed.error().describe());
  CHECK(*echoed == big);

  // Closing our side ends the stream: the echo closes too, and the bridge
  // (the control connection) finishes.
  st.socket().shutdown_write();
  CHECK(st.socket().wait_closed());
  c.socket().close();
  CHECK(wait_for_summary(s, "0 connections open"));
  CHECK(logged("/echo/1.0.0 stream"));
  CHECK(logged(b.id.to_string() + ": done"));
  stop(s);
}

TEST_CASE("stopping everything while streams are bridged terminates every "
          "actor") {
  // The actor system's destructor waits for every actor: a bridge or peer
  // connection left behind would hang here.
  for (int round = 0; round < 5; ++round) {
    fixture f;
    auto echo = spawn_echo_handler(f.sys);
    f.set_handler(f.b, "/echo/1.0.0", echo);
    auto s = f.start(f.a);
    auto c = f.client(s);
    expect_ok(c.call(connect_to(f.b)));
    auto st = f.client(s);
    expect_ok(st.call(stream_open(f.b, "/echo/1.0.0")));
    auto data = pattern(200 * 1024);
    REQUIRE(st.socket().write(data));
    auto back = st.socket().read_exact(1000);
    REQUIRE(back.ok());
    // Odd rounds: our side closed (the bridge drains the remote) while
    // stopping; even rounds: the stream is open both ways.
    if (round % 2 == 1)
      st.socket().shutdown_write();
    f.stop(s);
    // The echo handler is the test's own actor, not the node's.
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  }
}

TEST_CASE_FIXTURE(fixture, "STREAM_OPEN errors: not connected, protocol not "
                           "supported") {
  auto s = start(a);
  auto c = client(s);
  CHECK_FALSE(expect_error(c.call(stream_open(b, "/echo/1.0.0"))).empty());
  expect_ok(c.call(connect_to(b)));
  CHECK_FALSE(expect_error(c.call(stream_open(b, "/nobody/1.0.0"))).empty());
  expect_ok(c.call(identify()));
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "STREAM_HANDLER: an inbound stream arrives at the "
                           "client's listener with its StreamInfo") {
  auto s = start(a);
  test_listener listener;
  auto c = client(s);
  p2pd::request r;
  r.type = p2pd::request_type::stream_handler;
  r.stream_handler = p2pd::stream_handler_request{listener.addr().to_bytes(),
                                                  {"/test/1.0.0"}};
  expect_ok(c.call(r));

  // b opens a stream to a and sends a payload, then half-closes.
  std::optional<result<bytes>> got_back;
  auto payload = pattern(300 * 1024);
  std::thread remote([&] {
    auto client = spawn_client(sys);
    caf::scoped_actor me{sys};
    me->request(b.swarm, 20s, dial_atom::value,
                dial_request{a.id, {a.dial_addr()}, 10s})
      .receive([](peer_id&) {},
               [&](caf::error& e) { got_back = from_caf_error(sys, e); });
    if (got_back)
      return;
    stream_ref ref;
    me->request(b.swarm, 20s, open_stream_atom::value, a.id,
                std::vector<std::string>{"/test/1.0.0"}, caf::timespan{5s},
                caf::actor_cast<stream_handler_actor>(client))
      .receive([&](stream_ref& x) { ref = std::move(x); },
               [&](caf::error& e) { got_back = from_caf_error(sys, e); });
    if (got_back)
      return;
    me->request(client, 60s, transfer_atom::value, ref, payload,
                std::uint64_t{4})
      .receive([&](bytes& x) { got_back = std::move(x); },
               [&](caf::error& e) { got_back = from_caf_error(sys, e); });
    me->send_exit(client, caf::exit_reason::user_shutdown);
  });

  auto conn = listener.accept();
  REQUIRE_MESSAGE(conn.ok(), conn.error().describe());
  auto info_body = conn->read_frame();
  REQUIRE_MESSAGE(info_body.ok(), info_body.error().describe());
  auto info = p2pd::decode_stream_info(*info_body);
  REQUIRE(info.ok());
  CHECK(info->peer == b.id.to_bytes());
  CHECK(info->proto == "/test/1.0.0");
  CHECK_FALSE(info->addr.empty());
  // The payload, then EOF (b half-closed), then our answer goes back.
  auto data = conn->read_to_end();
  REQUIRE_MESSAGE(data.ok(), data.error().describe());
  CHECK(*data == payload);
  REQUIRE(conn->write(text_bytes("done")));
  conn->close();
  remote.join();
  REQUIRE(got_back.has_value());
  REQUIRE_MESSAGE(got_back->ok(), got_back->error().describe());
  CHECK(**got_back == text_bytes("done"));
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "unsupported requests are answered with ERROR") {
  auto s = start(a);
  auto c = client(s);
  p2pd::request r;
  r.type = p2pd::request_type::dht;
  r.dht = p2pd::dht_request{};
  CHECK(expect_error(c.call(r)) == "unsupported: DHT is not implemented yet");
  r = p2pd::request{};
  r.type = p2pd::request_type::connmanager;
  r.conn_manager = p2pd::connmanager_request{};
  CHECK(expect_error(c.call(r))
        == "unsupported: CONNMANAGER is not implemented yet");
  expect_ok(c.call(identify()));
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "malformed requests get a specific ERROR; a broken "
                           "frame closes only its connection") {
  auto s = start(a);
  auto other = client(s);
  auto c = client(s);
  // A CONNECT without its sub-message: answered, the connection stays.
  p2pd::request r;
  r.type = p2pd::request_type::connect;
  bytes frame;
  auto body = p2pd::encode_request(r);
  frame.push_back(static_cast<std::uint8_t>(body.size()));
  append(frame, body);
  REQUIRE(c.send_raw(frame));
  CHECK(expect_error(c.read_response())
        == "malformed request: CONNECT request without connect field");
  // A body that is not protobuf.
  REQUIRE(c.send_raw(bytes{0x03, 0xff, 0xff, 0xff}));
  CHECK(expect_error(c.read_response()).starts_with("malformed request: "));
  expect_ok(c.call(identify()));
  // A length prefix over 4 MiB: answered, then closed.
  REQUIRE(c.send_raw(bytes{0x80, 0x80, 0x80, 0x04}));
  auto msg = expect_error(c.read_response());
  CHECK(msg.starts_with("bad control frame: frame length 8388608 over limit"));
  CHECK(c.socket().wait_closed());
  // The other connection keeps working.
  expect_ok(other.call(identify()));
  stop(s);
}

// Hostile input (a flood of control connections): past
// max_control_connections each connection gets a specific ERROR and is
// closed, the open ones keep working, and the refused ones leave no socket
// or memory behind (descriptors counted here; LeakSanitizer in the
// sanitizer build).
TEST_CASE_FIXTURE(fixture, "control connections over the limit get an ERROR "
                           "and are closed") {
  auto open_fds = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator{});
  };
  auto s = start(a);
  auto fds_before = open_fds();
  std::vector<control_client> open;
  for (std::size_t i = 0; i < control::max_control_connections; ++i)
    open.push_back(client(s));
  REQUIRE(wait_for_summary(s, fmt::format("{} connections open",
                                          control::max_control_connections)));
  for (int i = 0; i < 20; ++i) {
    auto c = client(s);
    auto msg = expect_error(c.read_response());
    CHECK(msg
          == fmt::format("too many control connections (at most {})",
                         control::max_control_connections));
    CHECK(c.socket().wait_closed());
  }
  CHECK(wait_for_summary(s, "20 refused"));
  expect_ok(open.front().call(identify()));
  open.clear();
  CHECK(wait_for_summary(s, " 0 connections open"));
  auto fds_after = open_fds();
  for (int i = 0; i < 100 && fds_after > fds_before; ++i) {
    std::this_thread::sleep_for(20ms);
    fds_after = open_fds();
  }
  CHECK(fds_after <= fds_before);
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "the control API listens on a unix socket") {
  auto path = std::filesystem::temp_directory_path()
              / ("canswarm-control-" + std::to_string(::getpid()) + ".sock");
  auto s = start(a, "/unix" + path.string());
  CHECK(s.bound == ma("/unix" + path.string()));
  CHECK(std::filesystem::exists(path));
  auto c = client(s);
  CHECK(expect_ok(c.call(identify())).identify->id == a.id.to_bytes());
  c.socket().close();
  // A second server on the same path is refused while the first runs.
  auto again = control::start_control_server(sys,
                                             config_for(a, "/unix"
                                                             + path.string()));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message.find("in use") != std::string::npos);
  stop(s);
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE_FIXTURE(fixture, "binding failures name the address") {
  auto s = start(a);
  auto busy = control::start_control_server(sys,
                                            config_for(a, s.bound.to_string()));
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().message.find(s.bound.to_string()) != std::string::npos);
  auto bad = config_for(a, "/ip4/127.0.0.1/udp/5001");
  auto r = control::start_control_server(sys, bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::unsupported);
  stop(s);
}

TEST_CASE_FIXTURE(fixture, "a non-loopback control address logs a warning") {
  auto s = start(a, "/ip4/0.0.0.0/tcp/0");
  CHECK(logged("not a loopback address"));
  stop(s);
  {
    std::lock_guard<std::mutex> guard{mtx};
    lines.clear();
  }
  auto l = start(a);
  CHECK_FALSE(logged("not a loopback address"));
  stop(l);
}
