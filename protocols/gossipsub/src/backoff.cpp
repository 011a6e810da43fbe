#include "canswarm/gossipsub/backoff.hpp"

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

bool backoff_table::set(const std::string& topic, const peer_id& peer,
                        time_point until) {
  key k{topic, peer};
  if (auto i = entries_.find(k); i != entries_.end()) {
    if (i->second < until)
      i->second = until;
    return true;
  }
  if (entries_.size() >= max_backoff_entries) {
    ++refused_;
    return false;
  }
  entries_.emplace(std::move(k), until);
  return true;
}

std::optional<time_point> backoff_table::expiry(const std::string& topic,
                                                const peer_id& peer) const {
  if (auto i = entries_.find(key{topic, peer}); i != entries_.end())
    return i->second;
  return std::nullopt;
}

bool backoff_table::active(const std::string& topic, const peer_id& peer,
                           time_point now, duration slack) const {
  auto until = expiry(topic, peer);
  return until && *until + slack > now;
}

void backoff_table::expire(time_point now, duration slack) {
  std::erase_if(entries_,
                [&](const auto& kv) { return kv.second + slack <= now; });
}

} // namespace canswarm::gossipsub
