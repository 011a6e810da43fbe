#pragma once

// Runs a real nats-server (the Debian package) for tests and the benchmark:
// on a free loopback port, optionally with JetStream storing in its own
// temp dir, logging to a file there. It can be killed with SIGKILL and
// started again on the same port and store, and is killed at the end.
// A missing nats-server binary is an error (std::runtime_error), so tests
// that need it fail instead of passing vacuously.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "support/process.hpp"

namespace canswarm::test {

/// Returns the nats-server executable: $NATS_SERVER_BINARY, else the first
/// of PATH, /usr/sbin, /usr/local/sbin, /usr/local/bin, /usr/bin that has
/// one. Throws std::runtime_error naming what was searched.
std::string nats_server_binary();

/// A nats-server child process.
class nats_server {
public:
  /// Starts the server (throws std::runtime_error if it is not ready within
  /// 10 s, with the log).
  explicit nats_server(bool jetstream = true);

  ~nats_server();

  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  /// Sends SIGKILL and reaps the process.
  void kill();

  /// Starts the server again on the same port and store directory.
  void start();

  bool running() const {
    return proc_ != nullptr;
  }

  std::uint16_t port() const {
    return port_;
  }

  /// nats://127.0.0.1:<port>
  std::string url() const;

  /// The server's log so far (all runs).
  std::string log() const;

private:
  bool jetstream_;
  std::uint16_t port_;
  temp_dir dir_;
  std::unique_ptr<child_process> proc_;
};

} // namespace canswarm::test
