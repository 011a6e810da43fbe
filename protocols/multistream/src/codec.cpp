#include "canswarm/multistream/codec.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::multistream {

namespace {

/// Error for a varint::read_frame failure, `what` naming the message kind.
error frame_error(const varint::frame& f, std::string_view what) {
  auto code = f.st == varint::status::too_large ? errc::too_large
                                                : errc::malformed;
  return make_error(code, fmt::format("{}: {}", what, f.reason));
}

/// Strips the mandatory trailing newline of a line body.
result<std::string> line_text(bytes_view body, std::string_view what) {
  if (body.empty())
    return make_error(errc::malformed, fmt::format("{} is empty", what));
  if (body.back() != '\n')
    return make_error(errc::malformed,
                      fmt::format("{} does not end with a newline", what));
  return std::string{reinterpret_cast<const char*>(body.data()),
                     body.size() - 1};
}

} // namespace

result<void> check_protocol(std::string_view protocol) {
  if (protocol.empty())
    return make_error(errc::invalid_argument, "empty protocol id");
  if (protocol.size() > max_protocol_size)
    return make_error(errc::too_large,
                      fmt::format("protocol id of {} bytes over limit {}",
                                  protocol.size(), max_protocol_size));
  if (protocol.find('\n') != std::string_view::npos)
    return make_error(errc::invalid_argument, "protocol id contains a newline");
  if (protocol == not_available || protocol == list_request)
    return make_error(errc::invalid_argument,
                      fmt::format("'{}' is a reserved multistream message",
                                  protocol));
  return {};
}

std::string printable(std::string_view text) {
  constexpr std::size_t max_shown = 64;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f)
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > max_shown)
    out += "...";
  return out;
}

void write_line(std::string_view text, bytes& out) {
  varint::encode(text.size() + 1, out);
  append(out, as_bytes(text));
  out.push_back('\n');
}

bytes encode_line(std::string_view text) {
  bytes out;
  write_line(text, out);
  return out;
}

result<std::optional<parsed_line>> read_line(bytes_view in) {
  auto f = varint::read_frame(in, max_line_size);
  if (f.st == varint::status::incomplete)
    return std::optional<parsed_line>{};
  if (f.st != varint::status::ok)
    return frame_error(f, "multistream message");
  auto text = line_text(f.body, "multistream message");
  if (!text)
    return text.error();
  return std::optional<parsed_line>{parsed_line{std::move(*text), f.size}};
}

void write_ls_response(const std::vector<std::string>& protocols, bytes& out) {
  bytes body;
  for (const auto& p : protocols)
    write_line(p, body);
  body.push_back('\n');
  varint::write_frame(body, out);
}

result<std::vector<std::string>> parse_ls_response(bytes_view body) {
  if (body.size() > max_ls_response_size)
    return make_error(errc::too_large,
                      fmt::format("ls response of {} bytes over limit {}",
                                  body.size(), max_ls_response_size));
  if (body.empty() || body.back() != '\n')
    return make_error(errc::malformed,
                      "ls response does not end with a newline");
  auto rest = body.first(body.size() - 1);
  std::vector<std::string> protocols;
  while (!rest.empty()) {
    if (protocols.size() == max_ls_protocols)
      return make_error(errc::too_large,
                        fmt::format("ls response lists more than {} protocols",
                                    max_ls_protocols));
    auto f = varint::read_frame(rest, max_line_size);
    auto what = fmt::format("ls entry {}", protocols.size());
    if (f.st == varint::status::incomplete)
      return make_error(errc::malformed, what + " is truncated");
    if (f.st != varint::status::ok)
      return frame_error(f, what);
    auto text = line_text(f.body, what);
    if (!text)
      return text.error();
    protocols.push_back(std::move(*text));
    rest = rest.subspan(f.size);
  }
  return protocols;
}

} // namespace canswarm::multistream
