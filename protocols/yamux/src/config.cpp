#include "canswarm/yamux/config.hpp"

#include <fmt/format.h>

namespace canswarm::yamux {

namespace {

error bad(std::string msg) {
  return make_error(errc::invalid_argument, std::move(msg));
}

} // namespace

result<void> config::validate() const {
  if (max_stream_window < initial_window
      || max_stream_window > max_window_limit)
    return bad(fmt::format("max_stream_window {} not in [{}, {}]",
                           max_stream_window, initial_window,
                           max_window_limit));
  if (max_session_receive_window < max_stream_window)
    return bad(
      fmt::format("max_session_receive_window {} below max_stream_window {}",
                  max_session_receive_window, max_stream_window));
  if (max_concurrent_streams == 0 || max_concurrent_streams > max_streams_limit)
    return bad(fmt::format("max_concurrent_streams {} not in [1, {}]",
                           max_concurrent_streams, max_streams_limit));
  if (max_inbound_ack_backlog == 0
      || max_inbound_ack_backlog > max_concurrent_streams)
    return bad(fmt::format("max_inbound_ack_backlog {} not in [1, {}]",
                           max_inbound_ack_backlog, max_concurrent_streams));
  if (max_outbound_ack_backlog == 0
      || max_outbound_ack_backlog > spec_ack_backlog)
    return bad(fmt::format("max_outbound_ack_backlog {} not in [1, {}]",
                           max_outbound_ack_backlog, spec_ack_backlog));
  if (max_stream_send_buffer == 0)
    return bad("max_stream_send_buffer is 0");
  if (max_session_send_buffer < max_stream_send_buffer)
    return bad(
      fmt::format("max_session_send_buffer {} below max_stream_send_buffer {}",
                  max_session_send_buffer, max_stream_send_buffer));
  if (max_frame_body == 0 || max_frame_body > max_frame_body_limit)
    return bad(fmt::format("max_frame_body {} not in [1, {}]", max_frame_body,
                           max_frame_body_limit));
  // Room for one reply per frame type plus a GO_AWAY.
  if (max_pending_control_frames < 4)
    return bad(fmt::format("max_pending_control_frames {} below 4",
                           max_pending_control_frames));
  if (keep_alive_interval < duration::zero())
    return bad("keep_alive_interval is negative");
  if (ping_timeout <= duration::zero())
    return bad("ping_timeout must be positive");
  if (write_timeout < duration::zero())
    return bad("write_timeout is negative");
  return {};
}

} // namespace canswarm::yamux
