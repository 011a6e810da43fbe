#include "values.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace canswarm::config::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

/// Most integer digits accepted before a value is simply out of range:
/// keeps the accumulators below far from overflow.
constexpr std::size_t max_integer_digits = 12;

} // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string to_upper(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  auto word = to_upper(trim(text));
  if (word == "TRUE" || word == "1" || word == "YES" || word == "ON")
    return true;
  if (word == "FALSE" || word == "0" || word == "NO" || word == "OFF")
    return false;
  return std::nullopt;
}

number_status parse_uint(std::string_view text, std::uint32_t min,
                         std::uint32_t max, std::uint32_t& out) {
  text = trim(text);
  bool negative = false;
  if (text.starts_with('-') || text.starts_with('+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (!all_digits(text))
    return number_status::not_a_number;
  if (negative && text.find_first_not_of('0') != std::string_view::npos)
    return number_status::out_of_range;
  auto significant = text.substr(
    std::min(text.find_first_not_of('0'), text.size()));
  if (significant.size() > max_integer_digits)
    return number_status::out_of_range;
  std::uint64_t value = 0;
  for (char c : significant)
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  if (value < min || value > max)
    return number_status::out_of_range;
  out = static_cast<std::uint32_t>(value);
  return number_status::ok;
}

number_status
parse_seconds(std::string_view text, std::chrono::milliseconds min,
              std::chrono::milliseconds max, std::chrono::milliseconds& out) {
  text = trim(text);
  bool negative = false;
  if (text.starts_with('-') || text.starts_with('+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto fraction = dot == std::string_view::npos ? std::string_view{}
                                                : text.substr(dot + 1);
  if (whole.empty() && fraction.empty())
    return number_status::not_a_number;
  if ((!whole.empty() && !all_digits(whole))
      || (!fraction.empty() && !all_digits(fraction)))
    return number_status::not_a_number;
  whole = whole.substr(std::min(whole.find_first_not_of('0'), whole.size()));
  if (whole.size() > max_integer_digits)
    return number_status::out_of_range;
  std::int64_t millis = 0;
  for (char c : whole)
    millis = millis * 10 + (c - '0');
  millis *= 1000;
  for (std::size_t i = 0; i < fraction.size(); ++i) {
    if (i < 3) {
      static constexpr std::int64_t scale[] = {100, 10, 1};
      millis += (fraction[i] - '0') * scale[i];
    } else if (fraction[i] != '0') {
      return number_status::too_precise;
    }
  }
  if (negative && millis != 0)
    return number_status::out_of_range;
  auto value = std::chrono::milliseconds{negative ? -millis : millis};
  if (value < min || value > max)
    return number_status::out_of_range;
  out = value;
  return number_status::ok;
}

std::string format_seconds(std::chrono::milliseconds value) {
  auto millis = value.count();
  std::string out = millis < 0 ? "-" : "";
  millis = millis < 0 ? -millis : millis;
  out += std::to_string(millis / 1000);
  if (auto rest = millis % 1000; rest != 0) {
    char digits[4];
    std::snprintf(digits, sizeof(digits), "%03d", static_cast<int>(rest));
    std::string_view frac{digits, 3};
    while (frac.ends_with('0'))
      frac.remove_suffix(1);
    out += '.';
    out += frac;
  }
  return out;
}

std::optional<log_level> parse_log_level(std::string_view text) {
  auto word = to_upper(trim(text));
  if (word == "DEBUG")
    return log_level::debug;
  if (word == "INFO")
    return log_level::info;
  if (word == "WARNING" || word == "WARN")
    return log_level::warning;
  if (word == "ERROR")
    return log_level::error;
  return std::nullopt;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (!item.empty())
      items.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (char c : text) {
    if (shown++ == max_quoted_value) {
      out += "...";
      break;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x",
                        static_cast<unsigned char>(c));
          out += hex;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

} // namespace canswarm::config::detail
