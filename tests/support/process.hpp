#pragma once

// Helpers for tests that run the real `canswarm` binary: spawn a child
// process with chosen arguments, environment and working directory, read its
// stdout line by line with a timeout, send signals, wait for its exit with a
// timeout; plus free loopback ports, TCP connect checks and temp directories.
// POSIX only; no CAF.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace canswarm::test {

/// How to start a child process.
struct process_options {
  /// Executable path (not searched in PATH).
  std::string path;
  /// Arguments after argv[0].
  std::vector<std::string> args;
  /// Environment of the child. Only these variables are set, unless
  /// `inherit_environment` is true (then these override inherited ones).
  std::map<std::string, std::string> env;
  bool inherit_environment = false;
  /// Working directory; empty = the test's own.
  std::string working_dir;
};

/// A running child process with piped stdout and stderr. The destructor
/// kills (SIGKILL) and reaps a child that is still running.
class child_process {
public:
  /// Starts the child; throws std::runtime_error when fork/exec fails.
  explicit child_process(const process_options& opts);
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Returns the next complete stdout line (without '\n'), or nullopt if
  /// none arrived within `timeout` or stdout was closed.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  /// Returns everything read from stderr so far (after draining what is
  /// available now).
  const std::string& stderr_text();

  /// Sends `sig` to the child.
  void signal(int sig);

  /// Waits for the exit; returns the exit status (128 + signal number when
  /// killed by a signal), or nullopt if it is still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// Reads stdout until it closes (or `timeout`), returning what is left.
  std::string read_rest(std::chrono::milliseconds timeout);

  pid_t pid() const {
    return pid_;
  }

private:
  /// Reads what is available on stdout/stderr, waiting up to `timeout`.
  /// Returns false when both pipes are closed.
  bool pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_buf_;
  std::string err_buf_;
  std::optional<int> status_;
};

/// The outcome of a process run to completion.
struct run_result {
  int exit_code = -1; ///< -1 if it did not finish within the timeout.
  std::string out;
  std::string err;
};

/// Runs a child to completion (killing it after `timeout`).
run_result run(const process_options& opts,
               std::chrono::milliseconds timeout = std::chrono::seconds{20});

/// Returns the path of the canswarm binary (env CANSWARM_BINARY, set by
/// canswarm_test); throws std::runtime_error if unset.
std::string canswarm_binary();

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_tcp_port();

/// The first executable called `name` in PATH (or /usr/bin:/bin when PATH
/// is unset), or nullopt. Callers fail loudly when a tool is missing.
std::optional<std::string> find_in_path(const std::string& name);

/// Returns whether a TCP connection to host:port (numeric IPv4/IPv6)
/// succeeds within `timeout`.
bool can_connect(const std::string& host, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds{2});

/// A fresh directory under the system temp dir, removed with its contents
/// on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const {
    return path_;
  }

  /// Returns path() / name as a string.
  std::string file(const std::string& name) const;

private:
  std::filesystem::path path_;
};

/// Splits `text` at '\n' (dropping a trailing empty line).
std::vector<std::string> split_lines(const std::string& text);

} // namespace canswarm::test
