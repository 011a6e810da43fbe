// Golden vectors were produced by js-libp2p's gossipsub protobuf codec
// (@libp2p/gossipsub RPC.encode) and are checked both ways here.

#include <doctest/doctest.h>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/varint/varint.hpp"
#include "test_util.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using gossipsub_test::annotated_hex;

namespace {

// RPC{subscriptions: [{subscribe: true, topic: "chat"},
//                     {subscribe: false, topic: "news"}]}
const bytes subscriptions_rpc = annotated_hex(R"(
  0a 08                 # field 1 (subscriptions), 8 bytes
     08 01              #   subscribe = true
     12 04 63686174     #   topic_id = "chat"
  0a 08                 # field 1 (subscriptions), 8 bytes
     08 00              #   subscribe = false
     12 04 6e657773     #   topic_id = "news"
)");

// The peer id of the Ed25519 key with seed 01 02 .. 20 (identity multihash
// of the PublicKey protobuf):
// 12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf
const bytes peer_bytes = hex(
  "0024 0801 1220 79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad"
  "049664");

// RPC{publish: [Message{from, data "hello", seqno 1, topic "chat",
//                        signature}]} signed with the seed-01..20 key.
const bytes signed_rpc = annotated_hex(R"(
  12 8101                         # field 2 (publish), 129 bytes
    0a 26 00240801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3
          910bad049664            # from = peer id (38 bytes)
    12 05 68656c6c6f              # data = "hello"
    1a 08 0000000000000001        # seqno = 1 (big-endian)
    22 04 63686174                # topic = "chat"
    2a 40 4b4f762710a2d7678b47007a23244ed5a11091d178478ffec62a6c84212f4e10
          1d5bb67a88e856515bd964e719a553ffdbb9339a0f7d34f64e3147e0e999a901
                                  # signature (64 bytes)
)");

// RPC{control: {ihave: [{chat, [0102, 03]}], iwant: [{[0a0b]}],
//               graft: [{chat}], prune: [{news, [PeerInfo{peer}], 60}]}}
const bytes control_rpc = annotated_hex(R"(
  1a 51                           # field 3 (control), 81 bytes
    0a 0d                         #   ihave, 13 bytes
       0a 04 63686174             #     topic_id = "chat"
       12 02 0102                 #     message id 0102
       12 01 03                   #     message id 03
    12 04                         #   iwant, 4 bytes
       0a 02 0a0b                 #     message id 0a0b
    1a 06                         #   graft, 6 bytes
       0a 04 63686174             #     topic_id = "chat"
    22 32                         #   prune, 50 bytes
       0a 04 6e657773             #     topic_id = "news"
       12 28                      #     peers: PeerInfo, 40 bytes
          0a 26 00240801122079b5562e8fe654f94078b112e8a98ba7901f853ae695
                bed7e0e3910bad049664 #   peer_id
       18 3c                      #     backoff = 60 s
)");

message_id mid(std::initializer_list<std::uint8_t> b) {
  return message_id{bytes(b)};
}

} // namespace

TEST_CASE("a subscription RPC decodes from and encodes to its golden bytes") {
  auto r = decode_rpc(subscriptions_rpc, default_max_transmit_size);
  REQUIRE(r);
  REQUIRE(r->subscriptions.size() == 2);
  CHECK(r->subscriptions[0] == sub_opts{true, "chat"});
  CHECK(r->subscriptions[1] == sub_opts{false, "news"});
  CHECK(r->publish.empty());
  CHECK_FALSE(r->control);
  CHECK(encode_rpc(*r) == subscriptions_rpc);
}

TEST_CASE("a signed message RPC decodes from and encodes to its golden bytes") {
  auto r = decode_rpc(signed_rpc, default_max_transmit_size);
  REQUIRE(r);
  REQUIRE(r->publish.size() == 1);
  const auto& m = r->publish[0];
  CHECK(m.from == peer_bytes);
  CHECK(m.data == to_bytes("hello"));
  CHECK(m.data_present);
  CHECK(m.seqno == hex("0000000000000001"));
  CHECK(seqno_value(m) == 1u);
  CHECK(m.topic == "chat");
  REQUIRE(m.signature);
  CHECK(m.signature->size() == 64);
  CHECK_FALSE(m.key);
  CHECK(encode_rpc(*r) == signed_rpc);
  // The signed payload: prefix + Message without signature and key.
  CHECK(to_hex(signing_payload(m))
        == "6c69627032702d7075627375623a"
           "0a2600240801122079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e"
           "0e3910bad049664120568656c6c6f1a080000000000000001220463686174");
}

TEST_CASE("a control RPC with ihave, iwant, graft and prune round-trips") {
  auto r = decode_rpc(control_rpc, default_max_transmit_size);
  REQUIRE(r);
  REQUIRE(r->control);
  const auto& c = *r->control;
  REQUIRE(c.ihave.size() == 1);
  CHECK(c.ihave[0].topic == "chat");
  CHECK(c.ihave[0].ids == std::vector{mid({1, 2}), mid({3})});
  REQUIRE(c.iwant.size() == 1);
  CHECK(c.iwant[0].ids == std::vector{mid({10, 11})});
  REQUIRE(c.graft.size() == 1);
  CHECK(c.graft[0].topic == "chat");
  REQUIRE(c.prune.size() == 1);
  CHECK(c.prune[0].topic == "news");
  REQUIRE(c.prune[0].peers.size() == 1);
  CHECK(c.prune[0].peers[0].peer_id == peer_bytes);
  CHECK_FALSE(c.prune[0].peers[0].signed_peer_record);
  CHECK(c.prune[0].backoff == 60u);
  CHECK(encode_rpc(*r) == control_rpc);
  // The size helpers the outbound queue uses match the encoding.
  CHECK(field_size(payload_size(c)) == control_rpc.size());
}

TEST_CASE("a PRUNE backoff of 2^64-1 decodes and encodes as a 10-byte varint") {
  const auto body = annotated_hex(R"(
    1a 10                     # control, 16 bytes
      22 0e                   #   prune, 14 bytes
        0a 01 78              #     topic_id = "x"
        18 ffffffffffffffffff01 # backoff = 2^64-1
  )");
  auto r = decode_rpc(body, default_max_transmit_size);
  REQUIRE(r);
  REQUIRE(r->control);
  CHECK(r->control->prune.at(0).backoff
        == std::numeric_limits<std::uint64_t>::max());
  CHECK(encode_rpc(*r) == body);
}

TEST_CASE("decode_rpc rejects an oversize body and bytes that do not parse") {
  bytes big(2000, 0);
  auto r = decode_rpc(big, 1024);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  CHECK(r.error().message.find("max_transmit_size 1024") != std::string::npos);
  auto bad = decode_rpc(hex("0a ff"), 1024); // length runs past the end
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::malformed);
}

TEST_CASE("the frame reader refuses an oversize RPC from its length prefix") {
  frame_reader reader{default_max_transmit_size};
  // A prefix announcing 1 MiB + 1 arrives with no body at all.
  auto prefix = varint::encode(default_max_transmit_size + 1);
  auto ok = reader.push(prefix);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::too_large);
  CHECK(reader.buffered() == prefix.size()); // the body was never buffered
  // The stream is dead afterwards.
  CHECK_FALSE(reader.push(hex("00")));
}

TEST_CASE("the frame reader reassembles frames split across reads") {
  frame_reader reader{1024};
  bytes stream;
  append_frame(subscriptions_rpc, stream);
  append_frame(control_rpc, stream);
  // Feed one byte at a time.
  std::vector<bytes> frames;
  for (auto b : stream) {
    REQUIRE(reader.push(bytes{b}));
    while (true) {
      auto f = reader.next();
      REQUIRE(f);
      if (!*f)
        break;
      frames.push_back(std::move(**f));
    }
  }
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == subscriptions_rpc);
  CHECK(frames[1] == control_rpc);
  CHECK(reader.buffered() == 0);
}

TEST_CASE("the frame reader refuses a second frame whose prefix is too big") {
  frame_reader reader{64};
  bytes stream;
  append_frame(hex("0a00"), stream);
  varint::encode(65, stream);
  // The first frame is fine; the prefix behind it is reported by next().
  auto pushed = reader.push(stream);
  REQUIRE(pushed); // push checks the first prefix only
  auto first = reader.next();
  REQUIRE(first);
  REQUIRE(*first);
  CHECK(**first == hex("0a00"));
  auto second = reader.next();
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::too_large);
}
