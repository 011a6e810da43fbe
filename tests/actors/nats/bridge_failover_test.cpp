// The NATS bridge across nats-server failures: kill -9 while connected,
// publishes during the outage, restart on the same port (and JetStream
// store), and a connection that closes for good.
//
// Observed behaviour (asserted below):
// - core NATS: a publish during the outage is accepted into nats.c's
//   reconnect buffer (receipt.buffered = true); after the reconnect nats.c
//   re-sends our subscriptions, then the buffer, so the envelope arrives.
// - JetStream: a publish during the outage waits for its ack; nats.c sends
//   it after the reconnect and the restarted server (same store) stores and
//   acknowledges it, so the publish succeeds late and the durable consumer
//   delivers it. kill -9 can lose the consumer's most recent acks; the
//   redelivered copies are then rejected by the gate as replays, so each
//   envelope still reaches the sink once.

#include <doctest/doctest.h>

#include "bridge_fixture.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

void expect_event(bridge_fixture& f, nats::link_state s) {
  auto ev = f.next_event(10s);
  REQUIRE_MESSAGE(ev, "no event, expected " << nats::to_string(s));
  CHECK_MESSAGE(ev->state == s, "got " << nats::to_string(ev->state));
}

} // namespace

TEST_CASE_FIXTURE(bridge_fixture, "after kill -9 of nats-server the core "
                                  "bridge reports reconnecting, buffers, "
                                  "and delivers again after a restart") {
  nats_server srv{false};
  auto b = start(config_for(srv, false));
  REQUIRE(subscribe(b, "thread.x.*").ok());
  auto before = envs.make("x", envelope::kind::need, "{}");
  REQUIRE(publish(b, before).ok());
  REQUIRE(next_envelope());

  srv.kill();
  expect_event(*this, nats::link_state::reconnecting);
  auto h = health(b);
  CHECK(h.state == nats::link_state::reconnecting);
  CHECK(h.disconnects == 1);
  auto during = envs.make("x", envelope::kind::propose, "{}");
  auto r = publish(b, during);
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->buffered);
  CHECK(health(b).in_flight == 1);

  srv.start();
  expect_event(*this, nats::link_state::connected);
  auto got = next_envelope(10s);
  REQUIRE(got);
  CHECK(got->wire == envelope_factory::wire(during));
  auto after = envs.make("x", envelope::kind::claim, "{}");
  auto r2 = publish(b, after);
  REQUIRE(r2.ok());
  CHECK_FALSE(r2->buffered);
  got = next_envelope();
  REQUIRE(got);
  CHECK(got->wire == envelope_factory::wire(after));
  h = health(b);
  CHECK(h.state == nats::link_state::connected);
  CHECK(h.reconnects == 1);
  CHECK(h.in_flight == 0);
  CHECK(h.delivered == 3);
}

TEST_CASE_FIXTURE(bridge_fixture, "after kill -9 of nats-server the "
                                  "JetStream bridge reconnects to the same "
                                  "store and a publish made during the "
                                  "outage is stored and delivered") {
  nats_server srv{true};
  auto b = start(config_for(srv, true));
  REQUIRE(subscribe(b, "thread.x.*").ok());
  auto before = envs.make("x", envelope::kind::need, "{}");
  auto r0 = publish(b, before);
  REQUIRE(r0.ok());
  CHECK(r0->stream_seq == 1);
  REQUIRE(next_envelope());

  srv.kill();
  expect_event(*this, nats::link_state::reconnecting);
  auto during = envs.make("x", envelope::kind::propose, "{}");
  auto pending = self->request(b, caf::infinite, nats_publish_atom::value,
                               envelope_factory::wire(during),
                               envelope_factory::subject(during), during.id);
  srv.start();
  expect_event(*this, nats::link_state::connected);
  std::optional<result<nats_publish_receipt>> late;
  pending.receive([&](nats_publish_receipt& r) { late.emplace(r); },
                  [&](caf::error& err) { late.emplace(unwrap(err)); });
  REQUIRE(late);
  REQUIRE_MESSAGE(late->ok(), late->error().message);
  CHECK((*late)->stream_seq == 2);
  CHECK_FALSE((*late)->duplicate);
  auto got = next_envelope(10s);
  REQUIRE(got);
  CHECK(got->wire == envelope_factory::wire(during));

  // Publishing the same envelope again after the restart: still a duplicate
  // (the window survived in the store).
  auto dup = publish(b, during);
  REQUIRE(dup.ok());
  CHECK(dup->duplicate);
  auto after = envs.make("x", envelope::kind::claim, "{}");
  auto r2 = publish(b, after);
  REQUIRE(r2.ok());
  CHECK(r2->stream_seq == 3);
  got = next_envelope();
  REQUIRE(got);
  CHECK(got->wire == envelope_factory::wire(after));
  CHECK_FALSE(next_envelope(300ms));
  auto h = health(b);
  CHECK(h.reconnects == 1);
  CHECK(h.delivered == 3);
  // kill -9 may lose the consumer's last acks: JetStream then redelivers
  // an envelope we already delivered, and the gate drops it as a replay.
  CHECK(h.rejected == h.rejected_by_reason["replay"]);
}

TEST_CASE_FIXTURE(bridge_fixture, "when the connection closes for good the "
                                  "bridge reports closed and publishes fail "
                                  "with not connected") {
  nats_server srv{false};
  auto c = config_for(srv, false);
  c.client.max_reconnect = 0;
  auto b = start(c);
  srv.kill();
  auto ev = next_event(10s);
  REQUIRE(ev);
  if (ev->state == nats::link_state::reconnecting)
    ev = next_event(10s);
  REQUIRE(ev);
  CHECK(ev->state == nats::link_state::closed);
  auto r = publish(b, envs.make("x", envelope::kind::need, "{}"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::io);
  CHECK(r.error().message == "nats publish: not connected (connection closed)");
  auto h = health(b);
  CHECK(h.state == nats::link_state::closed);
  CHECK(h.publish_errors == 1);
  CHECK(h.last_error == r.error().message);
}
