#pragma once

// Helpers for yamux tests: frame building / parsing and event draining.

#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "canswarm/yamux/frame.hpp"
#include "canswarm/yamux/session.hpp"

namespace canswarm::yamux::test {

/// A frame parsed out of session output.
struct frame {
  header h;
  bytes body;
};

/// Encodes a frame (header + body; the length field is taken as given).
inline bytes make_frame(header h, bytes_view body = {}) {
  auto out = encode_header(h);
  append(out, body);
  return out;
}

/// Splits complete output into frames (REQUIRE-fails on bad framing).
inline std::vector<frame> parse_frames(bytes_view in) {
  std::vector<frame> out;
  while (!in.empty()) {
    REQUIRE(in.size() >= header_size);
    auto h = decode_header(in);
    REQUIRE(h);
    in = in.subspan(header_size);
    frame f{*h, {}};
    if (h->type == frame_type::data) {
      REQUIRE(in.size() >= h->length);
      f.body.assign(in.begin(), in.begin() + h->length);
      in = in.subspan(h->length);
    }
    out.push_back(std::move(f));
  }
  return out;
}

/// Drains and parses a session's output.
inline std::vector<frame> output_frames(session& s) {
  auto out = s.take_output();
  return parse_frames(out);
}

/// Drains a session's events.
inline std::vector<event> drain(session& s) {
  std::vector<event> out;
  while (auto ev = s.poll_event())
    out.push_back(std::move(*ev));
  return out;
}

/// Returns the first event of type T, if any.
template<class T>
std::optional<T> first_of(const std::vector<event>& evs) {
  for (const auto& ev : evs)
    if (const auto* x = std::get_if<T>(&ev))
      return *x;
  return std::nullopt;
}

/// Counts events of type T.
template<class T>
std::size_t count_of(const std::vector<event>& evs) {
  std::size_t n = 0;
  for (const auto& ev : evs)
    n += std::holds_alternative<T>(ev) ? 1 : 0;
  return n;
}

/// Concatenates all data events for `id`.
inline bytes data_of(const std::vector<event>& evs, stream_id id) {
  bytes out;
  for (const auto& ev : evs)
    if (const auto* d = std::get_if<stream_data>(&ev); d && d->id == id)
      append(out, d->data);
  return out;
}

/// A config without the start-up RTT ping, so outputs are exactly the
/// frames a test provokes.
inline config quiet_config() {
  config cfg;
  cfg.rtt_ping = false;
  return cfg;
}

/// An arbitrary fixed start of virtual time.
inline time_point t0() {
  return time_point{std::chrono::hours{1}};
}

} // namespace canswarm::yamux::test
