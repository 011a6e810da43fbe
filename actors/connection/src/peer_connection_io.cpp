// Peer connection broker: output (high-water mark), timers, status, the
// sync loop between core events and output, and closing.

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/io/broker.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"
#include "peer_connection_impl.hpp"

namespace canswarm::detail {

/// Pulls core output into CAF's write buffer while below the high-water
/// mark; returns whether anything was written.
bool pc_pump(pc_self self) {
  auto& st = self->state;
  if (!st.core || st.closing)
    return false;
  bool wrote = false;
  while (st.in_flight < write_high_water && st.core->wants_transmit()) {
    st.out.clear();
    st.core->poll_transmit(st.out, std::min(transmit_chunk_size,
                                            write_high_water - st.in_flight));
    if (st.out.empty())
      break;
    if (st.in_flight == 0)
      st.last_progress = pc_now();
    auto& buf = self->wr_buf(st.hdl);
    auto* p = reinterpret_cast<const char*>(st.out.data());
    buf.insert(buf.end(), p, p + st.out.size());
    st.in_flight += st.out.size();
    ++st.writes;
    wrote = true;
  }
  if (wrote)
    self->flush(st.hdl);
  return wrote;
}

void pc_arm_timer(pc_self self) {
  auto& st = self->state;
  if (st.closing)
    return;
  auto t = st.core ? st.core->poll_timeout() : st.cfg.deadline;
  if (st.in_flight > 0)
    t = std::min(t, st.last_progress + st.cfg.write_stall_limit);
  if (t == no_deadline || t >= st.timer_at)
    return;
  st.timer_at = t;
  auto delay = std::max(t - pc_now(), duration::zero());
  // Round up to whole microseconds so the tick never fires early.
  // Anonymous: the tick needs no sender, and one sent by `self` would hold
  // a strong reference to the broker in its own mailbox. CAF 0.17 brokers
  // do not drain their mailbox on exit, so that was a leaking cycle
  // (LeakSanitizer in actors_connection_bad_input); drain_mailbox_on_exit
  // (broker_mailbox.hpp) now frees late ticks as well.
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                         std::chrono::ceil<std::chrono::microseconds>(delay),
                         tick_atom::value);
}

component_status pc_status(pc_self self) {
  auto& st = self->state;
  std::string text = fmt::
    format("{}: {}, {} bytes read in {} reads, {} written in {} writes, {} in "
           "flight, {} streams bridged",
           pc_label(self),
           st.core ? connection::to_string(st.core->current_phase())
                   : "admission",
           st.bytes_read, st.reads, st.bytes_written, st.writes, st.in_flight,
           st.streams.size());
  if (auto m = st.core ? st.core->muxer_stats() : std::nullopt)
    text += fmt::format(", {} over {}: {} streams, {} bytes buffered to "
                        "send, receive credit {} bytes",
                        connection::to_string(*st.core->muxer_type()),
                        connection::to_string(*st.core->security()), m->streams,
                        m->send_buffered, m->receive_credit);
  for (const auto& [id, s] : st.streams)
    if (auto x = st.core->stream_stats(id)) {
      text += fmt::format("; stream {} {}: buffered {}, unconsumed {}, {} "
                          "writes queued",
                          id.value, s.protocol, x->send_buffered,
                          x->recv_buffered, s.writes.size());
      if (x->send_window && x->recv_window)
        text += fmt::format(", send window {}, receive window {}",
                            *x->send_window, *x->recv_window);
    }
  return component_status{"connection", "peer_connection", std::move(text)};
}

std::string pc_label(pc_self self) {
  auto& st = self->state;
  auto text = fmt::format("#{} {} {}", st.cfg.conn.value,
                          connection::to_string(st.cfg.dir),
                          st.cfg.remote_addr.to_string());
  if (st.peer)
    text += " " + st.peer->to_string();
  return text;
}

void pc_sync(pc_self self) {
  auto& st = self->state;
  for (int rounds = 0; rounds < 64 && st.core && !st.closing; ++rounds) {
    bool any = false;
    while (auto ev = st.core->poll_event()) {
      any = true;
      pc_on_event(self, *ev);
      if (st.closing)
        return;
    }
    for (auto id : st.inbox_ids)
      pc_flush_inbox(self, id);
    st.inbox_ids.clear();
    if (!pc_pump(self) && !any)
      break;
  }
  pc_read_backpressure(self);
  pc_arm_timer(self);
}

void pc_read_backpressure(pc_self self) {
  auto& st = self->state;
  if (!st.core || st.closing || !st.read_tokens || !st.read_paused)
    return;
  if (st.core->unconsumed_input() <= max_unconsumed_input / 2) {
    st.read_paused = false;
    self->trigger(st.hdl, mplex_read_tokens);
  }
}

void pc_on_passivated(pc_self self) {
  auto& st = self->state;
  if (!st.core || st.closing || !st.read_tokens)
    return;
  if (st.core->unconsumed_input() > max_unconsumed_input)
    st.read_paused = true; // pc_read_backpressure resumes.
  else
    self->trigger(st.hdl, mplex_read_tokens);
}

void pc_finish(pc_self self, error reason) {
  auto& st = self->state;
  if (st.closing)
    return;
  if (st.core && st.core->current_phase() != connection::phase::closed) {
    // Tell the remote (GO_AWAY) before the socket closes.
    st.core->close(reason);
    st.out.clear();
    st.core->poll_transmit(st.out, write_high_water);
    if (!st.out.empty())
      self->write(st.hdl, st.out.size(), st.out.data());
    while (st.core->poll_event()) {
      // Superseded by `reason`.
    }
  }
  st.closing = true;
  log::info(pc_component, "connection {} closed: {}", pc_label(self),
            reason.describe());
  log::debug(pc_component, "{}", pc_status(self).summary);
  auto err = to_caf_error(reason);
  for (auto& [id, rp] : st.pings)
    rp.deliver(err);
  st.pings.clear();
  for (auto& [id, req] : st.opens)
    req.rp.deliver(err);
  st.opens.clear();
  std::vector<stream_id> ids;
  for (auto& [id, s] : st.streams)
    ids.push_back(id);
  for (auto id : ids)
    pc_drop_stream(self, id, "connection closed: " + reason.message, true);
  if (st.cfg.conn.value != 0)
    if (auto swarm = caf::actor_cast<swarm_actor>(st.cfg.swarm))
      self->send(swarm, connection_down{st.cfg.conn, reason});
  self->flush(st.hdl);
  self->close(st.hdl);
  self->quit();
}

} // namespace canswarm::detail
