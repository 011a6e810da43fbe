// render(): the effective configuration as dotenv lines, one per variable,
// with the source of each value as an aligned comment:
//
//   P2P_ENABLED=true                      # default
//   P2P_MAX_CONNECTIONS=150               # environment
//
// The output is itself a valid .env file (values needing it are double
// quoted), so `canswarm config > .env` pins the current configuration.

#include "canswarm/config/config.hpp"

#include <algorithm>
#include <cstddef>

namespace canswarm::config {

namespace {

/// Widest `NAME=value` part that still pushes the comment column right;
/// longer lines (long address lists) just get two spaces before the comment.
constexpr std::size_t max_aligned_width = 60;

bool needs_quotes(std::string_view value) {
  if (value.empty())
    return false;
  if (value.front() == ' ' || value.back() == ' ')
    return true;
  return value.find_first_of(" \t#\"'\\\n\r") != std::string_view::npos;
}

std::string dotenv_value(std::string_view value) {
  if (!needs_quotes(value))
    return std::string{value};
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string note(const loaded& config, const origin& entry) {
  std::string text = to_string(entry.from);
  if (entry.name == "P2P_PRIMARY" && entry.from == source::default_value
      && !config.values.p2p_enabled)
    text += " (false because P2P_ENABLED=false)";
  return text;
}

} // namespace

std::string render(const loaded& config) {
  std::vector<std::string> assignments;
  std::size_t width = 0;
  for (const auto& entry : config.origins) {
    assignments.push_back(entry.name + "=" + dotenv_value(entry.value));
    if (assignments.back().size() <= max_aligned_width)
      width = std::max(width, assignments.back().size());
  }
  std::string out;
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const auto& line = assignments[i];
    out += line;
    out.append(line.size() < width ? width - line.size() + 2 : 2, ' ');
    out += "# " + note(config, config.origins[i]) + "\n";
  }
  return out;
}

} // namespace canswarm::config
