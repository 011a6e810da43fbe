// A dotenv parser following python-dotenv's rules for the syntax people
// actually write:
//
//   # comment                   whole-line comment (leading blanks allowed)
//   KEY=value                   blanks around '=' are ignored
//   export KEY=value            shell-style prefix, ignored
//   KEY='literal'               single quotes: no escapes, may span lines
//   KEY="a\nb \"q\" \\"         double quotes: \\ \" \' \n \r \t \a \b \f \v
//                               decoded (others kept verbatim), may span lines
//   KEY=value # comment         unquoted: " #..." stripped, trailing blanks
//                               trimmed; '#' without a blank before it is kept
//   KEY=                        empty value
//
// Line endings may be LF, CRLF or CR; a UTF-8 byte order mark is skipped.
//
// Deviations from python-dotenv (stricter, to catch mistakes early): a line
// without '=', a key that is not [A-Za-z_][A-Za-z0-9_]*, text after a closing
// quote and an unterminated quote are errors naming the line; quoted keys and
// ${VAR} interpolation are not supported ('$' is kept literally); single
// quotes are fully literal as in POSIX shells (python-dotenv decodes \' and
// \\ inside them).

#include "canswarm/config/config.hpp"

#include "values.hpp"

#include <algorithm>
#include <cstddef>

namespace canswarm::config {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_eol(char c) {
  return c == '\n' || c == '\r';
}

bool is_key_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_key_char(char c) {
  return is_key_start(c) || (c >= '0' && c <= '9');
}

/// A cursor over the text that tracks the current line number.
class cursor {
public:
  explicit cursor(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF")
      pos_ = 3;
  }

  bool done() const {
    return pos_ >= text_.size();
  }
  char peek() const {
    return done() ? '\0' : text_[pos_];
  }
  bool at_eol() const {
    return done() || is_eol(peek());
  }
  std::size_t line() const {
    return line_;
  }
  void advance() {
    ++pos_;
  }
  void skip_blanks() {
    while (!done() && is_blank(peek()))
      ++pos_;
  }
  bool starts_with(std::string_view prefix) const {
    return text_.substr(pos_).starts_with(prefix);
  }
  void skip(std::size_t n) {
    pos_ += n;
  }
  /// Consumes one line ending (LF, CRLF or CR) if present.
  void take_eol() {
    if (done())
      return;
    if (peek() == '\r') {
      ++pos_;
      if (!done() && peek() == '\n')
        ++pos_;
    } else if (peek() == '\n') {
      ++pos_;
    } else {
      return;
    }
    ++line_;
  }
  /// Returns the current position, to quote a line in an error later.
  std::size_t mark() const {
    return pos_;
  }
  /// Returns the text from `from` to the end of that line.
  std::string_view line_from(std::size_t from) const {
    auto end = text_.find_first_of("\r\n", from);
    return text_.substr(from, end == std::string_view::npos ? end : end - from);
  }
  /// Consumes and returns everything up to the end of the line.
  std::string_view rest_of_line() {
    auto start = pos_;
    while (!at_eol())
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

error line_error(std::size_t line, std::string what) {
  return make_error(errc::malformed,
                    "line " + std::to_string(line) + ": " + std::move(what));
}

char decode_escape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    case '\\':
    case '"':
    case '\'': return c;
    default: return '\0';
  }
}

/// Reads a quoted value; the cursor is on the opening quote. Line endings
/// inside the value are kept as "\n".
result<std::string> read_quoted(cursor& in, std::size_t start_line) {
  const char quote = in.peek();
  in.advance();
  std::string value;
  while (!in.done()) {
    char c = in.peek();
    if (c == quote) {
      in.advance();
      return value;
    }
    if (is_eol(c)) {
      in.take_eol();
      value += '\n';
      continue;
    }
    in.advance();
    if (quote == '"' && c == '\\' && !in.done()) {
      if (char decoded = decode_escape(in.peek()); decoded != '\0') {
        value += decoded;
        in.advance();
        continue;
      }
    }
    value += c;
  }
  return line_error(start_line, std::string{"unterminated "}
                                  + (quote == '"' ? "double" : "single")
                                  + " quote");
}

/// Reads an unquoted value up to the end of the line: cuts an inline comment
/// (blank followed by '#') and trims trailing blanks.
std::string read_unquoted(cursor& in, bool blank_before) {
  std::string_view raw = in.rest_of_line();
  if (blank_before && raw.starts_with('#'))
    return {};
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '#' && is_blank(raw[i - 1])) {
      raw = raw.substr(0, i);
      break;
    }
  }
  while (!raw.empty() && is_blank(raw.back()))
    raw.remove_suffix(1);
  return std::string{raw};
}

} // namespace

result<std::vector<std::pair<std::string, std::string>>>
parse_dotenv(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> entries;
  cursor in{text};
  while (!in.done()) {
    in.skip_blanks();
    if (in.at_eol()) {
      in.take_eol();
      continue;
    }
    if (in.peek() == '#') {
      in.rest_of_line();
      in.take_eol();
      continue;
    }
    const auto line = in.line();
    const auto line_start = in.mark();
    if (in.starts_with("export ") || in.starts_with("export\t")) {
      in.skip(6);
      in.skip_blanks();
    }
    std::string key;
    while (!in.at_eol() && in.peek() != '=' && !is_blank(in.peek())) {
      key += in.peek();
      in.advance();
    }
    in.skip_blanks();
    if (key.empty() || in.peek() != '=') {
      return line_error(line, "expected KEY=value, got "
                                + detail::quote(in.line_from(line_start)));
    }
    if (!is_key_start(key.front())
        || !std::all_of(key.begin(), key.end(), is_key_char))
      return line_error(line, "invalid variable name " + detail::quote(key)
                                + " (expected letters, digits and '_', "
                                  "not starting with a digit)");
    in.advance(); // '='
    const bool blank_after_equal = is_blank(in.peek());
    in.skip_blanks();
    std::string value;
    if (in.peek() == '"' || in.peek() == '\'') {
      auto quoted = read_quoted(in, line);
      if (!quoted)
        return quoted.error();
      value = std::move(*quoted);
      in.skip_blanks();
      if (in.peek() == '#')
        in.rest_of_line();
      if (!in.at_eol())
        return line_error(in.line(), "unexpected text after closing quote: "
                                       + detail::quote(in.rest_of_line()));
    } else {
      value = read_unquoted(in, blank_after_equal);
    }
    in.take_eol();
    entries.emplace_back(std::move(key), std::move(value));
  }
  return entries;
}

} // namespace canswarm::config
