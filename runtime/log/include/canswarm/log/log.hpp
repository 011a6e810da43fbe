#pragma once

// The node's logger: one line per entry on stderr (stdout is reserved for the
// node's `Peer ID:` / `Peer Addrs:` lines and command output).
//
// Line format:
//   2024-05-01T12:34:56.789Z INFO    [supervisor:root] started child transport
//   2024-05-01T12:34:56.790Z DEBUG   [yamux] libp2p: window update stream 3
// i.e. ISO-8601 UTC timestamp with milliseconds, level padded to 7 columns,
// the component name in brackets, the message. Protocol-level detail (the
// `protocol` channel, enabled by LIBP2P_DEBUG=true) is written at level DEBUG
// with a `libp2p:` prefix, independently of the threshold set by LOG_LEVEL.
// Control characters in messages are escaped so an entry stays one line.
//
// With LOG_FORMAT=json every entry is instead one JSON object per line, for
// log shippers:
//   {"ts":"2024-05-01T12:34:56.789Z","level":"INFO","component":"node",
//    "peer_id":"12D3KooW...","msg":"started"}
// `ts` is RFC 3339 UTC with milliseconds, `level` one of DEBUG, INFO,
// WARNING, ERROR; `peer_id` is present once the node knows its identity;
// protocol-channel entries carry `"channel":"libp2p"` and cut messages
// `"truncated":true`. Strings are JSON-escaped and invalid UTF-8 (a remote
// peer can put any bytes into a log line) is replaced by U+FFFD, so every
// line is valid JSON.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace canswarm::log {

/// Severity of an entry; entries below the logger's threshold are dropped.
enum class level : int { debug = 0, info = 1, warning = 2, error = 3 };

/// Returns "DEBUG", "INFO", "WARNING" or "ERROR".
const char* to_string(level);

/// Longest message written; longer ones are cut and marked, so a remote peer
/// that gets its data into a log line cannot produce unbounded output.
inline constexpr std::size_t max_message_size = 4096;

/// How entries are rendered (LOG_FORMAT).
enum class format { text, json };

/// Receives finished lines (without the trailing newline).
using sink = std::function<void(std::string_view line)>;

/// Formats one log line (without the trailing newline).
std::string format_line(std::chrono::system_clock::time_point when, level lvl,
                        std::string_view component, std::string_view message,
                        bool protocol = false);

/// Formats one log entry as a single-line JSON object (without the trailing
/// newline); `peer_id` is omitted when empty.
std::string format_json_line(std::chrono::system_clock::time_point when,
                             level lvl, std::string_view component,
                             std::string_view message, bool protocol = false,
                             std::string_view peer_id = {});

/// Appends `text` as a JSON string literal (quotes included): quotes,
/// backslashes and control characters escaped, DEL and U+2028/U+2029 as \u
/// escapes, each byte that is not part of well-formed UTF-8 replaced by
/// U+FFFD.
void append_json_string(std::string& out, std::string_view text);

/// A thread-safe logger with a level threshold and a protocol channel.
class logger {
public:
  /// Sets the lowest level that is written (LOG_LEVEL).
  void set_level(level lvl) noexcept {
    threshold_.store(lvl, std::memory_order_relaxed);
  }

  /// Returns the lowest level that is written.
  level threshold() const noexcept {
    return threshold_.load(std::memory_order_relaxed);
  }

  /// Enables the protocol-detail channel (LIBP2P_DEBUG).
  void set_protocol_debug(bool on) noexcept {
    protocol_.store(on, std::memory_order_relaxed);
  }

  /// Returns whether the protocol-detail channel is enabled.
  bool protocol_debug() const noexcept {
    return protocol_.load(std::memory_order_relaxed);
  }

  /// Selects text or JSON lines (LOG_FORMAT).
  void set_format(format f) noexcept {
    format_.store(f, std::memory_order_relaxed);
  }

  /// Returns the line format.
  format line_format() const noexcept {
    return format_.load(std::memory_order_relaxed);
  }

  /// Sets the node's peer id, added to JSON entries; empty removes it.
  void set_peer_id(std::string id);

  /// Returns whether entries of `lvl` are written.
  bool enabled(level lvl) const noexcept {
    return static_cast<int>(lvl) >= static_cast<int>(threshold());
  }

  /// Replaces the destination of lines; an empty sink restores stderr.
  void set_sink(sink s);

  /// Writes an entry if `lvl` passes the threshold.
  void write(level lvl, std::string_view component, std::string_view message);

  /// Writes a protocol-detail entry if the protocol channel is enabled.
  void write_protocol(std::string_view component, std::string_view message);

private:
  void emit(level lvl, std::string_view component, std::string_view message,
            bool protocol);

  std::atomic<level> threshold_{level::info};
  std::atomic<bool> protocol_{false};
  std::atomic<format> format_{format::text};
  std::mutex mtx_;
  sink sink_; // guarded by mtx_
  std::string peer_id_; // guarded by mtx_
};

/// The process-wide logger.
logger& global();

/// Logs at DEBUG; arguments are only formatted when the level is enabled.
template<class... Ts>
void debug(std::string_view component, fmt::format_string<Ts...> fmt,
           Ts&&... xs) {
  if (auto& lg = global(); lg.enabled(level::debug))
    lg.write(level::debug, component,
             fmt::format(fmt, std::forward<Ts>(xs)...));
}

/// Logs at INFO.
template<class... Ts>
void info(std::string_view component, fmt::format_string<Ts...> fmt,
          Ts&&... xs) {
  if (auto& lg = global(); lg.enabled(level::info))
    lg.write(level::info, component, fmt::format(fmt, std::forward<Ts>(xs)...));
}

/// Logs at WARNING.
template<class... Ts>
void warning(std::string_view component, fmt::format_string<Ts...> fmt,
             Ts&&... xs) {
  if (auto& lg = global(); lg.enabled(level::warning))
    lg.write(level::warning, component,
             fmt::format(fmt, std::forward<Ts>(xs)...));
}

/// Logs at ERROR.
template<class... Ts>
void error(std::string_view component, fmt::format_string<Ts...> fmt,
           Ts&&... xs) {
  if (auto& lg = global(); lg.enabled(level::error))
    lg.write(level::error, component,
             fmt::format(fmt, std::forward<Ts>(xs)...));
}

/// Logs protocol-level detail (frames, negotiation steps) when LIBP2P_DEBUG
/// is on.
template<class... Ts>
void debug_protocol(std::string_view component, fmt::format_string<Ts...> fmt,
                    Ts&&... xs) {
  if (auto& lg = global(); lg.protocol_debug())
    lg.write_protocol(component, fmt::format(fmt, std::forward<Ts>(xs)...));
}

} // namespace canswarm::log
