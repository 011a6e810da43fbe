#include "canswarm/gossipsub/outbound_queue.hpp"

#include <algorithm>

#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/varint/varint.hpp"

namespace canswarm::gossipsub {

namespace {

// Room reserved for the ControlMessage field header (tag + up to 5 bytes of
// length) while entries are being added.
constexpr std::size_t control_header_reserve = 6;

} // namespace

outbound_queue::outbound_queue(std::size_t max_body) : max_body_(max_body) {}

bool outbound_queue::push_message(std::shared_ptr<const cached_message> m) {
  if (messages_.size() >= max_pending_messages_per_peer) {
    ++dropped_;
    return false;
  }
  messages_.push_back(std::move(m));
  return true;
}

void outbound_queue::push_subscription(const std::string& topic,
                                       bool subscribe) {
  for (auto& s : subscriptions_)
    if (s.topic == topic) {
      s.subscribe = subscribe;
      return;
    }
  subscriptions_.push_back(sub_opts{subscribe, topic});
}

void outbound_queue::push_graft(const std::string& topic) {
  std::erase_if(prunes_, [&](const auto& p) { return p.topic == topic; });
  if (std::find(grafts_.begin(), grafts_.end(), topic) == grafts_.end())
    grafts_.push_back(topic);
}

void outbound_queue::push_prune(control_prune prune) {
  std::erase(grafts_, prune.topic);
  for (auto& p : prunes_)
    if (p.topic == prune.topic) {
      p = std::move(prune);
      return;
    }
  prunes_.push_back(std::move(prune));
}

template<class Entry>
bool outbound_queue::push_ids(fifo<Entry>& queue, Entry proto,
                              const std::vector<message_id>& ids) {
  // Each entry stays well under a frame so that it always fits one.
  const std::size_t entry_budget = max_body_ / 4;
  bool all = true;
  Entry current = proto;
  std::size_t size = payload_size(current);
  for (const auto& id : ids) {
    if (pending_ids_ >= max_pending_control_ids_per_peer) {
      ++dropped_;
      all = false;
      continue;
    }
    auto add = field_size(id.size());
    if (!current.ids.empty() && size + add > entry_budget) {
      queue.push_back(std::move(current));
      current = proto;
      size = payload_size(current);
    }
    current.ids.push_back(id);
    size += add;
    ++pending_ids_;
  }
  if (!current.ids.empty())
    queue.push_back(std::move(current));
  return all;
}

bool outbound_queue::push_ihave(const std::string& topic,
                                const std::vector<message_id>& ids) {
  return push_ids(ihaves_, control_ihave{topic, {}}, ids);
}

bool outbound_queue::push_iwant(const std::vector<message_id>& ids) {
  return push_ids(iwants_, control_iwant{}, ids);
}

bool outbound_queue::empty() const {
  return subscriptions_.empty() && grafts_.empty() && prunes_.empty()
         && ihaves_.empty() && iwants_.empty() && messages_.empty();
}

bool outbound_queue::has_graft(const std::string& topic) const {
  return std::find(grafts_.begin(), grafts_.end(), topic) != grafts_.end();
}

bool outbound_queue::has_prune(const std::string& topic) const {
  return std::any_of(prunes_.begin(), prunes_.end(),
                     [&](const auto& p) { return p.topic == topic; });
}

void outbound_queue::clear() {
  subscriptions_.clear();
  grafts_.clear();
  prunes_.clear();
  ihaves_.clear();
  iwants_.clear();
  messages_.clear();
  pending_ids_ = 0;
}

std::optional<bytes> outbound_queue::pop_frame() {
  while (!empty()) {
    std::size_t used = 0;
    auto fits = [&](std::size_t n) { return used + n <= max_body_; };
    // Subscriptions first (they must precede GRAFTs on the wire).
    std::size_t nsubs = 0;
    while (nsubs < subscriptions_.size()) {
      auto n = field_size(payload_size(subscriptions_[nsubs]));
      if (!fits(n))
        break;
      used += n;
      ++nsubs;
    }
    // Control entries.
    control_message ctl;
    auto add_control = [&](std::size_t payload) {
      auto n = field_size(payload) + (ctl.empty() ? control_header_reserve : 0);
      if (!fits(n))
        return false;
      used += n;
      return true;
    };
    while (!grafts_.empty()
           && add_control(payload_size(control_graft{grafts_.front()}))) {
      ctl.graft.push_back(control_graft{std::move(grafts_.front())});
      grafts_.erase(grafts_.begin());
    }
    while (!prunes_.empty() && add_control(payload_size(prunes_.front()))) {
      ctl.prune.push_back(std::move(prunes_.front()));
      prunes_.erase(prunes_.begin());
    }
    while (!ihaves_.empty() && add_control(payload_size(ihaves_.front()))) {
      pending_ids_ -= ihaves_.front().ids.size();
      ctl.ihave.push_back(std::move(ihaves_.front()));
      ihaves_.pop_front();
    }
    while (!iwants_.empty() && add_control(payload_size(iwants_.front()))) {
      pending_ids_ -= iwants_.front().ids.size();
      ctl.iwant.push_back(std::move(iwants_.front()));
      iwants_.pop_front();
    }
    // Messages.
    std::vector<std::shared_ptr<const bytes>> msgs;
    while (!messages_.empty()) {
      auto n = field_size(messages_.front()->encoded->size());
      if (!fits(n))
        break;
      used += n;
      msgs.push_back(messages_.front()->encoded);
      messages_.pop_front();
    }
    if (nsubs == 0 && ctl.empty() && msgs.empty()) {
      // The head item alone is over the frame size: drop it.
      if (messages_.empty()) {
        clear();
        ++dropped_;
        return std::nullopt;
      }
      messages_.pop_front();
      ++dropped_;
      continue;
    }
    std::span<const sub_opts> subs{subscriptions_.data(), nsubs};
    std::size_t body = 0;
    for (const auto& s : subs)
      body += field_size(payload_size(s));
    if (!ctl.empty())
      body += field_size(payload_size(ctl));
    for (const auto& m : msgs)
      body += field_size(m->size());
    bytes out;
    out.reserve(varint::encoded_size(body) + body);
    varint::encode(body, out);
    encode_rpc(rpc_parts{subs, msgs, &ctl}, out);
    subscriptions_.erase(subscriptions_.begin(),
                         subscriptions_.begin()
                           + static_cast<std::ptrdiff_t>(nsubs));
    return out;
  }
  return std::nullopt;
}

} // namespace canswarm::gossipsub
