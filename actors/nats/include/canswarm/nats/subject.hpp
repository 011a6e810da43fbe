#pragma once

// NATS subject syntax, checked before anything reaches nats.c (which
// accepts, e.g., an empty token and lets the server drop the connection):
//
//   subject   token ( '.' token )*         tokens non-empty
//   token     bytes other than '.', space, tab, CR, LF and other controls
//   pattern   a subject in which '*' may be a whole token and '>' the whole
//             last token (subscriptions, stream subjects)
//
// Plus the JetStream names derived from subjects (durable consumers).
//
// Deviations from spec: the server accepts any length; we bound subjects
// (`max_subject_size`) so a log line or a durable name stays short.

#include <cstddef>
#include <string>
#include <string_view>

#include "canswarm/error.hpp"

namespace canswarm::nats {

/// Longest subject or pattern accepted: far above the longest thread subject
/// (escaped thread id <= 3 x 256 bytes + verb + 8).
inline constexpr std::size_t max_subject_size = 1024;

/// Longest durable-name prefix (JetStream names should stay short: they
/// become file names in the server's store directory).
inline constexpr std::size_t max_durable_prefix_size = 64;

/// Checks a subject to publish on (no wildcards). errc::invalid_argument
/// naming the problem ("empty token at offset 7", "wildcard '*' in a
/// publish subject", ...).
result<void> check_subject(std::string_view subject);

/// Checks a subscription pattern: a subject where '*' may be a whole token
/// and '>' the whole last token. Errors as `check_subject`.
result<void> check_pattern(std::string_view pattern);

/// Returns whether the (valid) `subject` matches the (valid) `pattern`.
bool matches(std::string_view pattern, std::string_view subject);

/// Returns whether every subject matching `inner` also matches `outer` (both
/// valid patterns), e.g. covers("thread.>", "thread.x.*") is true.
bool covers(std::string_view outer, std::string_view inner);

/// Checks a JetStream name (stream, durable prefix): 1..64 characters from
/// [A-Za-z0-9_-]. errc::invalid_argument naming `what`.
result<void> check_name(std::string_view what, std::string_view name);

/// Returns the durable consumer name for `pattern`: `prefix`, '-', the
/// pattern with every character outside [A-Za-z0-9_-] replaced by '_' (cut
/// to 48 characters), '-', 16 hex digits of the pattern's FNV-1a-64 hash
/// (so two patterns never share a durable). Durable names may not contain
/// '.', '*', '>' or white space.
std::string durable_name(std::string_view prefix, std::string_view pattern);

} // namespace canswarm::nats
