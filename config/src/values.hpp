#pragma once

// Text-to-value helpers shared by load() and render(): trimming, booleans,
// bounded integers, fractional seconds, log levels, comma-separated lists,
// quoting for one-line messages and the edit distance for "did you mean".

#include "canswarm/config/config.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canswarm::config::detail {

/// Longest value quoted in an error message before it is elided: keeps
/// messages one readable line even for a pasted-in wrong file.
inline constexpr std::size_t max_quoted_value = 200;

/// Returns `text` without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

/// Returns `text` in upper case (ASCII).
std::string to_upper(std::string_view text);

/// Parses true/false/1/0/yes/no/on/off, case-insensitively.
std::optional<bool> parse_bool(std::string_view text);

/// Outcome of parsing a bounded number.
enum class number_status { ok, not_a_number, out_of_range, too_precise };

/// Parses a decimal integer (digits only) within [min, max]. A negative
/// integer is out of range rather than not a number.
number_status parse_uint(std::string_view text, std::uint32_t min,
                         std::uint32_t max, std::uint32_t& out);

/// Parses decimal seconds ("30", "0.5", ".25", "2.") with millisecond
/// resolution (further digits must be zeros) within [min, max].
number_status
parse_seconds(std::string_view text, std::chrono::milliseconds min,
              std::chrono::milliseconds max, std::chrono::milliseconds& out);

/// Formats milliseconds as decimal seconds without trailing zeros ("0.5").
std::string format_seconds(std::chrono::milliseconds value);

/// Parses DEBUG, INFO, WARNING/WARN or ERROR, case-insensitively.
std::optional<log_level> parse_log_level(std::string_view text);

/// Splits a comma-separated list, trimming blanks around each item and
/// dropping empty items (so "" and "a," are fine).
std::vector<std::string> split_list(std::string_view text);

/// Returns `text` in double quotes with \\, \", control characters escaped,
/// elided after `max_quoted_value` characters.
std::string quote(std::string_view text);

/// Levenshtein distance between two strings.
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace canswarm::config::detail
