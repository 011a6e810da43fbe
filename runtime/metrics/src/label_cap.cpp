#include "canswarm/metrics/label_cap.hpp"

namespace canswarm::metrics {

std::string sanitize_label_value(std::string_view raw) {
  if (raw.empty())
    return std::string{empty_label};
  std::string out{raw};
  for (auto& ch : out) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x20 || byte > 0x7e)
      ch = '_';
  }
  return out;
}

admitted_label label_cap::admit(std::string_view raw) {
  if (raw.size() > max_label_value_size)
    return {std::string{overflow_label}, true};
  auto value = sanitize_label_value(raw);
  if (value == overflow_label || values_.contains(value))
    return {std::move(value), false};
  if (values_.size() >= cap_)
    return {std::string{overflow_label}, true};
  values_.insert(value);
  return {std::move(value), false};
}

bool label_cap::contains(std::string_view raw) const {
  if (raw.size() > max_label_value_size)
    return false;
  return values_.contains(sanitize_label_value(raw));
}

} // namespace canswarm::metrics
