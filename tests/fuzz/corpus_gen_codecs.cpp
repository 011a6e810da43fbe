// Seeds of the codec fuzz targets, built with the codecs' own encoders.

#include <string>
#include <vector>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/identify/message.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/base32.hpp"
#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/multistream/codec.hpp"
#include "canswarm/noise/payload.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "canswarm/varint/varint.hpp"
#include "canswarm/yamux/frame.hpp"
#include "corpus_gen.hpp"
#include "envelope_fixture.hpp"

namespace canswarm::fuzz {

namespace {

using identity::private_key;

identity::private_key ed25519_key(std::uint8_t fill) {
  return *private_key::ed25519_from_seed(bytes(32, fill));
}

// One key of every type (RSA and ECDSA ones are fresh on every run).
std::vector<std::pair<std::string, private_key>> all_keys() {
  std::vector<std::pair<std::string, private_key>> out;
  out.emplace_back("ed25519", ed25519_key(7));
  out.emplace_back("rsa2048", *private_key::generate_rsa(2048));
  out.emplace_back("secp256k1", private_key::generate_secp256k1());
  out.emplace_back("ecdsa", private_key::generate_ecdsa());
  return out;
}

// Addresses of every protocol; /p2p values are derived peer ids.
std::vector<std::string> make_addr_texts() {
  auto ed = peer_id::from_public_key(ed25519_key(2).public_key());
  auto relay = peer_id::from_public_key(ed25519_key(4).public_key());
  return {
    "/ip4/127.0.0.1/tcp/4001",
    "/ip6/::1/udp/4001/quic-v1",
    "/ip6/2001:db8::8a2e:370:7334/tcp/443/wss",
    "/dns4/bootstrap.example.com/tcp/443/wss",
    "/dns/example.org/udp/53/quic",
    "/dns6/x/tcp/1/ws",
    "/unix/tmp/canswarm.sock",
    "/ip4/10.0.0.1/tcp/4001/p2p/" + ed.to_string(),
    "/ip4/1.2.3.4/tcp/1/p2p/" + relay.to_string() + "/p2p-circuit/p2p/"
      + ed.to_string(),
    "/ipfs/" + ed.to_string(),
    "/p2p/" + relay.to_cid_string(),
  };
}

const std::vector<std::string>& addr_texts() {
  static const auto texts = make_addr_texts();
  return texts;
}

void varint_seeds(seed_sink& sink) {
  const std::uint64_t values[] = {0,     1,          127,
                                  128,   300,        16383,
                                  16384, 1ull << 32, varint::max_value};
  for (auto v : values)
    sink.add("varint", "value-" + std::to_string(v), {63}, varint::encode(v));
  bytes frame;
  varint::write_frame(as_bytes("hello"), frame);
  sink.add("varint", "frame-hello", {8}, frame);
  sink.add("varint", "non-minimal", {63}, bytes{0x80, 0x00});
  sink.add("varint", "ten-bytes", {63}, bytes(10, 0xff));
  sink.add("varint", "truncated-frame", {20}, bytes{0x05, 'a', 'b'});
}

void identity_seeds(
  seed_sink& sink,
  const std::vector<std::pair<std::string, private_key>>& keys) {
  for (const auto& [name, key] : keys) {
    auto pub = key.public_key();
    auto id = peer_id::from_public_key(pub);
    sink.add("multihash_peer_id", "bytes-" + name, id.to_bytes());
    sink.add("multihash_peer_id", "text-" + name, to_bytes(id.to_string()));
    sink.add("multihash_peer_id", "cid-" + name, to_bytes(id.to_cid_string()));
    bytes zcid{0x01, 0x72};
    append(zcid, id.to_bytes());
    sink.add("multihash_peer_id", "zcid-" + name,
             to_bytes("z" + base58btc_encode(zcid)));
    sink.add("key_protobuf", "public-" + name, {0}, pub.to_protobuf());
    sink.add("key_protobuf", "private-" + name, {1}, key.to_protobuf());
    bytes verify{2};
    append_long(verify, pub.to_protobuf());
    append_short(verify, "message");
    append(verify, key.sign(as_bytes("message")));
    sink.add("key_protobuf", "verify-" + name, std::move(verify));
    sink.add("key_protobuf", "data-" + name,
             {3, static_cast<std::uint8_t>(pub.type())}, pub.data());
  }
  sink.add("multihash_peer_id", "base32",
           to_bytes(base32_encode(as_bytes("canswarm"))));
  sink.add("multihash_peer_id", "sha256-short", bytes{0x12, 0x02, 0xab, 0xcd});
}

void multiaddr_seeds(seed_sink& sink) {
  int i = 0;
  for (const auto& text : addr_texts()) {
    auto name = std::to_string(i++);
    auto ma = multiaddr::parse(text);
    sink.add("multiaddr_text", name, to_bytes(text));
    if (ma)
      sink.add("multiaddr_binary", name, ma->to_bytes());
  }
}

void multistream_seeds(seed_sink& sink) {
  using namespace multistream;
  bytes answers = encode_line(protocol_id);
  append(answers, encode_line(not_available));
  append(answers, encode_line("/yamux/1.0.0"));
  append(answers, as_bytes("pipelined"));
  sink.add("multistream", "dialer-na-then-echo", {0x80, 0}, answers);
  sink.add("multistream", "dialer-not-lazy-chunked", {0, 3}, answers);
  bytes proposals = encode_line(protocol_id);
  append(proposals, encode_line(list_request));
  append(proposals, encode_line("/mplex/6.7.0"));
  append(proposals, encode_line("/noise"));
  sink.add("multistream", "listener-ls-na-echo", {1, 0}, proposals);
  sink.add("multistream", "listener-chunked", {1, 5}, proposals);
  sink.add("multistream", "codec-line", {2, 0}, encode_line("/noise"));
  bytes ls;
  write_ls_response({"/yamux/1.0.0", "/noise"}, ls);
  auto body = varint::read_frame(ls, max_ls_response_size).body;
  sink.add("multistream", "codec-ls", {2, 0}, body);
  bytes pair{3, 1, 2};
  append_short(pair, "/mplex/6.7.0");
  append_short(pair, "/yamux/1.0.0");
  pair.push_back(1);
  append_short(pair, "/yamux/1.0.0");
  sink.add("multistream", "pair", std::move(pair));
}

void noise_payload_seeds(seed_sink& sink) {
  auto key = ed25519_key(9);
  noise::handshake_payload p;
  p.identity_key = key.public_key().to_protobuf();
  p.identity_sig = key.sign(as_bytes("static"));
  sink.add("noise_payload", "plain", *noise::encode_payload(p));
  p.ext = noise::extensions{{bytes{0x12, 0x20, 1, 2, 3}},
                            {"/yamux/1.0.0", "/mplex/6.7.0"}};
  sink.add("noise_payload", "extensions", *noise::encode_payload(p));
}

void yamux_frame_seeds(seed_sink& sink) {
  using namespace yamux;
  const header headers[] = {
    {protocol_version, frame_type::data, flag_syn, 1, 5},
    {protocol_version, frame_type::window_update, flag_ack, 2, 262144},
    {protocol_version, frame_type::ping, flag_syn, 0, 7},
    {protocol_version, frame_type::go_away, 0, 0, 1},
    {protocol_version, frame_type::data, flag_fin | flag_rst, 3, 0},
  };
  int i = 0;
  for (const auto& h : headers)
    sink.add("yamux_frame", std::to_string(i++), encode_header(h));
}

void identify_seeds(seed_sink& sink) {
  identify::message m;
  m.protocol_version = "ipfs/0.1.0";
  m.agent_version = "canswarm/0.1.0";
  m.public_key = ed25519_key(5).public_key().to_protobuf();
  for (int i = 0; i < 3; ++i)
    m.listen_addrs.push_back(multiaddr::parse(addr_texts()[i])->to_bytes());
  m.observed_addr = multiaddr::parse(addr_texts()[0])->to_bytes();
  m.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/meshsub/1.1.0"};
  sink.add("identify", "full", {0, 0}, *identify::encode(m));
  identify::message record;
  record.signed_peer_record = bytes(40, 0xee);
  auto frames = *identify::encode_frame(m);
  append(frames, *identify::encode_frame(record));
  sink.add("identify", "two-frames", {1, 0}, frames);
  sink.add("identify", "two-frames-chunked", {1, 7}, frames);
}

void p2pd_seeds(seed_sink& sink) {
  using namespace p2pd;
  auto peer = peer_id::from_public_key(ed25519_key(3).public_key()).to_bytes();
  auto addr = multiaddr::parse(addr_texts()[0])->to_bytes();
  request connect;
  connect.type = request_type::connect;
  connect.connect = connect_request{peer, {addr}, 10};
  request open;
  open.type = request_type::stream_open;
  open.stream_open = stream_open_request{peer, {"/echo/1.0.0"}, 5};
  request dht;
  dht.type = request_type::dht;
  dht.dht = dht_request{};
  dht.dht->type = dht_request_type::get_value;
  dht.dht->key = bytes{1, 2};
  request ps;
  ps.type = request_type::pubsub;
  ps.pubsub = ps_request{ps_request_type::publish, "topic", bytes{9}};
  const std::pair<const char*, request> requests[] = {{"identify", request{}},
                                                      {"connect", connect},
                                                      {"open", open},
                                                      {"dht", dht},
                                                      {"pubsub", ps}};
  bytes stream;
  for (const auto& [name, r] : requests) {
    sink.add("p2pd", std::string{"request-"} + name, {0, 0}, encode_request(r));
    write_message(r, stream);
  }
  auto ok = ok_response();
  ok.identify = identify_response{peer, {addr}};
  sink.add("p2pd", "response-identify", {1, 0}, encode_response(ok));
  sink.add("p2pd", "response-error", {1, 0},
           encode_response(error_response("no such peer")));
  sink.add("p2pd", "stream-info", {2, 0},
           encode_stream_info(stream_info{peer, addr, "/echo/1.0.0"}));
  ps_message msg;
  msg.from = peer;
  msg.data = bytes{1, 2, 3};
  msg.topic_ids = {"a", "b"};
  sink.add("p2pd", "ps-message", {3, 0}, encode_ps_message(msg));
  dht_response value;
  value.type = dht_response_type::value;
  value.peer = peer_info{peer, {addr}};
  sink.add("p2pd", "dht-response", {4, 0}, encode_dht_response(value));
  sink.add("p2pd", "reader-stream", {6, 12}, stream);
  append(stream, as_bytes("raw stream bytes"));
  sink.add("p2pd", "reader-stream-rest", {6, 0}, stream);
}

void envelope_seeds(seed_sink& sink) {
  auto key = ed25519_key(1);
  bytes gate{1, 0};
  for (std::uint8_t i = 0; i < 3; ++i) {
    auto e = envelope::make(envelope::all_kinds[i],
                            "thread-" + std::to_string(i),
                            to_bytes(R"({"task":"fuzz"})"), 1 + i,
                            envelope_seed_time, bytes(32, 0xaa),
                            bytes(16, static_cast<std::uint8_t>(0x10 + i)),
                            bytes(16, static_cast<std::uint8_t>(0x20 + i)));
    if (i == 2)
      e.policy_capsule_hash = bytes(32, 0xcc);
    (void)envelope::sign(e, key);
    auto wire = *envelope::encode(e);
    sink.add("envelope", "wire-" + std::to_string(i), {0}, wire);
    gate.push_back(0);
    gate.push_back(static_cast<std::uint8_t>(i)); // A few seconds later.
    append_long(gate, wire);
  }
  sink.add("envelope", "gate", gate);
}

} // namespace

void add_codec_seeds(seed_sink& sink) {
  auto keys = all_keys();
  varint_seeds(sink);
  identity_seeds(sink, keys);
  multiaddr_seeds(sink);
  multistream_seeds(sink);
  noise_payload_seeds(sink);
  yamux_frame_seeds(sink);
  identify_seeds(sink);
  p2pd_seeds(sink);
  envelope_seeds(sink);
}

} // namespace canswarm::fuzz
