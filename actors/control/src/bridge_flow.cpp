// Flow accounting of a bridged stream (see bridge_flow.hpp).

#include "canswarm/control/bridge_flow.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace canswarm::control {

void bridge_flow::on_write_issued(std::size_t n) {
  write_backlog_ += n;
  ++pending_writes_;
}

void bridge_flow::on_write_done(std::size_t n) {
  write_backlog_ -= std::min(n, write_backlog_);
  if (pending_writes_ > 0)
    --pending_writes_;
}

void bridge_flow::on_control_bytes(std::size_t n) {
  control_pending_ += n;
}

result<void> bridge_flow::on_stream_data(std::size_t n) {
  if (n > max_bridge_socket_backlog - socket_backlog_)
    return make_error(errc::protocol,
                      fmt::format("{} stream bytes waiting for the local "
                                  "socket, more than "
                                  "max_bridge_socket_backlog ({})",
                                  socket_backlog_ + n,
                                  max_bridge_socket_backlog));
  socket_backlog_ += n;
  return {};
}

std::uint64_t bridge_flow::on_transferred(std::uint64_t n) {
  auto control = std::min<std::uint64_t>(n, control_pending_);
  control_pending_ -= static_cast<std::size_t>(control);
  auto data = std::min<std::uint64_t>(n - control, socket_backlog_);
  socket_backlog_ -= static_cast<std::size_t>(data);
  return data;
}

std::size_t bridge_flow::on_socket_gone() {
  socket_gone_ = true;
  control_pending_ = 0;
  return std::exchange(socket_backlog_, 0);
}

} // namespace canswarm::control
