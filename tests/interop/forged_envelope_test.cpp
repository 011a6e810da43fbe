// Issue #6: the ingress gate is the gossipsub validation hook. Three real
// `canswarm node` processes (2 and 3 bootstrap from 1, 3 also from 2) and
// one js-libp2p gossipsub peer (suite/gossip_peer.mjs, @libp2p/gossipsub,
// StrictSign) connected to node 1 only. The js peer publishes envelopes the
// test builds: an honest one reaches the subscribers of all three nodes;
// forged ones (tampered signature, tampered payload) are delivered nowhere,
// node 1 counts them by reason, never forwards them (nodes 2 and 3 see no
// rejection at all), and the js peer's score on node 1 drops below zero and
// then, after more forgeries, below the graylist threshold (-80), after
// which node 1 ignores it while honest traffic between the canswarm nodes
// keeps flowing.

#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sodium.h>

#include "actors/connection/js_peer.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/runtime/control_client.hpp"
#include "runtime/node_harness.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

struct node : test::control_node {
  explicit node(std::map<std::string, std::string> extra = {})
      : control_node(with_defaults(std::move(extra))) {}

  static std::map<std::string, std::string>
  with_defaults(std::map<std::string, std::string> extra) {
    extra.emplace("P2P_MDNS_ENABLED", "false");
    extra.emplace("LOG_LEVEL", "INFO");
    extra.emplace("GOSSIPSUB_HEARTBEAT_INTERVAL", "0.2");
    return extra;
  }

  runtime::control_client client() {
    auto c = runtime::control_client::connect(control);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    return std::move(*c);
  }

  std::string stats() {
    auto doc = client().stats();
    REQUIRE_MESSAGE(doc, (doc ? "" : doc.error().message));
    return *doc;
  }

  /// Polls PUBSUB LIST_PEERS until `peer` is on `topic` (15 s).
  bool await_topic_peer(const std::string& topic, const std::string& peer) {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto ids = client().list_topic_peers(topic);
      REQUIRE(ids);
      for (auto& id : *ids)
        if (peer_id::from_bytes(id)->to_string() == peer)
          return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
};

/// The js peer's score in a CANSWARM_STATS document (nullopt if absent).
std::optional<double> score_of(const std::string& stats,
                               const std::string& peer) {
  std::smatch m;
  std::regex re{"\\{\"peer\":\"" + peer + "\",\"score\":(-?[0-9.]+)"};
  if (!std::regex_search(stats, m, re))
    return std::nullopt;
  return std::stod(m[1].str());
}

/// A number field of the stats document's "envelopes" object ("rejected"
/// reasons included), or -1.
long envelopes_count(const std::string& stats, const std::string& key) {
  auto at = stats.find("\"envelopes\":");
  if (at == std::string::npos)
    return -1;
  std::smatch m;
  std::regex re{"\"" + key + "\":([0-9]+)"};
  auto tail = stats.substr(at);
  if (!std::regex_search(tail, m, re))
    return key == "accepted" || key == "rejected_total" ? -1 : 0;
  return std::stol(m[1].str());
}

/// A number field of the stats document's "pubsub" object, or -1.
long pubsub_count(const std::string& stats, const std::string& key) {
  std::smatch m;
  std::regex re{"\"pubsub\":\\{.*?\"" + key + "\":([0-9]+)"};
  return std::regex_search(stats, m, re) ? std::stol(m[1].str()) : -1;
}

bytes random(std::size_t n) {
  bytes out(n);
  randombytes_buf(out.data(), out.size());
  return out;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

enum class forgery { none, signature, payload };

/// A signed NEED envelope of `thread`, encoded; tampered after signing as
/// `how` says.
bytes make_need(const identity::private_key& key, const std::string& thread,
                std::uint64_t lamport, forgery how) {
  auto text = std::string{"{\"step\":"} + std::to_string(lamport) + "}";
  auto env = envelope::make(envelope::kind::need, thread,
                            bytes(text.begin(), text.end()), lamport, now_ns(),
                            {}, random(16), random(envelope::id_size));
  REQUIRE(envelope::sign(env, key));
  if (how == forgery::signature)
    env.signature[7] ^= 0x20;
  else if (how == forgery::payload)
    env.payload.push_back('!');
  auto wire = envelope::encode(env);
  REQUIRE(wire);
  return *wire;
}

std::string hex(const bytes& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto x : b) {
    out += digits[x >> 4];
    out += digits[x & 0xf];
  }
  return out;
}

/// Reads what arrives on `sub` within `wait`: the data of each message.
std::vector<bytes> drain(runtime::subscription& sub,
                         std::chrono::milliseconds wait) {
  std::vector<bytes> out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return out;
    auto m = sub.next(left);
    if (!m) {
      REQUIRE_MESSAGE(m.error().code == errc::timeout, m.error().message);
      return out;
    }
    out.push_back(m->data.value_or(bytes{}));
  }
}

/// Waits until `sub` delivers `data` (other messages are failures).
void expect_delivery(runtime::subscription& sub, const bytes& data,
                     const char* who) {
  auto m = sub.next(10s);
  REQUIRE_MESSAGE(m, who << ": " << (m ? "" : m.error().message));
  CHECK_MESSAGE(m->data.value_or(bytes{}) == data, who);
}

} // namespace

TEST_CASE("a forged envelope injected by a js-libp2p gossipsub peer is "
          "delivered nowhere, never forwarded, and the injecting peer's score "
          "drops to the graylist") {
  REQUIRE(sodium_init() >= 0);
  node n1;
  node n2{{{"P2P_BOOTSTRAP_NODES", n1.b.addrs.at(0)}}};
  node n3{{{"P2P_BOOTSTRAP_NODES", n1.b.addrs.at(0) + "," + n2.b.addrs.at(0)}}};
  test::js_peer js{"suite", "gossip_peer.mjs"};

  const std::string thread = "forged-" + hex(random(4));
  auto topic = *envelope::p2p_topic(thread, envelope::kind::need);
  std::vector<runtime::subscription> subs;
  for (auto* n : {&n1, &n2, &n3}) {
    auto s = n->client().subscribe(topic);
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    subs.push_back(std::move(*s));
  }
  REQUIRE(
    test::js_peer::ok(js.call("subscribe", "\"topic\":\"" + topic + "\"")));
  auto dialed = js.call("dial", "\"addr\":\"" + n1.b.addrs.at(0) + "\"");
  REQUIRE_MESSAGE(test::js_peer::ok(dialed), dialed << js.stderr_text());

  // Everyone knows everyone's subscription where they are connected.
  REQUIRE(n1.await_topic_peer(topic, js.id));
  REQUIRE(n1.await_topic_peer(topic, n2.b.id));
  REQUIRE(n1.await_topic_peer(topic, n3.b.id));
  REQUIRE(n2.await_topic_peer(topic, n3.b.id));
  REQUIRE(n3.await_topic_peer(topic, n1.b.id));
  // A few heartbeats (200 ms) for the meshes, js's included.
  std::this_thread::sleep_for(1500ms);
  auto before = n1.stats();
  INFO("node 1 before: " << before);
  auto score0 = score_of(before, js.id);
  REQUIRE(score0);
  CHECK(*score0 >= 0);

  auto agent = identity::private_key::generate_ed25519();

  // 1. An honest envelope from the js peer reaches all three nodes (2 and 3
  //    through node 1).
  auto honest = make_need(agent, thread, 1, forgery::none);
  auto pub = js.call("publish", "\"topic\":\"" + topic + "\",\"hex\":\""
                                  + hex(honest) + "\"");
  REQUIRE_MESSAGE(test::js_peer::ok(pub), pub);
  expect_delivery(subs[0], honest, "node 1");
  expect_delivery(subs[1], honest, "node 2");
  expect_delivery(subs[2], honest, "node 3");

  // 2. Two forgeries: delivered nowhere; node 1 rejects each with its
  //    reason and does not forward them.
  for (auto how : {forgery::signature, forgery::payload}) {
    auto forged = make_need(agent, thread, 2, how);
    auto r = js.call("publish", "\"topic\":\"" + topic + "\",\"hex\":\""
                                  + hex(forged) + "\"");
    REQUIRE_MESSAGE(test::js_peer::ok(r), r);
  }
  for (std::size_t i = 0; i < subs.size(); ++i)
    CHECK_MESSAGE(drain(subs[i], i == 0 ? 2s : 300ms).empty(),
                  "node " << i + 1 << " delivered a forged envelope");
  auto after = n1.stats();
  INFO("node 1 after two forgeries: " << after);
  CHECK(envelopes_count(after, "bad_signature") == 1);
  CHECK(envelopes_count(after, "payload_hash_mismatch") == 1);
  CHECK(envelopes_count(after, "rejected_total") == 2);
  CHECK(envelopes_count(after, "accepted") >= 1);
  auto score1 = score_of(after, js.id);
  REQUIRE(score1);
  CHECK(*score1 < 0);
  CHECK(*score1 < *score0);
  for (auto* n : {&n2, &n3}) {
    auto s = n->stats();
    INFO("node " << (n == &n2 ? 2 : 3) << ": " << s);
    CHECK(envelopes_count(s, "rejected_total") == 0);
    CHECK(envelopes_count(s, "accepted") >= 1);
  }
  // The rejection is logged with its reason.
  auto log = n1.proc->stderr_text();
  CHECK_MESSAGE(log.find("rejected: bad_signature") != std::string::npos, log);
  CHECK_MESSAGE(log.find("rejected: payload_hash_mismatch")
                  != std::string::npos,
                log);

  // 3. Two more forgeries: P4 (-10 x invalid^2) takes the js peer below the
  //    graylist threshold (-80); node 1 then ignores its RPCs, even an
  //    honest envelope.
  for (std::uint64_t i = 0; i < 2; ++i) {
    auto forged = make_need(agent, thread, 3 + i, forgery::signature);
    REQUIRE(test::js_peer::ok(
      js.call("publish",
              "\"topic\":\"" + topic + "\",\"hex\":\"" + hex(forged) + "\"")));
  }
  CHECK(drain(subs[0], 500ms).empty());
  auto gray = n1.stats();
  INFO("node 1 after four forgeries: " << gray);
  auto score2 = score_of(gray, js.id);
  REQUIRE(score2);
  // The third counted forgery takes P4 to -90; invalid counters decay by
  // 0.99 a second, so the score stays below -80 for about 5 s.
  CHECK(*score2 < -80);
  // Once graylisted, the fourth is ignored before validation (unless it
  // was already queued for validation when the third's verdict came).
  auto bad = envelopes_count(gray, "bad_signature");
  CHECK(bad >= 2);
  CHECK(bad <= 3);
  auto late = make_need(agent, thread, 9, forgery::none);
  REQUIRE(test::js_peer::ok(
    js.call("publish",
            "\"topic\":\"" + topic + "\",\"hex\":\"" + hex(late) + "\"")));
  CHECK(drain(subs[0], 1s).empty());
  CHECK(pubsub_count(n1.stats(), "graylisted") >= 1);

  // 4. Honest traffic between the canswarm nodes keeps flowing.
  auto from2 = make_need(agent, thread, 10, forgery::none);
  REQUIRE(n2.client().publish(topic, from2));
  expect_delivery(subs[0], from2, "node 1 after the graylisting");
  expect_delivery(subs[2], from2, "node 3 after the graylisting");
}
