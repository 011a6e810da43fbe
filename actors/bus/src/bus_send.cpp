// The envelope bus's sending side (bus.hpp): routing by mode and health,
// failover and failback with a re-send of recent envelopes, and publishes
// held until a transport takes them.

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "bus_state.hpp"
#include "canswarm/actors/message_types.hpp"

namespace canswarm::bus_detail {

std::uint64_t unix_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

bool healthy(bus_self self, bus_transport t) {
  auto& st = self->state;
  if (t == bus_transport::p2p)
    return st.p2p && st.pubsub && st.p2p_healthy;
  return st.nats && st.bridge && st.nats_link == nats::link_state::connected;
}

bool enabled(bus_self self, bus_transport t) {
  auto& st = self->state;
  return t == bus_transport::p2p ? st.p2p : st.nats;
}

bus_transport other(bus_transport t) {
  return t == bus_transport::p2p ? bus_transport::nats : bus_transport::p2p;
}

void send_on(bus_self self, const sent_entry& e, bus_transport t,
             const attempt_ptr& a = nullptr);

/// Keeps a publish no transport took, for a later attempt.
void hold(bus_self self, sent_entry e) {
  auto& st = self->state;
  if (st.held.size() >= max_bus_held) {
    st.held.pop_front();
    ++st.stats.held_dropped;
    log::warning(bus_component,
                 "{} publishes wait for a transport (max_bus_held): the "
                 "oldest is dropped",
                 max_bus_held);
  }
  if (st.held.empty())
    log::warning(bus_component,
                 "no transport took an envelope on {}: holding it until one "
                 "is healthy",
                 e.topic);
  st.held.push_back(std::move(e));
}

/// One transport answered for `a`.
void settle(bus_self self, const attempt_ptr& a, bool ok) {
  if (!a)
    return;
  a->reached = a->reached || ok;
  if (--a->pending > 0 || a->reached)
    return;
  hold(self, std::move(a->entry));
}

void route(bus_self self, sent_entry e);

/// Tries the held publishes again: all of them while a transport is
/// healthy, else only the oldest (a probe: its success is the recovery).
void retry_held(bus_self self) {
  auto& st = self->state;
  auto now = steady::now();
  while (!st.held.empty() && now - st.held.front().at > max_bus_hold_time) {
    st.held.pop_front();
    ++st.stats.held_dropped;
    log::warning(bus_component,
                 "an envelope waited {} s for a transport "
                 "(max_bus_hold_time): dropped",
                 std::chrono::duration_cast<std::chrono::seconds>(
                   max_bus_hold_time)
                   .count());
  }
  if (st.held.empty())
    return;
  bool any = healthy(self, bus_transport::p2p)
             || healthy(self, bus_transport::nats);
  std::deque<sent_entry> batch;
  if (any) {
    batch.swap(st.held);
  } else {
    batch.push_back(std::move(st.held.front()));
    st.held.pop_front();
  }
  for (auto& e : batch) {
    ++st.stats.retried;
    route(self, std::move(e));
  }
}

/// The primary failed: publishes go to the fallback, and what the primary
/// carried recently goes there again.
void fail_over(bus_self self, const std::string& why) {
  auto& st = self->state;
  auto primary = st.cfg.primary;
  auto fallback = other(primary);
  if (!enabled(self, fallback) || st.active == fallback)
    return;
  st.active = fallback;
  ++st.stats.failovers;
  st.overlap_until = {};
  auto cutoff = steady::now() - st.cfg.replay_window;
  std::size_t n = 0;
  for (auto& e : st.recent)
    if (e.at >= cutoff && e.via == primary) {
      send_on(self, e, fallback);
      ++n;
    }
  st.stats.resent += n;
  log::warning(bus_component,
               "{} unhealthy ({}): publishing on {}, {} recent envelopes "
               "sent again there",
               to_string(primary), why, to_string(fallback), n);
}

/// The primary is healthy again: back to it, with an overlap.
void fail_back(bus_self self) {
  auto& st = self->state;
  if (st.active == st.cfg.primary)
    return;
  st.active = st.cfg.primary;
  ++st.stats.failbacks;
  st.overlap_until = steady::now() + st.cfg.failback_overlap;
  log::info(bus_component,
            "{} healthy again: publishing on it (and on {} for {} ms)",
            to_string(st.cfg.primary), to_string(other(st.cfg.primary)),
            std::chrono::duration_cast<std::chrono::milliseconds>(
              st.cfg.failback_overlap)
              .count());
}

void set_p2p_health(bus_self self, bool ok, const std::string& why) {
  auto& st = self->state;
  st.p2p_healthy = ok;
  if (st.cfg.primary != bus_transport::p2p)
    return;
  if (ok)
    fail_back(self);
  else
    fail_over(self, why);
}

void set_nats_link(bus_self self, nats::link_state s, const std::string& why) {
  auto& st = self->state;
  st.nats_link = s;
  if (st.cfg.primary != bus_transport::nats)
    return;
  if (s == nats::link_state::connected)
    fail_back(self);
  else
    fail_over(self, why);
}

/// NATS came back: the held publishes need not wait for the next tick.
void on_nats_connected(bus_self self) {
  if (!self->state.held.empty())
    retry_held(self);
}

/// Sends one envelope on `t` (outcome only updates health and counters).
void send_on(bus_self self, const sent_entry& e, bus_transport t,
             const attempt_ptr& a) {
  auto& st = self->state;
  if (t == bus_transport::p2p) {
    if (!st.pubsub)
      return;
    ++st.stats.published_p2p;
    if (a)
      ++a->pending;
    self
      ->request(st.pubsub, std::chrono::seconds{10}, pubsub_publish_atom::value,
                e.topic, *e.wire)
      .then(
        [self, a](std::uint64_t peers) {
          self->state.stats.publish_peers += peers;
          if (peers == 0)
            set_p2p_health(self, false, "a publish reached no peer");
          else if (!self->state.p2p_healthy)
            set_p2p_health(self, true, {});
          settle(self, a, peers > 0);
        },
        [self, a](caf::error& err) {
          ++self->state.stats.publish_errors;
          set_p2p_health(self, false, self->system().render(err));
          settle(self, a, false);
        });
    return;
  }
  if (!st.bridge)
    return;
  ++st.stats.published_nats;
  if (a)
    ++a->pending;
  self
    ->request(st.bridge, std::chrono::seconds{10}, nats_publish_atom::value,
              *e.wire, e.subject, e.id)
    .then([self, a](nats_publish_receipt&) { settle(self, a, true); },
          [self, a](caf::error& err) {
            ++self->state.stats.publish_errors;
            auto text = nats::from_caf_error(self->system(), err).message;
            log::warning(bus_component, "NATS publish failed: {}", text);
            set_nats_link(self, nats::link_state::reconnecting,
                          "publish failed: " + text);
            settle(self, a, false);
          });
}

/// Sends a new envelope where the mode and health say.
void route(bus_self self, sent_entry e) {
  auto& st = self->state;
  auto primary = st.cfg.primary;
  auto fallback = other(primary);
  bool both = enabled(self, fallback) && steady::now() < st.overlap_until;
  auto a = std::make_shared<attempt>();
  a->entry = e;
  if (healthy(self, primary) || !enabled(self, fallback)) {
    e.via = primary;
    a->entry.via = primary;
    send_on(self, e, primary, a);
    if (both)
      send_on(self, e, fallback, a);
  } else {
    if (st.active != fallback)
      fail_over(self, "unhealthy at publish");
    e.via = fallback;
    a->entry.via = fallback;
    send_on(self, e, fallback, a);
    // A failed P2P primary is retried with every publish: its first
    // success is the recovery (NATS reports its own).
    if (primary == bus_transport::p2p && st.pubsub)
      send_on(self, e, primary, a);
  }
  if (a->pending == 0) // No transport to send it on (none running).
    hold(self, std::move(a->entry));
  auto cutoff = steady::now() - st.cfg.replay_window;
  while (
    !st.recent.empty()
    && (st.recent.front().at < cutoff || st.recent.size() >= max_bus_replay))
    st.recent.pop_front();
  st.recent.push_back(std::move(e));
}

} // namespace canswarm::bus_detail
