#pragma once

// A strict RFC 8259 checker for one JSON log line: the whole text must be a
// single object; strings must be well-formed UTF-8 with only the escapes the
// RFC allows, no raw control characters and no unpaired surrogates; no
// duplicate keys, nothing after the object. Returns the object's top-level
// members with string values decoded (other values as their raw text), or
// nullopt with the reason in `why`.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace canswarm::test {

class strict_json {
public:
  using members = std::map<std::string, std::string>;

  /// Parses `text` as one JSON object.
  static std::optional<members> parse_object(std::string_view text,
                                             std::string* why = nullptr) {
    strict_json p{text};
    members out;
    auto ok = p.object(&out) && (p.skip_ws(), p.pos_ == text.size());
    if (!ok) {
      if (why)
        *why = p.error_.empty() ? "trailing data at " + std::to_string(p.pos_)
                                : p.error_;
      return std::nullopt;
    }
    return out;
  }

private:
  explicit strict_json(std::string_view text) : text_(text) {}

  bool fail(const std::string& what) {
    if (error_.empty())
      error_ = what + " at byte " + std::to_string(pos_);
    return false;
  }

  int peek() const {
    return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1;
  }

  void skip_ws() {
    while (pos_ < text_.size()
           && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n'
               || text_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      return fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool value(std::string* raw_or_decoded, int depth) {
    if (depth > 64)
      return fail("nesting too deep");
    skip_ws();
    auto start = pos_;
    bool ok;
    switch (peek()) {
      case '{': ok = object(nullptr, depth + 1); break;
      case '[': ok = array(depth + 1); break;
      case '"': return string(raw_or_decoded);
      case 't': ok = literal("true"); break;
      case 'f': ok = literal("false"); break;
      case 'n': ok = literal("null"); break;
      default: ok = number();
    }
    if (ok && raw_or_decoded)
      *raw_or_decoded = std::string{text_.substr(start, pos_ - start)};
    return ok;
  }

  bool object(members* out, int depth = 0) {
    skip_ws();
    if (peek() != '{')
      return fail("expected an object");
    ++pos_;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return true;
    }
    members seen;
    for (;;) {
      skip_ws();
      std::string key;
      if (peek() != '"' || !string(&key))
        return fail("expected a key");
      if (seen.count(key))
        return fail("duplicate key " + key);
      skip_ws();
      if (peek() != ':')
        return fail("expected ':'");
      ++pos_;
      std::string val;
      if (!value(&val, depth))
        return false;
      seen.emplace(std::move(key), std::move(val));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        if (out)
          *out = std::move(seen);
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(int depth) {
    ++pos_; // '['
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!value(nullptr, depth))
        return false;
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool digits() {
    auto start = pos_;
    while (peek() >= '0' && peek() <= '9')
      ++pos_;
    return pos_ > start || fail("expected a digit");
  }

  bool number() {
    if (peek() == '-')
      ++pos_;
    if (peek() == '0')
      ++pos_;
    else if (!digits())
      return false;
    if (peek() == '.') {
      ++pos_;
      if (!digits())
        return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!digits())
        return false;
    }
    return true;
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool hex4(std::uint32_t& cp) {
    if (pos_ + 4 > text_.size())
      return fail("short \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      auto c = text_[pos_++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        cp |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        cp |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return fail("bad hex digit in \\u escape");
    }
    return true;
  }

  /// Consumes one well-formed UTF-8 sequence (lead byte >= 0x80).
  bool utf8(std::string& out) {
    auto b = [&](std::size_t k) -> unsigned {
      return pos_ + k < text_.size()
               ? static_cast<unsigned char>(text_[pos_ + k])
               : 0x100;
    };
    auto in = [](unsigned x, unsigned lo, unsigned hi) {
      return x >= lo && x <= hi;
    };
    auto b0 = b(0);
    std::size_t len = 0;
    if (in(b0, 0xc2, 0xdf) && in(b(1), 0x80, 0xbf))
      len = 2;
    else if (in(b0, 0xe0, 0xef)
             && in(b(1), b0 == 0xe0 ? 0xa0 : 0x80, b0 == 0xed ? 0x9f : 0xbf)
             && in(b(2), 0x80, 0xbf))
      len = 3;
    else if (in(b0, 0xf0, 0xf4)
             && in(b(1), b0 == 0xf0 ? 0x90 : 0x80, b0 == 0xf4 ? 0x8f : 0xbf)
             && in(b(2), 0x80, 0xbf) && in(b(3), 0x80, 0xbf))
      len = 4;
    if (len == 0)
      return fail("invalid UTF-8");
    out += text_.substr(pos_, len);
    pos_ += len;
    return true;
  }

  bool string(std::string* out) {
    ++pos_; // opening quote
    std::string s;
    for (;;) {
      auto c = peek();
      if (c < 0)
        return fail("unterminated string");
      if (c == '"') {
        ++pos_;
        if (out)
          *out = std::move(s);
        return true;
      }
      if (c < 0x20)
        return fail("raw control character in string");
      if (c >= 0x80) {
        if (!utf8(s))
          return false;
        continue;
      }
      ++pos_;
      if (c != '\\') {
        s += static_cast<char>(c);
        continue;
      }
      auto e = peek();
      ++pos_;
      switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case '/': s += '/'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp))
            return false;
          if (cp >= 0xdc00 && cp <= 0xdfff)
            return fail("unpaired low surrogate");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            std::uint32_t lo = 0;
            if (text_.substr(pos_, 2) != "\\u")
              return fail("unpaired high surrogate");
            pos_ += 2;
            if (!hex4(lo))
              return false;
            if (lo < 0xdc00 || lo > 0xdfff)
              return fail("unpaired high surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          put_utf8(s, cp);
          break;
        }
        default: return fail("bad escape");
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

} // namespace canswarm::test
