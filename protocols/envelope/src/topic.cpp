#include "canswarm/envelope/topic.hpp"

#include <fmt/format.h>

#include "utf8.hpp"

namespace canswarm::envelope {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

/// Whether byte `c` is written as %XX in a thread token.
bool needs_escape(unsigned char c) {
  return c < 0x21 || c > 0x7e || c == '.' || c == '*' || c == '>' || c == '/'
         || c == '%';
}

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

result<void> check_thread_id(std::string_view thread_id) {
  if (thread_id.empty())
    return make_error(errc::invalid_argument, "thread id is empty");
  if (thread_id.size() > max_thread_id_size)
    return make_error(errc::invalid_argument,
                      fmt::format("thread id is {} bytes, over {} "
                                  "(max_thread_id_size)",
                                  thread_id.size(), max_thread_id_size));
  if (!detail::valid_utf8(thread_id))
    return make_error(errc::invalid_argument, "thread id is not UTF-8");
  return {};
}

result<void> check_verb(std::string_view verb) {
  if (verb.empty() || verb.size() > max_verb_size)
    return make_error(errc::invalid_argument,
                      fmt::format("verb '{}' is not 1..{} characters", verb,
                                  max_verb_size));
  for (char c : verb)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-'))
      return make_error(errc::invalid_argument,
                        fmt::format("verb '{}' has a character outside "
                                    "[a-z0-9_-]",
                                    verb));
  return {};
}

/// Checks both parts and returns the escaped thread id.
result<std::string> escaped(std::string_view thread_id, std::string_view verb) {
  if (auto ok = check_thread_id(thread_id); !ok)
    return ok.error();
  if (auto ok = check_verb(verb); !ok)
    return ok.error();
  return escape_thread_id(thread_id);
}

result<thread_topic> make_parsed(std::string_view token, std::string_view verb,
                                 std::string_view what) {
  auto id = unescape_thread_id(token);
  if (!id)
    return make_error(errc::malformed,
                      fmt::format("{}: {}", what, id.error().message));
  if (auto ok = check_verb(verb); !ok)
    return make_error(errc::malformed,
                      fmt::format("{}: {}", what, ok.error().message));
  return thread_topic{std::move(*id), std::string{verb}};
}

} // namespace

std::string escape_thread_id(std::string_view thread_id) {
  std::string out;
  out.reserve(thread_id.size());
  for (char ch : thread_id) {
    auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out += '%';
      out += hex_digits[c >> 4];
      out += hex_digits[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out;
}

result<std::string> unescape_thread_id(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto c = static_cast<unsigned char>(token[i]);
    if (c != '%') {
      if (needs_escape(c))
        return make_error(errc::malformed,
                          fmt::format("byte 0x{:02x} at offset {} must be "
                                      "escaped",
                                      c, i));
      out += token[i];
      continue;
    }
    int hi = i + 1 < token.size() ? upper_hex_value(token[i + 1]) : -1;
    int lo = i + 2 < token.size() ? upper_hex_value(token[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return make_error(errc::malformed,
                        fmt::format("escape at offset {} is not % and two "
                                    "uppercase hex digits",
                                    i));
    auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (!needs_escape(byte))
      return make_error(errc::malformed,
                        fmt::format("escape at offset {} encodes '{}', which "
                                    "is written unescaped",
                                    i, static_cast<char>(byte)));
    out += static_cast<char>(byte);
    i += 2;
  }
  if (auto ok = check_thread_id(out); !ok)
    return ok.error();
  return out;
}

result<std::string> p2p_topic(std::string_view thread_id,
                              std::string_view verb) {
  auto token = escaped(thread_id, verb);
  if (!token)
    return token.error();
  return fmt::format("{}{}/{}", p2p_topic_root, *token, verb);
}

result<std::string> p2p_topic(std::string_view thread_id, kind k) {
  return p2p_topic(thread_id, verb(k));
}

result<std::string> nats_subject(std::string_view thread_id,
                                 std::string_view verb) {
  auto token = escaped(thread_id, verb);
  if (!token)
    return token.error();
  return fmt::format("{}{}.{}", nats_subject_root, *token, verb);
}

result<std::string> nats_subject(std::string_view thread_id, kind k) {
  return nats_subject(thread_id, verb(k));
}

result<thread_topic> parse_p2p_topic(std::string_view topic) {
  if (!topic.starts_with(p2p_topic_root))
    return make_error(errc::malformed,
                      fmt::format("topic '{}' does not start with {}", topic,
                                  p2p_topic_root));
  auto rest = topic.substr(p2p_topic_root.size());
  auto slash = rest.rfind('/');
  if (slash == std::string_view::npos)
    return make_error(errc::malformed,
                      fmt::format("topic '{}' has no verb segment", topic));
  return make_parsed(rest.substr(0, slash), rest.substr(slash + 1),
                     fmt::format("topic '{}'", topic));
}

result<thread_topic> parse_nats_subject(std::string_view subject) {
  if (!subject.starts_with(nats_subject_root))
    return make_error(errc::malformed,
                      fmt::format("subject '{}' does not start with {}",
                                  subject, nats_subject_root));
  auto rest = subject.substr(nats_subject_root.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos)
    return make_error(errc::malformed,
                      fmt::format("subject '{}' has no verb token", subject));
  return make_parsed(rest.substr(0, dot), rest.substr(dot + 1),
                     fmt::format("subject '{}'", subject));
}

result<std::string> p2p_thread_prefix(std::string_view thread_id) {
  if (auto ok = check_thread_id(thread_id); !ok)
    return ok.error();
  return fmt::format("{}{}/", p2p_topic_root, escape_thread_id(thread_id));
}

result<std::string> nats_thread_wildcard(std::string_view thread_id) {
  if (auto ok = check_thread_id(thread_id); !ok)
    return ok.error();
  return fmt::format("{}{}.*", nats_subject_root, escape_thread_id(thread_id));
}

} // namespace canswarm::envelope
