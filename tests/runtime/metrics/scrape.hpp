#pragma once

// Test helpers: fetch /metrics over a plain TCP socket (HTTP/1.0) and parse
// the Prometheus text exposition format 0.0.4 into samples.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canswarm::metrics::test {

/// An HTTP response: status code, headers (lower-case names) and body.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

/// Sends "GET <path> HTTP/1.0" to 127.0.0.1:<port> and reads to EOF.
/// Throws std::runtime_error on socket errors or a malformed response.
http_response http_get(std::uint16_t port, std::string_view path);

/// One sample line: `name{k="v",...} value`.
struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// A parsed exposition: samples plus the `# TYPE` of each family.
struct exposition {
  std::vector<sample> samples;
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> helps;

  /// Returns the value of the sample with exactly these labels.
  std::optional<double>
  value(std::string_view name,
        const std::map<std::string, std::string>& labels = {}) const;

  /// Returns how many samples have this name.
  std::size_t count(std::string_view name) const;
};

/// Parses the text format; throws std::runtime_error naming the bad line.
exposition parse_exposition(std::string_view text);

} // namespace canswarm::metrics::test
