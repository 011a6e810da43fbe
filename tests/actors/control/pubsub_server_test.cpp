// PUBSUB requests through the control server, driven by the blocking p2pd
// client, with the real pub/sub actor (gossipsub) on two in-process nodes
// on loopback: node a and node b each run a swarm, a pub/sub actor and a
// control server, and are connected. Messages published through a's
// control API travel over gossipsub to b and come out of b's control API
// as the subscription stream, as between two go daemons.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "canswarm/control/limits.hpp"
#include "canswarm/control/server.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/pubsub/pubsub.hpp"
#include "control_client.hpp"
#include "stream_actors.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;
namespace p2pd = canswarm::p2pd;

namespace {

// -- fixture ----------------------------------------------------------------

multiaddr ma(const std::string& text) {
  auto a = multiaddr::parse(text);
  REQUIRE_MESSAGE(a.ok(), text);
  return *a;
}

/// Captures log lines (declared first: it outlives every actor).
struct log_capture {
  std::vector<std::string> lines;
  std::mutex mtx;

  log_capture() {
    log::global().set_level(log::level::debug);
    auto echo = std::getenv("CANSWARM_TEST_LOG") != nullptr;
    log::global().set_sink([this, echo](std::string_view line) {
      std::lock_guard<std::mutex> guard{mtx};
      lines.emplace_back(line);
      if (echo)
        std::cerr << line << std::endl;
    });
  }

  ~log_capture() {
    log::global().set_sink({});
    log::global().set_level(log::level::info);
  }

  std::size_t count(const std::string& needle) {
    std::lock_guard<std::mutex> guard{mtx};
    return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(), [&](auto& l) {
        return l.find(needle) != std::string::npos;
      }));
  }
};

/// A node with its pub/sub actor.
struct ps_node {
  test_node node;
  pubsub_actor service;
  std::shared_ptr<pubsub_locator> locator = std::make_shared<pubsub_locator>();
};

ps_node start_ps_node(caf::actor_system& sys, caf::scoped_actor& self) {
  ps_node n;
  n.node = start_node(sys, self);
  pubsub_config pc;
  pc.key = n.node.key;
  pc.swarm = n.node.swarm;
  pc.self_locator = n.locator;
  auto ps = spawn_pubsub(sys, pc);
  REQUIRE_MESSAGE(ps.ok(), ps.error().describe());
  n.service = *ps;
  // Once it answers, it has registered its protocols and asked for
  // connection events: a connection made now reaches it.
  self->request(n.service, 10s, status_atom::value)
    .receive([](component_status&) {},
             [&](caf::error& err) { FAIL("pubsub: " << sys.render(err)); });
  return n;
}

struct fixture {
  log_capture logs;
  io_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  ps_node a = start_ps_node(sys, self);
  ps_node b = start_ps_node(sys, self);

  fixture() {
    self
      ->request(a.node.swarm, 20s, dial_atom::value,
                dial_request{b.node.id, {b.node.dial_addr()}, 10s})
      .receive([](peer_id&) {},
               [&](caf::error& err) { FAIL("dial: " << sys.render(err)); });
  }

  ~fixture() {
    for (auto* n : {&a, &b}) {
      self->send_exit(n->service, caf::exit_reason::user_shutdown);
      stop_node(self, n->node);
    }
  }

  control::started_server start(const ps_node& n,
                                std::shared_ptr<pubsub_locator> ps) {
    control::server_config sc;
    sc.control_addr = ma("/ip4/127.0.0.1/tcp/0");
    sc.swarm = n.node.swarm;
    sc.self = n.node.id;
    sc.pubsub = std::move(ps);
    auto s = control::start_control_server(sys, sc);
    REQUIRE_MESSAGE(s.ok(), s.error().describe());
    return *s;
  }

  control::started_server start(const ps_node& n) {
    return start(n, n.locator);
  }

  void stop(const control::started_server& s) {
    self->monitor(s.actor);
    self->send_exit(s.actor, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }

  control_client client(const control::started_server& s) {
    auto c = control_client::connect(s.bound);
    REQUIRE_MESSAGE(c.ok(), c.error().describe());
    return std::move(*c);
  }

  /// Polls `pred` (every 50 ms, at most 10 s).
  template<class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred())
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  /// Waits until `c`'s node lists `peer` on `topic` (LIST_PEERS).
  bool sees(control_client& c, const std::string& topic, const peer_id& peer) {
    return eventually([&] {
      auto xs = c.list_pubsub_peers(topic);
      return xs.ok()
             && std::find(xs->begin(), xs->end(), peer.to_bytes()) != xs->end();
    });
  }

  /// Publishes on a's pub/sub actor directly.
  void publish_on_a(const std::string& topic, bytes data) {
    self
      ->request(a.service, 10s, pubsub_publish_atom::value, topic,
                std::move(data))
      .receive([](std::uint64_t) {},
               [&](caf::error& err) { FAIL(sys.render(err)); });
  }
};

p2pd::request pubsub_request(p2pd::ps_request_type type,
                             std::optional<std::string> topic = std::nullopt) {
  p2pd::request r;
  r.type = p2pd::request_type::pubsub;
  r.pubsub = p2pd::ps_request{type, std::move(topic), std::nullopt};
  return r;
}

bytes text_bytes(std::string_view s) {
  return bytes(s.begin(), s.end());
}

std::string error_of(const result<p2pd::response>& r) {
  REQUIRE_MESSAGE(r.ok(), r.error().describe());
  REQUIRE(r->type == p2pd::response_type::error);
  REQUIRE(r->error.has_value());
  return r->error->msg;
}

template<class T>
std::string refusal(const result<T>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::refused);
  return r.error().message;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "PUBSUB without pub/sub: every request is "
                           "answered 'pub/sub is not enabled'") {
  auto s = start(a, nullptr);
  auto c = client(s);
  using t = p2pd::ps_request_type;
  for (auto type : {t::get_topics, t::list_peers, t::publish, t::subscribe})
    CHECK(error_of(c.call(pubsub_request(type, "news")))
          == "pub/sub is not enabled");
  // Before validation: a topic-less PUBLISH gets the same answer.
  CHECK(error_of(c.call(pubsub_request(t::publish)))
        == "pub/sub is not enabled");
  // The connection stays usable.
  auto still = c.call(p2pd::request{});
  REQUIRE_MESSAGE(still, (still ? "" : still.error().message));
  CHECK(still->type == p2pd::response_type::ok);
  stop(s);
  // Pub/sub configured but not running (between restarts).
  auto s2 = start(a, std::make_shared<pubsub_locator>());
  auto c2 = client(s2);
  CHECK(refusal(c2.get_topics()) == "pub/sub is not running");
  stop(s2);
}

TEST_CASE_FIXTURE(fixture, "SUBSCRIBE on one node receives what PUBLISH on "
                           "the other sends; GET_TOPICS and LIST_PEERS "
                           "follow the subscription") {
  auto sa = start(a);
  auto sb = start(b);
  auto ca = client(sa);
  auto cb = client(sb);
  CHECK(ca.get_topics()->empty());
  CHECK(cb.get_topics()->empty());
  CHECK(ca.list_pubsub_peers("news")->empty());
  auto sub = client(sb).subscribe("news");
  REQUIRE_MESSAGE(sub.ok(), sub.error().describe());
  CHECK(*cb.get_topics() == std::vector<std::string>{"news"});
  CHECK(ca.get_topics()->empty());
  // a learns b's subscription over gossipsub; without a topic LIST_PEERS
  // lists the peers of every topic.
  REQUIRE(sees(ca, "news", b.node.id));
  CHECK(*ca.list_pubsub_peers(std::nullopt)
        == std::vector<bytes>{b.node.id.to_bytes()});
  CHECK(ca.list_pubsub_peers("chat")->empty());
  // Bytes the client sends after SUBSCRIBE are discarded.
  REQUIRE(sub->socket().write(text_bytes("ignored")));
  for (auto word : {"one", "two", "three"}) {
    auto ok = ca.publish("news", text_bytes(word));
    REQUIRE_MESSAGE(ok.ok(), ok.error().describe());
  }
  REQUIRE(ca.publish("chat", text_bytes("elsewhere")));
  bytes last_seqno;
  for (auto word : {"one", "two", "three"}) {
    auto m = sub->next();
    REQUIRE_MESSAGE(m.ok(), m.error().describe());
    CHECK(m->data == text_bytes(word));
    CHECK(m->topic_ids == std::vector<std::string>{"news"});
    CHECK(m->from == a.node.id.to_bytes());
    REQUIRE(m->seqno.has_value());
    CHECK(m->seqno->size() == 8);
    CHECK(*m->seqno > last_seqno);
    last_seqno = *m->seqno;
    // StrictSign: signed by a (an Ed25519 key is in its peer id, so the
    // key field may be left out).
    REQUIRE(m->signature.has_value());
    CHECK(m->signature->size() == 64);
  }
  // Nothing from the other topic.
  auto none = sub->next(500ms);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == errc::timeout);
  CHECK(logs.count("discarding 7 bytes the client sent after SUBSCRIBE") == 1);
  // Closing the connection unsubscribes: b leaves the topic and a sees it.
  sub->close();
  CHECK(eventually([&] { return logs.count("unsubscribing from news") == 1; }));
  CHECK(eventually([&] { return cb.get_topics()->empty(); }));
  CHECK(eventually([&] { return ca.list_pubsub_peers("news")->empty(); }));
  stop(sa);
  stop(sb);
}

TEST_CASE_FIXTURE(fixture, "two subscribers of one topic each get every "
                           "message; bad PUBSUB requests are ERRORs") {
  auto sa = start(a);
  auto sb = start(b);
  auto x = client(sb).subscribe("news");
  auto y = client(sb).subscribe("news");
  REQUIRE(x.ok());
  REQUIRE(y.ok());
  auto cb = client(sb);
  CHECK(refusal(cb.subscribe("")) == "SUBSCRIBE: missing topic");
  CHECK(refusal(cb.subscribe(std::string(300, 't')))
        == "SUBSCRIBE: topic of 300 bytes, at most 256");
  // Still a request connection, with one topic for both subscribers.
  CHECK(*cb.get_topics() == std::vector<std::string>{"news"});
  auto ca = client(sa);
  CHECK(refusal(ca.publish("", text_bytes("x"))) == "PUBLISH: missing topic");
  // The router's own refusal comes back with its reason.
  CHECK(refusal(ca.publish("news", bytes(2 * 1024 * 1024, 0)))
          .starts_with("PUBLISH: message of 2097152 bytes over "
                       "max_message_size"));
  REQUIRE(sees(ca, "news", b.node.id));
  REQUIRE(ca.publish("news", text_bytes("both")));
  for (auto* r : {&*x, &*y}) {
    auto m = r->next();
    REQUIRE_MESSAGE(m.ok(), m.error().describe());
    CHECK(m->data == text_bytes("both"));
  }
  stop(sa);
  stop(sb);
}

TEST_CASE_FIXTURE(fixture, "a subscriber that does not read loses messages "
                           "beyond the bound, logged once, and then catches "
                           "up") {
  auto sa = start(a);
  auto sb = start(b);
  auto sub = client(sb).subscribe("news");
  REQUIRE(sub.ok());
  auto ca = client(sa);
  REQUIRE(sees(ca, "news", b.node.id));
  // 100 x 256 KiB = 25 MiB: more than the kernel's socket buffers (the
  // sender's at most 4 MiB by default, the receiver's small while nobody
  // reads) plus max_subscription_backlog_bytes.
  constexpr std::size_t count = 100;
  constexpr std::size_t size = 256 * 1024;
  static_assert(count * size > 6 * control::max_subscription_backlog_bytes);
  for (std::size_t i = 0; i < count; ++i)
    publish_on_a("news", bytes(size, static_cast<std::uint8_t>(i)));
  REQUIRE(eventually([&] { return logs.count("does not read") > 0; }));
  // Read everything that was kept, until a marker published after the burst
  // arrives (published again until one is let through).
  std::vector<std::uint8_t> firsts;
  std::atomic<bool> done = false;
  std::thread reader([&] {
    for (;;) {
      auto m = sub->next();
      if (!m.ok()) {
        FAIL_CHECK("reader: " << m.error().describe());
        break;
      }
      if (!m->data || m->data->empty()) {
        FAIL_CHECK("reader: a message without data");
        break;
      }
      if (*m->data == text_bytes("marker"))
        break;
      CHECK(m->data->size() == size);
      firsts.push_back(m->data->front());
    }
    done = true;
  });
  for (int i = 0; i < 200 && !done; ++i) {
    publish_on_a("news", text_bytes("marker"));
    std::this_thread::sleep_for(50ms);
  }
  reader.join();
  REQUIRE(done);
  INFO("kept " << firsts.size() << " of " << count);
  CHECK(firsts.size() >= 1);
  CHECK(firsts.size() < count);
  CHECK(firsts.front() == 0); // The first messages are the ones written.
  CHECK(std::is_sorted(firsts.begin(), firsts.end()));
  CHECK(std::adjacent_find(firsts.begin(), firsts.end()) == firsts.end());
  CHECK(logs.count("does not read") == 1);
  sub->close();
  CHECK(eventually([&] { return logs.count("messages written, ") == 1; }));
  stop(sa);
  stop(sb);
}

TEST_CASE_FIXTURE(fixture, "the subscription connection closes when the "
                           "pub/sub actor stops") {
  auto sb = start(b);
  auto sub = client(sb).subscribe("news");
  REQUIRE(sub.ok());
  auto cb = client(sb);
  self->send_exit(b.service, caf::exit_reason::user_shutdown);
  CHECK(sub->socket().wait_closed());
  CHECK(logs.count("the pub/sub service stopped") == 1);
  // Requests fail with the reason until a new instance is located.
  auto r = cb.get_topics();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.starts_with("GET_TOPICS: "));
  stop(sb);
}
