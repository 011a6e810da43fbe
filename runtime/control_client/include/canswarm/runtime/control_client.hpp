#pragma once

// A small blocking client of a node's p2pd-compatible control API, for the
// agent tools (`canswarm publish / subscribe / peers`): one request and its
// response per call over a plain socket, and SUBSCRIBE, after whose OK the
// connection carries the topic's PSMessages.
//
// Bounds: every connect, write and read waits at most the client's timeout
// (or the `wait` given); frames are read with p2pd::frame_reader, which
// rejects a length prefix over p2pd::max_message_size before buffering it.
// No CAF, no threads.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/p2pd/frame_reader.hpp"
#include "canswarm/p2pd/messages.hpp"

namespace canswarm::runtime {

/// Default bound of a connect, a write or a response read: a local daemon
/// answers in milliseconds; 10 s leaves room for a busy machine.
inline constexpr std::chrono::milliseconds default_control_timeout{10'000};

/// A connected control socket reading uvarint-framed messages.
class control_connection {
public:
  control_connection() = default;
  control_connection(control_connection&& other) noexcept;
  control_connection& operator=(control_connection&& other) noexcept;
  control_connection(const control_connection&) = delete;
  control_connection& operator=(const control_connection&) = delete;
  ~control_connection();

  /// Connects to a /ip4/.../tcp/N, /ip6/.../tcp/N or /unix/PATH multiaddr
  /// within `timeout`. errc::invalid_argument for another address,
  /// errc::timeout or errc::io otherwise.
  static result<control_connection> connect(const multiaddr& addr,
                                            std::chrono::milliseconds timeout);

  /// Writes all of `data`, waiting at most `wait` for buffer space.
  result<void> write(bytes_view data, std::chrono::milliseconds wait);

  /// Returns the next frame body, waiting at most `wait` for each read
  /// (errc::timeout; errc::io when the daemon closed the connection).
  result<bytes> read_frame(std::chrono::milliseconds wait);

  /// Returns a complete frame already buffered, without reading.
  result<std::optional<bytes>> buffered_frame();

  /// Reads once what is available (call after poll reported the socket
  /// readable); errc::io when the daemon closed the connection.
  result<void> receive();

  /// The socket, for poll; -1 when closed.
  int fd() const {
    return fd_;
  }

  /// Closes the socket.
  void close();

private:
  explicit control_connection(int fd) : fd_(fd) {}

  int fd_ = -1;
  p2pd::frame_reader reader_;
};

/// A control connection after an OK SUBSCRIBE: the topic's PSMessages.
/// Destroying it closes the connection, which ends the subscription.
class subscription {
public:
  subscription(std::string topic, control_connection conn)
      : topic_(std::move(topic)), conn_(std::move(conn)) {}

  /// The subscribed topic.
  const std::string& topic() const {
    return topic_;
  }

  /// Returns the next message (errc::timeout when none arrives within
  /// `wait`, errc::io when the daemon closed the connection).
  result<p2pd::ps_message> next(std::chrono::milliseconds wait);

  /// The connection (for `next_message`).
  control_connection& connection() {
    return conn_;
  }

private:
  std::string topic_;
  control_connection conn_;
};

/// A message from one of several subscriptions.
struct indexed_message {
  std::size_t index; ///< Position of the subscription.
  p2pd::ps_message message;
};

/// Waits up to `wait` for a message on any of `subs`; nullopt when none
/// arrived. Fails on the first broken or closed subscription.
result<std::optional<indexed_message>>
next_message(std::span<subscription> subs, std::chrono::milliseconds wait);

/// A blocking control client on one connection. ERROR responses become
/// errc::refused errors carrying the daemon's text.
class control_client {
public:
  /// Connects to `control`; `timeout` bounds the connect and each call.
  static result<control_client>
  connect(const multiaddr& control,
          std::chrono::milliseconds timeout = default_control_timeout);

  /// Sends `req` and reads its response (OK or ERROR, as received).
  result<p2pd::response> call(const p2pd::request& req);

  /// IDENTIFY: the daemon's peer id (multihash) and listen addresses.
  result<p2pd::identify_response> identify();

  /// LIST_PEERS: the daemon's connected peers.
  result<std::vector<p2pd::peer_info>> list_peers();

  /// PUBSUB GET_TOPICS: the topics the daemon subscribes to.
  result<std::vector<std::string>> get_topics();

  /// PUBSUB LIST_PEERS: ids of the peers known on `topic` (all topics
  /// when nullopt).
  result<std::vector<bytes>>
  list_topic_peers(const std::optional<std::string>& topic);

  /// CANSWARM_STATS (canswarm extension): the node's counters as a JSON
  /// document (see control/requests.hpp stats_json).
  result<std::string> stats();

  /// CANSWARM_INSPECT (canswarm extension): the node's live actor tree as
  /// JSON (or text), after killing `kill` if not empty (control/inspect.hpp).
  result<std::string> inspect(bool text, const std::string& kill);

  /// PUBSUB PUBLISH of `data` on `topic`. A canswarm node hands thread
  /// topics to its envelope bus (gate, primary/fallback transport); `raw`
  /// (canswarm extension) publishes straight on gossipsub instead, as a
  /// misbehaving node would (`canswarm publish --forge`).
  result<void> publish(const std::string& topic, bytes_view data,
                       bool raw = false);

  /// PUBSUB SUBSCRIBE to `topic`. On OK the connection moves into the
  /// returned subscription and this client can make no more calls.
  result<subscription> subscribe(const std::string& topic);

private:
  control_connection conn_;
  std::chrono::milliseconds timeout_ = default_control_timeout;
};

} // namespace canswarm::runtime
