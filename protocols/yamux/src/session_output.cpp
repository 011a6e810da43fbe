// Transmission and timers of the yamux session: control frames first, then
// one frame per ready stream in turn; ping, keep-alive and write timeouts.

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/yamux/session.hpp"

namespace canswarm::yamux {

namespace {

long long to_ms(duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

} // namespace

void session::queue_control(const header& h, bool remote_triggered) {
  if (remote_triggered && control_frames_ >= cfg_.max_pending_control_frames) {
    fail(make_error(errc::too_large,
                    fmt::format("more than {} control frames pending: the "
                                "peer sends PING or SYN faster than it reads",
                                cfg_.max_pending_control_frames)));
    return;
  }
  encode_header(h, control_out_);
  ++control_frames_;
}

void session::schedule(stream& s) {
  if (!s.in_ready && s.wants_transmit()) {
    s.in_ready = true;
    ready_.push_back(s.id);
  }
}

bool session::wants_transmit() const {
  return !control_out_.empty() || !ready_.empty();
}

bytes session::take_output() {
  bytes out;
  poll_transmit(out);
  return out;
}

void session::poll_transmit(bytes& out, std::size_t max_bytes) {
  if (!control_out_.empty()) {
    counters_.frames_sent += control_frames_;
    append(out, control_out_);
    control_out_.clear();
    control_frames_ = 0;
  }
  auto start = out.size();
  auto buffered_before = send_buffered_;
  while (!ready_.empty() && out.size() - start < max_bytes) {
    auto id = ready_.front();
    ready_.pop_front();
    auto* s = find(id);
    if (s == nullptr)
      continue; // Removed while queued.
    s->in_ready = false;
    service(*s, out);
    if ((s = find(id)) != nullptr)
      schedule(*s);
  }
  if (send_buffered_ < buffered_before) {
    progressed_ = true;
    if (send_buffered_ == 0)
      stall_since_.reset();
    notify_writable();
  }
}

void session::service(stream& s, bytes& out) {
  std::uint16_t flags = 0;
  if (s.syn_pending) {
    flags |= flag_syn;
    s.syn_pending = false;
  } else if (s.ack_pending) {
    flags |= flag_ack;
    s.ack_pending = false;
    --inbound_unacked_;
  }
  if (!s.send_buffer.empty() && s.send_window > 0) {
    auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      {s.send_buffer.size(), s.send_window, cfg_.max_frame_body}));
    if (s.local_closed && n == s.send_buffer.size()) {
      flags |= flag_fin;
      s.fin_sent = true;
    }
    encode_header(header{protocol_version, frame_type::data, flags, s.id, n},
                  out);
    s.send_buffer.move_to(n, out, pool_);
    s.send_window -= n;
    send_buffered_ -= n;
    counters_.data_bytes_sent += n;
  } else {
    if (s.local_closed && !s.fin_sent && s.send_buffer.empty()) {
      flags |= flag_fin;
      s.fin_sent = true;
    }
    auto delta = s.credit_queued;
    s.credit_queued = 0;
    if (flags == 0 && delta == 0)
      return;
    encode_header(header{protocol_version, frame_type::window_update, flags,
                         s.id, delta},
                  out);
  }
  ++counters_.frames_sent;
  if (s.fin_sent && s.remote_closed)
    remove_stream(s.id);
}

void session::notify_writable() {
  auto room = cfg_.max_session_send_buffer - send_buffered_;
  if (room == 0)
    return;
  std::erase_if(write_blocked_, [&](std::uint32_t id) {
    auto* s = find(id);
    if (s == nullptr || s->local_closed)
      return true;
    if (s->send_buffer.size() >= cfg_.max_stream_send_buffer)
      return false;
    s->write_blocked = false;
    push_event(stream_writable{stream_id{id}});
    return true;
  });
}

void session::send_ping(time_point now) {
  auto opaque = next_ping_opaque_++;
  ping_opaque_ = opaque;
  ping_sent_ = now;
  last_ping_ = now;
  queue_control(header{protocol_version, frame_type::ping, flag_syn, 0, opaque},
                false);
}

void session::advance(time_point now) {
  now_ = now;
  if (send_buffered_ == 0)
    stall_since_.reset();
  else if (progressed_ || !stall_since_)
    stall_since_ = now;
  progressed_ = false;
  if (!started_ && !failure_) {
    started_ = true;
    last_ping_ = now;
    if (cfg_.rtt_ping)
      send_ping(now);
  }
}

time_point session::poll_timeout() const {
  if (failure_)
    return no_deadline;
  auto deadline = no_deadline;
  if (ping_opaque_)
    deadline = std::min(deadline, ping_sent_ + cfg_.ping_timeout);
  else if (started_ && cfg_.keep_alive_interval > duration::zero())
    deadline = std::min(deadline, last_ping_ + cfg_.keep_alive_interval);
  if (stall_since_ && cfg_.write_timeout > duration::zero())
    deadline = std::min(deadline, *stall_since_ + cfg_.write_timeout);
  return deadline;
}

void session::handle_timeout(time_point now) {
  advance(now);
  if (failure_)
    return;
  if (ping_opaque_ && now - ping_sent_ >= cfg_.ping_timeout) {
    fail(make_error(errc::timeout,
                    fmt::format("ping timeout: no reply within {} ms",
                                to_ms(cfg_.ping_timeout))));
    return;
  }
  if (stall_since_ && cfg_.write_timeout > duration::zero()
      && now - *stall_since_ >= cfg_.write_timeout) {
    fail(make_error(errc::timeout,
                    fmt::format("write timeout: {} bytes queued without "
                                "progress for {} ms",
                                send_buffered_, to_ms(now - *stall_since_))));
    return;
  }
  if (!ping_opaque_ && cfg_.keep_alive_interval > duration::zero()
      && now - last_ping_ >= cfg_.keep_alive_interval)
    send_ping(now);
}

} // namespace canswarm::yamux
