#pragma once

// Internal: the part of a prometheus-cpp family selected by fixed labels
// plus one capped label, with a bounded cache from raw input to metric so
// a known value costs one hash lookup and no allocation.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <prometheus/family.h>
#include <prometheus/labels.h>

#include "canswarm/metrics/label_cap.hpp"

namespace canswarm::metrics::detail {

/// Raw values cached per series, as a multiple of the label cap: raw inputs
/// that sanitise to the same value, or overflow to "other", each take an
/// entry; beyond this the slow path (sanitise + family lookup) is used.
inline constexpr std::size_t raw_cache_factor = 4;

/// A metric and whether its raw input overflowed the cap.
template<class Metric>
struct capped_lookup {
  Metric* metric = nullptr;
  bool overflow = false;
};

/// Fixed labels plus one capped label of a family.
template<class Metric>
class capped_series {
public:
  capped_series(prometheus::Family<Metric>& family, prometheus::Labels fixed,
                std::string label, label_cap& cap)
      : family_(&family),
        fixed_(std::move(fixed)),
        label_(std::move(label)),
        cap_(&cap) {}

  /// Returns the metric for `raw`. Beyond the cap it is the "other" metric,
  /// or nullptr when `use_other` is false.
  template<class... Args>
  capped_lookup<Metric>
  get(std::string_view raw, bool use_other, Args&&... args) {
    if (auto i = cache_.find(raw); i != cache_.end()) {
      if (i->second.overflow && !use_other)
        return {nullptr, true};
      return i->second;
    }
    auto admitted = cap_->admit(raw);
    if (admitted.overflow && !use_other)
      return {nullptr, true};
    auto labels = fixed_;
    labels.emplace(label_, admitted.value);
    capped_lookup<Metric> found{&family_->Add(labels,
                                              std::forward<Args>(args)...),
                                admitted.overflow};
    if (cache_.size() < raw_cache_factor * cap_->cap() + 1)
      cache_.emplace(std::string{raw}, found);
    return found;
  }

  /// Removes the metric of `raw` (gauges only), if it exists.
  void remove(std::string_view raw) {
    if (!cap_->contains(raw))
      return;
    auto labels = fixed_;
    labels.emplace(label_, sanitize_label_value(raw));
    if (!family_->Has(labels))
      return;
    auto* metric = &family_->Add(labels);
    std::erase_if(cache_, [metric](const auto& kv) {
      return kv.second.metric == metric;
    });
    family_->Remove(metric);
  }

private:
  prometheus::Family<Metric>* family_;
  prometheus::Labels fixed_;
  std::string label_;
  label_cap* cap_;
  std::unordered_map<std::string, capped_lookup<Metric>, string_hash,
                     std::equal_to<>>
    cache_;
};

} // namespace canswarm::metrics::detail
