// Connection core, phase open: what the application asks of it (open a
// stream, ping, write, close, reset, credit) and our Identify answer.

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/connection/core.hpp"
#include "canswarm/identify/message.hpp"

namespace canswarm::connection {

bytes core::identify_answer() {
  identify::message m;
  m.protocol_version = cfg_.identify.protocol_version;
  m.agent_version = cfg_.identify.agent_version;
  m.public_key = cfg_.identify.public_key;
  m.listen_addrs = cfg_.identify.listen_addrs;
  if (!cfg_.observed_addr.empty())
    m.observed_addr = cfg_.observed_addr;
  m.protocols = supported_protocols();
  auto frame = identify::encode_frame(m);
  if (!frame) {
    emit(note{"cannot answer identify: " + frame.error().message});
    return {};
  }
  return std::move(*frame);
}

// -- application side ---------------------------------------------------------

result<void> core::open_stream(request_id req,
                               std::vector<std::string> protocols,
                               time_point deadline, time_point now) {
  now_ = now;
  if (phase_ != phase::open)
    return make_error(errc::refused,
                      fmt::format("connection is in {} phase, not open",
                                  to_string(phase_)));
  auto id = open_internal(purpose::app, std::move(protocols), req, deadline);
  if (!id)
    return id.error();
  return {};
}

result<void> core::ping(request_id req, bytes_view payload, time_point now) {
  now_ = now;
  if (phase_ != phase::open)
    return make_error(errc::refused,
                      fmt::format("connection is in {} phase, not open",
                                  to_string(phase_)));
  if (payload.size() != ping::payload_size)
    return make_error(errc::invalid_argument,
                      fmt::format("ping payload of {} bytes, need {}",
                                  payload.size(), ping::payload_size));
  auto pending = std::count_if(slots_.begin(), slots_.end(), [](auto& kv) {
    auto& s = kv.second;
    return s.kind == slot_kind::ping_out
           || (s.kind == slot_kind::negotiating_out && s.why == purpose::ping);
  });
  if (static_cast<std::size_t>(pending) >= max_pending_pings)
    return make_error(errc::refused,
                      fmt::format("{} pings outstanding (max_pending_pings)",
                                  pending));
  auto id = open_internal(purpose::ping, {std::string{ping::protocol_id}}, req,
                          no_deadline);
  if (!id)
    return id.error();
  slots_[*id].ping_payload.assign(payload.begin(), payload.end());
  return {};
}

result<void> core::check_writable(stream_id id) {
  auto* s = find(id);
  if (s == nullptr || s->kind != slot_kind::app || phase_ != phase::open)
    return make_error(errc::not_found,
                      fmt::format("no open application stream {}", id.value));
  if (s->local_closed)
    return make_error(errc::invalid_argument,
                      fmt::format("stream {} is closed for writing", id.value));
  return {};
}

result<std::size_t> core::write(stream_id id, bytes&& data, time_point now) {
  now_ = now;
  if (auto ok = check_writable(id); !ok)
    return ok.error();
  return muxer_->write(id, std::move(data), now);
}

result<std::size_t> core::write(stream_id id, bytes_view data, time_point now) {
  now_ = now;
  if (auto ok = check_writable(id); !ok)
    return ok.error();
  return muxer_->write(id, data, now);
}

result<void> core::close_stream(stream_id id) {
  auto* s = find(id);
  if (s == nullptr || s->kind != slot_kind::app)
    return make_error(errc::not_found,
                      fmt::format("no open application stream {}", id.value));
  close_slot(id, *s);
  maybe_remove(id);
  return {};
}

result<void> core::reset_stream(stream_id id) {
  auto* s = find(id);
  if (s == nullptr || s->kind != slot_kind::app)
    return make_error(errc::not_found,
                      fmt::format("no open application stream {}", id.value));
  reset_slot(id);
  return {};
}

void core::consume(stream_id id, std::size_t n, time_point now) {
  now_ = now;
  if (phase_ == phase::open)
    muxer_->consume(id, n, now);
}

} // namespace canswarm::connection
