// Control requests validated and turned into swarm requests; swarm answers
// turned into responses.

#include <doctest/doctest.h>

#include <chrono>

#include "canswarm/control/limits.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/p2pd/codec.hpp"

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
  CHECK(unsupported_message(request_type::pubsub).empty());
  CHECK(unsupported_message(request_type::connmanager)
        == "unsupported: CONNMANAGER is not implemented yet");
  CHECK(unsupported_message(request_type::peerstore)
        == "unsupported: PEERSTORE is not implemented yet");
  CHECK(unsupported_message(request_type::identify).empty());
}

// -- PUBSUB -------------------------------------------------------------------

namespace {

p2pd::ps_request ps(p2pd::ps_request_type type,
                    std::optional<std::string> topic = std::nullopt,
                    std::optional<bytes> data = std::nullopt) {
  return p2pd::ps_request{type, std::move(topic), std::move(data)};
}

} // namespace

TEST_CASE("PUBSUB: PUBLISH and SUBSCRIBE need a topic, LIST_PEERS does not") {
  using t = p2pd::ps_request_type;
  auto topics = to_pubsub(ps(t::get_topics));
  REQUIRE(topics);
  CHECK(topics->type == t::get_topics);
  auto all = to_pubsub(ps(t::list_peers));
  REQUIRE(all);
  CHECK(all->topic.empty());
  CHECK(to_pubsub(ps(t::list_peers, "news"))->topic == "news");
  CHECK(to_pubsub(ps(t::publish)).error().message == "PUBLISH: missing topic");
  CHECK(to_pubsub(ps(t::publish, "")).error().message
        == "PUBLISH: missing topic");
  CHECK(to_pubsub(ps(t::subscribe)).error().message
        == "SUBSCRIBE: missing topic");
  CHECK(to_pubsub(ps(t::subscribe, "")).error().code == errc::invalid_argument);
  auto sub = to_pubsub(ps(t::subscribe, "news"));
  REQUIRE(sub);
  CHECK(sub->type == t::subscribe);
  CHECK(sub->topic == "news");
}

TEST_CASE("PUBSUB: PUBLISH carries its data, none meaning empty") {
  using t = p2pd::ps_request_type;
  auto pub = to_pubsub(ps(t::publish, "news", bytes{1, 2, 3}));
  REQUIRE(pub);
  CHECK(pub->topic == "news");
  CHECK(pub->data == bytes{1, 2, 3});
  auto empty = to_pubsub(ps(t::publish, "news"));
  REQUIRE(empty);
  CHECK(empty->data.empty());
  // Data on another request type is ignored.
  CHECK(to_pubsub(ps(t::subscribe, "news", bytes{1}))->data.empty());
}

TEST_CASE("PUBSUB: topics longer than gossipsub's bound are refused") {
  using t = p2pd::ps_request_type;
  std::string longest(gossipsub::max_topic_size, 'x');
  CHECK(to_pubsub(ps(t::subscribe, longest)));
  auto e = to_pubsub(ps(t::subscribe, longest + "x")).error();
  CHECK(e.code == errc::too_large);
  CHECK(e.message
        == "SUBSCRIBE: topic of " + std::to_string(longest.size() + 1)
             + " bytes, at most " + std::to_string(gossipsub::max_topic_size));
  CHECK(to_pubsub(ps(t::list_peers, longest + "x")).error().code
        == errc::too_large);
}

TEST_CASE("PUBSUB: GET_TOPICS replies always carry a PSResponse") {
  // Response{type: OK (08 00), pubsub (field 7, 3a): PSResponse{...}}.
  auto empty = topics_response({});
  REQUIRE(empty.pubsub);
  CHECK(p2pd::encode_response(empty) == bytes{0x08, 0x00, 0x3a, 0x00});
  auto one = topics_response({"a"});
  // PSResponse{topics (field 1, 0a): "a"}.
  CHECK(p2pd::encode_response(one)
        == bytes{0x08, 0x00, 0x3a, 0x03, 0x0a, 0x01, 'a'});
  auto back = p2pd::decode_response(p2pd::encode_response(one));
  REQUIRE(back);
  REQUIRE(back->pubsub);
  CHECK(back->pubsub->topics == std::vector<std::string>{"a"});
  CHECK(back->pubsub->peer_ids.empty());
}

TEST_CASE("PUBSUB: LIST_PEERS replies carry peer id bytes, bounded") {
  auto a = new_peer();
  auto b = new_peer();
  auto resp = pubsub_peers_response({a, peer_id{}, b});
  REQUIRE(resp.pubsub);
  CHECK(resp.type == p2pd::response_type::ok);
  CHECK(resp.pubsub->topics.empty());
  CHECK(resp.pubsub->peer_ids
        == std::vector<bytes>{a.to_bytes(), b.to_bytes()});
  REQUIRE(pubsub_peers_response({}).pubsub);
  CHECK(p2pd::encode_response(pubsub_peers_response({}))
        == bytes{0x08, 0x00, 0x3a, 0x00});
  std::vector<peer_id> many(max_listed_peers + 1, a);
  CHECK(pubsub_peers_response(many).pubsub->peer_ids.size()
        == max_listed_peers);
}

TEST_CASE("PUBSUB: a delivered message becomes the PSMessage go streams") {
  pubsub_message msg;
  msg.topic = "t";
  msg.from = {0x00, 0x01};
  msg.data = {'h', 'i'};
  msg.seqno = {0, 0, 0, 0, 0, 0, 0, 9};
  msg.signature = {0x51};
  msg.key = {0x4b};
  auto m = to_ps_message(msg);
  CHECK(m.from == bytes{0x00, 0x01});
  CHECK(m.data == bytes{'h', 'i'});
  CHECK(m.seqno == bytes{0, 0, 0, 0, 0, 0, 0, 9});
  CHECK(m.topic_ids == std::vector<std::string>{"t"});
  CHECK(m.signature == bytes{0x51});
  CHECK(m.key == bytes{0x4b});
  CHECK(p2pd::encode_ps_message(m) == bytes{0x0a, 0x02, 0x00, 0x01, // from
                                            0x12, 0x02, 'h',  'i', // data
                                            0x1a, 0x08, 0,    0,    0,
                                            0,    0,    0,    0,    9, // seqno
                                            0x22, 0x01, 't', // topicIDs
                                            0x2a, 0x01, 0x51, // signature
                                            0x32, 0x01, 0x4b}); // key
  // Absent parts (an unsigned message) stay absent; data is always there.
  pubsub_message bare;
  bare.topic = "t";
  auto b = to_ps_message(bare);
  CHECK_FALSE(b.from);
  CHECK_FALSE(b.seqno);
  CHECK_FALSE(b.signature);
  CHECK_FALSE(b.key);
  CHECK(b.data == bytes{});
  CHECK(p2pd::encode_ps_message(b) == bytes{0x12, 0x00, 0x22, 0x01, 't'});
}

TEST_CASE("CANSWARM_STATS: the request and its JSON reply round-trip") {
  p2pd::request req;
  req.type = p2pd::request_type::canswarm_stats;
  auto decoded = p2pd::decode_request(p2pd::encode_request(req));
  REQUIRE(decoded);
  CHECK(decoded->type == p2pd::request_type::canswarm_stats);
  CHECK(std::string{p2pd::to_string(req.type)} == "CANSWARM_STATS");
  auto resp = p2pd::ok_response();
  resp.canswarm_stats = R"({"peer_id":"x"})";
  auto back = p2pd::decode_response(p2pd::encode_response(resp));
  REQUIRE(back);
  CHECK(back->canswarm_stats == resp.canswarm_stats);
  // A go or js daemon's reply has no such field.
  auto plain = p2pd::decode_response(
    p2pd::encode_response(p2pd::ok_response()));
  REQUIRE(plain);
  CHECK_FALSE(plain->canswarm_stats);
}

TEST_CASE("CANSWARM_STATS: the document counts peers, pub/sub and the gate") {
  auto self = new_peer();
  auto a = new_peer();
  auto b = new_peer();
  std::vector<peer_entry> conns{
    {a, conn_id{1}, ma("/ip4/127.0.0.1/tcp/1000"), {}},
    {a, conn_id{2}, ma("/ip4/127.0.0.1/tcp/1001"), {}},
    {b, conn_id{3}, ma("/ip4/127.0.0.1/tcp/2000"), {}},
  };
  pubsub_report report;
  report.topics = {"/swarm/thread/t/need"};
  report.published = 3;
  report.received = 7;
  report.delivered = 5;
  report.rejected = {{"validator_rejected", 2}};
  report.peers = {{a, -12.5, {"/swarm/thread/t/need"}}, {b, 1.25, {}}};
  envelope::gate_stats gate;
  gate.accepted = 5;
  gate
    .rejected[static_cast<std::size_t>(envelope::reject_reason::bad_signature)]
    = 2;
  bus_stats bus;
  bus.mode = "p2p-primary";
  bus.primary = "p2p";
  bus.active = "nats";
  bus.nats_state = "connected";
  bus.published = 10;
  bus.published_p2p = 4;
  bus.published_nats = 9;
  bus.received = 6;
  bus.received_p2p = 2;
  bus.received_nats = 4;
  bus.dedup_hits = 3;
  bus.failovers = 1;
  bus.nats_rejected = {{"bad_signature", 1}, {"bad_subject", 2}};
  stats_inputs in{self, &conns, &report, &gate, &bus};
  auto doc = stats_json(in);
  INFO(doc);
  CHECK(doc.starts_with("{\"peer_id\":\"" + self.to_string() + "\""));
  CHECK(doc.find("\"connected_peers\":2,\"connections\":3")
        != std::string::npos);
  CHECK(doc.find("\"published\":3,\"received\":7,\"delivered\":5")
        != std::string::npos);
  CHECK(doc.find("\"rejected\":{\"validator_rejected\":2}")
        != std::string::npos);
  CHECK(doc.find("{\"peer\":\"" + a.to_string()
                 + "\",\"score\":-12.500,\"mesh\":[\"/swarm/thread/t/need\"]}")
        != std::string::npos);
  CHECK(
    doc.find("{\"peer\":\"" + b.to_string() + "\",\"score\":1.250,\"mesh\":[]}")
    != std::string::npos);
  CHECK(doc.find("\"envelopes\":{\"accepted\":5,\"rejected_total\":2,"
                 "\"rejected\":{\"bad_signature\":2}}")
        != std::string::npos);
  CHECK(doc.find("\"bus\":{\"mode\":\"p2p-primary\",\"primary\":\"p2p\","
                 "\"active\":\"nats\",\"nats_state\":\"connected\","
                 "\"published\":{\"total\":10,\"p2p\":4,\"nats\":9},"
                 "\"received\":{\"total\":6,\"p2p\":2,\"nats\":4}")
        != std::string::npos);
  CHECK(doc.find("\"dedup_hits\":3,\"failovers\":1,") != std::string::npos);
  CHECK(doc.ends_with("\"nats_rejected\":{\"bad_signature\":1,"
                      "\"bad_subject\":2}}}"));
  // Without pub/sub, gate and bus the objects are null.
  stats_inputs bare{self, &conns, nullptr, nullptr};
  auto doc2 = stats_json(bare);
  CHECK(doc2.find("\"pubsub\":null") != std::string::npos);
  CHECK(doc2.ends_with("\"envelopes\":null,\"bus\":null}"));
}
