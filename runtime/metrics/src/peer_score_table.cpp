#include "canswarm/metrics/peer_score_table.hpp"

#include <algorithm>

namespace canswarm::metrics {

peer_score_table::peer_score_table(std::size_t tracked_cap,
                                   std::size_t known_cap)
    : tracked_cap_(tracked_cap), known_cap_(std::max(tracked_cap, known_cap)) {}

peer_score_update peer_score_table::set(std::string_view peer, double score) {
  peer_score_update result;
  if (auto i = index_.find(peer); i != index_.end()) {
    auto& s = i->second;
    if (s.tracked) {
      s.pos->score = score;
      tracked_.splice(tracked_.begin(), tracked_, s.pos);
      return result;
    }
    // Aggregated: take it out of the average and make it the most recent.
    aggregated_sum_ -= s.pos->score;
    s.pos->score = score;
    tracked_.splice(tracked_.begin(), aggregated_, s.pos);
    s.tracked = true;
    if (aggregated_.empty())
      aggregated_sum_ = 0; // drop accumulated rounding error
  } else {
    tracked_.push_front(entry{std::string{peer}, score});
    index_.emplace(std::string{peer}, slot{true, tracked_.begin()});
  }
  if (tracked_cap_ == 0) {
    // Nothing is tracked one by one: everything goes to the aggregate.
    auto& s = index_.find(peer)->second;
    aggregated_sum_ += score;
    aggregated_.splice(aggregated_.begin(), tracked_, s.pos);
    s.tracked = false;
    forget_overflow();
    return result;
  }
  result.newly_tracked = true;
  result.demoted = demote_overflow();
  forget_overflow();
  return result;
}

peer_score_removal peer_score_table::forget(std::string_view peer) {
  peer_score_removal result;
  auto i = index_.find(peer);
  if (i == index_.end())
    return result;
  if (!i->second.tracked) {
    erase_aggregated(i->second.pos);
    return result;
  }
  result.was_tracked = true;
  tracked_.erase(i->second.pos);
  index_.erase(i);
  if (!aggregated_.empty()) {
    // Keep "tracked = the most recent peers": promote the newest aggregated.
    auto pos = aggregated_.begin();
    result.promoted.emplace(pos->peer, pos->score);
    aggregated_sum_ -= pos->score;
    auto& s = index_.find(pos->peer)->second;
    tracked_.splice(tracked_.end(), aggregated_, pos);
    s.tracked = true;
    if (aggregated_.empty())
      aggregated_sum_ = 0;
  }
  return result;
}

bool peer_score_table::is_tracked(std::string_view peer) const {
  auto i = index_.find(peer);
  return i != index_.end() && i->second.tracked;
}

std::optional<double> peer_score_table::score(std::string_view peer) const {
  if (auto i = index_.find(peer); i != index_.end())
    return i->second.pos->score;
  return std::nullopt;
}

double peer_score_table::aggregated_mean() const noexcept {
  if (aggregated_.empty())
    return 0;
  return aggregated_sum_ / static_cast<double>(aggregated_.size());
}

std::optional<std::string> peer_score_table::demote_overflow() {
  if (tracked_.size() <= tracked_cap_)
    return std::nullopt;
  auto pos = std::prev(tracked_.end());
  auto& s = index_.find(pos->peer)->second;
  aggregated_sum_ += pos->score;
  aggregated_.splice(aggregated_.begin(), tracked_, pos);
  s.tracked = false;
  return pos->peer;
}

void peer_score_table::forget_overflow() {
  while (index_.size() > known_cap_ && !aggregated_.empty())
    erase_aggregated(std::prev(aggregated_.end()));
}

void peer_score_table::erase_aggregated(list::iterator pos) {
  aggregated_sum_ -= pos->score;
  index_.erase(index_.find(pos->peer));
  aggregated_.erase(pos);
  if (aggregated_.empty())
    aggregated_sum_ = 0;
}

} // namespace canswarm::metrics
