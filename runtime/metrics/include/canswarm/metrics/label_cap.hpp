#pragma once

// A bounded set of label values. The first `cap` distinct values are
// admitted as they are (after sanitising); every later distinct value maps
// to "other". Admission is first-come and permanent: counters must stay
// monotonic, so a series, once exported, is never replaced by another.
//
// Sanitising: the Prometheus text format needs UTF-8 label values and a
// remote peer controls these bytes, so anything outside printable ASCII
// becomes '_'; an empty value becomes "unknown"; a value longer than
// max_label_value_size counts as overflow. Not thread-safe (node_metrics
// serialises access).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "canswarm/metrics/limits.hpp"

namespace canswarm::metrics {

/// Hash accepting std::string and std::string_view alike (heterogeneous
/// lookup, so lookups do not allocate).
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

/// Returns `raw` with every byte outside printable ASCII replaced by '_',
/// and "unknown" for an empty string.
std::string sanitize_label_value(std::string_view raw);

/// The outcome of admitting one raw value.
struct admitted_label {
  /// The label value to use: the sanitised input or "other".
  std::string value;
  /// True when the input was refused and `value` is "other".
  bool overflow = false;
};

/// At most `cap` distinct label values, then "other".
class label_cap {
public:
  /// Creates an empty set admitting at most `cap` values.
  explicit label_cap(std::size_t cap) : cap_(cap) {}

  /// Maps `raw` to the label value to export.
  admitted_label admit(std::string_view raw);

  /// Returns whether `raw` (sanitised) has been admitted before.
  bool contains(std::string_view raw) const;

  /// Returns the number of admitted values (never above the cap).
  std::size_t size() const noexcept {
    return values_.size();
  }

  /// Returns the cap.
  std::size_t cap() const noexcept {
    return cap_;
  }

private:
  std::size_t cap_;
  std::unordered_set<std::string, string_hash, std::equal_to<>> values_;
};

} // namespace canswarm::metrics
