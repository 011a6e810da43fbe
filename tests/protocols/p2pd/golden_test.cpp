// Annotated golden vectors of the daemon control protocol, checked both
// ways: the struct encodes to exactly these bytes and the bytes decode back
// to the struct. Each line of a vector is tag, length, value; the tags are
// (field number << 3) | wire type (0 = varint, 2 = length-delimited).

#include <doctest/doctest.h>

#include "canswarm/p2pd/codec.hpp"

using namespace canswarm;
using namespace canswarm::p2pd;

namespace {

// Peer id: identity multihash (00, length 0x24) of the libp2p PublicKey
// protobuf {Type: Ed25519 (08 01), Data (12 20): RFC 8032 test 1 key}.
const char* peer_hex = "00 24 08 01 12 20"
                       "d75a980182b10ab7d54bfed3c964073a"
                       "0ee172f3daa62325af021a68f707511a";

// /ip4/127.0.0.1/tcp/4001: ip4 (04) 127.0.0.1, tcp (06) port 0x0fa1.
const char* addr4_hex = "04 7f000001 06 0fa1";

// /ip6/::1/tcp/4001: ip6 (0x29) ::1, tcp (06) port 0x0fa1.
const char* addr6_hex = "29 00000000000000000000000000000001 06 0fa1";

bytes peer() {
  return hex(peer_hex);
}

/// Checks `encode(value) == golden` and `decode(golden) == value`.
template<class T, class Encode, class Decode>
void check_both_ways(const T& value, const bytes& golden, Encode encode,
                     Decode decode) {
  CHECK(to_hex(encode(value)) == to_hex(golden));
  auto decoded = decode(golden);
  REQUIRE_MESSAGE(decoded.ok(), decoded.error().describe());
  CHECK(*decoded == value);
}

} // namespace

TEST_CASE("an IDENTIFY request is the type field holding 0, kept on the wire") {
  auto golden = hex("08 00"); // 1 type: IDENTIFY (0), required so written
  request r;
  r.type = request_type::identify;
  check_both_ways(r, golden, encode_request, decode_request);
  bytes framed;
  write_message(r, framed);
  CHECK(to_hex(framed) == "020800"); // uvarint length 2, then the body
}

TEST_CASE("an OK response carries the identify result with id and two addrs") {
  auto golden = hex(std::string("08 00") // 1 type: OK (0)
                    + "22 48" // 4 identify: 72 bytes
                    + "  0a 26" + peer_hex // 1 id: 38-byte peer id
                    + "  12 08" + addr4_hex // 2 addrs: /ip4/127.0.0.1/tcp/4001
                    + "  12 14" + addr6_hex); // 2 addrs: /ip6/::1/tcp/4001
  auto r = ok_response();
  r.identify = identify_response{peer(), {hex(addr4_hex), hex(addr6_hex)}};
  check_both_ways(r, golden, encode_response, decode_response);
  CHECK(golden.size() == 76);
}

TEST_CASE("a CONNECT request keeps its zero timeout on the wire") {
  auto golden = hex(std::string("08 01") // 1 type: CONNECT (1)
                    + "12 34" // 2 connect: 52 bytes
                    + "  0a 26" + peer_hex // 1 peer
                    + "  12 08" + addr4_hex // 2 addrs
                    + "  18 00"); // 3 timeout: 0 (present)
  request r;
  r.type = request_type::connect;
  r.connect = connect_request{peer(), {hex(addr4_hex)}, 0};
  check_both_ways(r, golden, encode_request, decode_request);
  auto decoded = decode_request(golden);
  REQUIRE(decoded);
  REQUIRE(decoded->connect->timeout.has_value());
  CHECK(*decoded->connect->timeout == 0);
  // Without a timeout the field is absent: two bytes shorter.
  r.connect->timeout.reset();
  CHECK(encode_request(r).size() == golden.size() - 2);
}

TEST_CASE("an ERROR response carries the message in an ErrorResponse") {
  auto golden = hex("08 01" // 1 type: ERROR (1)
                    "12 10" // 2 error: 16 bytes
                    "  0a 0e 70656572206e6f7420666f756e64"); // 1 msg
  check_both_ways(error_response("peer not found"), golden, encode_response,
                  decode_response);
}

TEST_CASE("an ERROR response with an empty message still writes msg") {
  // msg is required: go's client rejects an ErrorResponse without it.
  auto golden = hex("08 01 12 02 0a 00");
  check_both_ways(error_response(""), golden, encode_response, decode_response);
}

TEST_CASE("a StreamInfo has peer, addr and protocol") {
  auto golden = hex(std::string("0a 26") + peer_hex // 1 peer
                    + "12 08" + addr4_hex // 2 addr
                    + "1a 0b 2f6563686f2f312e302e30"); // 3 proto "/echo/1.0.0"
  stream_info s{peer(), hex(addr4_hex), "/echo/1.0.0"};
  check_both_ways(s, golden, encode_stream_info, decode_stream_info);
}

TEST_CASE("a PSMessage has author, data, seqno and topic") {
  auto golden = hex(std::string("0a 26") + peer_hex // 1 from
                    + "12 02 6869" // 2 data "hi"
                    + "1a 08 0000000000000001" // 3 seqno 1 (8 bytes)
                    + "22 08 63616e737761726d"); // 4 topicIDs "canswarm"
  ps_message m;
  m.from = peer();
  m.data = to_bytes("hi");
  m.seqno = hex("0000000000000001");
  m.topic_ids = {"canswarm"};
  check_both_ways(m, golden, encode_ps_message, decode_ps_message);
}

TEST_CASE("a PSMessage with empty data keeps the present field") {
  ps_message m;
  m.data = bytes{};
  check_both_ways(m, hex("12 00"), encode_ps_message, decode_ps_message);
  check_both_ways(ps_message{}, bytes{}, encode_ps_message, decode_ps_message);
}

TEST_CASE("a pubsub reply with no topics still carries the pubsub field") {
  // The js client fails with "Invalid response" when `pubsub` is missing.
  auto golden = hex("08 00" // 1 type: OK
                    "3a 00"); // 7 pubsub: empty PSResponse, present
  auto r = ok_response();
  r.pubsub = ps_response{};
  check_both_ways(r, golden, encode_response, decode_response);
  CHECK(to_hex(encode_response(ok_response())) == "0800");
}

TEST_CASE("a DHT FIND_PEER reply carries dht.peer") {
  auto golden = hex(std::string("08 00") // 1 type: OK
                    + "2a 36" // 5 dht: 54 bytes
                    + "  08 01" // 1 type: VALUE (1)
                    + "  12 32" // 2 peer: 50 bytes
                    + "    0a 26" + peer_hex // 1 id
                    + "    12 08" + addr4_hex); // 2 addrs
  auto r = ok_response();
  r.dht = dht_response{dht_response_type::value,
                       peer_info{peer(), {hex(addr4_hex)}}, std::nullopt};
  check_both_ways(r, golden, encode_response, decode_response);
}

TEST_CASE("a bare DHTResponse END closes a DHT result stream") {
  check_both_ways(dht_response{dht_response_type::end, {}, {}}, hex("08 02"),
                  encode_dht_response, decode_dht_response);
}

TEST_CASE("a DHT request keeps a zero count and the BEGIN-valued type") {
  auto golden = hex("08 04" // 1 type: DHT (4)
                    "2a 08" // 5 dht: 8 bytes
                    "  08 02" // 1 type: FIND_PROVIDERS (2)
                    "  1a 02 0155" // 3 cid (opaque bytes here)
                    "  30 00"); // 6 count: 0 (present)
  request r;
  r.type = request_type::dht;
  r.dht = dht_request{};
  r.dht->type = dht_request_type::find_providers;
  r.dht->cid = hex("0155");
  r.dht->count = 0;
  check_both_ways(r, golden, encode_request, decode_request);
}

TEST_CASE("a PEERSTORE request uses the js-only field 9") {
  auto golden = hex(std::string("08 09") // 1 type: PEERSTORE (9)
                    + "4a 2a" // 9 peerStore: 42 bytes
                    + "  08 02" // 1 type: GET_PEER_INFO (2)
                    + "  12 26" + peer_hex); // 2 id
  request r;
  r.type = request_type::peerstore;
  r.peer_store = peerstore_request{peerstore_request_type::get_peer_info,
                                   peer(),
                                   {}};
  check_both_ways(r, golden, encode_request, decode_request);
}
