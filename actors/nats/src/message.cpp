// nats.c wrapper: the message and subscription handles.

#include <fmt/format.h>

#include "client_impl.hpp"

namespace canswarm::nats {

using namespace detail;

namespace {

/// JetStream messages carry an ack subject of this form as reply.
constexpr std::string_view js_ack_prefix = "$JS.ACK.";

result<void> js_only(const message& m, std::string_view what) {
  if (!m.valid() || !m.from_jetstream())
    return make_error(errc::invalid_argument,
                      fmt::format("nats {}: not a JetStream message", what));
  return {};
}

} // namespace

std::string_view message::subject() const {
  auto s = natsMsg_GetSubject(state_->msg);
  return s == nullptr ? std::string_view{} : std::string_view{s};
}

std::string_view message::reply() const {
  auto s = natsMsg_GetReply(state_->msg);
  return s == nullptr ? std::string_view{} : std::string_view{s};
}

bytes_view message::data() const {
  auto p = natsMsg_GetData(state_->msg);
  auto n = natsMsg_GetDataLength(state_->msg);
  if (p == nullptr || n <= 0)
    return {};
  return {reinterpret_cast<const std::uint8_t*>(p),
          static_cast<std::size_t>(n)};
}

std::optional<std::string> message::header(std::string_view key) const {
  std::string k{key};
  const char* value = nullptr;
  if (natsMsgHeader_Get(state_->msg, k.c_str(), &value) != NATS_OK
      || value == nullptr)
    return std::nullopt;
  return std::string{value};
}

bool message::from_jetstream() const {
  return reply().starts_with(js_ack_prefix);
}

result<void> message::ack() const {
  if (auto ok = js_only(*this, "ack"); !ok)
    return ok;
  if (auto s = natsMsg_Ack(state_->msg, nullptr); s != NATS_OK)
    return to_error(s, "nats ack");
  return {};
}

result<void> message::term() const {
  if (auto ok = js_only(*this, "term"); !ok)
    return ok;
  if (auto s = natsMsg_Term(state_->msg, nullptr); s != NATS_OK)
    return to_error(s, "nats term");
  return {};
}

result<void> message::nak() const {
  if (auto ok = js_only(*this, "nak"); !ok)
    return ok;
  if (auto s = natsMsg_Nak(state_->msg, nullptr); s != NATS_OK)
    return to_error(s, "nats nak");
  return {};
}

const std::string& subscription::subject() const {
  return state_->subject;
}

result<void> subscription::unsubscribe() {
  if (!valid() || state_->handle->sub == nullptr)
    return make_error(errc::invalid_argument, "nats unsubscribe: no "
                                              "subscription");
  auto s = natsSubscription_Unsubscribe(state_->handle->sub);
  if (s != NATS_OK)
    return to_error(s,
                    fmt::format("nats unsubscribe from {}", state_->subject));
  return {};
}

std::uint64_t subscription::dropped() const {
  int64_t n = 0;
  if (!valid() || state_->handle->sub == nullptr
      || natsSubscription_GetDropped(state_->handle->sub, &n) != NATS_OK)
    return 0;
  return static_cast<std::uint64_t>(n);
}

} // namespace canswarm::nats
