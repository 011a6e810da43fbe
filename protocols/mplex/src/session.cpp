// Application-facing API and stream bookkeeping of the mplex session; see
// session.hpp for the overview, session_input.cpp for the frame parser and
// session_output.cpp for transmission.

#include "canswarm/mplex/session.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace canswarm::mplex {

namespace {

/// Adjacent data for one stream is merged into one event up to this size.
constexpr std::size_t coalesce_limit = 256 * 1024;

/// Our stream_id value: the mplex number and whether the remote opened it.
std::uint64_t key_of(std::uint64_t number, bool outbound) {
  return number << 1 | (outbound ? 0u : 1u);
}

} // namespace

// -- send_queue ---------------------------------------------------------------

namespace detail {

void send_queue::push(bytes_view data) {
  if (data.empty())
    return;
  if (chunks_.empty() || chunks_.back().size() >= merge_limit)
    chunks_.emplace_back();
  append(chunks_.back(), data);
  size_ += data.size();
}

void send_queue::push(bytes&& data) {
  if (data.empty())
    return;
  size_ += data.size();
  chunks_.push_back(std::move(data));
}

void send_queue::move_to(std::size_t n, bytes& out) {
  size_ -= n;
  while (n > 0) {
    auto& front = chunks_.front();
    auto take = std::min(n, front.size() - head_);
    auto first = front.begin() + static_cast<std::ptrdiff_t>(head_);
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(take));
    head_ += take;
    n -= take;
    if (head_ == front.size()) {
      chunks_.pop_front();
      head_ = 0;
    }
  }
}

void send_queue::clear() {
  chunks_.clear();
  head_ = 0;
  size_ = 0;
}

} // namespace detail

// -- session ------------------------------------------------------------------

session::session(role r, config cfg) : role_(r), cfg_(cfg) {
  if (auto ok = cfg_.validate(); !ok)
    throw std::invalid_argument(ok.error().describe());
}

std::optional<event> session::poll_event() {
  if (events_.empty())
    return std::nullopt;
  auto ev = std::move(events_.front());
  events_.pop_front();
  if (cfg_.auto_consume) {
    if (auto* d = std::get_if<stream_data>(&ev)) {
      // Clamped: the stream may be gone and its number reused since.
      if (auto* s = find(d->id.value))
        release(*s, std::min(d->data.size(), s->recv_buffered));
    }
  }
  return ev;
}

result<void> session::check_open() const {
  if (failure_)
    return make_error(errc::refused, "session closed: " + failure_->describe());
  return {};
}

result<stream_id> session::open_stream() {
  if (auto ok = check_open(); !ok)
    return ok.error();
  if (going_away_)
    return make_error(errc::refused, "no new streams after go_away");
  if (outbound_ >= cfg_.max_outbound_streams)
    return make_error(errc::refused,
                      fmt::format("{} outbound streams open, the limit",
                                  outbound_));
  if (next_number_ > max_stream_number)
    return make_error(errc::refused, "stream numbers exhausted");
  auto& s = add_stream(next_number_++, true);
  s.open_pending = true;
  schedule(s);
  return stream_id{key_of(s.number, true)};
}

result<session::stream*> session::writable_stream(stream_id id) {
  if (auto ok = check_open(); !ok)
    return ok.error();
  auto* s = find(id.value);
  if (s == nullptr)
    return make_error(errc::not_found,
                      fmt::format("unknown stream {}", id.value));
  if (s->local_closed)
    return make_error(errc::invalid_argument,
                      fmt::format("stream {} is closed for writing", id.value));
  return s;
}

result<std::size_t> session::write(stream_id id, bytes_view data, time_point) {
  auto sp = writable_stream(id);
  if (!sp)
    return sp.error();
  auto& s = **sp;
  auto room = std::min(cfg_.max_stream_send_buffer - s.send_buffer.size(),
                       cfg_.max_session_send_buffer - send_buffered_);
  auto n = std::min(room, data.size());
  if (n < data.size() && !s.write_blocked) {
    s.write_blocked = true;
    write_blocked_.push_back(id.value);
  }
  if (n == 0)
    return std::size_t{0};
  s.send_buffer.push(data.first(n));
  send_buffered_ += n;
  schedule(s);
  return n;
}

result<std::size_t> session::write(stream_id id, bytes&& data, time_point now) {
  auto sp = writable_stream(id);
  if (!sp)
    return sp.error();
  auto& s = **sp;
  auto room = std::min(cfg_.max_stream_send_buffer - s.send_buffer.size(),
                       cfg_.max_session_send_buffer - send_buffered_);
  if (data.size() < detail::send_queue::merge_limit || data.size() > room)
    return write(id, bytes_view{data}, now);
  auto n = data.size();
  s.send_buffer.push(std::move(data));
  send_buffered_ += n;
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
  auto* s = find(id.value);
  if (s == nullptr)
    return make_error(errc::not_found,
                      fmt::format("unknown stream {}", id.value));
  // A stream whose NewStream never left is unknown to the remote.
  if (!s->open_pending)
    queue_reset(s->number, s->outbound, false);
  remove_stream(id.value);
  return {};
}

void session::consume(stream_id id, std::size_t n, time_point) {
  if (auto* s = find(id.value))
    release(*s, std::min(n, s->recv_buffered));
}

void session::go_away() {
  going_away_ = true;
}

bool session::closed() const {
  return failure_.has_value() || (going_away_ && streams_.empty());
}

session_stats session::stats() const {
  auto st = counters_;
  st.streams = streams_.size();
  st.inbound_streams = inbound_;
  st.outbound_streams = outbound_;
  st.send_buffered = send_buffered_;
  st.recv_buffered = recv_buffered_;
  st.control_frames_pending = control_frames_;
  st.events_pending = events_.size();
  return st;
}

std::optional<stream_stats> session::stream_info(stream_id id) const {
  const auto* s = find(id.value);
  if (s == nullptr)
    return std::nullopt;
  stream_stats st;
  st.id = id;
  st.number = s->number;
  st.outbound = s->outbound;
  st.local_closed = s->local_closed;
  st.remote_closed = s->remote_closed;
  st.send_buffered = s->send_buffer.size();
  st.recv_buffered = s->recv_buffered;
  return st;
}

// -- bookkeeping
// ----------------------------------------------------------------

session::stream* session::find(std::uint64_t key) {
  auto i = streams_.find(key);
  return i == streams_.end() ? nullptr : &i->second;
}

const session::stream* session::find(std::uint64_t key) const {
  auto i = streams_.find(key);
  return i == streams_.end() ? nullptr : &i->second;
}

session::stream& session::add_stream(std::uint64_t number, bool outbound) {
  auto& s = streams_[key_of(number, outbound)];
  s.number = number;
  s.outbound = outbound;
  ++(outbound ? outbound_ : inbound_);
  return s;
}

void session::remove_stream(std::uint64_t key) {
  auto i = streams_.find(key);
  if (i == streams_.end())
    return;
  auto& s = i->second;
  --(s.outbound ? outbound_ : inbound_);
  if (s.write_blocked)
    std::erase(write_blocked_, key);
  send_buffered_ -= s.send_buffer.size();
  recv_buffered_ -= s.recv_buffered;
  if (body_left_ > 0 && deliver_to_ == key)
    deliver_body_ = false; // The rest of this frame has nowhere to go.
  streams_.erase(i);
}

void session::release(stream& s, std::size_t n) {
  s.recv_buffered -= n;
  recv_buffered_ -= n;
}

void session::push_event(event ev) {
  if (failure_)
    return;
  if (events_.size() >= max_pending_events) {
    fail(
      make_error(errc::refused, fmt::format("more than {} events pending: the "
                                            "application does not poll",
                                            max_pending_events)));
    return;
  }
  events_.push_back(std::move(ev));
}

void session::push_data(stream& s, bytes_view chunk) {
  if (failure_)
    return;
  stream_id id{key_of(s.number, s.outbound)};
  s.recv_buffered += chunk.size();
  recv_buffered_ += chunk.size();
  if (!events_.empty()) {
    if (auto* d = std::get_if<stream_data>(&events_.back());
        d != nullptr && d->id == id && d->data.size() < coalesce_limit) {
      append(d->data, chunk);
      return;
    }
  }
  push_event(stream_data{id, bytes{chunk.begin(), chunk.end()}});
}

void session::fail(error err) {
  if (failure_)
    return;
  failure_ = err;
  // Data already received stays readable; the error comes last. Streams
  // stay allocated until drop_all(), so callers up the stack keep valid
  // references; every entry point that can fail calls it before returning.
  events_.push_back(session_error{std::move(err)});
}

void session::drop_all() {
  streams_.clear();
  ready_.clear();
  write_blocked_.clear();
  control_out_.clear();
  control_frames_ = 0;
  inbound_ = outbound_ = 0;
  send_buffered_ = recv_buffered_ = 0;
  body_left_ = 0;
  deliver_body_ = false;
  header_buf_.clear();
}

} // namespace canswarm::mplex
