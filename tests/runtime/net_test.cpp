#include <doctest/doctest.h>

#include <algorithm>

#include "canswarm/net/tcp_listen.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace canswarm::net;

namespace {

multiaddr addr(const char* text) {
  auto x = multiaddr::parse(text);
  REQUIRE(x.ok());
  return *x;
}

} // namespace

TEST_CASE("listen addresses map to TCP endpoints") {
  auto v4 = tcp_endpoint_of(addr("/ip4/0.0.0.0/tcp/4001"));
  REQUIRE(v4.ok());
  CHECK(*v4 == tcp_endpoint{ip_family::v4, "0.0.0.0", 4001});
  CHECK(v4->is_wildcard());
  auto v6 = tcp_endpoint_of(addr("/ip6/::1/tcp/0"));
  REQUIRE(v6.ok());
  CHECK(*v6 == tcp_endpoint{ip_family::v6, "::1", 0});
  CHECK_FALSE(v6->is_wildcard());
  CHECK(v6->to_multiaddr().to_string() == "/ip6/::1/tcp/0");
}

TEST_CASE("non-TCP listen addresses are unsupported, naming the address") {
  for (auto text : {"/ip4/1.2.3.4/udp/4001", "/dns4/example.com/tcp/4001",
                    "/ip4/1.2.3.4/tcp/4001/ws", "/ip4/1.2.3.4"}) {
    auto ep = tcp_endpoint_of(addr(text));
    REQUIRE_FALSE(ep.ok());
    CHECK(ep.error().code == errc::unsupported);
    CHECK(ep.error().message.find(text) != std::string::npos);
  }
}

TEST_CASE("a port 0 listener gets a real port that accepts connections") {
  auto sock = open_tcp_listener({ip_family::v4, "127.0.0.1", 0});
  REQUIRE(sock.ok());
  CHECK(sock->bound.port != 0);
  CHECK(test::can_connect("127.0.0.1", sock->bound.port));
  close_socket(sock->fd);
}

TEST_CASE("binding a port in use fails with the endpoint and OS reason") {
  auto first = open_tcp_listener({ip_family::v4, "127.0.0.1", 0});
  REQUIRE(first.ok());
  auto second = open_tcp_listener(first->bound);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == errc::io);
  CHECK(second.error().message
        == "cannot bind 127.0.0.1:" + std::to_string(first->bound.port)
             + ": Address already in use");
  close_socket(first->fd);
}

TEST_CASE("IPv4 and IPv6 wildcard listeners share a port (IPv6-only "
          "sockets)") {
  auto v4 = open_tcp_listener({ip_family::v4, "0.0.0.0", 0});
  REQUIRE(v4.ok());
  auto v6 = open_tcp_listener({ip_family::v6, "::", v4->bound.port});
  if (!v6.ok()) {
    // Hosts without IPv6 cannot run this check.
    MESSAGE("IPv6 unavailable: " << v6.error().message);
  } else {
    CHECK(v6->bound.port == v4->bound.port);
    close_socket(v6->fd);
  }
  close_socket(v4->fd);
}

TEST_CASE("wildcard endpoints expand to the interface addresses") {
  tcp_endpoint any{ip_family::v4, "0.0.0.0", 4001};
  auto xs = concrete_endpoints(any, {"127.0.0.1", "10.1.2.3"});
  REQUIRE(xs.size() == 2);
  CHECK(xs[1] == tcp_endpoint{ip_family::v4, "10.1.2.3", 4001});
  CHECK(concrete_endpoints(any, {}).at(0).host == "127.0.0.1");
  tcp_endpoint one{ip_family::v4, "10.0.0.1", 9};
  CHECK(concrete_endpoints(one, {"127.0.0.1"}) == std::vector{one});
  auto local = interface_addresses(ip_family::v4);
  CHECK(std::find(local.begin(), local.end(), "127.0.0.1") != local.end());
  for (auto& a6 : interface_addresses(ip_family::v6))
    CHECK_FALSE(a6.starts_with("fe80:"));
}
