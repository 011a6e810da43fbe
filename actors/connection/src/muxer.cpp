// The muxer adapter (muxer.hpp) and the muxer names (upgrade.hpp).

#include "canswarm/connection/muxer.hpp"

#include <fmt/format.h>

#include "canswarm/mplex/frame.hpp"

namespace canswarm::connection {

const char* to_string(muxer_kind k) {
  return k == muxer_kind::yamux ? "yamux" : "mplex";
}

std::string_view protocol_id(muxer_kind k) {
  return k == muxer_kind::yamux ? std::string_view{"/yamux/1.0.0"}
                                : mplex::protocol_id;
}

result<muxer_kind> parse_muxer(std::string_view name) {
  for (auto k : {muxer_kind::yamux, muxer_kind::mplex})
    if (name == to_string(k))
      return k;
  return make_error(errc::invalid_argument,
                    fmt::format("unknown stream muxer \"{}\": expected yamux "
                                "or mplex",
                                name));
}

namespace {

using impl_type = std::variant<yamux::session, mplex::session>;

impl_type make_impl(muxer_kind kind, bool client, const yamux::config& ycfg,
                    const mplex::config& mcfg) {
  if (kind == muxer_kind::yamux)
    return impl_type{std::in_place_type<yamux::session>,
                     client ? yamux::role::client : yamux::role::server, ycfg};
  return impl_type{std::in_place_type<mplex::session>,
                   client ? mplex::role::client : mplex::role::server, mcfg};
}

/// mplex's events as yamux's.
muxer_event convert(mplex::event&& ev) {
  return std::visit(
    [](auto&& x) -> muxer_event {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, mplex::stream_opened>)
        return yamux::stream_opened{x.id};
      else if constexpr (std::is_same_v<T, mplex::stream_data>)
        return yamux::stream_data{x.id, std::move(x.data)};
      else if constexpr (std::is_same_v<T, mplex::stream_remote_closed>)
        return yamux::stream_remote_closed{x.id};
      else if constexpr (std::is_same_v<T, mplex::stream_reset>)
        return yamux::stream_reset{x.id};
      else if constexpr (std::is_same_v<T, mplex::stream_writable>)
        return yamux::stream_writable{x.id};
      else
        return yamux::session_error{std::move(x.err)};
    },
    std::move(ev));
}

} // namespace

muxer::muxer(muxer_kind kind, bool client, const yamux::config& ycfg,
             const mplex::config& mcfg)
    : impl_(make_impl(kind, client, ycfg, mcfg)) {}

void muxer::handle_input(bytes_view data, time_point now) {
  std::visit([&](auto& s) { s.handle_input(data, now); }, impl_);
}

void muxer::poll_transmit(bytes& out, std::size_t max_bytes) {
  std::visit([&](auto& s) { s.poll_transmit(out, max_bytes); }, impl_);
}

bool muxer::wants_transmit() const {
  return std::visit([](const auto& s) { return s.wants_transmit(); }, impl_);
}

std::optional<muxer_event> muxer::poll_event() {
  if (auto* y = std::get_if<yamux::session>(&impl_))
    return y->poll_event();
  auto ev = std::get<mplex::session>(impl_).poll_event();
  if (!ev)
    return std::nullopt;
  return convert(std::move(*ev));
}

result<stream_id> muxer::open_stream() {
  return std::visit([](auto& s) { return s.open_stream(); }, impl_);
}

result<std::size_t> muxer::write(stream_id id, bytes_view data,
                                 time_point now) {
  return std::visit([&](auto& s) { return s.write(id, data, now); }, impl_);
}

result<std::size_t> muxer::write(stream_id id, bytes&& data, time_point now) {
  return std::visit([&](auto& s) { return s.write(id, std::move(data), now); },
                    impl_);
}

result<void> muxer::close(stream_id id) {
  return std::visit([id](auto& s) { return s.close(id); }, impl_);
}

result<void> muxer::reset(stream_id id) {
  return std::visit([id](auto& s) { return s.reset(id); }, impl_);
}

void muxer::consume(stream_id id, std::size_t n, time_point now) {
  std::visit([&](auto& s) { s.consume(id, n, now); }, impl_);
}

void muxer::go_away() {
  std::visit([](auto& s) { s.go_away(); }, impl_);
}

time_point muxer::poll_timeout() const {
  if (auto* y = std::get_if<yamux::session>(&impl_))
    return y->poll_timeout();
  return no_deadline; // mplex has no timers.
}

void muxer::handle_timeout(time_point now) {
  if (auto* y = std::get_if<yamux::session>(&impl_))
    y->handle_timeout(now);
}

muxer_stats muxer::stats() const {
  if (auto* y = std::get_if<yamux::session>(&impl_)) {
    auto x = y->stats();
    return {x.streams, x.send_buffered, x.total_recv_window};
  }
  auto x = std::get<mplex::session>(impl_).stats();
  return {x.streams, x.send_buffered, x.recv_buffered};
}

std::size_t muxer::unconsumed() const {
  if (auto* m = std::get_if<mplex::session>(&impl_))
    return m->stats().recv_buffered;
  return 0;
}

std::optional<muxer_stream_stats> muxer::stream_info(stream_id id) const {
  if (auto* y = std::get_if<yamux::session>(&impl_)) {
    auto x = y->stream_info(id);
    if (!x)
      return std::nullopt;
    return muxer_stream_stats{x->send_buffered, x->recv_buffered,
                              x->send_window, x->recv_window};
  }
  auto x = std::get<mplex::session>(impl_).stream_info(id);
  if (!x)
    return std::nullopt;
  return muxer_stream_stats{x->send_buffered, x->recv_buffered, std::nullopt,
                            std::nullopt};
}

} // namespace canswarm::connection
