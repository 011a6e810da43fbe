#include <doctest/doctest.h>

#include "canswarm/identify/message.hpp"
#include "canswarm/varint/varint.hpp"

using namespace canswarm;
namespace id = canswarm::identify;

namespace {

/// Appends one length-delimited protobuf field (wire type 2) by hand.
void field(bytes& out, std::uint8_t tag, bytes_view value) {
  out.push_back(tag);
  varint::encode(value.size(), out);
  append(out, value);
}

// Each line: tag, length, value.
const char* golden_body =
  // 1 publicKey: libp2p PublicKey{Type=Ed25519, Data=00..1f} (opaque here)
  "0a 24 08011220 000102030405060708090a0b0c0d0e0f"
  "               101112131415161718191a1b1c1d1e1f"
  // 2 listenAddrs: /ip4/127.0.0.1/tcp/4001
  "12 08 04 7f000001 06 0fa1"
  // 2 listenAddrs: /ip6/::1/tcp/4001
  "12 14 29 00000000000000000000000000000001 06 0fa1"
  // 3 protocols: "/ipfs/id/1.0.0"
  "1a 0e 2f697066732f69642f312e302e30"
  // 3 protocols: "/ipfs/ping/1.0.0"
  "1a 10 2f697066732f70696e672f312e302e30"
  // 4 observedAddr: /ip4/1.2.3.4/tcp/5000
  "22 08 04 01020304 06 1388"
  // 5 protocolVersion: "ipfs/0.1.0"
  "2a 0a 697066732f302e312e30"
  // 6 agentVersion: "canswarm/0.1.0"
  "32 0e 63616e737761726d2f302e312e30"
  // 8 signedPeerRecord: opaque envelope bytes
  "42 04 deadbeef";

id::message golden_message() {
  id::message m;
  m.protocol_version = "ipfs/0.1.0";
  m.agent_version = "canswarm/0.1.0";
  m.public_key = hex("08011220 000102030405060708090a0b0c0d0e0f"
                     "101112131415161718191a1b1c1d1e1f");
  m.listen_addrs = {hex("047f000001060fa1"),
                    hex("2900000000000000000000000000000001060fa1")};
  m.observed_addr = hex("0401020304061388");
  m.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
  m.signed_peer_record = hex("deadbeef");
  return m;
}

} // namespace

TEST_CASE("an identify message matches its golden vector both ways") {
  auto body = id::encode(golden_message());
  REQUIRE(body);
  CHECK(to_hex(*body) == to_hex(hex(golden_body)));
  CHECK(body->size() == 148);
  auto decoded = id::decode(hex(golden_body));
  REQUIRE(decoded);
  CHECK(*decoded == golden_message());
}

TEST_CASE("an identify frame is the body behind a uvarint length") {
  auto frame = id::encode_frame(golden_message());
  REQUIRE(frame);
  // 148 = 0x94 0x01
  CHECK(to_hex(*frame) == "9401" + to_hex(hex(golden_body)));
}

TEST_CASE("fields decode in any order and unknown fields are ignored") {
  // spec declaration order (5, 6, 1, 2, 4, 3, 8) plus unknown field 7
  auto body = hex("2a 0a 697066732f302e312e30"
                  "32 0e 63616e737761726d2f302e312e30"
                  "0a 24 08011220 000102030405060708090a0b0c0d0e0f"
                  "               101112131415161718191a1b1c1d1e1f"
                  "12 08 04 7f000001 06 0fa1"
                  "22 08 04 01020304 06 1388"
                  "12 14 29 00000000000000000000000000000001 06 0fa1"
                  "1a 0e 2f697066732f69642f312e302e30"
                  "38 01" // field 7, varint 1: unknown
                  "1a 10 2f697066732f70696e672f312e302e30"
                  "42 04 deadbeef");
  auto decoded = id::decode(body);
  REQUIRE(decoded);
  CHECK(*decoded == golden_message());
}

TEST_CASE("absent and empty optional fields stay distinct") {
  auto empty = id::encode(id::message{});
  REQUIRE(empty);
  CHECK(empty->empty());
  auto none = id::decode(bytes{});
  REQUIRE(none);
  CHECK_FALSE(none->agent_version);
  CHECK(none->listen_addrs.empty());

  id::message m;
  m.agent_version = "";
  auto body = id::encode(m);
  REQUIRE(body);
  CHECK(to_hex(*body) == "3200"); // field 6, length 0
  auto back = id::decode(*body);
  REQUIRE(back);
  REQUIRE(back->agent_version);
  CHECK(back->agent_version->empty());
}

TEST_CASE("bytes that are not an identify protobuf are malformed") {
  for (const char* bad : {"ff ff", "0a 05 01", "12", "2a 81"}) {
    CAPTURE(bad);
    auto r = id::decode(hex(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK(r.error().message
          == "identify message is not a valid Identify protobuf");
  }
}

TEST_CASE("over-limit identify messages are refused naming the limit") {
  SUBCASE("message size") {
    bytes body;
    field(body, 0x42, bytes(id::max_message_size, 0)); // 3-byte header more
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::too_large);
    CHECK(r.error().message
          == "8195 bytes in identify message over limit 8192 "
             "(max_message_size)");
  }
  SUBCASE("listen addresses") {
    bytes body;
    for (int i = 0; i < 101; ++i)
      field(body, 0x12, hex("047f000001060fa1"));
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::too_large);
    CHECK(r.error().message
          == "101 listen addresses over limit 100 (max_listen_addrs)");
  }
  SUBCASE("protocols") {
    bytes body;
    for (int i = 0; i < 257; ++i)
      field(body, 0x1a, as_bytes("/p"));
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "257 protocols over limit 256 (max_protocols)");
  }
  SUBCASE("protocol length") {
    bytes body;
    field(body, 0x1a, as_bytes("/ok"));
    field(body, 0x1a, bytes(1024, 'p'));
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message
          == "1024 bytes in protocol 1 over limit 1023 (max_protocol_size)");
  }
  SUBCASE("address length") {
    bytes body;
    field(body, 0x22, bytes(1025, 4));
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message
          == "1025 bytes in the observed address over limit 1024 "
             "(max_address_size)");
  }
  SUBCASE("agent version length") {
    bytes body;
    field(body, 0x32, bytes(257, 'a'));
    auto r = id::decode(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().message
          == "257 bytes in agentVersion over limit 256 (max_version_size)");
  }
}

TEST_CASE("we never encode what we would refuse, nor more than 4 KiB") {
  id::message many;
  many.listen_addrs.assign(101, hex("047f000001060fa1"));
  auto r = id::encode(many);
  REQUIRE_FALSE(r);
  CHECK(r.error().message
        == "101 listen addresses over limit 100 (max_listen_addrs)");

  id::message big; // 60 addresses of 80 bytes: about 4.9 KiB
  big.listen_addrs.assign(60, bytes(80, 1));
  auto b = id::encode(big);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::too_large);
  CHECK(b.error().message
        == "4920 bytes in our identify message over limit 4096 "
           "(max_own_message_size)");
  big.listen_addrs.resize(50); // 4100 bytes: still too big
  CHECK_FALSE(id::encode(big));
  big.listen_addrs.resize(49); // 4018 bytes
  CHECK(id::encode(big));
}

TEST_CASE("merging follows protobuf concatenation semantics") {
  id::message a;
  a.agent_version = "a/1";
  a.protocols = {"/x"};
  id::message b;
  b.agent_version = "b/2";
  b.protocols = {"/y"};
  b.signed_peer_record = hex("01");
  REQUIRE(id::merge(a, b));
  CHECK(a.agent_version == "b/2");
  CHECK(a.protocols == std::vector<std::string>{"/x", "/y"});
  CHECK(a.signed_peer_record == hex("01"));
  // A merge that would exceed a cap leaves the target unchanged.
  id::message c;
  c.protocols.assign(id::max_protocols, "/z");
  auto r = id::merge(a, c);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "258 protocols over limit 256 (max_protocols)");
  CHECK(a.protocols.size() == 2);
}

TEST_CASE("strings that are not UTF-8 are kept byte for byte") {
  // proto2 string fields are not UTF-8-checked; a peer's odd agent string
  // must not make its whole identify unreadable.
  bytes body;
  field(body, 0x32, hex("ff fe 41"));
  field(body, 0x1a, hex("2f c3 28"));
  auto r = id::decode(body);
  REQUIRE(r);
  CHECK(r->agent_version == std::string{"\xff\xfe\x41"});
  CHECK(r->protocols == std::vector<std::string>{"/\xc3("});
}
