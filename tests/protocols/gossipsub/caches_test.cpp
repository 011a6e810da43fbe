// Message cache, seen cache, backoff table, gossip promises, outbound queue.

#include <doctest/doctest.h>

#include "canswarm/gossipsub/backoff.hpp"
#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/gossip_promises.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/gossipsub/message_cache.hpp"
#include "canswarm/gossipsub/outbound_queue.hpp"
#include "canswarm/gossipsub/signing.hpp"
#include "canswarm/gossipsub/time_cache.hpp"
#include "canswarm/varint/varint.hpp"
#include "test_util.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using namespace std::chrono_literals;
using gossipsub_test::key_from_seed;
using gossipsub_test::peer_of;

namespace {

std::shared_ptr<const cached_message> msg(int n, std::size_t size = 4) {
  auto m = make_unsigned_message("t", bytes(size, static_cast<uint8_t>(n)));
  m.data[0] = static_cast<std::uint8_t>(n);
  if (size > 1)
    m.data[1] = static_cast<std::uint8_t>(n >> 8);
  auto id = default_message_id(m);
  return make_cached(std::move(id), std::move(m));
}

const time_point t0{};

} // namespace

TEST_CASE("the message cache gossips recent windows and forgets old ones") {
  message_cache mc{5, 3, 1000};
  auto a = msg(1), b = msg(2), c = msg(3);
  CHECK(mc.put(a));
  CHECK_FALSE(mc.put(a)); // already cached
  mc.shift();
  CHECK(mc.put(b));
  mc.shift();
  mc.shift();
  CHECK(mc.put(c));
  // Windows (newest first): [c], [], [b], [a]; gossip covers 3 windows.
  auto ids = mc.gossip_ids();
  CHECK(ids == std::vector{c->id, b->id});
  CHECK(mc.get(a->id) == a); // still cached (5 windows)
  mc.shift();
  mc.shift();
  CHECK(mc.get(a->id) == nullptr); // fell out of the 5th window
  CHECK(mc.get(b->id) == b);
  CHECK(mc.size() == 2);
}

TEST_CASE("the message cache serves a message to one peer at most N times") {
  message_cache mc{5, 3, 1000};
  auto a = msg(1);
  mc.put(a);
  auto p = peer_of(key_from_seed(1));
  auto q = peer_of(key_from_seed(2));
  for (int i = 0; i < 3; ++i)
    CHECK(mc.get_for_peer(a->id, p, 3).first == iwant_lookup::served);
  CHECK(mc.get_for_peer(a->id, p, 3).first == iwant_lookup::over_retransmit);
  CHECK(mc.get_for_peer(a->id, q, 3).first == iwant_lookup::served);
  CHECK(mc.get_for_peer(msg(9)->id, q, 3).first == iwant_lookup::not_found);
}

TEST_CASE("the message cache evicts the oldest message when full") {
  message_cache mc{5, 3, 3};
  auto a = msg(1), b = msg(2), c = msg(3), d = msg(4);
  mc.put(a);
  mc.shift();
  mc.put(b);
  mc.put(c);
  mc.put(d);
  CHECK(mc.size() == 3);
  CHECK(mc.get(a->id) == nullptr);
  CHECK(mc.get(d->id) == d);
}

TEST_CASE("the seen cache expires after its TTL and is bounded") {
  time_cache<message_id> seen{120s, 3};
  auto id = [](int n) { return message_id{std::to_string(n)}; };
  CHECK(seen.insert(id(1), t0));
  CHECK_FALSE(seen.insert(id(1), t0 + 1s));
  CHECK(seen.contains(id(1), t0 + 119s));
  CHECK_FALSE(seen.contains(id(1), t0 + 120s));
  for (int i = 2; i < 10; ++i)
    seen.insert(id(i), t0 + 200s);
  CHECK(seen.size() == 3);
  CHECK(seen.evicted() == 5);
  CHECK(seen.contains(id(9), t0 + 200s));
  CHECK_FALSE(seen.contains(id(2), t0 + 200s));
}

TEST_CASE("backoffs only extend and expire with slack") {
  backoff_table b;
  auto p = peer_of(key_from_seed(1));
  b.set("t", p, t0 + 60s);
  b.set("t", p, t0 + 10s); // shorter: ignored
  CHECK(b.expiry("t", p) == t0 + 60s);
  CHECK(b.active("t", p, t0 + 59s));
  CHECK_FALSE(b.active("t", p, t0 + 60s));
  CHECK(b.active("t", p, t0 + 60s, 1s)); // slack
  CHECK_FALSE(b.active("u", p, t0));
  b.expire(t0 + 60s, 1s);
  CHECK(b.size() == 1);
  b.expire(t0 + 61s, 1s);
  CHECK(b.size() == 0);
}

TEST_CASE("gossip promises break after their deadline unless fulfilled") {
  gossip_promises gp;
  auto p = peer_of(key_from_seed(1));
  auto q = peer_of(key_from_seed(2));
  message_id a{std::string{"a"}}, b{std::string{"b"}};
  gp.add(a, p, t0 + 3s);
  gp.add(a, q, t0 + 3s);
  gp.add(b, p, t0 + 3s);
  gp.fulfilled(a);
  CHECK(gp.size() == 1);
  CHECK(gp.broken(t0 + 2s).empty());
  auto broken = gp.broken(t0 + 3s);
  CHECK(broken.size() == 1);
  CHECK(broken[p] == 1);
  CHECK(gp.size() == 0);
}

TEST_CASE("the outbound queue batches control and messages into frames") {
  outbound_queue q{default_max_transmit_size};
  q.push_subscription("t", true);
  q.push_graft("t");
  q.push_prune(control_prune{"u", {}, 60});
  q.push_graft("u"); // cancels the pending PRUNE for u
  q.push_ihave("t", {message_id{std::string{"x"}}});
  q.push_message(msg(1));
  q.push_message(msg(2));
  auto frame = q.pop_frame();
  REQUIRE(frame);
  CHECK(q.empty());
  auto f = varint::read_frame(*frame, default_max_transmit_size);
  REQUIRE(f.st == varint::status::ok);
  CHECK(f.size == frame->size());
  auto r = decode_rpc(f.body, default_max_transmit_size);
  REQUIRE(r);
  CHECK(r->subscriptions == std::vector{sub_opts{true, "t"}});
  REQUIRE(r->control);
  CHECK(r->control->graft.size() == 2);
  CHECK(r->control->prune.empty());
  CHECK(r->control->ihave.size() == 1);
  CHECK(r->publish.size() == 2);
  CHECK_FALSE(q.pop_frame());
}

TEST_CASE("the outbound queue splits what does not fit one frame") {
  outbound_queue q{4096};
  for (int i = 0; i < 10; ++i)
    q.push_message(msg(i, 1000));
  std::size_t frames = 0, messages = 0;
  while (auto frame = q.pop_frame()) {
    auto f = varint::read_frame(*frame, 4096);
    REQUIRE(f.st == varint::status::ok);
    auto r = decode_rpc(f.body, 4096);
    REQUIRE(r);
    messages += r->publish.size();
    ++frames;
  }
  CHECK(messages == 10);
  CHECK(frames == 3); // 1009-byte entries: four per 4 KiB frame
}

TEST_CASE("the outbound queue drops and counts messages beyond its bound") {
  outbound_queue q{default_max_transmit_size};
  auto m = msg(1);
  for (std::size_t i = 0; i < max_pending_messages_per_peer; ++i)
    REQUIRE(q.push_message(m));
  CHECK_FALSE(q.push_message(m));
  CHECK(q.pending_messages() == max_pending_messages_per_peer);
  CHECK(q.dropped() == 1);
}
