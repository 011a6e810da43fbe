// Validation of mplex session settings.

#include "canswarm/mplex/config.hpp"

#include <fmt/format.h>

namespace canswarm::mplex {

namespace {

error bad(const char* field, std::string reason) {
  return make_error(errc::invalid_argument,
                    fmt::format("mplex config {}: {}", field, reason));
}

} // namespace

result<void> config::validate() const {
  if (max_inbound_streams == 0 || max_inbound_streams > max_streams_limit)
    return bad("max_inbound_streams",
               fmt::format("must be 1..{}", max_streams_limit));
  if (max_outbound_streams == 0 || max_outbound_streams > max_streams_limit)
    return bad("max_outbound_streams",
               fmt::format("must be 1..{}", max_streams_limit));
  if (max_frame_body == 0 || max_frame_body > max_message_size)
    return bad("max_frame_body",
               fmt::format("must be 1..{} (the message limit)",
                           max_message_size));
  if (max_stream_receive_buffer == 0)
    return bad("max_stream_receive_buffer", "must be positive");
  if (max_session_receive_buffer < max_stream_receive_buffer)
    return bad("max_session_receive_buffer",
               "must be at least max_stream_receive_buffer");
  if (max_stream_send_buffer == 0)
    return bad("max_stream_send_buffer", "must be positive");
  if (max_session_send_buffer < max_stream_send_buffer)
    return bad("max_session_send_buffer",
               "must be at least max_stream_send_buffer");
  if (max_pending_control_frames == 0)
    return bad("max_pending_control_frames", "must be positive");
  return {};
}

} // namespace canswarm::mplex
