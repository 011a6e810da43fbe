#include "canswarm/log/log.hpp"

#include <cstdio>
#include <ctime>

namespace canswarm::log {

const char* to_string(level lvl) {
  switch (lvl) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warning: return "WARNING";
    case level::error: return "ERROR";
  }
  return "UNKNOWN";
}

namespace {

std::string timestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  auto secs = time_point_cast<seconds>(when);
  if (secs > when)
    secs -= seconds{1}; // round towards the past for times before 1970
  auto millis = duration_cast<milliseconds>(when - secs).count();
  auto t = system_clock::to_time_t(secs);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                     utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

/// Appends `message`, escaping control characters so the entry stays on one
/// line, and cutting it at max_message_size.
void append_escaped(std::string& out, std::string_view message) {
  auto cut = message.size() > max_message_size;
  if (cut)
    message = message.substr(0, max_message_size);
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  if (cut)
    out += " ...(truncated)";
}

/// Length of the well-formed UTF-8 sequence starting at `text[i]` (Unicode
/// table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or
/// 0 if the bytes there are not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k])
                               : 0x100; // past the end: never in range
  };
  auto in = [](unsigned b, unsigned lo, unsigned hi) {
    return b >= lo && b <= hi;
  };
  auto b0 = at(0);
  if (b0 < 0x80)
    return 1;
  if (in(b0, 0xc2, 0xdf))
    return in(at(1), 0x80, 0xbf) ? 2 : 0;
  if (in(b0, 0xe0, 0xef)) {
    auto lo = b0 == 0xe0 ? 0xa0u : 0x80u;
    auto hi = b0 == 0xed ? 0x9fu : 0xbfu; // ED A0..BF: surrogates
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xbf) ? 3 : 0;
  }
  if (in(b0, 0xf0, 0xf4)) {
    auto lo = b0 == 0xf0 ? 0x90u : 0x80u;
    auto hi = b0 == 0xf4 ? 0x8fu : 0xbfu; // F4 90+: above U+10FFFF
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf)
             ? 4
             : 0;
  }
  return 0;
}

/// Cuts `message` at max_message_size without splitting a UTF-8 sequence;
/// returns whether it was cut.
bool cut_message(std::string_view& message) {
  if (message.size() <= max_message_size)
    return false;
  auto end = max_message_size;
  // Back up over at most three continuation bytes to a sequence start.
  for (int i = 0;
       i < 3 && (static_cast<unsigned char>(message[end]) & 0xc0) == 0x80; ++i)
    --end;
  message = message.substr(0, end);
  return true;
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    auto c = text[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      auto len = utf8_length(text, i);
      if (len == 0) {
        out += "\\ufffd"; // one replacement character per bad byte
        ++i;
        continue;
      }
      auto seq = text.substr(i, len);
      if (seq == "\xe2\x80\xa8")
        out += "\\u2028"; // line/paragraph separators break some parsers
      else if (seq == "\xe2\x80\xa9")
        out += "\\u2029";
      else
        out += seq;
      i += len;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (u < 0x20 || u == 0x7f)
          out += fmt::format("\\u{:04x}", u);
        else
          out += c;
    }
    ++i;
  }
  out += '"';
}

std::string format_json_line(std::chrono::system_clock::time_point when,
                             level lvl, std::string_view component,
                             std::string_view message, bool protocol,
                             std::string_view peer_id) {
  auto cut = cut_message(message);
  std::string line = "{\"ts\":\"";
  line += timestamp(when);
  line += "\",\"level\":\"";
  line += to_string(lvl);
  line += "\",\"component\":";
  append_json_string(line, component);
  if (!peer_id.empty()) {
    line += ",\"peer_id\":";
    append_json_string(line, peer_id);
  }
  if (protocol)
    line += ",\"channel\":\"libp2p\"";
  line += ",\"msg\":";
  append_json_string(line, message);
  if (cut)
    line += ",\"truncated\":true";
  line += '}';
  return line;
}

std::string format_line(std::chrono::system_clock::time_point when, level lvl,
                        std::string_view component, std::string_view message,
                        bool protocol) {
  auto line = fmt::format("{} {:<7} [{}] ", timestamp(when), to_string(lvl),
                          component);
  if (protocol)
    line += "libp2p: ";
  append_escaped(line, message);
  return line;
}

void logger::set_sink(sink s) {
  std::lock_guard<std::mutex> guard{mtx_};
  sink_ = std::move(s);
}

void logger::set_peer_id(std::string id) {
  std::lock_guard<std::mutex> guard{mtx_};
  peer_id_ = std::move(id);
}

void logger::write(level lvl, std::string_view component,
                   std::string_view message) {
  if (!enabled(lvl))
    return;
  emit(lvl, component, message, false);
}

void logger::write_protocol(std::string_view component,
                            std::string_view message) {
  if (!protocol_debug())
    return;
  emit(level::debug, component, message, true);
}

void logger::emit(level lvl, std::string_view component,
                  std::string_view message, bool protocol) {
  // Formatting under the lock keeps timestamps in output order and reads
  // peer_id_ safely.
  std::lock_guard<std::mutex> guard{mtx_};
  auto now = std::chrono::system_clock::now();
  auto line = line_format() == format::json
                ? format_json_line(now, lvl, component, message, protocol,
                                   peer_id_)
                : format_line(now, lvl, component, message, protocol);
  if (sink_) {
    sink_(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

logger& global() {
  static logger instance;
  return instance;
}

} // namespace canswarm::log
