#include "canswarm/nats/subject.hpp"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace canswarm::nats {

namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  for (;;) {
    auto dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      tokens.push_back(text.substr(start));
      return tokens;
    }
    tokens.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
}

result<void> check(std::string_view text, bool wildcards) {
  const char* what = wildcards ? "pattern" : "subject";
  if (text.empty())
    return make_error(errc::invalid_argument, fmt::format("empty {}", what));
  if (text.size() > max_subject_size)
    return make_error(errc::invalid_argument,
                      fmt::format("{} of {} bytes, longer than {}", what,
                                  text.size(), max_subject_size));
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7f)
      return make_error(errc::invalid_argument,
                        fmt::format("{} has a space or control byte 0x{:02x} "
                                    "at offset {}",
                                    what, c, i));
  }
  auto tokens = split(text);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto tok = tokens[i];
    if (tok.empty())
      return make_error(errc::invalid_argument,
                        fmt::format("{} \"{}\" has an empty token at offset {}",
                                    what, text, offset));
    bool has_star = tok.find('*') != std::string_view::npos;
    bool has_gt = tok.find('>') != std::string_view::npos;
    if ((has_star || has_gt) && !wildcards)
      return make_error(errc::invalid_argument,
                        fmt::format("wildcard in publish subject \"{}\"",
                                    text));
    if (has_star && tok != "*")
      return make_error(errc::invalid_argument,
                        fmt::format("'*' must be a whole token in \"{}\"",
                                    text));
    if (has_gt && (tok != ">" || i + 1 != tokens.size()))
      return make_error(errc::invalid_argument,
                        fmt::format("'>' must be the whole last token in "
                                    "\"{}\"",
                                    text));
    offset += tok.size() + 1;
  }
  return {};
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

} // namespace

result<void> check_subject(std::string_view subject) {
  return check(subject, false);
}

result<void> check_pattern(std::string_view pattern) {
  return check(pattern, true);
}

bool matches(std::string_view pattern, std::string_view subject) {
  auto p = split(pattern);
  auto s = split(subject);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">")
      return s.size() > i;
    if (i >= s.size())
      return false;
    if (p[i] != "*" && p[i] != s[i])
      return false;
  }
  return p.size() == s.size();
}

bool covers(std::string_view outer, std::string_view inner) {
  auto o = split(outer);
  auto in = split(inner);
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (o[i] == ">")
      return in.size() > i;
    if (i >= in.size() || in[i] == ">")
      return false;
    if (o[i] == "*")
      continue;
    if (in[i] != o[i])
      return false;
  }
  return o.size() == in.size();
}

result<void> check_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > max_durable_prefix_size)
    return make_error(errc::invalid_argument,
                      fmt::format("{} \"{}\": expected 1..{} characters", what,
                                  name, max_durable_prefix_size));
  for (char c : name)
    if (!name_char(c))
      return make_error(errc::invalid_argument,
                        fmt::format("{} \"{}\": only A-Z, a-z, 0-9, '_' and "
                                    "'-' are allowed",
                                    what, name));
  return {};
}

std::string durable_name(std::string_view prefix, std::string_view pattern) {
  constexpr std::size_t max_readable = 48;
  std::uint64_t hash = 0xcbf29ce484222325ULL; // FNV-1a 64 offset basis
  for (char c : pattern) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL; // FNV-1a 64 prime
  }
  std::string readable;
  for (char c : pattern.substr(0, max_readable))
    readable += name_char(c) ? c : '_';
  return fmt::format("{}-{}-{:016x}", prefix, readable, hash);
}

} // namespace canswarm::nats
