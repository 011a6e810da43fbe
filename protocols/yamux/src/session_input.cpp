// Frame parser of the yamux session: headers are validated as soon as their
// 12 bytes are in (so an oversize DATA length fails before any body is
// buffered), DATA bodies are delivered piecewise as they arrive.

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/yamux/session.hpp"

namespace canswarm::yamux {

namespace {

error protocol_error(std::string msg) {
  return make_error(errc::protocol, std::move(msg));
}

error window_error(std::uint32_t length, std::uint32_t window,
                   std::uint32_t id) {
  return make_error(errc::too_large,
                    fmt::format("DATA frame of {} bytes exceeds the receive "
                                "window of {} on stream {}",
                                length, window, id));
}

} // namespace

void session::handle_input(bytes_view in, time_point now) {
  advance(now);
  while (!in.empty() && !failure_) {
    if (body_left_ > 0) {
      auto n = std::min<std::size_t>(in.size(), body_left_);
      on_body(in.first(n), in.size() - n);
      in = in.subspan(n);
      body_left_ -= static_cast<std::uint32_t>(n);
      if (body_left_ == 0)
        finish_data_frame();
      continue;
    }
    bytes_view raw_header;
    if (header_have_ == 0 && in.size() >= header_size) {
      raw_header = in.first(header_size);
      in = in.subspan(header_size);
    } else {
      auto n = std::min(in.size(), header_size - header_have_);
      std::copy_n(in.begin(), n, header_buf_.begin() + header_have_);
      header_have_ += n;
      in = in.subspan(n);
      if (header_have_ < header_size)
        return;
      header_have_ = 0;
      raw_header = header_buf_;
    }
    auto h = decode_header(raw_header);
    if (!h) {
      fail(h.error());
      return;
    }
    ++counters_.frames_received;
    on_header(*h);
  }
}

void session::on_header(const header& h) {
  switch (h.type) {
    case frame_type::ping: on_ping(h); break;
    case frame_type::go_away:
      if (!go_away_received_) {
        go_away_received_ = true;
        push_event(go_away_received{h.length});
      }
      break;
    case frame_type::data:
    case frame_type::window_update: on_stream_frame(h); break;
  }
}

bool session::is_remote_id(std::uint32_t id) const {
  auto odd = (id & 1) == 1;
  return role_ == role::client ? !odd : odd;
}

bool session::was_opened(std::uint32_t id) const {
  return is_remote_id(id) ? id <= max_remote_id_ : id < next_local_id_;
}

void session::on_stream_frame(const header& h) {
  stream* s = nullptr;
  if (h.has(flag_syn)) {
    s = open_inbound(h);
    if (failure_)
      return;
  } else {
    s = find(h.stream);
    if (s == nullptr && !was_opened(h.stream)) {
      fail(protocol_error(fmt::format("{} frame for stream {} that was never "
                                      "opened",
                                      to_string(h.type), h.stream)));
      return;
    }
  }
  if (h.type == frame_type::data) {
    current_ = h;
    deliver_body_ = false;
    if (s == nullptr) {
      // Stale (closed or reset) or refused stream: skip the body, which the
      // peer could at most have sent within the largest window we grant.
      if (h.length > cfg_.max_stream_window) {
        fail(window_error(h.length, cfg_.max_stream_window, h.stream));
        return;
      }
    } else {
      if (s->remote_closed && h.length > 0) {
        fail(
          protocol_error(fmt::format("DATA after FIN on stream {}", h.stream)));
        return;
      }
      if (h.length > s->recv_avail) {
        fail(window_error(h.length, s->recv_avail, h.stream));
        return;
      }
      s->recv_avail -= h.length;
      s->recv_buffered += h.length;
      deliver_body_ = true;
      apply_ack(*s, h);
    }
    body_left_ = h.length;
    if (body_left_ == 0)
      finish_data_frame();
    return;
  }
  // WINDOW_UPDATE.
  if (s == nullptr)
    return;
  apply_ack(*s, h);
  if (h.length > 0) {
    if (s->send_window + h.length > 0xffffffffu) {
      fail(protocol_error(fmt::format("window update of {} overflows the "
                                      "send window of {} on stream {}",
                                      h.length, s->send_window, h.stream)));
      return;
    }
    s->send_window += h.length;
    schedule(*s);
  }
  apply_fin_rst(*s, h);
}

session::stream* session::open_inbound(const header& h) {
  auto id = h.stream;
  if (!is_remote_id(id)) {
    fail(protocol_error(
      fmt::format("remote opened stream {}, which has our parity ({} ids)", id,
                  role_ == role::client ? "odd" : "even")));
    return nullptr;
  }
  if (find(id) != nullptr) {
    fail(protocol_error(fmt::format("SYN for stream {} which is open", id)));
    return nullptr;
  }
  if (h.type == frame_type::data && h.length > initial_window) {
    fail(window_error(h.length, initial_window, id));
    return nullptr;
  }
  max_remote_id_ = std::max(max_remote_id_, id);
  if (go_away_sent_ || go_away_received_
      || streams_.size() >= cfg_.max_concurrent_streams
      || inbound_unacked_ >= cfg_.max_inbound_ack_backlog) {
    ++counters_.streams_refused;
    // Once either side sent GO_AWAY, refused streams are not charged:
    // opens can cross our GO_AWAY in flight, and a remote's GO_AWAY can
    // overtake the SYNs of streams it opened before (control frames go
    // first). fuzz_yamux_session found both: an honest pair failed after
    // 65 such refusals. The session ends anyway once its streams are gone.
    if (!go_away_sent_ && !go_away_received_
        && ++refusals_charged_ > cfg_.max_refused_streams) {
      fail(protocol_error(fmt::format(
        "the remote opened {} streams beyond the bounds ({} live streams, "
        "{} unacknowledged inbound; max_concurrent_streams {}, "
        "max_inbound_ack_backlog {}): max_refused_streams {} exceeded",
        refusals_charged_, streams_.size(), inbound_unacked_,
        cfg_.max_concurrent_streams, cfg_.max_inbound_ack_backlog,
        cfg_.max_refused_streams)));
      return nullptr;
    }
    queue_control(header{protocol_version, frame_type::window_update, flag_rst,
                         id, 0},
                  true);
    return nullptr;
  }
  auto& s = add_stream(id, false);
  s.ack_pending = true;
  ++inbound_unacked_;
  // The charge counts refusals in a row: a busy but honest peer whose view
  // of our live streams lags makes room in between, a flood does not.
  refusals_charged_ = 0;
  push_event(stream_opened{stream_id{id}});
  return failure_ ? nullptr : &s;
}

void session::on_body(bytes_view chunk, std::size_t input_left) {
  if (!deliver_body_)
    return;
  if (find(current_.stream) == nullptr)
    return; // Reset locally while its body was arriving.
  counters_.data_bytes_received += chunk.size();
  // Reserve for what may follow in this input (more frames of the stream).
  auto expected = chunk.size()
                  + std::max<std::size_t>(body_left_ - chunk.size(),
                                          input_left);
  push_data(current_.stream, chunk, expected);
}

void session::finish_data_frame() {
  if (!deliver_body_)
    return;
  if (auto* s = find(current_.stream))
    apply_fin_rst(*s, current_);
}

void session::apply_ack(stream& s, const header& h) {
  if (h.has(flag_ack) && s.outbound && !s.remote_acked) {
    s.remote_acked = true;
    --outbound_unacked_;
  }
}

void session::apply_fin_rst(stream& s, const header& h) {
  // Update state before queueing the event: a full event queue fails the
  // session, which drops `s`.
  auto id = s.id;
  if (h.has(flag_rst)) {
    remove_stream(id);
    push_event(stream_reset{stream_id{id}});
    return;
  }
  if (h.has(flag_fin) && !s.remote_closed) {
    s.remote_closed = true;
    if (s.fin_sent)
      remove_stream(id);
    push_event(stream_remote_closed{stream_id{id}});
  }
}

void session::on_ping(const header& h) {
  if (h.has(flag_syn)) {
    queue_control(header{protocol_version, frame_type::ping, flag_ack, 0,
                         h.length},
                  true);
    return;
  }
  if (ping_opaque_ && *ping_opaque_ == h.length) {
    ping_opaque_.reset();
    rtt_ = now_ - ping_sent_;
    push_event(ping_rtt{*rtt_});
  }
}

} // namespace canswarm::yamux
