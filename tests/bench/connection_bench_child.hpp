#pragma once

// A child process for the connection benchmark: a js-libp2p bench peer, a
// canswarm bench peer (bench_connection --peer) or the canswarm node. Its
// stdin and stdout are pipes (line-based: JSON commands and answers, or
// the node's banner); stderr goes to a file so a chatty child never blocks
// on a full pipe.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace canswarm::bench {

/// One running child process.
class child {
public:
  /// Starts argv[0] (a path) with `argv`, in `cwd`, with `env` added to
  /// our environment; stderr goes to `stderr_path`. Throws on failure.
  child(std::vector<std::string> argv, std::string cwd,
        std::map<std::string, std::string> env, std::string stderr_path);
  ~child();

  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// Reads lines until one starts with `prefix`; returns it (without the
  /// newline), or nothing at the timeout or end of output.
  std::optional<std::string> wait_line(const std::string& prefix,
                                       std::chrono::milliseconds timeout);

  /// Sends {"id":N,"cmd":cmd,<fields>} and returns the answer line with
  /// that id. Throws on timeout, exit, or an answer with "ok":false.
  std::string call(const std::string& cmd, const std::string& fields,
                   std::chrono::milliseconds timeout);

  /// VmRSS from /proc/<pid>/status in KiB (0 if unreadable).
  long rss_kib() const;

  /// The last few KiB of the child's stderr (for error messages).
  std::string stderr_tail() const;

  /// Closes stdin, then SIGTERM, then SIGKILL; waits for the exit.
  void stop();

  pid_t pid() const {
    return pid_;
  }

  /// Human-readable name for messages.
  std::string name;

private:
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  std::string out_buf_;
  std::string stderr_path_;
  int next_id_ = 0;
  bool eof_ = false;
};

/// VmRSS of a process in KiB (0 if unreadable).
long rss_kib(pid_t pid);

/// A "<field>:  <n> kB" line of /proc/<pid>/status in KiB (0 if absent).
long status_kib(pid_t pid, const std::string& field);

} // namespace canswarm::bench
