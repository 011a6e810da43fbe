// Decoding hand-built bytes, the leniency the js daemon needs, and the
// specific errors for bad input.

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "canswarm/p2pd/codec.hpp"

using namespace canswarm;
using namespace canswarm::p2pd;

namespace {

/// Decodes `body` as a request and returns the error, failing the test if
/// decoding succeeds.
error request_error(const bytes& body) {
  auto r = decode_request(body);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

} // namespace

TEST_CASE("a hand-built PUBSUB SUBSCRIBE request decodes field by field") {
  auto body = hex("08 08" // 1 type: PUBSUB (8)
                  "42 0c" // 8 pubsub: 12 bytes
                  "  08 03" // 1 type: SUBSCRIBE (3)
                  "  12 08 63616e737761726d"); // 2 topic "canswarm"
  auto r = decode_request(body);
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  CHECK(r->type == request_type::pubsub);
  REQUIRE(r->pubsub.has_value());
  CHECK(r->pubsub->type == ps_request_type::subscribe);
  CHECK(r->pubsub->topic == std::optional<std::string>("canswarm"));
  CHECK_FALSE(r->pubsub->data.has_value());
  CHECK_FALSE(r->connect.has_value());
}

TEST_CASE("a hand-built STREAM_HANDLER request carries a binary multiaddr") {
  auto body = hex(
    "08 03" // 1 type: STREAM_HANDLER
    "22 17" // 4 streamHandler: 23 bytes
    "  0a 08 047f000001 06 9c40" // 1 addr /ip4/127.0.0.1/tcp/40000
    "  12 0b 2f6563686f2f312e302e30"); // 2 proto "/echo/1.0.0"
  auto r = decode_request(body);
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  REQUIRE(r->stream_handler.has_value());
  CHECK(to_hex(r->stream_handler->addr) == "047f000001069c40");
  CHECK(r->stream_handler->protos == std::vector<std::string>{"/echo/1.0.0"});
}

TEST_CASE("unknown fields are skipped and the rest still decodes") {
  auto body = hex("08 05" // 1 type: LIST_PEERS
                  "78 07" // 15 (varint): unknown
                  "82 01 02 abcd"); // 16 (bytes): unknown
  auto r = decode_request(body);
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  CHECK(r->type == request_type::list_peers);
}

TEST_CASE("a required bytes field the js daemon left out reads as empty") {
  // protons omits empty values even for proto2 required fields, so a js
  // DISCONNECT with an empty peer is an empty sub-message.
  auto r = decode_request(hex("08 07 3a 00"));
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  REQUIRE(r->disconnect.has_value());
  CHECK(r->disconnect->peer.empty());
  auto info = decode_stream_info(bytes{});
  REQUIRE(info);
  CHECK(*info == stream_info{});
}

TEST_CASE("several requests decode the same way as go sends them in a row") {
  request connect;
  connect.type = request_type::connect;
  connect.connect = connect_request{hex("0020"), {}, 30};
  request disconnect;
  disconnect.type = request_type::disconnect;
  disconnect.disconnect = disconnect_request{hex("0020")};
  for (const auto& r : {request{}, connect, disconnect}) {
    auto back = decode_request(encode_request(r));
    REQUIRE_MESSAGE(back.ok(), back.error().describe());
    CHECK(*back == r);
  }
}

TEST_CASE("a response with every field round-trips") {
  response r;
  r.type = response_type::error;
  r.error = error_message{"x"};
  r.stream = stream_info{hex("01"), hex("02"), "/p"};
  r.identify = identify_response{hex("03"), {hex("04")}};
  r.dht = dht_response{dht_response_type::value, peer_info{hex("05"), {}},
                       hex("06")};
  r.peers = {peer_info{hex("07"), {hex("08"), hex("09")}}, peer_info{}};
  r.pubsub = ps_response{{"t1", "t2"}, {hex("0a")}};
  r.peer_store = peerstore_response{peer_info{hex("0b"), {}}, {"/a", "/b"}};
  auto back = decode_response(encode_response(r));
  REQUIRE_MESSAGE(back.ok(), back.error().describe());
  CHECK(*back == r);
}

TEST_CASE("a request whose type needs a missing sub-message is refused") {
  struct row {
    const char* body;
    const char* message;
  };
  const row rows[] = {
    {"08 01", "CONNECT request without connect field"},
    {"08 02", "STREAM_OPEN request without streamOpen field"},
    {"08 03", "STREAM_HANDLER request without streamHandler field"},
    {"08 04", "DHT request without dht field"},
    {"08 06", "CONNMANAGER request without connManager field"},
    {"08 07", "DISCONNECT request without disconnect field"},
    {"08 08", "PUBSUB request without pubsub field"},
    {"08 09", "PEERSTORE request without peerStore field"},
    // A sub-message for another type does not count.
    {"08 01 3a 00", "CONNECT request without connect field"},
  };
  for (const auto& [body, message] : rows) {
    CAPTURE(body);
    auto err = request_error(hex(body));
    CHECK(err.code == errc::malformed);
    CHECK(err.message == message);
  }
  request r;
  r.type = request_type::connect;
  CHECK(check_request(r).error().message
        == "CONNECT request without connect field");
  CHECK(decode_request(hex("08 00")).ok()); // IDENTIFY needs nothing
  CHECK(decode_request(hex("08 05")).ok()); // nor LIST_PEERS
}

TEST_CASE("unknown enum values are refused with the value named") {
  auto err = request_error(hex("08 2a")); // type 42
  CHECK(err.code == errc::malformed);
  CHECK(err.message == "Request has unknown type 42");

  err = request_error(hex("08 04 2a 02 08 63")); // DHT with dht.type 99
  CHECK(err.message == "DHTRequest has unknown type 99");

  err = request_error(hex("08 08 42 02 08 07")); // PUBSUB with type 7
  CHECK(err.message == "PSRequest has unknown type 7");

  err = request_error(hex("08 09 4a 02 08 00")); // PeerstoreRequest has no 0
  CHECK(err.message == "PeerstoreRequest has unknown type 0");

  auto resp = decode_response(hex("08 02"));
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.error().message == "Response has unknown type 2");

  auto dht = decode_dht_response(hex("08 03"));
  REQUIRE_FALSE(dht.ok());
  CHECK(dht.error().message == "DHTResponse has unknown type 3");
}

TEST_CASE("a message without its required type is refused") {
  auto err = request_error(bytes{});
  CHECK(err.code == errc::malformed);
  CHECK(err.message == "Request without type field");
  err = request_error(hex("08 04 2a 00")); // DHT with an empty DHTRequest
  CHECK(err.message == "DHTRequest without type field");
  auto resp = decode_response(hex("22 00"));
  REQUIRE_FALSE(resp.ok());
  CHECK(resp.error().message == "Response without type field");
}

TEST_CASE("bytes that are not protobuf are refused as malformed") {
  auto err = request_error(hex("08 01 12 05 0a")); // connect claims 5 bytes
  CHECK(err.code == errc::malformed);
  CHECK(err.message == "Request body is not a valid protobuf message");
  auto info = decode_stream_info(hex("ff"));
  REQUIRE_FALSE(info.ok());
  CHECK(info.error().message
        == "StreamInfo body is not a valid protobuf message");
}

TEST_CASE("a body over max_message_size is refused before parsing") {
  bytes body(max_message_size + 1, 0);
  auto err = request_error(body);
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "4194305 bytes in Request over limit 4194304 (max_message_size)");
  auto m = decode_ps_message(body);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == errc::too_large);
}

TEST_CASE("enum values have their schema names") {
  CHECK(std::string(to_string(request_type::stream_open)) == "STREAM_OPEN");
  CHECK(std::string(to_string(response_type::error)) == "ERROR");
  CHECK(std::string(to_string(dht_request_type::get_closest_peers))
        == "GET_CLOSEST_PEERS");
  CHECK(std::string(to_string(ps_request_type::list_peers)) == "LIST_PEERS");
  CHECK(std::string(to_string(static_cast<request_type>(42))) == "UNKNOWN");
}

TEST_CASE("mutated messages either fail cleanly or survive a round trip") {
  // A cheap stand-in for a fuzz target: flip bytes of valid messages with a
  // seeded generator; whatever decodes must re-encode to the same struct.
  request connect;
  connect.type = request_type::connect;
  connect.connect = connect_request{hex("0020"), {hex("047f000001060fa1")}, 5};
  response identify = ok_response();
  identify.identify = identify_response{hex("0020"), {hex("047f000001060fa1")}};
  identify.peers = {peer_info{hex("0021"), {}}};
  const bytes seeds[] = {encode_request(connect), encode_response(identify)};
  std::mt19937 rng(20240601);
  int decoded = 0;
  for (int round = 0; round < 4000; ++round) {
    bytes body = seeds[round % 2];
    auto flips = 1 + rng() % 3;
    for (unsigned i = 0; i < flips; ++i)
      body[rng() % body.size()] = static_cast<std::uint8_t>(rng());
    if (auto r = decode_request(body); r.ok()) {
      ++decoded;
      auto again = decode_request(encode_request(*r));
      REQUIRE(again.ok());
      CHECK(*again == *r);
    }
    if (auto r = decode_response(body); r.ok()) {
      ++decoded;
      auto again = decode_response(encode_response(*r));
      REQUIRE(again.ok());
      CHECK(*again == *r);
    }
  }
  CHECK(decoded > 0);
}
