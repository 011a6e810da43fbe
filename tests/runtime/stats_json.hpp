// Readers for the one-line JSON documents of CANSWARM_STATS (the control
// API's stats), enough for the tests: find a value by key or path, list
// keys, read a number. Not a general JSON parser.

#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace canswarm::test::hybrid {

/// Index just past the string starting at s[i] == '"'.
inline std::size_t skip_string(const std::string& s, std::size_t i) {
  for (++i; i < s.size() && s[i] != '"'; ++i)
    if (s[i] == '\\')
      ++i;
  return i + 1;
}

/// The text of the value starting at s[i]: a string without its quotes, an
/// object or array with its brackets, or a bare number/literal.
inline std::string json_value_at(const std::string& s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
    ++i;
  if (i >= s.size())
    return "";
  if (s[i] == '"') {
    auto end = skip_string(s, i);
    return s.substr(i + 1, end - i - 2);
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (auto j = i; j < s.size();) {
      char c = s[j];
      if (c == '"') {
        j = skip_string(s, j);
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      if ((c == '}' || c == ']') && --depth == 0)
        return s.substr(i, j - i + 1);
      ++j;
    }
    return "";
  }
  auto j = i;
  while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']')
    ++j;
  return s.substr(i, j - i);
}

/// The value of `key` at the top level of the JSON object `obj` (nullopt if
/// absent).
inline std::optional<std::string> json_get(const std::string& obj,
                                           const std::string& key) {
  int depth = 0;
  for (std::size_t i = 0; i < obj.size();) {
    char c = obj[i];
    if (c == '"') {
      auto end = skip_string(obj, i);
      if (depth == 1) {
        auto k = end;
        while (k < obj.size()
               && std::isspace(static_cast<unsigned char>(obj[k])))
          ++k;
        if (k < obj.size() && obj[k] == ':'
            && obj.compare(i + 1, end - i - 2, key) == 0)
          return json_value_at(obj, k + 1);
      }
      i = end;
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    ++i;
  }
  return std::nullopt;
}

/// The keys at the top level of the JSON object `obj`.
inline std::vector<std::string> json_keys(const std::string& obj) {
  std::vector<std::string> out;
  int depth = 0;
  for (std::size_t i = 0; i < obj.size();) {
    char c = obj[i];
    if (c == '"') {
      auto end = skip_string(obj, i);
      auto k = end;
      while (k < obj.size() && std::isspace(static_cast<unsigned char>(obj[k])))
        ++k;
      if (depth == 1 && k < obj.size() && obj[k] == ':')
        out.push_back(obj.substr(i + 1, end - i - 2));
      i = end;
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
    ++i;
  }
  return out;
}

/// `obj.a.b...` as text ("" if any part is absent).
inline std::string json_path(const std::string& obj,
                             std::initializer_list<std::string> keys) {
  std::string cur = obj;
  for (auto& k : keys) {
    auto v = json_get(cur, k);
    if (!v)
      return "";
    cur = *v;
  }
  return cur;
}

/// `obj.a.b...` as a number (-1 if absent or not a number).
inline long long json_num(const std::string& obj,
                          std::initializer_list<std::string> keys) {
  auto v = json_path(obj, keys);
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return -1;
  return std::stoll(v);
}

} // namespace canswarm::test::hybrid
