// The NATS bridge actor against a real nats-server: signed envelopes round
// trip over core NATS and JetStream, JetStream de-duplication, the ingress
// check of messages from a plain client, the in-flight and backlog bounds.
// Server kills and restarts are in bridge_failover_test.cpp.

#include <doctest/doctest.h>

#include "bridge_fixture.hpp"
#include "canswarm/nats/client.hpp"
#include "queue.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<nats::connection> raw_client(const nats_server& srv) {
  nats::client_options o;
  o.urls = {srv.url()};
  o.name = "plain-client";
  auto c = nats::connection::connect(o, {});
  REQUIRE_MESSAGE(c.ok(), c.error().message);
  return std::move(*c);
}

} // namespace

TEST_CASE_FIXTURE(bridge_fixture, "a signed envelope makes the round trip "
                                  "through the bridge over core NATS") {
  nats_server srv{false};
  auto b = start(config_for(srv, false));
  REQUIRE(subscribe(b, "thread.*.*").ok());
  // A plain subscriber sees what goes on the wire.
  auto raw = raw_client(srv);
  blocking_queue<nats::message> wire_copy;
  auto raw_sub = raw->subscribe("thread.>",
                                [&](nats::message m) { wire_copy.push(m); });
  REQUIRE(raw_sub.ok());
  REQUIRE(raw->flush(5000ms).ok());

  auto e1 = envs.make("x", envelope::kind::need, R"({"task":"a"})");
  auto e2 = envs.make("plan a.b", envelope::kind::propose, "{}");
  auto r1 = publish(b, e1);
  REQUIRE_MESSAGE(r1.ok(), r1.error().message);
  CHECK_FALSE(r1->buffered);
  CHECK(r1->stream_seq == 0);
  REQUIRE(publish(b, e2).ok());

  auto got1 = next_envelope();
  REQUIRE(got1);
  CHECK(got1->wire == envelope_factory::wire(e1));
  CHECK(got1->thread_id == "x");
  CHECK(got1->verb == "need");
  CHECK(got1->subject == "thread.x.need");
  CHECK(got1->transport == "nats");
  auto got2 = next_envelope();
  REQUIRE(got2);
  CHECK(got2->thread_id == "plan a.b");
  CHECK(got2->subject == "thread.plan%20a%2Eb.propose");
  CHECK(got2->verb == "propose");

  auto seen = wire_copy.pop(5000ms);
  REQUIRE(seen);
  CHECK(seen->header("Nats-Msg-Id") == to_hex(e1.id));
  CHECK(bytes{seen->data().begin(), seen->data().end()}
        == envelope_factory::wire(e1));

  auto h = health(b);
  CHECK(h.state == nats::link_state::connected);
  CHECK(h.url == srv.url());
  CHECK_FALSE(h.jetstream);
  CHECK(h.published == 2);
  CHECK(h.received == 2);
  CHECK(h.delivered == 2);
  CHECK(h.rejected == 0);
  CHECK(h.subscriptions == 1);
  component_status st;
  self->request(b, caf::infinite, status_atom::value)
    .receive([&](component_status& s) { st = s; }, [](caf::error&) {});
  CHECK(st.name == "nats-bridge");
  CHECK_MESSAGE(st.summary.starts_with("connected " + srv.url()), st.summary);
}

TEST_CASE_FIXTURE(bridge_fixture, "a signed envelope makes the round trip "
                                  "over JetStream, and the stream "
                                  "de-duplicates a re-publish of its id") {
  nats_server srv{true};
  auto b = start(config_for(srv, true));
  REQUIRE(subscribe(b, "thread.x.*").ok());
  auto e1 = envs.make("x", envelope::kind::claim, "{}");
  auto e2 = envs.make("x", envelope::kind::commit, "{}");
  auto r1 = publish(b, e1);
  REQUIRE_MESSAGE(r1.ok(), r1.error().message);
  CHECK(r1->stream_seq == 1);
  CHECK_FALSE(r1->duplicate);
  auto again = publish(b, e1);
  REQUIRE(again.ok());
  CHECK(again->stream_seq == 1);
  CHECK(again->duplicate);
  auto r2 = publish(b, e2);
  REQUIRE(r2.ok());
  CHECK(r2->stream_seq == 2);

  auto got1 = next_envelope();
  REQUIRE(got1);
  CHECK(got1->wire == envelope_factory::wire(e1));
  CHECK(got1->verb == "claim");
  CHECK(got1->transport == "nats");
  // The next delivery is e2: e1 was delivered once.
  auto got2 = next_envelope();
  REQUIRE(got2);
  CHECK(got2->wire == envelope_factory::wire(e2));
  CHECK_FALSE(next_envelope(300ms));

  auto h = health(b);
  CHECK(h.jetstream);
  CHECK(h.published == 3);
  CHECK(h.delivered == 2);
  // The server dropped the copy: the gate never saw a replay.
  CHECK(h.rejected == 0);
  CHECK(h.rejected_by_reason.count("replay") == 0);
  auto raw = raw_client(srv);
  auto info = raw->get_stream("CANSWARM_THREADS");
  REQUIRE(info.ok());
  CHECK(info->messages == 2);
  CHECK(info->duplicate_window == std::chrono::minutes{2});
}

TEST_CASE_FIXTURE(bridge_fixture, "unsigned, malformed, misplaced and forged "
                                  "messages from a plain client are "
                                  "rejected with their reason and never "
                                  "delivered") {
  for (bool js : {false, true}) {
    CAPTURE(js);
    log_capture logs;
    nats_server srv{js};
    auto b = start(config_for(srv, js));
    REQUIRE(subscribe(b, "thread.x.*").ok());
    auto raw = raw_client(srv);
    auto put = [&](bytes data, const std::string& subject = "thread.x.need") {
      REQUIRE(raw->publish(subject, data).ok());
    };
    // Core NATS drops what arrives before the server has the bridge's SUB:
    // probe with valid envelopes until one is delivered, then count deltas.
    bool live = false;
    for (int i = 0; i < 50 && !live; ++i) {
      put(envelope_factory::wire(envs.make("x", envelope::kind::need, "{}")));
      live = next_envelope(100ms).has_value();
    }
    REQUIRE(live);
    while (next_envelope(100ms)) {
      // Late probes.
    }
    auto h0 = health(b);
    put(to_bytes("not an envelope"));
    put(envelope_factory::wire(
      envs.make("x", envelope::kind::need, "{}", false)));
    put(envelope_factory::wire(envs.make("y", envelope::kind::need, "{}")));
    auto forged = envs.make("x", envelope::kind::need, "{}");
    forged.signature[0] ^= 0x01;
    put(envelope_factory::wire(forged));
    auto good = envs.make("x", envelope::kind::need, "{}");
    put(envelope_factory::wire(good));
    put(envelope_factory::wire(good)); // a replay
    // A DECIDE on the NEED subject of its thread: the verb must match.
    auto misfiled = envs.make("x", envelope::kind::decide, "{}");
    put(envelope_factory::wire(misfiled));
    auto last = envs.make("x", envelope::kind::decide, "{}");
    put(envelope_factory::wire(last), "thread.x.decide");
    REQUIRE(raw->flush(5000ms).ok());

    auto got = next_envelope();
    REQUIRE(got);
    CHECK(got->wire == envelope_factory::wire(good));
    got = next_envelope();
    REQUIRE(got);
    CHECK(got->wire == envelope_factory::wire(last));
    CHECK_FALSE(next_envelope(300ms));

    auto h = health(b);
    CHECK(h.received - h0.received == 8);
    CHECK(h.delivered - h0.delivered == 2);
    CHECK(h.rejected == 6);
    using reasons = std::map<std::string, std::uint64_t>;
    CHECK(h.rejected_by_reason
          == reasons{{"malformed", 1},
                     {"missing_field", 1},
                     {"subject_mismatch", 2},
                     {"bad_signature", 1},
                     {"replay", 1}});
    CHECK(logs.contains({"WARNING", "[nats-bridge]", "thread.x.need",
                         "missing_field", "signature"}));
    CHECK(logs.contains({"WARNING", "subject_mismatch", "\"y\""}));
    CHECK(logs.contains(
      {"WARNING", "subject_mismatch", "DECIDE envelope", "\"need\""}));
    CHECK(logs.contains({"WARNING", "malformed"}));
    bridges.clear();
    self->send_exit(b, caf::exit_reason::user_shutdown);
    self->wait_for(b);
  }
}

TEST_CASE_FIXTURE(bridge_fixture, "bad publish and subscribe requests get "
                                  "specific errors") {
  nats_server srv{true};
  auto b = start(config_for(srv, true));
  auto e = envs.make("x", envelope::kind::need, "{}");
  auto w = envelope_factory::wire(e);
  auto r = publish(b, w, "thread.*.need", e.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message
        == "nats publish: wildcard in publish subject \"thread.*.need\"");
  r = publish(b, w, "other.x", e.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message
        == "nats publish: subject other.x is outside stream "
           "CANSWARM_THREADS");
  r = publish(b, w, "thread.x.need", {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message
        == "nats publish: envelope id of 0 bytes, expected 1..64");
  r = publish(b, bytes(envelope::max_wire_size + 1), "thread.x.need", e.id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::too_large);
  auto s = subscribe(b, "thread.>.x");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message
        == "nats subscribe: '>' must be the whole last token in "
           "\"thread.>.x\"");
  s = subscribe(b, "other.>");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message
        == "nats subscribe: other.> is outside stream CANSWARM_THREADS");
  CHECK(health(b).publish_errors == 4);
}

TEST_CASE_FIXTURE(bridge_fixture, "sinks share a pattern's subscription and "
                                  "a terminated sink is forgotten") {
  nats_server srv{false};
  auto b = start(config_for(srv, false));
  auto id1 = subscribe(b, "thread.x.*");
  REQUIRE(id1.ok());
  {
    caf::scoped_actor other{sys};
    std::optional<result<std::uint64_t>> id2;
    self
      ->request(b, caf::infinite, nats_subscribe_atom::value,
                std::string{"thread.x.*"},
                caf::actor_cast<nats_envelope_sink_actor>(other))
      .receive([&](std::uint64_t id) { id2.emplace(id); },
               [&](caf::error& err) { id2.emplace(unwrap(err)); });
    REQUIRE(id2->ok());
    CHECK(**id2 == *id1);
    REQUIRE(subscribe(b, "thread.y.*").ok());
    CHECK(health(b).subscriptions == 2);
    auto e = envs.make("x", envelope::kind::need, "{}");
    REQUIRE(publish(b, e).ok());
    REQUIRE(next_envelope());
    std::optional<nats_envelope> at_other;
    other->receive([&](nats_envelope& x) { at_other = x; },
                   caf::after(5000ms) >> [] {});
    REQUIRE(at_other);
    CHECK(at_other->wire == envelope_factory::wire(e));
  }
  // `sink` still holds both patterns; `other` is gone.
  auto h = health(b);
  CHECK(h.subscriptions == 2);
  CHECK(h.delivered == 1);
}

TEST_CASE_FIXTURE(bridge_fixture, "the in-flight bound refuses excess "
                                  "JetStream publishes with a specific "
                                  "error") {
  nats_server srv{true};
  auto c = config_for(srv, true);
  c.max_in_flight = 2;
  c.publish_timeout = 20s;
  auto b = start(c);
  REQUIRE(subscribe(b, "thread.x.*").ok());
  // While the server is gone no ack can come back.
  srv.kill();
  auto ev = next_event();
  REQUIRE(ev);
  CHECK(ev->state == nats::link_state::reconnecting);
  std::vector<envelope::envelope> batch;
  for (int i = 0; i < 4; ++i)
    batch.push_back(envs.make("x", envelope::kind::update_plan, "{}"));
  auto request = [&](const envelope::envelope& e) {
    return self->request(b, caf::infinite, nats_publish_atom::value,
                         envelope_factory::wire(e),
                         envelope_factory::subject(e), e.id);
  };
  auto h0 = request(batch[0]);
  auto h1 = request(batch[1]);
  auto h2 = request(batch[2]);
  auto h3 = request(batch[3]);
  // Refusals come at once; the first two wait for their acks.
  for (auto* h : {&h2, &h3})
    h->receive([&](
                 nats_publish_receipt&) { FAIL("accepted beyond the bound"); },
               [&](caf::error& err) {
                 auto e = unwrap(err);
                 CHECK(e.code == errc::refused);
                 CHECK(e.message
                       == "nats publish refused: 2 envelopes in flight "
                          "(max_in_flight 2)");
               });
  auto h = health(b);
  CHECK(h.refused == 2);
  CHECK(h.in_flight == 2);
  CHECK(h.state == nats::link_state::reconnecting);
  // Back online: the two buffered publishes are stored and acknowledged.
  srv.start();
  for (auto* hp : {&h0, &h1})
    hp->receive([&](nats_publish_receipt& r) { CHECK(r.stream_seq >= 1); },
                [&](caf::error& err) { FAIL(unwrap(err).message); });
  CHECK(health(b).in_flight == 0);
  REQUIRE(next_envelope());
  REQUIRE(next_envelope());
}

TEST_CASE_FIXTURE(bridge_fixture, "inbound messages beyond the backlog bound "
                                  "are dropped and counted") {
  nats_server srv{false};
  auto c = config_for(srv, false);
  c.max_backlog = 1;
  auto b = start(c);
  REQUIRE(subscribe(b, "thread.x.*").ok());
  auto raw = raw_client(srv);
  constexpr int n = 200;
  std::vector<bytes> wires;
  for (int i = 0; i < n; ++i)
    wires.push_back(
      envelope_factory::wire(envs.make("x", envelope::kind::attest, "{}")));
  for (auto& w : wires)
    REQUIRE(raw->publish("thread.x.attest", w).ok());
  REQUIRE(raw->flush(5000ms).ok());
  // Drain until quiet.
  std::size_t delivered = 0;
  while (next_envelope(1000ms))
    ++delivered;
  auto h = health(b);
  CHECK(h.dropped > 0);
  CHECK(h.delivered == delivered);
  CHECK(h.received == delivered);
  CHECK(h.dropped + h.received == n);
}
