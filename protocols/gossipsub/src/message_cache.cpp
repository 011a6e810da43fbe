#include "canswarm/gossipsub/message_cache.hpp"

#include <algorithm>

#include "canswarm/gossipsub/codec.hpp"

namespace canswarm::gossipsub {

std::shared_ptr<const cached_message> make_cached(message_id id, message m) {
  auto encoded = std::make_shared<const bytes>(encode_message(m));
  return std::make_shared<const cached_message>(
    cached_message{std::move(id), std::make_shared<const message>(std::move(m)),
                   std::move(encoded)});
}

message_cache::message_cache(std::size_t history_length,
                             std::size_t history_gossip, std::size_t capacity)
    : history_length_(std::max<std::size_t>(history_length, 1)),
      history_gossip_(history_gossip),
      capacity_(std::max<std::size_t>(capacity, 1)) {
  windows_.emplace_front();
}

bool message_cache::put(std::shared_ptr<const cached_message> m) {
  if (entries_.contains(m->id))
    return false;
  if (entries_.size() >= capacity_)
    evict_oldest();
  windows_.front().push_back(m->id);
  auto id = m->id;
  entries_.emplace(std::move(id), entry{std::move(m), {}});
  return true;
}

std::shared_ptr<const cached_message>
message_cache::get(const message_id& id) const {
  if (auto i = entries_.find(id); i != entries_.end())
    return i->second.msg;
  return nullptr;
}

std::pair<iwant_lookup, std::shared_ptr<const cached_message>>
message_cache::get_for_peer(const message_id& id, const peer_id& peer,
                            std::size_t max) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return {iwant_lookup::not_found, nullptr};
  auto& serves = i->second.serves;
  auto s = std::find_if(serves.begin(), serves.end(),
                        [&](const auto& x) { return x.first == peer; });
  if (s == serves.end()) {
    serves.emplace_back(peer, 1);
  } else {
    if (s->second >= max)
      return {iwant_lookup::over_retransmit, nullptr};
    ++s->second;
  }
  return {iwant_lookup::served, i->second.msg};
}

std::vector<message_id> message_cache::gossip_ids() const {
  // Windows and entries stay consistent (shift and eviction erase both).
  std::vector<message_id> out;
  auto n = std::min(history_gossip_, windows_.size());
  for (std::size_t w = 0; w < n; ++w)
    out.insert(out.end(), windows_[w].begin(), windows_[w].end());
  return out;
}

void message_cache::shift() {
  while (windows_.size() >= history_length_) {
    for (const auto& id : windows_.back())
      entries_.erase(id);
    windows_.pop_back();
  }
  windows_.emplace_front();
}

void message_cache::evict_oldest() {
  for (auto w = windows_.rbegin(); w != windows_.rend(); ++w) {
    while (!w->empty()) {
      auto id = std::move(w->front());
      w->pop_front();
      if (entries_.erase(id) > 0)
        return;
    }
  }
}

} // namespace canswarm::gossipsub
