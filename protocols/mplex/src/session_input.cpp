// The mplex session's frame parser: headers are decoded as soon as both
// varints are there (an oversize length fails the session before any body
// byte is buffered), bodies are handed on chunk by chunk as they arrive.

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/mplex/session.hpp"

namespace canswarm::mplex {

namespace {

std::uint64_t key_of(std::uint64_t number, bool outbound) {
  return number << 1 | (outbound ? 0u : 1u);
}

} // namespace

void session::handle_input(bytes_view data, time_point) {
  while (!data.empty() && !failure_) {
    if (body_left_ > 0) {
      auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(body_left_, data.size()));
      on_body(data.first(n));
      body_left_ -= n;
      data = data.subspan(n);
      continue;
    }
    // Decode from the partial header plus new bytes, without copying the
    // new bytes unless the header is still incomplete.
    decoded_header d;
    std::size_t had = header_buf_.size();
    if (had == 0) {
      d = decode_header(data);
    } else {
      auto add = std::min(max_header_size - had, data.size());
      append(header_buf_, data.first(add));
      d = decode_header(header_buf_);
    }
    if (d.st == decoded_header::status::failed) {
      fail(d.err);
      break;
    }
    if (d.st == decoded_header::status::incomplete) {
      if (had == 0)
        append(header_buf_, data);
      break; // Everything given is in header_buf_ now.
    }
    data = data.subspan(d.size - had);
    header_buf_.clear();
    ++counters_.frames_received;
    body_left_ = d.value.length;
    deliver_body_ = false;
    on_header(d.value);
  }
  if (failure_)
    drop_all();
}

void session::on_header(const header& h) {
  auto kind = kind_of(h.tag);
  if (kind == frame_kind::open) {
    on_open(h);
    return;
  }
  // A frame from the stream's initiator concerns a stream the remote
  // opened; a receiver frame concerns one we opened.
  bool ours = !from_initiator(h.tag);
  auto key = key_of(h.stream, ours);
  auto* s = find(key);
  if (s == nullptr) {
    if (ours && h.stream >= next_number_)
      fail(make_error(errc::protocol,
                      fmt::format("mplex {} for stream {}, which we never "
                                  "opened",
                                  to_string(h.tag), h.stream)));
    // Otherwise the stream is gone already (a reset crossed this frame, or
    // we refused it): drop the frame.
    return;
  }
  switch (kind) {
    case frame_kind::message:
      if (s->remote_closed) {
        // Writing after Close is a protocol violation (spec, "Closing a
        // stream"); it costs the stream, not the session.
        queue_reset(s->number, s->outbound, true);
        push_event(stream_reset{stream_id{key}});
        remove_stream(key);
        return;
      }
      deliver_to_ = key;
      deliver_body_ = true;
      return;
    case frame_kind::close: on_close(*s); return;
    case frame_kind::reset: on_reset(*s); return;
    case frame_kind::open: return;
  }
}

void session::on_open(const header& h) {
  auto key = key_of(h.stream, false);
  if (find(key) != nullptr) {
    fail(make_error(errc::protocol,
                    fmt::format("mplex NewStream for stream {}, which is "
                                "already open",
                                h.stream)));
    return;
  }
  if (going_away_ || inbound_ >= cfg_.max_inbound_streams) {
    ++counters_.streams_refused;
    queue_reset(h.stream, false, true);
    return;
  }
  add_stream(h.stream, false);
  push_event(stream_opened{stream_id{key}});
}

void session::on_body(bytes_view chunk) {
  auto* s = deliver_body_ ? find(deliver_to_) : nullptr;
  if (s == nullptr) {
    counters_.data_bytes_dropped += chunk.size();
    return;
  }
  counters_.data_bytes_received += chunk.size();
  if (s->recv_buffered + chunk.size() > cfg_.max_stream_receive_buffer
      || recv_buffered_ + chunk.size() > cfg_.max_session_receive_buffer) {
    // No flow control to slow the sender down: the stream goes.
    ++counters_.streams_overrun;
    counters_.data_bytes_dropped += chunk.size();
    queue_reset(s->number, s->outbound, true);
    push_event(stream_reset{stream_id{deliver_to_}});
    remove_stream(deliver_to_);
    return;
  }
  push_data(*s, chunk);
}

void session::on_close(stream& s) {
  if (s.remote_closed)
    return; // A repeated Close changes nothing.
  s.remote_closed = true;
  auto key = key_of(s.number, s.outbound);
  push_event(stream_remote_closed{stream_id{key}});
  if (s.close_sent)
    remove_stream(key);
}

void session::on_reset(stream& s) {
  auto key = key_of(s.number, s.outbound);
  push_event(stream_reset{stream_id{key}});
  remove_stream(key);
}

} // namespace canswarm::mplex
