// Application-facing API and stream bookkeeping of the yamux session; see
// session.hpp for the overview, session_input.cpp for the frame parser and
// session_output.cpp for transmission and timers.

#include "canswarm/yamux/session.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace canswarm::yamux {

namespace {

/// Adjacent data for one stream is merged into one event up to this size.
constexpr std::size_t coalesce_limit = block_pool::block_size;

std::uint32_t raw(stream_id id) {
  return static_cast<std::uint32_t>(id.value);
}

} // namespace

session::session(role r, config cfg)
    : role_(r), cfg_(cfg), next_local_id_(r == role::client ? 1 : 2) {
  if (auto ok = cfg_.validate(); !ok)
    throw std::invalid_argument(ok.error().describe());
}

// -- application API ----------------------------------------------------------

std::optional<event> session::poll_event() {
  if (events_.empty())
    return std::nullopt;
  auto ev = std::move(events_.front());
  events_.pop_front();
  if (cfg_.auto_consume) {
    if (auto* d = std::get_if<stream_data>(&ev)) {
      if (auto* s = find(raw(d->id)))
        credit(*s, static_cast<std::uint32_t>(d->data.size()), now_);
    }
  }
  return ev;
}

void session::recycle(bytes&& buffer) {
  pool_.put(std::move(buffer));
}

result<void> session::check_open() const {
  if (failure_)
    return make_error(errc::refused, "session closed: " + failure_->describe());
  return {};
}

result<stream_id> session::open_stream() {
  if (auto ok = check_open(); !ok)
    return ok.error();
  if (go_away_sent_)
    return make_error(errc::refused, "no new streams after our GO_AWAY");
  if (go_away_received_)
    return make_error(errc::refused, "no new streams after remote GO_AWAY");
  if (streams_.size() >= cfg_.max_concurrent_streams)
    return make_error(errc::refused, fmt::format("{} streams open, the limit",
                                                 streams_.size()));
  if (outbound_unacked_ >= cfg_.max_outbound_ack_backlog)
    return make_error(errc::refused,
                      fmt::format("ACK backlog full: {} streams unacknowledged",
                                  outbound_unacked_));
  if (next_local_id_ > 0xffffffffu)
    return make_error(errc::refused, "stream ids exhausted");
  auto id = static_cast<std::uint32_t>(next_local_id_);
  next_local_id_ += 2;
  auto& s = add_stream(id, true);
  s.syn_pending = true;
  ++outbound_unacked_;
  schedule(s);
  return stream_id{id};
}

result<session::stream*> session::writable_stream(stream_id id) {
  if (auto ok = check_open(); !ok)
    return ok.error();
  auto* s = id.value <= 0xffffffffu ? find(raw(id)) : nullptr;
  if (s == nullptr)
    return make_error(errc::not_found,
                      fmt::format("unknown stream {}", id.value));
  if (s->local_closed)
    return make_error(errc::invalid_argument,
                      fmt::format("stream {} is closed for writing", s->id));
  return s;
}

result<std::size_t> session::write(stream_id id, bytes_view data,
                                   time_point now) {
  advance(now);
  auto sp = writable_stream(id);
  if (!sp)
    return sp.error();
  auto& s = **sp;
  auto room = std::min(cfg_.max_stream_send_buffer - s.send_buffer.size(),
                       cfg_.max_session_send_buffer - send_buffered_);
  auto n = std::min(room, data.size());
  if (n < data.size() && !s.write_blocked) {
    s.write_blocked = true;
    write_blocked_.push_back(s.id);
  }
  if (n == 0)
    return std::size_t{0};
  s.send_buffer.append(data.first(n), pool_);
  send_buffered_ += n;
  if (!stall_since_)
    stall_since_ = now;
  schedule(s);
  return n;
}

result<std::size_t> session::write(stream_id id, bytes&& data, time_point now) {
  advance(now);
  auto sp = writable_stream(id);
  if (!sp)
    return sp.error();
  auto& s = **sp;
  auto room = std::min(cfg_.max_stream_send_buffer - s.send_buffer.size(),
                       cfg_.max_session_send_buffer - send_buffered_);
  if (data.empty() || data.size() > room)
    return write(id, bytes_view{data}, now);
  auto n = data.size();
  s.send_buffer.append(std::move(data), pool_);
  send_buffered_ += n;
  if (!stall_since_)
    stall_since_ = now;
  schedule(s);
  return n;
}

result<void> session::close(stream_id id) {
  auto sp = writable_stream(id);
  if (!sp) {
    if (sp.error().code == errc::invalid_argument)
      return {}; // Already closed.
    return sp.error();
  }
  (*sp)->local_closed = true;
  schedule(**sp);
  return {};
}

result<void> session::reset(stream_id id) {
  if (auto ok = check_open(); !ok)
    return ok.error();
  auto* s = id.value <= 0xffffffffu ? find(raw(id)) : nullptr;
  if (s == nullptr)
    return make_error(errc::not_found,
                      fmt::format("unknown stream {}", id.value));
  // A stream whose SYN never left is unknown to the remote: drop silently.
  if (!s->syn_pending)
    queue_control(header{protocol_version, frame_type::window_update, flag_rst,
                         s->id, 0},
                  false);
  remove_stream(s->id);
  return {};
}

void session::consume(stream_id id, std::size_t n, time_point now) {
  advance(now);
  if (failure_ || id.value > 0xffffffffu)
    return;
  if (auto* s = find(raw(id))) {
    auto k = std::min<std::size_t>(n, s->recv_buffered);
    credit(*s, static_cast<std::uint32_t>(k), now);
  }
}

void session::ping(time_point now) {
  advance(now);
  if (!failure_ && !ping_opaque_)
    send_ping(now);
}

void session::go_away(go_away_code code) {
  if (failure_ || go_away_sent_)
    return;
  go_away_sent_ = true;
  queue_control(header{protocol_version, frame_type::go_away, 0, 0,
                       static_cast<std::uint32_t>(code)},
                false);
}

bool session::closed() const {
  return failure_.has_value()
         || ((go_away_sent_ || go_away_received_) && streams_.empty());
}

session_stats session::stats() const {
  auto st = counters_;
  st.streams = streams_.size();
  st.inbound_unacked = inbound_unacked_;
  st.outbound_unacked = outbound_unacked_;
  st.send_buffered = send_buffered_;
  st.control_frames_pending = control_frames_;
  st.events_pending = events_.size();
  st.total_recv_window = total_recv_window_;
  st.rtt = rtt_;
  return st;
}

std::optional<stream_stats> session::stream_info(stream_id id) const {
  const auto* s = id.value <= 0xffffffffu ? find(raw(id)) : nullptr;
  if (s == nullptr)
    return std::nullopt;
  stream_stats st;
  st.id = id;
  st.outbound = s->outbound;
  st.acknowledged = s->outbound ? s->remote_acked : !s->ack_pending;
  st.local_closed = s->local_closed;
  st.remote_closed = s->remote_closed;
  st.send_window = s->send_window;
  st.send_buffered = s->send_buffer.size();
  st.recv_window = s->recv_window;
  st.recv_avail = s->recv_avail;
  st.recv_buffered = s->recv_buffered;
  return st;
}

// -- bookkeeping
// ----------------------------------------------------------------

session::stream* session::find(std::uint32_t id) {
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : &i->second;
}

const session::stream* session::find(std::uint32_t id) const {
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : &i->second;
}

session::stream& session::add_stream(std::uint32_t id, bool outbound) {
  auto& s = streams_[id];
  s.id = id;
  s.outbound = outbound;
  s.send_window = initial_window;
  s.recv_window = initial_window;
  s.recv_avail = initial_window;
  s.epoch_start = now_;
  total_recv_window_ += initial_window;
  counters_.largest_recv_window = std::max(counters_.largest_recv_window,
                                           initial_window);
  return s;
}

void session::remove_stream(std::uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  auto& s = i->second;
  if (s.ack_pending)
    --inbound_unacked_;
  if (s.outbound && !s.remote_acked)
    --outbound_unacked_;
  if (s.write_blocked)
    std::erase(write_blocked_, id);
  send_buffered_ -= s.send_buffer.size();
  s.send_buffer.clear(pool_);
  if (send_buffered_ == 0)
    stall_since_.reset();
  total_recv_window_ -= s.recv_window;
  streams_.erase(i);
}

void session::credit(stream& s, std::uint32_t n, time_point now) {
  s.recv_buffered -= n;
  if (s.remote_closed || failure_)
    return; // Nothing more will arrive: no credit needed.
  auto owed = s.recv_window - s.recv_avail - s.recv_buffered;
  if (owed < s.recv_window / 2)
    return;
  // Auto-tuning: half the window went through within one round trip, so
  // the window (not the link) limits throughput: double it.
  if (rtt_ && now - s.epoch_start <= *rtt_
      && s.recv_window < cfg_.max_stream_window) {
    auto budget = total_recv_window_ < cfg_.max_session_receive_window
                    ? cfg_.max_session_receive_window - total_recv_window_
                    : 0;
    auto grow = std::min<std::uint64_t>(
      {s.recv_window, cfg_.max_stream_window - s.recv_window, budget});
    s.recv_window += static_cast<std::uint32_t>(grow);
    total_recv_window_ += grow;
    counters_.largest_recv_window = std::max(counters_.largest_recv_window,
                                             s.recv_window);
  }
  auto delta = s.recv_window - s.recv_avail - s.recv_buffered;
  s.recv_avail += delta;
  s.credit_queued += delta;
  s.epoch_start = now;
  schedule(s);
}

void session::push_event(event ev) {
  if (events_.size() >= max_pending_events) {
    fail(
      make_error(errc::refused, fmt::format("more than {} events pending: the "
                                            "application does not poll",
                                            max_pending_events)));
    return;
  }
  events_.push_back(std::move(ev));
}

void session::push_data(std::uint32_t id, bytes_view chunk,
                        std::size_t expected) {
  // Merge into the previous event only within its capacity: growing it
  // would copy, and large reallocations make malloc map and unmap pages.
  if (!events_.empty()) {
    if (auto* d = std::get_if<stream_data>(&events_.back());
        d != nullptr && d->id == stream_id{id}
        && d->data.capacity() - d->data.size() >= chunk.size()) {
      append(d->data, chunk);
      return;
    }
  }
  bytes data;
  if (expected >= block_pool::block_size / 4
      && chunk.size() <= block_pool::block_size)
    data = pool_.get(); // Bulk data: a recyclable block.
  else
    data.reserve(std::max(chunk.size(), std::min(expected, coalesce_limit)));
  append(data, chunk);
  push_event(stream_data{stream_id{id}, std::move(data)});
}

void session::fail(error err) {
  if (failure_)
    return;
  auto remote_fault = err.code == errc::protocol || err.code == errc::too_large;
  failure_ = err;
  control_out_.clear();
  control_frames_ = 0;
  if (!go_away_sent_) {
    go_away_sent_ = true;
    auto code = remote_fault ? go_away_code::protocol_error
                             : go_away_code::internal_error;
    if (remote_fault || err.code != errc::timeout)
      queue_control(header{protocol_version, frame_type::go_away, 0, 0,
                           static_cast<std::uint32_t>(code)},
                    false);
  }
  streams_.clear();
  ready_.clear();
  write_blocked_.clear();
  send_buffered_ = 0;
  total_recv_window_ = 0;
  inbound_unacked_ = 0;
  outbound_unacked_ = 0;
  stall_since_.reset();
  ping_opaque_.reset();
  body_left_ = 0;
  header_have_ = 0;
  events_.push_back(session_error{std::move(err)});
}

} // namespace canswarm::yamux
