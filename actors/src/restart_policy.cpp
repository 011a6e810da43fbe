#include "canswarm/actors/restart_policy.hpp"

#include <stdexcept>
#include <string>

namespace canswarm::supervision {

const char* to_string(strategy x) {
  switch (x) {
    case strategy::one_for_one: return "one_for_one";
    case strategy::rest_for_one: return "rest_for_one";
  }
  return "unknown";
}

result<void> policy_config::validate() const {
  if (max_restarts > max_intensity)
    return make_error(errc::invalid_argument,
                      "max_restarts " + std::to_string(max_restarts)
                        + " is over the limit of "
                        + std::to_string(max_intensity));
  if (period <= duration::zero())
    return make_error(errc::invalid_argument,
                      "restart period must be positive");
  return {};
}

restart_policy::restart_policy(policy_config cfg) : cfg_(cfg) {
  if (auto ok = cfg_.validate(); !ok)
    throw std::invalid_argument(ok.error().message);
}

void restart_policy::expire(time_point now) {
  // A restart at time t counts while now - t < period (the window is the
  // half-open interval (now - period, now]).
  while (!window_.empty() && now - window_.front() >= cfg_.period)
    window_.pop_front();
}

std::size_t restart_policy::restarts_in_window(time_point now) const {
  std::size_t n = 0;
  for (auto t : window_)
    if (now - t < cfg_.period)
      ++n;
  return n;
}

decision restart_policy::on_child_failure(std::size_t child_index,
                                          std::size_t child_count,
                                          time_point now) {
  decision result;
  if (child_index >= child_count) {
    // A failure of a child the supervisor does not know is a supervisor bug;
    // the safe reaction is to escalate rather than guess.
    result.escalate = true;
    return result;
  }
  expire(now);
  if (window_.size() >= cfg_.max_restarts) {
    result.escalate = true;
    return result;
  }
  window_.push_back(now);
  auto last = cfg_.strategy == strategy::rest_for_one ? child_count
                                                      : child_index + 1;
  for (auto i = child_index; i < last; ++i)
    result.restart.push_back(i);
  return result;
}

} // namespace canswarm::supervision
