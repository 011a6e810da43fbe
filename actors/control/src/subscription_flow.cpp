// Flow accounting of a subscribed control connection (see
// subscription_flow.hpp).

#include "canswarm/control/subscription_flow.hpp"

namespace canswarm::control {

bool subscription_flow::admit(std::size_t n) {
  if (frames_.size() >= max_subscription_backlog
      || n > max_subscription_backlog_bytes - bytes_) {
    ++dropped_;
    return false;
  }
  frames_.push_back(n);
  bytes_ += n;
  ++written_;
  return true;
}

void subscription_flow::on_transferred(std::uint64_t remaining) {
  // The oldest frame is gone once the frames after it cover everything
  // still waiting (control bytes written earlier only come before it).
  while (!frames_.empty() && bytes_ - frames_.front() >= remaining) {
    bytes_ -= frames_.front();
    frames_.pop_front();
  }
}

} // namespace canswarm::control
