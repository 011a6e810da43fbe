// Control requests validated and turned into swarm requests; swarm answers
// turned into responses.

#include <doctest/doctest.h>

#include <chrono>

#include "canswarm/control/limits.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/identity/keys.hpp"

using namespace canswarm;
using namespace canswarm::control;
using namespace std::chrono_literals;

namespace {

multiaddr ma(std::string_view text) {
  auto a = multiaddr::parse(text);
  REQUIRE(a);
  return *a;
}

peer_id new_peer() {
  return peer_id::from_public_key(
    identity::private_key::generate_ed25519().public_key());
}

constexpr caf::timespan fallback = 30s;

} // namespace

TEST_CASE("IDENTIFY lists TCP loopback first, without /p2p or duplicates") {
  auto me = new_peer();
  auto p2p = ma("/p2p/" + me.to_string());
  auto xs = identify_addrs(
    {ma("/ip4/192.0.2.7/tcp/4001"), ma("/dns4/example.com/tcp/4001"),
     ma("/ip4/127.0.0.1/tcp/4001").encapsulate(p2p), ma("/ip6/::1/tcp/4001"),
     ma("/ip4/127.0.0.1/tcp/4001")});
  REQUIRE(xs.size() == 4);
  CHECK(xs[0] == ma("/ip4/127.0.0.1/tcp/4001").to_bytes());
  CHECK(xs[1] == ma("/ip6/::1/tcp/4001").to_bytes());
  CHECK(xs[2] == ma("/ip4/192.0.2.7/tcp/4001").to_bytes());
  CHECK(xs[3] == ma("/dns4/example.com/tcp/4001").to_bytes());
  CHECK(identify_addrs({}).empty());
}

TEST_CASE("loopback and unix addresses are local only") {
  CHECK(is_local_only(ma("/ip4/127.0.0.1/tcp/5001")));
  CHECK(is_local_only(ma("/ip4/127.3.2.1/tcp/5001")));
  CHECK(is_local_only(ma("/ip6/::1/tcp/5001")));
  CHECK(is_local_only(ma("/unix/tmp/p2pd.sock")));
  CHECK_FALSE(is_local_only(ma("/ip4/0.0.0.0/tcp/5001")));
  CHECK_FALSE(is_local_only(ma("/ip4/192.0.2.1/tcp/5001")));
  CHECK_FALSE(is_local_only(ma("/ip6/::/tcp/5001")));
}

TEST_CASE("LIST_PEERS lists each peer once with all its remote addresses") {
  auto a = new_peer();
  auto b = new_peer();
  std::vector<peer_entry> conns{
    {a, conn_id{1}, ma("/ip4/127.0.0.1/tcp/1000"), {}},
    {b, conn_id{2}, ma("/ip4/127.0.0.1/tcp/2000"), {}},
    {a, conn_id{3}, ma("/ip4/127.0.0.1/tcp/1001"), {}},
    {a, conn_id{4}, ma("/ip4/127.0.0.1/tcp/1000"), {}},
    {peer_id{}, conn_id{5}, ma("/ip4/127.0.0.1/tcp/3000"), {}},
  };
  auto ps = list_peers(conns);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].id == a.to_bytes());
  CHECK(ps[0].addrs
        == std::vector<bytes>{ma("/ip4/127.0.0.1/tcp/1000").to_bytes(),
                              ma("/ip4/127.0.0.1/tcp/1001").to_bytes()});
  CHECK(ps[1].id == b.to_bytes());
  CHECK(ps[1].addrs.size() == 1);
  CHECK(list_peers({}).empty());
}

TEST_CASE("request timeouts: 0 or absent means the default, capped") {
  CHECK(request_timeout(std::nullopt, fallback) == fallback);
  CHECK(request_timeout(0, fallback) == fallback);
  CHECK(request_timeout(-3, fallback) == fallback);
  CHECK(request_timeout(7, fallback) == caf::timespan{7s});
  CHECK(request_timeout(1'000'000, fallback)
        == caf::timespan{max_request_timeout});
}

TEST_CASE("CONNECT becomes a dial expecting the named peer") {
  auto p = new_peer();
  p2pd::connect_request req{p.to_bytes(),
                            {ma("/ip4/127.0.0.1/tcp/4001").to_bytes(),
                             ma("/ip4/127.0.0.1/tcp/4002/p2p/" + p.to_string())
                               .to_bytes()},
                            0};
  auto d = to_dial_request(req, fallback);
  REQUIRE(d);
  CHECK(d->expected == p);
  CHECK(d->addrs
        == std::vector<multiaddr>{ma("/ip4/127.0.0.1/tcp/4001"),
                                  ma("/ip4/127.0.0.1/tcp/4002")});
  CHECK(d->timeout == fallback);
  req.timeout = 5;
  CHECK(to_dial_request(req, fallback)->timeout == caf::timespan{5s});
}

TEST_CASE("bad CONNECT requests are refused with the reason") {
  auto p = new_peer();
  p2pd::connect_request req;
  CHECK(to_dial_request(req, fallback).error().message
        == "CONNECT: missing peer id");
  req.peer = {0x12, 0x20, 0x01};
  CHECK(to_dial_request(req, fallback)
          .error()
          .message.starts_with("CONNECT: invalid peer id: "));
  req.peer = p.to_bytes();
  req.addrs = {{0xff, 0xff}};
  CHECK(to_dial_request(req, fallback)
          .error()
          .message.starts_with("CONNECT: invalid address: "));
  auto other = new_peer();
  req.addrs = {ma("/ip4/127.0.0.1/tcp/1/p2p/" + other.to_string()).to_bytes()};
  CHECK(
    to_dial_request(req, fallback).error().message.find("names another peer")
    != std::string::npos);
  req.addrs.assign(max_connect_addrs + 1,
                   ma("/ip4/127.0.0.1/tcp/1").to_bytes());
  CHECK(to_dial_request(req, fallback).error().code == errc::too_large);
}

TEST_CASE("STREAM_OPEN needs a peer and 1..max protocols") {
  auto p = new_peer();
  p2pd::stream_open_request req{p.to_bytes(), {"/echo/1.0.0"}, std::nullopt};
  auto args = to_stream_open(req, fallback);
  REQUIRE(args);
  CHECK(args->peer == p);
  CHECK(args->protocols == std::vector<std::string>{"/echo/1.0.0"});
  CHECK(args->timeout == fallback);
  req.protos.clear();
  CHECK(to_stream_open(req, fallback).error().message
        == "STREAM_OPEN: no protocol given");
  req.protos = {""};
  CHECK(to_stream_open(req, fallback).error().message
        == "STREAM_OPEN: protocol name of 0 bytes, expected 1..1024");
  req.protos.assign(max_request_protocols + 1, "/x");
  CHECK(to_stream_open(req, fallback).error().code == errc::too_large);
}

TEST_CASE("STREAM_HANDLER needs a tcp or unix listener address") {
  p2pd::stream_handler_request req{ma("/ip4/127.0.0.1/tcp/9000").to_bytes(),
                                   {"/echo/1.0.0"}};
  auto args = to_stream_handler(req);
  REQUIRE(args);
  CHECK(args->addr == ma("/ip4/127.0.0.1/tcp/9000"));
  req.addr = ma("/unix/tmp/handler.sock").to_bytes();
  CHECK(to_stream_handler(req));
  req.addr = ma("/ip4/127.0.0.1/udp/9000").to_bytes();
  CHECK(to_stream_handler(req).error().message
        == "STREAM_HANDLER: listener address /ip4/127.0.0.1/udp/9000 is "
           "neither tcp nor unix");
  req.addr = {};
  CHECK(to_stream_handler(req).error().message.starts_with(
    "STREAM_HANDLER: invalid listener address"));
}

TEST_CASE("StreamInfo carries peer, bare remote address and protocol") {
  auto p = new_peer();
  stream_ref ref{caf::actor{}, stream_key{conn_id{7}, stream_id{3}}, p,
                 "/echo/1.0.0"};
  std::vector<peer_entry>
    conns{{p, conn_id{6}, ma("/ip4/127.0.0.1/tcp/1"), {}},
          {p, conn_id{7}, ma("/ip4/127.0.0.1/tcp/2/p2p/" + p.to_string()), {}}};
  auto addr = remote_addr_of(conns, conn_id{7});
  auto info = to_stream_info(ref, addr);
  CHECK(info.peer == p.to_bytes());
  CHECK(info.addr == ma("/ip4/127.0.0.1/tcp/2").to_bytes());
  CHECK(info.proto == "/echo/1.0.0");
  CHECK(remote_addr_of(conns, conn_id{9}).empty());
}

TEST_CASE("unimplemented request types have a clear error text") {
  using p2pd::request_type;
  CHECK(unsupported_message(request_type::dht)
        == "unsupported: DHT is not implemented yet");
  CHECK(unsupported_message(request_type::pubsub)
        == "unsupported: PUBSUB is not implemented yet");
  CHECK(unsupported_message(request_type::connmanager)
        == "unsupported: CONNMANAGER is not implemented yet");
  CHECK(unsupported_message(request_type::peerstore)
        == "unsupported: PEERSTORE is not implemented yet");
  CHECK(unsupported_message(request_type::identify).empty());
}
