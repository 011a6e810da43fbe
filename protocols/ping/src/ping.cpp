#include "canswarm/ping/ping.hpp"

#include <algorithm>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace canswarm::ping {

pinger::pinger(duration timeout) : timeout_(timeout) {}

error pinger::fail(error err) {
  failed_ = true;
  outstanding_ = false;
  failure_ = err;
  return err;
}

result<bytes> pinger::start(bytes_view random32, time_point now) {
  if (failed_)
    return failure_;
  if (outstanding_)
    return make_error(errc::invalid_argument, "a ping is already outstanding");
  if (random32.size() != payload_size)
    return make_error(errc::invalid_argument,
                      fmt::format("ping payload must be {} bytes, got {}",
                                  payload_size, random32.size()));
  std::copy(random32.begin(), random32.end(), payload_.begin());
  received_ = 0;
  sent_at_ = now;
  outstanding_ = true;
  return bytes{random32.begin(), random32.end()};
}

result<std::optional<duration>> pinger::handle_input(bytes_view data,
                                                     time_point now) {
  if (failed_)
    return failure_;
  if (data.empty())
    return std::optional<duration>{};
  if (!outstanding_)
    return fail(
      make_error(errc::protocol, fmt::format("received {} bytes with no ping "
                                             "outstanding",
                                             data.size())));
  auto wanted = payload_size - received_;
  auto take = std::min(wanted, data.size());
  for (std::size_t i = 0; i < take; ++i) {
    if (data[i] != payload_[received_ + i])
      return fail(make_error(errc::protocol,
                             fmt::format("echo differs from the ping payload "
                                         "at byte {}",
                                         received_ + i)));
  }
  received_ += take;
  if (data.size() > take)
    return fail(make_error(errc::protocol,
                           fmt::format("{} bytes beyond the {}-byte echo",
                                       data.size() - take, payload_size)));
  if (received_ < payload_size)
    return std::optional<duration>{};
  outstanding_ = false;
  return std::optional<duration>{now - sent_at_};
}

time_point pinger::poll_timeout() const {
  return outstanding_ ? sent_at_ + timeout_ : no_deadline;
}

result<void> pinger::handle_timeout(time_point now) {
  if (!outstanding_ || now < poll_timeout())
    return {};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_);
  return fail(
    make_error(errc::timeout, fmt::format("no echo within {} ({} of {} bytes "
                                          "received)",
                                          ms, received_, payload_size)));
}

responder::responder(time_point now, duration idle_timeout)
    : idle_timeout_(idle_timeout), last_ping_(now) {}

bytes responder::handle_input(bytes_view data, time_point now) {
  bytes out;
  while (!data.empty()) {
    auto take = std::min(payload_size - partial_size_, data.size());
    std::copy_n(data.begin(), take, partial_.begin() + partial_size_);
    partial_size_ += take;
    data = data.subspan(take);
    if (partial_size_ == payload_size) {
      out.insert(out.end(), partial_.begin(), partial_.end());
      partial_size_ = 0;
      ++echoed_;
      last_ping_ = now;
    }
  }
  return out;
}

} // namespace canswarm::ping
