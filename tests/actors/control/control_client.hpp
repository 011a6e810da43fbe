#pragma once

// A small blocking p2pd control client for the tests (the codec over a
// plain socket), with the PUBSUB calls of the daemon clients (a SUBSCRIBE
// hands the connection to a pubsub_reader), and a stream-handler listener
// like the ones go and js clients open for STREAM_HANDLER.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

  /// Reads the next frame body (waiting at most `wait` for each read).
  result<bytes> read_frame(std::chrono::milliseconds wait = io_wait);

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
  result<std::size_t> read_some(std::uint8_t* buf, std::size_t size,
                                std::chrono::milliseconds wait = io_wait);

  int fd_ = -1;
  p2pd::frame_reader reader_;
  bytes pending_; ///< Raw bytes read but not returned yet.
};

/// A control connection after an OK SUBSCRIBE: the PSMessages of the
/// topic. Closing it ends the subscription.
class pubsub_reader {
public:
  explicit pubsub_reader(framed_socket sock) : sock_(std::move(sock)) {}

  /// Reads the next PSMessage (errc::timeout when none arrives within
  /// `wait`; errc::io when the daemon closed the connection).
  result<p2pd::ps_message> next(std::chrono::milliseconds wait = io_wait);

  /// The underlying socket.
  framed_socket& socket() {
    return sock_;
  }

  /// Closes the connection (the daemon then unsubscribes).
  void close() {
    sock_.close();
  }

private:
  framed_socket sock_;
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

  // PUBSUB calls. An ERROR response becomes an error with errc::refused
  // and the response's text as message.

  /// GET_TOPICS: the topics the daemon subscribes to.
  result<std::vector<std::string>> get_topics();

  /// LIST_PEERS: ids (multihash bytes) of the peers the daemon knows on
  /// `topic` (nullopt: the field is left out).
  result<std::vector<bytes>>
  list_pubsub_peers(const std::optional<std::string>& topic);

  /// PUBLISH: `data` on `topic`.
  result<void> publish(const std::string& topic, bytes_view data);

  /// SUBSCRIBE: on OK the connection is handed to the returned reader and
  /// this client is left without one (connect a new client for more
  /// requests).
  result<pubsub_reader> subscribe(const std::string& topic);

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
