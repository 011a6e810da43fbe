// Swarm: supervision of peer connections (see swarm.hpp). A connection
// actor that terminates while the swarm still lists it died abnormally
// (killed or crashed); for an upgraded outbound connection the swarm
// redials the same address with the peer id it authenticated:
//
//   death -> restart_policy grants a restart (else: give the peer up)
//         -> redial_delay(1) -> dial -> up: running again
//                                   -> failed: redial_delay(2) -> dial ...
//         -> after max_redial_attempts failed dials: give the peer up.
//
// The redial is an ordinary dial (the swarm asks itself), so it shares the
// dial queue, the connection limit and the dial deadline, and a peer that
// reconnected meanwhile (either side dialled) answers it at once.

#include <algorithm>
#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"
#include "swarm_impl.hpp"

namespace canswarm {

caf::timespan redial_delay(std::uint32_t attempt) {
  auto delay = redial_initial_backoff;
  for (std::uint32_t i = 1; i < attempt && delay < redial_max_backoff; ++i)
    delay *= 2;
  return std::min(delay, redial_max_backoff);
}

namespace detail {

namespace {

std::int64_t millis(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
}

/// The supervision entry of `peer`, created if there is room (evicting an
/// entry without a redial in progress when the table is full); null if
/// every entry is busy redialling.
peer_supervision* supervision_of(sw_self self, const peer_id& peer) {
  auto& table = self->state.supervised;
  if (auto i = table.find(peer); i != table.end())
    return &i->second;
  if (table.size() >= max_supervised_peers) {
    auto idle = std::find_if(table.begin(), table.end(),
                             [](auto& kv) { return kv.second.attempt == 0; });
    if (idle == table.end())
      return nullptr;
    table.erase(idle);
  }
  return &table[peer];
}

/// Schedules redial attempt `s.attempt` of `peer`.
void schedule_redial(sw_self self, const peer_id& peer,
                     const peer_supervision& s) {
  self->delayed_send(self, redial_delay(s.attempt), redial_atom::value, peer);
}

/// A redial attempt failed: the next one, or give the peer up.
void on_redial_failed(sw_self self, const peer_id& peer, const error& why) {
  auto i = self->state.supervised.find(peer);
  if (i == self->state.supervised.end() || i->second.attempt == 0)
    return;
  auto& s = i->second;
  if (s.attempt >= max_redial_attempts) {
    s.attempt = 0;
    s.gave_up = true;
    log::warning(sw_component,
                 "giving up peer {}: {} redials of {} failed, the last: {}",
                 peer.to_string(), max_redial_attempts,
                 s.redial_addr.to_string(), why.describe());
    return;
  }
  ++s.attempt;
  log::info(sw_component, "redial of peer {} failed ({}); attempt {} in {} ms",
            peer.to_string(), why.describe(), s.attempt,
            millis(redial_delay(s.attempt)));
  schedule_redial(self, peer, s);
}

} // namespace

void sw_on_death(sw_self self, conn_id id, const swarm_connection& c,
                 const caf::error& reason) {
  auto& st = self->state;
  // A connection that died during its upgrade never was a peer's
  // connection: its dial (if any) failed with the reason, nothing to redo.
  if (!c.up)
    return;
  ++st.deaths;
  auto why = self->system().render(reason);
  auto* s = supervision_of(self, c.peer);
  if (s == nullptr) {
    log::warning(sw_component,
                 "connection #{} to {} died ({}); {} peers being redialled "
                 "(max_supervised_peers): not supervised",
                 id.value, c.peer.to_string(), why, max_supervised_peers);
    return;
  }
  ++s->deaths;
  s->last_death = why;
  if (c.dir == connection::direction::inbound) {
    // The remote dialled us: it knows an address where we listen and
    // redials if it wants the connection; all we know of it is the source
    // port of that dial, which nothing listens on.
    log::info(sw_component,
              "inbound connection #{} to {} died ({}); left to the remote to "
              "redial",
              id.value, c.peer.to_string(), why);
    return;
  }
  if (s->attempt > 0) {
    log::info(sw_component,
              "connection #{} to {} died ({}); a redial is already under way",
              id.value, c.peer.to_string(), why);
    return;
  }
  if (auto* other = sw_connection_to(self, c.peer); other != nullptr) {
    log::info(sw_component,
              "connection #{} to {} died ({}); still connected through "
              "another connection, no redial",
              id.value, c.peer.to_string(), why);
    return;
  }
  auto verdict = s->policy.on_child_failure(0, 1,
                                            std::chrono::steady_clock::now());
  if (verdict.escalate) {
    s->gave_up = true;
    log::warning(sw_component,
                 "connection #{} to {} died ({}); {} restarts within {} s "
                 "(max_peer_restarts): giving the peer up",
                 id.value, c.peer.to_string(), why, max_peer_restarts,
                 std::chrono::duration_cast<std::chrono::seconds>(
                   peer_restart_period)
                   .count());
    return;
  }
  ++st.restarts;
  ++s->restarts;
  s->gave_up = false;
  s->attempt = 1;
  s->redial_addr = c.remote_addr;
  log::info(sw_component,
            "connection #{} to {} died ({}); restart {}: redialling {} in {} "
            "ms",
            id.value, c.peer.to_string(), why, s->restarts,
            c.remote_addr.to_string(), millis(redial_delay(1)));
  schedule_redial(self, c.peer, *s);
}

void sw_on_redial(sw_self self, const peer_id& peer) {
  auto& st = self->state;
  auto i = st.supervised.find(peer);
  if (i == st.supervised.end() || i->second.attempt == 0)
    return;
  auto& s = i->second;
  dial_request req{peer, {s.redial_addr}, st.cfg.connection_timeout};
  auto attempt = s.attempt;
  // The dial answers by its deadline; the margin only guards against a
  // lost answer.
  self
    ->request(caf::actor_cast<swarm_actor>(self),
              st.cfg.connection_timeout + std::chrono::seconds{5},
              dial_atom::value, std::move(req))
    .then(
      [self, peer, attempt](peer_id&) {
        auto j = self->state.supervised.find(peer);
        if (j == self->state.supervised.end() || j->second.attempt == 0)
          return;
        j->second.attempt = 0;
        log::info(sw_component, "peer {} connected again (restart {}, {})",
                  peer.to_string(), j->second.restarts,
                  attempt == 1 ? std::string{"first attempt"}
                               : fmt::format("attempt {}", attempt));
      },
      [self, peer](caf::error& err) {
        on_redial_failed(self, peer, from_caf_error(self->system(), err));
      });
}

caf::result<std::vector<conn_id>> sw_kill_peer(sw_self self,
                                               const peer_id& peer) {
  std::vector<conn_id> killed;
  for (auto& [id, c] : self->state.conns)
    if (c.up && c.peer == peer) {
      log::warning(sw_component,
                   "killing connection #{} to {} (fault injection)", id.value,
                   peer.to_string());
      self->send_exit(c.actor, caf::exit_reason::kill);
      killed.push_back(id);
    }
  if (killed.empty())
    return to_caf_error(
      make_error(errc::not_found,
                 fmt::format("not connected to {}", peer.to_string())));
  return killed;
}

std::vector<peer_connection_info> sw_peer_conns(sw_self self) {
  auto& st = self->state;
  std::vector<peer_connection_info> result;
  auto counts = [&](peer_connection_info& info) {
    if (auto i = st.supervised.find(info.peer); i != st.supervised.end()) {
      info.restarts = i->second.restarts;
      info.deaths = i->second.deaths;
      info.last_death = i->second.last_death;
    }
  };
  for (auto& [id, c] : st.conns) {
    if (!c.up)
      continue;
    peer_connection_info info{c.peer, id,        c.remote_addr,
                              c.dir,  "running", c.actor.id(),
                              0,      0,         {}};
    counts(info);
    result.push_back(std::move(info));
  }
  for (auto& [peer, s] : st.supervised) {
    if (s.attempt == 0 && !s.gave_up)
      continue;
    if (sw_connection_to(self, peer) != nullptr)
      continue;
    peer_connection_info info{peer,
                              conn_id{},
                              s.redial_addr,
                              connection::direction::outbound,
                              s.attempt > 0 ? "restarting" : "failed",
                              0,
                              0,
                              0,
                              {}};
    counts(info);
    result.push_back(std::move(info));
  }
  return result;
}

} // namespace detail

} // namespace canswarm
