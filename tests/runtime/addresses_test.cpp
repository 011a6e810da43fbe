#include <doctest/doctest.h>

#include "canswarm/identity/keys.hpp"
#include "canswarm/runtime/addresses.hpp"

using namespace canswarm;
using namespace canswarm::runtime;

namespace {

peer_id make_peer() {
  return peer_id::from_public_key(
    identity::private_key::generate_ed25519().public_key());
}

multiaddr addr(const std::string& text) {
  auto x = multiaddr::parse(text);
  REQUIRE(x.ok());
  return *x;
}

} // namespace

TEST_CASE("listen addresses are advertised with the peer id appended") {
  auto self = make_peer();
  auto xs = advertised_addresses({"/ip4/127.0.0.1/tcp/4001",
                                  "/ip6/::1/tcp/4001"},
                                 {}, self);
  REQUIRE(xs.ok());
  REQUIRE(xs->size() == 2);
  CHECK(join_addresses(*xs)
        == "/ip4/127.0.0.1/tcp/4001/p2p/" + self.to_string()
             + " /ip6/::1/tcp/4001/p2p/" + self.to_string());
}

TEST_CASE("announce addresses replace the listen addresses") {
  auto self = make_peer();
  auto xs = advertised_addresses({"/ip4/127.0.0.1/tcp/4001"},
                                 {addr("/dns4/node.example.com/tcp/443"),
                                  addr("/ip4/203.0.113.5/tcp/4001/p2p/"
                                       + self.to_string())},
                                 self);
  REQUIRE(xs.ok());
  CHECK(join_addresses(*xs)
        == "/dns4/node.example.com/tcp/443/p2p/" + self.to_string()
             + " /ip4/203.0.113.5/tcp/4001/p2p/" + self.to_string());
}

TEST_CASE("an announce address naming another peer is rejected") {
  auto self = make_peer();
  auto other = make_peer();
  auto xs = advertised_addresses({},
                                 {addr("/ip4/203.0.113.5/tcp/4001/p2p/"
                                       + other.to_string())},
                                 self);
  REQUIRE_FALSE(xs.ok());
  CHECK(xs.error().message.find("names another peer") != std::string::npos);
}
