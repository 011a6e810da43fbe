#pragma once

// The binding of every schema variable to its field of `settings`: how its
// text is parsed and validated, and how the effective value is printed.

#include "canswarm/config/config.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace canswarm::config::detail {

/// Most addresses accepted in one list variable: far more than any
/// deployment needs, and it bounds the dials a node makes at startup.
inline constexpr std::size_t max_list_items = 64;

/// Parses `text` into the variable's field of `out`. On failure returns what
/// was wrong and what was expected (without the variable name and value).
using parse_fn = std::optional<std::string> (*)(std::string_view text,
                                                settings& out);

/// Prints the variable's effective value from `values`.
using format_fn = std::string (*)(const settings& values);

/// One variable's parser and printer.
struct binding {
  std::string_view name;
  parse_fn parse;
  format_fn format;
};

/// Every variable's binding, in the order of `schema()`.
std::span<const binding> bindings();

} // namespace canswarm::config::detail
