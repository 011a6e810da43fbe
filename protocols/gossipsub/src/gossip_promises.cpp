#include "canswarm/gossipsub/gossip_promises.hpp"

#include <algorithm>

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

bool gossip_promises::add(const message_id& id, const peer_id& peer,
                          time_point deadline) {
  if (size_ >= max_gossip_promises)
    return false;
  auto& list = promises_[id];
  for (const auto& [p, d] : list)
    if (p == peer)
      return true;
  list.emplace_back(peer, deadline);
  ++size_;
  return true;
}

void gossip_promises::fulfilled(const message_id& id) {
  if (auto i = promises_.find(id); i != promises_.end()) {
    size_ -= i->second.size();
    promises_.erase(i);
  }
}

std::unordered_map<peer_id, std::size_t>
gossip_promises::broken(time_point now) {
  std::unordered_map<peer_id, std::size_t> out;
  for (auto i = promises_.begin(); i != promises_.end();) {
    auto& list = i->second;
    auto n = std::erase_if(list, [&](const auto& x) {
      if (x.second > now)
        return false;
      ++out[x.first];
      return true;
    });
    size_ -= n;
    i = list.empty() ? promises_.erase(i) : std::next(i);
  }
  return out;
}

void gossip_promises::forget(const peer_id& peer) {
  for (auto i = promises_.begin(); i != promises_.end();) {
    size_ -= std::erase_if(i->second,
                           [&](const auto& x) { return x.first == peer; });
    i = i->second.empty() ? promises_.erase(i) : std::next(i);
  }
}

} // namespace canswarm::gossipsub
