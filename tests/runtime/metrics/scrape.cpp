#include "scrape.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace canswarm::metrics::test {

namespace {

/// Largest response read; a scrape of this registry is far smaller.
constexpr std::size_t max_response_size = 16 * 1024 * 1024;

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double parse_value(std::string_view text, std::string_view line) {
  if (text == "+Inf")
    return HUGE_VAL;
  if (text == "-Inf")
    return -HUGE_VAL;
  std::string s{text};
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size())
    fail("bad value in line: " + std::string{line});
  return v;
}

} // namespace

http_response http_get(std::uint16_t port, std::string_view path) {
  fd_guard sock{::socket(AF_INET, SOCK_STREAM, 0)};
  if (sock.fd < 0)
    fail(std::string{"socket: "} + std::strerror(errno));
  timeval tv{5, 0};
  ::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    fail(std::string{"connect: "} + std::strerror(errno));
  auto request = "GET " + std::string{path}
                 + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(sock.fd, request.data(), request.size(), MSG_NOSIGNAL)
      != static_cast<ssize_t>(request.size()))
    fail("short send");
  std::string raw;
  char buf[4096];
  for (;;) {
    auto n = ::recv(sock.fd, buf, sizeof(buf), 0);
    if (n < 0)
      fail(std::string{"recv: "} + std::strerror(errno));
    if (n == 0)
      break;
    raw.append(buf, static_cast<std::size_t>(n));
    if (raw.size() > max_response_size)
      fail("response too large");
  }
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos)
    fail("no end of HTTP headers in response");
  http_response res;
  res.body = raw.substr(head_end + 4);
  std::string_view head{raw.data(), head_end};
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  if (status_line.substr(0, 5) != "HTTP/" || status_line.size() < 12)
    fail("bad status line: " + std::string{status_line});
  res.status = std::atoi(std::string{status_line.substr(9, 3)}.c_str());
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    auto line = head.substr(0, line_end);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    res.headers[lower(std::string{line.substr(0, colon)})] = value;
  }
  return res;
}

std::optional<double>
exposition::value(std::string_view name,
                  const std::map<std::string, std::string>& labels) const {
  for (const auto& s : samples)
    if (s.name == name && s.labels == labels)
      return s.value;
  return std::nullopt;
}

std::size_t exposition::count(std::string_view name) const {
  return static_cast<std::size_t>(
    std::count_if(samples.begin(), samples.end(),
                  [name](const auto& s) { return s.name == name; }));
}

exposition parse_exposition(std::string_view text) {
  exposition out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty())
      continue;
    if (line.front() == '#') {
      // "# TYPE name type" / "# HELP name text"
      auto rest = line.substr(1);
      while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
      auto kind = rest.substr(0, 4);
      if (kind != "TYPE" && kind != "HELP")
        continue;
      rest.remove_prefix(std::min<std::size_t>(5, rest.size()));
      auto sp = rest.find(' ');
      if (sp == std::string_view::npos)
        fail("bad comment line: " + std::string{line});
      auto& map = kind == "TYPE" ? out.types : out.helps;
      map[std::string{rest.substr(0, sp)}] = rest.substr(sp + 1);
      continue;
    }
    sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
      ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        auto eq = line.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= line.size()
            || line[eq + 1] != '"')
          fail("bad label in line: " + std::string{line});
        std::string key{line.substr(i, eq - i)};
        std::string value;
        i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
          } else {
            value += line[i];
          }
        }
        if (i >= line.size())
          fail("unterminated label value in line: " + std::string{line});
        ++i; // closing quote
        if (i < line.size() && line[i] == ',')
          ++i;
        s.labels.emplace(std::move(key), std::move(value));
      }
      if (i >= line.size())
        fail("unterminated label set in line: " + std::string{line});
      ++i; // '}'
    }
    if (i >= line.size() || line[i] != ' ')
      fail("missing value in line: " + std::string{line});
    auto value = line.substr(i + 1);
    value = value.substr(0, value.find(' ')); // drop an optional timestamp
    s.value = parse_value(value, line);
    out.samples.push_back(std::move(s));
  }
  return out;
}

} // namespace canswarm::metrics::test
