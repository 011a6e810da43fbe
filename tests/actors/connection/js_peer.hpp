#pragma once

// Drives tests/interop/js/peer.mjs (a js-libp2p 3 peer) over its stdin and
// stdout JSON lines. (tests/support/process.hpp gives children /dev/null as
// stdin, and peer.mjs exits when stdin closes, so this helper has its own
// pipes.) A missing node binary or node_modules is a loud failure
// (std::runtime_error), never a skip.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace canswarm::test {

/// Returns the string value of "key" in a flat JSON line, if any.
std::optional<std::string> json_string(const std::string& line,
                                       const std::string& key);

/// Returns the number value of "key" in a flat JSON line, if any.
std::optional<double> json_number(const std::string& line,
                                  const std::string& key);

/// Returns the string array value of "key" in a JSON line, if any.
std::optional<std::vector<std::string>>
json_string_array(const std::string& line, const std::string& key);

/// One running js-libp2p peer.
class js_peer {
public:
  /// Starts `node --import polyfill.mjs <script>` from the directory
  /// $CANSWARM_SOURCE_DIR/tests/interop/<subdir> (default js/peer.mjs; e.g.
  /// "suite", "gossip_peer.mjs" for the gossipsub peer) and waits for its
  /// ready line.
  explicit js_peer(const std::string& subdir = "js",
                   const std::string& script = "peer.mjs");
  ~js_peer();

  js_peer(const js_peer&) = delete;
  js_peer& operator=(const js_peer&) = delete;

  /// Sends {"id":N,"cmd":cmd,<fields>} (`fields` is JSON without braces,
  /// may be empty) and returns the answer line. Throws on timeout.
  std::string
  call(const std::string& cmd, const std::string& fields,
       std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// Whether an answer line says "ok":true.
  static bool ok(const std::string& answer);

  /// The peer's id and listen addresses (with /p2p/<id>).
  std::string id;
  std::vector<std::string> addrs;

  /// Event lines seen so far ({"event":...}).
  std::vector<std::string> events;

  /// What the peer wrote to stderr so far (for failure messages).
  std::string stderr_text();

private:
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void drain_stderr();

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string out_buf_;
  std::string err_buf_;
  int next_id_ = 0;
  bool eof_ = false;
};

} // namespace canswarm::test
