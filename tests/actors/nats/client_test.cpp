// The nats.c wrapper against a real nats-server: connect errors, core
// publish/subscribe with headers, request/reply, JetStream de-duplication,
// asynchronous acks, durable consumers with manual ack, and connection
// states across a server kill and restart.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/nats/client.hpp"
#include "nats_server.hpp"
#include "queue.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

constexpr auto wait_time = 5000ms;

nats::client_options options_for(const test::nats_server& srv) {
  nats::client_options o;
  o.urls = {srv.url()};
  o.name = "canswarm-client-test";
  o.reconnect_wait = 100ms;
  o.connect_timeout = 1000ms;
  return o;
}

std::unique_ptr<nats::connection> connect(const nats::client_options& o,
                                          nats::callbacks cbs = {}) {
  auto c = nats::connection::connect(o, std::move(cbs));
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  return std::move(*c);
}

std::string text(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

} // namespace

TEST_CASE("connecting where no server listens fails with nats.c's status "
          "text") {
  nats::client_options o;
  auto port = test::free_tcp_port();
  o.urls = {"nats://127.0.0.1:" + std::to_string(port)};
  o.connect_timeout = 500ms;
  auto c = nats::connection::connect(o, {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == errc::io);
  CHECK_MESSAGE(c.error().message.starts_with("nats connect to nats://"
                                              "127.0.0.1:"
                                              + std::to_string(port)
                                              + ": No server available for "
                                                "connection"),
                c.error().message);
}

TEST_CASE("core publishes reach a wildcard subscriber with their headers, "
          "and requests get replies") {
  test::nats_server srv{false};
  auto sub_conn = connect(options_for(srv));
  auto pub_conn = connect(options_for(srv));
  test::blocking_queue<nats::message> inbox;
  auto sub = sub_conn->subscribe("thread.*.need",
                                 [&](nats::message m) { inbox.push(m); });
  REQUIRE_MESSAGE(sub.ok(), sub.error().message);
  REQUIRE(sub_conn->flush(wait_time).ok());
  auto& conn = *sub_conn;
  auto echo = sub_conn->subscribe("svc.echo", [&conn](nats::message m) {
    (void)conn.publish(m.reply(), m.data());
  });
  REQUIRE(echo.ok());
  REQUIRE(sub_conn->flush(wait_time).ok());

  REQUIRE(pub_conn
            ->publish("thread.x.need", as_bytes("hello"),
                      {{"Nats-Msg-Id", "0a0b"}, {"X-Other", "1"}})
            .ok());
  REQUIRE(pub_conn->publish("thread.x.propose", as_bytes("not matched")).ok());
  REQUIRE(pub_conn->publish("thread.y.need", as_bytes("no headers")).ok());
  auto m1 = inbox.pop(wait_time);
  REQUIRE(m1);
  CHECK(m1->subject() == "thread.x.need");
  CHECK(text(m1->data()) == "hello");
  CHECK(m1->header("Nats-Msg-Id") == "0a0b");
  CHECK(m1->header("X-Other") == "1");
  CHECK_FALSE(m1->from_jetstream());
  auto ack = m1->ack();
  CHECK_FALSE(ack.ok());
  CHECK(ack.error().message == "nats ack: not a JetStream message");
  auto m2 = inbox.pop(wait_time);
  REQUIRE(m2);
  CHECK(m2->subject() == "thread.y.need");
  CHECK_FALSE(m2->header("Nats-Msg-Id"));
  CHECK(inbox.size() == 0);

  auto reply = pub_conn->request("svc.echo", as_bytes("ping"), wait_time);
  REQUIRE_MESSAGE(reply.ok(), reply.error().message);
  CHECK(text(reply->data()) == "ping");
  auto none = pub_conn->request("svc.nobody", as_bytes("ping"), wait_time);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == errc::not_found);
  CHECK_MESSAGE(none.error().message.starts_with("nats request on "
                                                 "svc.nobody: No responders"),
                none.error().message);
  auto bad = pub_conn->publish("thread..need", as_bytes("x"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == errc::invalid_argument);
  auto stats = pub_conn->stats();
  CHECK(stats.out_msgs >= 3);
  CHECK(pub_conn->connected_url() == srv.url());
}

TEST_CASE("JetStream de-duplicates publishes with the same Nats-Msg-Id") {
  test::nats_server srv{true};
  auto c = connect(options_for(srv));
  nats::stream_settings s;
  s.name = "T_DEDUP";
  auto info = c->ensure_stream(s);
  REQUIRE_MESSAGE(info.ok(), info.error().message);
  CHECK(info->name == "T_DEDUP");
  CHECK(info->messages == 0);
  CHECK(info->duplicate_window == std::chrono::minutes{2});
  // Ensuring again is idempotent; a changed window updates the stream.
  REQUIRE(c->ensure_stream(s).ok());
  s.duplicate_window = std::chrono::minutes{1};
  auto updated = c->ensure_stream(s);
  REQUIRE_MESSAGE(updated.ok(), updated.error().message);
  CHECK(updated->duplicate_window == std::chrono::minutes{1});

  auto a1 = c->js_publish("thread.x.need", as_bytes("one"), "id-1", wait_time);
  REQUIRE_MESSAGE(a1.ok(), a1.error().message);
  CHECK(a1->stream == "T_DEDUP");
  CHECK(a1->sequence == 1);
  CHECK_FALSE(a1->duplicate);
  auto a2 = c->js_publish("thread.x.need", as_bytes("one again"), "id-1",
                          wait_time);
  REQUIRE(a2.ok());
  CHECK(a2->sequence == 1);
  CHECK(a2->duplicate);
  auto a3 = c->js_publish("thread.x.need", as_bytes("two"), "id-2", wait_time);
  REQUIRE(a3.ok());
  CHECK(a3->sequence == 2);
  auto st = c->get_stream("T_DEDUP");
  REQUIRE(st.ok());
  CHECK(st->messages == 2);
  auto missing = c->get_stream("NOPE");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == errc::not_found);
  CHECK_MESSAGE(missing.error().message.find("jetstream error 10059")
                  != std::string::npos,
                missing.error().message);
  auto outside = c->js_publish("other.x", as_bytes("x"), "id-3", 1000ms);
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().code == errc::not_found);
}

TEST_CASE("asynchronous JetStream publishes report their ack with the "
          "caller's tag") {
  test::nats_server srv{true};
  test::blocking_queue<std::pair<std::uint64_t, result<nats::publish_ack>>>
    acks;
  nats::callbacks cbs;
  cbs.on_publish_ack = [&](std::uint64_t tag, result<nats::publish_ack> a) {
    acks.push({tag, std::move(a)});
  };
  auto c = connect(options_for(srv), std::move(cbs));
  REQUIRE(c->ensure_stream(nats::stream_settings{}).ok());
  REQUIRE(
    c->js_publish_async("thread.x.need", as_bytes("a"), "m1", 7, wait_time)
      .ok());
  REQUIRE(
    c->js_publish_async("thread.x.need", as_bytes("a"), "m1", 8, wait_time)
      .ok());
  REQUIRE(c->js_publish_async("outside.x", as_bytes("b"), "m2", 9, 500ms).ok());
  std::map<std::uint64_t, result<nats::publish_ack>> got;
  for (int i = 0; i < 3; ++i) {
    auto a = acks.pop(wait_time);
    REQUIRE(a);
    got.emplace(a->first, a->second);
  }
  REQUIRE(got.at(7).ok());
  CHECK(got.at(7)->sequence == 1);
  CHECK_FALSE(got.at(7)->duplicate);
  REQUIRE(got.at(8).ok());
  CHECK(got.at(8)->sequence == 1);
  CHECK(got.at(8)->duplicate);
  REQUIRE_FALSE(got.at(9).ok());
  INFO(got.at(9).error().message);
  CHECK(got.at(9).error().message.starts_with("nats jetstream publish: "));
  CHECK(c->pending_acks() == 0);
}

TEST_CASE("a durable consumer redelivers what was not acknowledged and "
          "survives a new subscription") {
  test::nats_server srv{true};
  auto c = connect(options_for(srv));
  REQUIRE(c->ensure_stream(nats::stream_settings{}).ok());
  nats::consumer_settings cs;
  cs.durable = "test-durable";
  cs.ack_wait = 500ms;
  test::blocking_queue<nats::message> inbox;
  auto sub = c->js_subscribe("thread.x.*", cs,
                             [&](nats::message m) { inbox.push(m); });
  REQUIRE_MESSAGE(sub.ok(), sub.error().message);
  REQUIRE(
    c->js_publish("thread.x.need", as_bytes("first"), "a", wait_time).ok());
  REQUIRE(
    c->js_publish("thread.x.need", as_bytes("second"), "b", wait_time).ok());
  {
    auto m1 = inbox.pop(wait_time);
    auto m2 = inbox.pop(wait_time);
    REQUIRE(m1);
    REQUIRE(m2);
    CHECK(m1->from_jetstream());
    CHECK(text(m1->data()) == "first");
    CHECK(text(m2->data()) == "second");
    REQUIRE(m1->ack().ok());
    // "second" is not acknowledged: redelivered after the ack wait.
    auto again = inbox.pop(wait_time);
    REQUIRE(again);
    CHECK(text(again->data()) == "second");
    REQUIRE(again->ack().ok());
  }
  // The consumer outlives the subscription (durable): once the last handle
  // (messages hold one) is gone, a new subscription binds to it again.
  sub = nats::subscription{};
  REQUIRE(
    c->js_publish("thread.x.need", as_bytes("third"), "c", wait_time).ok());
  auto sub2 = c->js_subscribe("thread.x.*", cs,
                              [&](nats::message m) { inbox.push(m); });
  REQUIRE_MESSAGE(sub2.ok(), sub2.error().message);
  auto m3 = inbox.pop(wait_time);
  REQUIRE(m3);
  CHECK(text(m3->data()) == "third");
  REQUIRE(m3->ack().ok());
  auto st = c->get_stream("CANSWARM_THREADS");
  REQUIRE(st.ok());
  CHECK(st->consumers == 1);
}

TEST_CASE("the state callback follows a server kill and restart, and a "
          "publish buffered meanwhile arrives") {
  test::nats_server srv{false};
  test::blocking_queue<nats::link_state> states;
  nats::callbacks cbs;
  cbs.on_state = [&](nats::link_state s, std::string) { states.push(s); };
  auto c = connect(options_for(srv), std::move(cbs));
  CHECK(c->state() == nats::link_state::connected);
  test::blocking_queue<nats::message> inbox;
  auto sub = c->subscribe("thread.>", [&](nats::message m) { inbox.push(m); });
  REQUIRE(sub.ok());
  REQUIRE(c->flush(wait_time).ok());

  srv.kill();
  CHECK(states.pop(wait_time) == nats::link_state::reconnecting);
  CHECK(c->state() == nats::link_state::reconnecting);
  // Kept in nats.c's reconnect buffer.
  REQUIRE(c->publish("thread.x.need", as_bytes("during outage")).ok());
  auto flushed = c->flush(200ms);
  CHECK_FALSE(flushed.ok());

  srv.start();
  CHECK(states.pop(wait_time) == nats::link_state::connected);
  CHECK(c->state() == nats::link_state::connected);
  auto m = inbox.pop(wait_time);
  REQUIRE(m);
  CHECK(text(m->data()) == "during outage");
  CHECK(c->stats().reconnects == 1);
}

TEST_CASE("with reconnects exhausted the connection closes and publishes "
          "fail") {
  test::nats_server srv{false};
  test::blocking_queue<nats::link_state> states;
  nats::callbacks cbs;
  cbs.on_state = [&](nats::link_state s, std::string) { states.push(s); };
  auto o = options_for(srv);
  o.max_reconnect = 0;
  auto c = connect(o, std::move(cbs));
  srv.kill();
  auto s1 = states.pop(wait_time);
  REQUIRE(s1);
  // A disconnect without reconnect attempts goes straight to closed.
  if (*s1 == nats::link_state::reconnecting)
    s1 = states.pop(wait_time);
  CHECK(s1 == nats::link_state::closed);
  CHECK(c->state() == nats::link_state::closed);
  auto r = c->publish("thread.x.need", as_bytes("x"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::io);
  CHECK_MESSAGE(r.error().message
                  == "nats publish on thread.x.need: Connection Closed",
                r.error().message);
}
