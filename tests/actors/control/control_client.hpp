#pragma once

// A small blocking p2pd control client for the tests (the codec over a
// plain socket), and a stream-handler listener like the ones go and js
// clients open for STREAM_HANDLER.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "canswarm/p2pd/frame_reader.hpp"

namespace canswarm::test {

/// How long a test waits for bytes before it gives up.
inline constexpr std::chrono::seconds io_wait{20};

/// A connected socket with framed and raw reads (all with io_wait).
class framed_socket {
public:
  framed_socket() = default;
  explicit framed_socket(int fd) : fd_(fd) {}
  framed_socket(framed_socket&& other) noexcept;
  framed_socket& operator=(framed_socket&& other) noexcept;
  ~framed_socket();

  /// Connects to a tcp or unix multiaddr.
  static result<framed_socket> connect(const multiaddr& addr);

  bool valid() const {
    return fd_ >= 0;
  }

  /// Writes all of `data`.
  result<void> write(bytes_view data);

  /// Reads the next frame body.
  result<bytes> read_frame();

  /// Reads exactly `n` raw bytes (frame-reader leftovers first).
  result<bytes> read_exact(std::size_t n);

  /// Reads until the peer closes; returns everything read.
  result<bytes> read_to_end();

  /// Returns whether the peer closed the connection (EOF within io_wait,
  /// discarding any bytes before it).
  bool wait_closed();

  /// Half-closes the write direction.
  void shutdown_write();

  /// Closes the socket.
  void close();

private:
  /// Reads once into `buf`; 0 = EOF.
  result<std::size_t> read_some(std::uint8_t* buf, std::size_t size);

  int fd_ = -1;
  p2pd::frame_reader reader_;
  bytes pending_; ///< Raw bytes read but not returned yet.
};

/// A control-protocol client on one control connection.
class control_client {
public:
  /// Connects to the control address.
  static result<control_client> connect(const multiaddr& control);

  /// Sends a request and reads its response.
  result<p2pd::response> call(const p2pd::request& req);

  /// Sends raw bytes (e.g. a malformed frame).
  result<void> send_raw(bytes_view data);

  /// Reads one response.
  result<p2pd::response> read_response();

  /// The underlying socket (raw stream after STREAM_OPEN).
  framed_socket& socket() {
    return sock_;
  }

private:
  framed_socket sock_;
};

/// A TCP listener on 127.0.0.1 (port chosen by the OS).
class test_listener {
public:
  test_listener();
  ~test_listener();
  test_listener(const test_listener&) = delete;
  test_listener& operator=(const test_listener&) = delete;

  /// /ip4/127.0.0.1/tcp/<port>.
  multiaddr addr() const;

  /// Accepts one connection (waiting at most io_wait).
  result<framed_socket> accept();

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

} // namespace canswarm::test
