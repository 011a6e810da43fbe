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

} // namespace

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

void logger::write(level lvl, std::string_view component,
                   std::string_view message) {
  if (!enabled(lvl))
    return;
  emit(format_line(std::chrono::system_clock::now(), lvl, component, message));
}

void logger::write_protocol(std::string_view component,
                            std::string_view message) {
  if (!protocol_debug())
    return;
  emit(format_line(std::chrono::system_clock::now(), level::debug, component,
                   message, true));
}

void logger::emit(std::string line) {
  std::lock_guard<std::mutex> guard{mtx_};
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
