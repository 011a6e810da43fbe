// Transmission of the mplex session: queued resets first, then one frame
// per ready stream in turn (NewStream, a message of at most max_frame_body,
// Close once the buffer is empty).

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "canswarm/mplex/session.hpp"

namespace canswarm::mplex {

namespace {

std::uint64_t key_of(std::uint64_t number, bool outbound) {
  return number << 1 | (outbound ? 0u : 1u);
}

} // namespace

void session::queue_reset(std::uint64_t number, bool initiator,
                          bool remote_triggered) {
  if (failure_)
    return;
  if (remote_triggered && control_frames_ >= cfg_.max_pending_control_frames) {
    fail(make_error(errc::refused,
                    fmt::format("more than {} control frames pending: the "
                                "peer makes us reset streams but does not "
                                "read",
                                cfg_.max_pending_control_frames)));
    return;
  }
  encode_frame(number, flag_for(frame_kind::reset, initiator), {},
               control_out_);
  ++control_frames_;
}

void session::schedule(stream& s) {
  if (s.in_ready || !s.wants_transmit())
    return;
  s.in_ready = true;
  ready_.push_back(key_of(s.number, s.outbound));
}

bool session::wants_transmit() const {
  if (!control_out_.empty())
    return true;
  return std::any_of(ready_.begin(), ready_.end(), [this](std::uint64_t key) {
    const auto* s = find(key);
    return s != nullptr && s->wants_transmit();
  });
}

void session::poll_transmit(bytes& out, std::size_t max_bytes) {
  if (failure_)
    return;
  auto start = out.size();
  if (!control_out_.empty()) {
    append(out, control_out_);
    control_out_.clear();
    counters_.frames_sent += control_frames_;
    control_frames_ = 0;
  }
  while (!ready_.empty() && out.size() - start < max_bytes) {
    auto key = ready_.front();
    ready_.pop_front();
    auto* s = find(key);
    if (s == nullptr)
      continue; // Removed since it was queued.
    s->in_ready = false;
    service(*s, out);
    if (auto* again = find(key))
      schedule(*again);
  }
  notify_writable();
  if (failure_)
    drop_all();
}

bytes session::take_output() {
  bytes out;
  poll_transmit(out);
  return out;
}

void session::service(stream& s, bytes& out) {
  if (s.open_pending) {
    // The name is the decimal stream number, as go-mplex and js-libp2p
    // name unnamed streams.
    auto name = std::to_string(s.number);
    encode_frame(s.number, flag::new_stream, as_bytes(name), out);
    s.open_pending = false;
    ++counters_.frames_sent;
  }
  if (!s.send_buffer.empty()) {
    auto n = std::min(s.send_buffer.size(), cfg_.max_frame_body);
    encode_header(header{s.number, flag_for(frame_kind::message, s.outbound),
                         n},
                  out);
    s.send_buffer.move_to(n, out);
    send_buffered_ -= n;
    counters_.data_bytes_sent += n;
    ++counters_.frames_sent;
  }
  if (s.send_buffer.empty() && s.local_closed && !s.close_sent) {
    encode_frame(s.number, flag_for(frame_kind::close, s.outbound), {}, out);
    s.close_sent = true;
    ++counters_.frames_sent;
    if (s.remote_closed)
      remove_stream(key_of(s.number, s.outbound));
  }
}

void session::notify_writable() {
  std::vector<std::uint64_t> writable;
  std::erase_if(write_blocked_, [&](std::uint64_t key) {
    auto* s = find(key);
    if (s == nullptr)
      return true;
    auto room = std::min(cfg_.max_stream_send_buffer - s->send_buffer.size(),
                         cfg_.max_session_send_buffer - send_buffered_);
    if (room == 0)
      return false;
    s->write_blocked = false;
    writable.push_back(key);
    return true;
  });
  for (auto key : writable)
    push_event(stream_writable{stream_id{key}});
}

} // namespace canswarm::mplex
