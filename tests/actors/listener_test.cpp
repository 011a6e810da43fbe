#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/listener.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/log/log.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

/// A real (threaded) actor system with the middleman: brokers need it.
struct io_config : caf::actor_system_config {
  io_config() {
    load<caf::io::middleman>();
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
    canswarm::add_message_types(*this);
  }
};

struct fixture {
  io_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::vector<std::string> lines;
  std::mutex mtx;

  fixture() {
    log::global().set_level(log::level::debug);
    log::global().set_sink([this](std::string_view line) {
      std::lock_guard<std::mutex> guard{mtx};
      lines.emplace_back(line);
    });
  }

  ~fixture() {
    log::global().set_sink({});
    log::global().set_level(log::level::info);
  }

  multiaddr addr(const std::string& text) {
    auto x = multiaddr::parse(text);
    REQUIRE(x.ok());
    return *x;
  }

  transport_actor spawn(listener_config lc) {
    auto h = listener_spawner(std::move(lc))(sys);
    REQUIRE(h);
    return caf::actor_cast<transport_actor>(h);
  }

  std::vector<std::string> addresses(const transport_actor& t) {
    std::vector<std::string> result;
    self->request(t, 5s, addresses_atom::value)
      .receive([&](std::vector<std::string>& xs) { result = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return result;
  }

  bool logged(const std::string& needle) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& l : lines)
      if (l.find(needle) != std::string::npos)
        return true;
    return false;
  }

  void stop(const transport_actor& t) {
    self->monitor(t);
    self->send_exit(t, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }
};

std::uint16_t port_of(const std::string& maddr) {
  return static_cast<std::uint16_t>(
    std::stoi(maddr.substr(maddr.rfind('/') + 1)));
}

} // namespace

TEST_CASE_FIXTURE(fixture, "the listener binds port 0 to a real port and "
                           "accepts TCP connections") {
  listener_config lc;
  lc.listen_addrs = {addr("/ip4/127.0.0.1/tcp/0")};
  auto t = spawn(lc);
  auto xs = addresses(t);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].rfind("/ip4/127.0.0.1/tcp/", 0) == 0);
  auto port = port_of(xs[0]);
  CHECK(port != 0);
  CHECK(test::can_connect("127.0.0.1", port));
  // The accepted connection is logged and, with no stack yet, closed.
  for (int i = 0; i < 100 && !logged("closing connection #1"); ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(logged("accepted connection #1 from 127.0.0.1:"));
  CHECK(logged("libp2p connection stack not wired yet"));
  component_status status;
  self->request(t, 5s, status_atom::value)
    .receive([&](component_status& x) { status = x; },
             [&](caf::error& err) { FAIL(sys.render(err)); });
  CHECK(status.summary == "1 listeners, 1 connections accepted");
  stop(t);
  CHECK_FALSE(test::can_connect("127.0.0.1", port, 500ms));
}

TEST_CASE_FIXTURE(fixture, "accepted connections go to the connection "
                           "factory") {
  auto seen = std::make_shared<std::atomic<int>>(0);
  listener_config lc;
  lc.listen_addrs = {addr("/ip4/127.0.0.1/tcp/0")};
  lc.factory = [seen](caf::io::broker* self, caf::io::connection_handle hdl,
                      const accepted_connection& info) {
    if (info.remote_host == "127.0.0.1" && info.id.value == 1)
      ++*seen;
    self->close(hdl);
  };
  auto t = spawn(lc);
  auto port = port_of(addresses(t).at(0));
  CHECK(test::can_connect("127.0.0.1", port));
  for (int i = 0; i < 100 && *seen == 0; ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(*seen == 1);
  stop(t);
}

TEST_CASE_FIXTURE(fixture, "a restarted listener binds the same port it got "
                           "for tcp/0") {
  listener_config lc;
  lc.listen_addrs = {addr("/ip4/127.0.0.1/tcp/0")};
  lc.sticky_ports = std::make_shared<std::vector<std::uint16_t>>();
  auto first = spawn(lc);
  auto before = addresses(first);
  stop(first);
  REQUIRE(lc.sticky_ports->size() == 1);
  auto second = spawn(lc);
  CHECK(addresses(second) == before);
  stop(second);
}

TEST_CASE_FIXTURE(fixture, "a listener that cannot bind terminates with "
                           "listen_failed naming the address") {
  listener_config lc;
  lc.listen_addrs = {addr("/ip4/127.0.0.1/tcp/0")};
  auto first = spawn(lc);
  auto taken = addresses(first).at(0);
  listener_config clash;
  clash.listen_addrs = {addr(taken)};
  auto second = spawn(clash);
  self->monitor(second);
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(5s) >> [] { FAIL("listener did not terminate"); });
  CHECK(reason.category() == actor_error_category);
  auto text = describe(sys, reason);
  CHECK(text.find("listen_failed: P2P_LISTEN_ADDR " + taken) == 0);
  CHECK(text.find("Address already in use") != std::string::npos);
  stop(first);
}

TEST_CASE("listener configurations reject non-TCP addresses") {
  listener_config lc;
  lc.listen_addrs = {*multiaddr::parse("/ip4/127.0.0.1/udp/4001/quic-v1")};
  auto r = lc.validate();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::unsupported);
  CHECK(r.error().message.find("/ip4/127.0.0.1/udp/4001/quic-v1")
        != std::string::npos);
}
