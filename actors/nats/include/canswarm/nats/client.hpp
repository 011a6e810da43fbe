#pragma once

// A thin RAII C++ wrapper over nats.c 3.4 (the NATS C client). No CAF.
//
// - `connection` owns a natsConnection and, once used, its JetStream
//   context. Connecting takes several URLs, a name, timeouts, credentials
//   and TLS files; reconnection is nats.c's own (forever by default), and
//   while it reconnects nats.c keeps publishes in its reconnect buffer
//   (`client_options::reconnect_buffer_bytes`) and sends them once
//   reconnected; beyond the buffer a publish fails.
// - `subscription` and `message` are handles: a message keeps its
//   subscription's nats.c object alive, so it can be acknowledged
//   (JetStream) on any thread after its callback returned.
// - Core NATS: publish (optionally with headers), subscribe, flush,
//   request/reply. JetStream: ensure a stream, publish with Nats-Msg-Id
//   (synchronously, or asynchronously with the server's ack delivered to
//   `callbacks::on_publish_ack`), durable push consumers with manual ack.
//
// Threads: every callback runs on a nats.c thread (state changes on its
// connection callback thread, messages on the subscription's delivery
// thread, publish acks on the JetStream reply thread) and must return
// quickly. nats.c is given opaque tokens, never pointers to C++ objects: a
// callback that fires while its connection or subscription is being
// destroyed finds nothing and returns.
//
// Errors: every nats.c failure is a canswarm::error naming the operation
// with nats.c's status text (and its error detail, and the JetStream error
// code when there is one), e.g. "nats publish on thread.x.need: Connection
// Closed".

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/nats/jetstream.hpp"

namespace canswarm::nats {

namespace detail {
struct connection_state;
struct message_state;
struct subscription_state;
} // namespace detail

/// Most server URLs of one connection (configuration, not remote input).
inline constexpr std::size_t max_urls = 32;

/// Largest reconnect buffer accepted: publishes kept while reconnecting
/// stay in memory, so this bounds the memory an outage can take.
inline constexpr std::size_t max_reconnect_buffer_bytes = std::size_t{64} << 20;

/// Default reconnect buffer (nats.c's own default).
inline constexpr std::size_t default_reconnect_buffer_bytes = std::size_t{8}
                                                              << 20;

/// Default bound of messages nats.c queues per subscription before it
/// drops them and reports a slow consumer (nats.c's default is 65536).
inline constexpr int default_pending_msgs = 65'536;

/// Default bound of bytes nats.c queues per subscription.
inline constexpr int default_pending_bytes = 64 << 20;

/// TLS settings (any tls:// URL or `enabled` turns TLS on).
struct tls_options {
  bool enabled = false;
  /// PEM file of trusted CA certificates; empty = system defaults.
  std::string ca_file;
  /// PEM files of our certificate chain and key (mutual TLS); both or none.
  std::string cert_file;
  std::string key_file;
  /// Host name expected in the server certificate; empty = from the URL.
  std::string expected_hostname;
};

/// How to connect.
struct client_options {
  /// Server URLs, nats://host:port or tls://host:port (user:pass@ allowed).
  std::vector<std::string> urls;
  /// Connection name shown by the server (monitoring, logs).
  std::string name = "canswarm";
  /// Timeout of one connection attempt (TCP + handshake).
  std::chrono::milliseconds connect_timeout{2000};
  /// Pause before another attempt on the same server.
  std::chrono::milliseconds reconnect_wait{2000};
  /// Reconnect attempts per server; -1 = forever.
  int max_reconnect = -1;
  /// Bytes of publishes kept while reconnecting (<= max_reconnect_buffer).
  std::size_t reconnect_buffer_bytes = default_reconnect_buffer_bytes;
  /// Client PING interval; a server that misses `max_pings_out` PONGs is
  /// considered gone.
  std::chrono::milliseconds ping_interval{120'000};
  int max_pings_out = 2;
  /// Write each publish to the socket at once instead of letting nats.c's
  /// flusher collect publishes for up to 1 ms: lower latency, fewer
  /// messages per second.
  bool send_asap = false;
  /// Do not deliver our own publishes to our own subscriptions (the
  /// hybrid bus delivers its envelopes locally at publish time).
  bool no_echo = false;
  /// Keep retrying in the background when the first connect fails
  /// (connect() then succeeds in state `connecting`).
  bool retry_on_failed_connect = false;
  /// NATS credentials file (user JWT + NKey seed); empty = none.
  std::string credentials_file;
  /// Authentication token; empty = none.
  std::string token;
  tls_options tls;

  /// Checks URLs (1..max_urls, nats:// or tls://), name, timeouts (> 0),
  /// max_reconnect (>= -1), the buffer bound and TLS file pairs:
  /// errc::invalid_argument naming the field.
  result<void> validate() const;
};

/// State of a connection.
enum class link_state : std::uint8_t {
  connecting, ///< First connect still being retried in the background.
  connected, ///< Connected to a server.
  reconnecting, ///< Lost the server; nats.c is reconnecting.
  closed, ///< Closed for good (by us, or reconnect attempts exhausted).
};

/// Returns "connecting", "connected", "reconnecting" or "closed".
const char* to_string(link_state s);

/// Message headers, in order (a key may repeat).
using headers = std::vector<std::pair<std::string, std::string>>;

/// A received message. A cheap, copyable handle; the nats.c message is freed
/// with the last copy.
class message {
public:
  message() = default;

  /// Returns whether the handle holds a message.
  bool valid() const {
    return state_ != nullptr;
  }

  std::string_view subject() const;

  /// Reply subject (empty if none).
  std::string_view reply() const;

  bytes_view data() const;

  /// Returns the first value of header `key`, if present.
  std::optional<std::string> header(std::string_view key) const;

  /// Returns whether the message came from a JetStream consumer.
  bool from_jetstream() const;

  /// Acknowledges a JetStream message (a core message gets
  /// errc::invalid_argument, "not a JetStream message").
  result<void> ack() const;

  /// Tells the server never to redeliver this JetStream message.
  result<void> term() const;

  /// Asks the server to redeliver this JetStream message.
  result<void> nak() const;

  /// Internal: wraps a message handed over by nats.c.
  explicit message(std::shared_ptr<detail::message_state> state)
      : state_(std::move(state)) {}

private:
  std::shared_ptr<detail::message_state> state_;
};

/// Receives messages on a nats.c delivery thread.
using message_handler = std::function<void(message)>;

/// A subscription; unsubscribes (core) or detaches (JetStream: the durable
/// consumer stays on the server) when the last handle is gone.
class subscription {
public:
  subscription() = default;

  bool valid() const {
    return state_ != nullptr;
  }

  /// The subject or pattern.
  const std::string& subject() const;

  /// Removes the interest now; for JetStream also deletes the durable
  /// consumer. Messages already delivered can still be acknowledged.
  result<void> unsubscribe();

  /// Messages nats.c dropped because this subscription's queue was full.
  std::uint64_t dropped() const;

  /// Internal.
  explicit subscription(std::shared_ptr<detail::subscription_state> state)
      : state_(std::move(state)) {}

private:
  std::shared_ptr<detail::subscription_state> state_;
};

/// Traffic counters of a connection.
struct connection_stats {
  std::uint64_t in_msgs = 0;
  std::uint64_t in_bytes = 0;
  std::uint64_t out_msgs = 0;
  std::uint64_t out_bytes = 0;
  std::uint64_t reconnects = 0;
};

/// What a connection reports, on nats.c threads.
struct callbacks {
  /// The state changed; `detail` is nats.c's last error text (may be empty).
  std::function<void(link_state state, std::string detail)> on_state;
  /// An asynchronous JetStream publish finished (see publish_async).
  std::function<void(std::uint64_t tag, result<publish_ack> ack)>
    on_publish_ack;
};

/// An open NATS connection (see the top of this file).
class connection {
public:
  /// Connects (blocking up to connect_timeout per URL). With
  /// retry_on_failed_connect, a failed first attempt returns a connection
  /// in state `connecting`.
  static result<std::unique_ptr<connection>> connect(const client_options& opts,
                                                     callbacks cbs);

  /// Closes the connection (buffered publishes not yet sent are lost);
  /// nats.c callbacks that are still running finish on their own.
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  link_state state() const;

  /// URL of the server we are connected to (empty if none).
  std::string connected_url() const;

  /// nats.c's last error text on this connection (empty if none).
  std::string last_error() const;

  connection_stats stats() const;

  // -- core NATS -------------------------------------------------------------

  /// Publishes `data` on `subject` (with `hdrs`, if any). Succeeds once
  /// nats.c buffered it (also while reconnecting, up to the buffer).
  result<void> publish(std::string_view subject, bytes_view data,
                       const headers& hdrs = {});

  /// Publishes with a reply subject.
  result<void> publish_request(std::string_view subject, std::string_view reply,
                               bytes_view data);

  /// Sends everything buffered and waits for the server's PONG.
  result<void> flush(std::chrono::milliseconds timeout);

  /// Sends a request and waits for the first reply.
  result<message> request(std::string_view subject, bytes_view data,
                          std::chrono::milliseconds timeout);

  /// Subscribes to a subject or pattern; `handler` runs on a nats.c thread.
  result<subscription> subscribe(std::string_view pattern,
                                 message_handler handler,
                                 int pending_msgs = default_pending_msgs,
                                 int pending_bytes = default_pending_bytes);

  // -- JetStream --------------------------------------------------------------

  /// Creates the stream, or updates it to `s` if it exists with another
  /// configuration. Returns its state.
  result<stream_info> ensure_stream(const stream_settings& s);

  /// Returns a stream's state (errc::not_found if it does not exist).
  result<stream_info> get_stream(std::string_view name);

  /// Deletes a stream (tests, tools).
  result<void> delete_stream(std::string_view name);

  /// Publishes and waits for the server's acknowledgement. `msg_id` (may be
  /// empty) goes into the Nats-Msg-Id header.
  result<publish_ack> js_publish(std::string_view subject, bytes_view data,
                                 std::string_view msg_id,
                                 std::chrono::milliseconds timeout);

  /// Publishes without waiting: the acknowledgement (or the error, or a
  /// timeout after `timeout`) arrives at callbacks::on_publish_ack with
  /// `tag`. An error here means the message was not sent (and no callback
  /// follows). At most `max_pending_acks` may be outstanding.
  result<void> js_publish_async(std::string_view subject, bytes_view data,
                                std::string_view msg_id, std::uint64_t tag,
                                std::chrono::milliseconds timeout);

  /// Subscribes through a durable push consumer with manual ack: call
  /// message::ack once the message was handled.
  result<subscription>
  js_subscribe(std::string_view pattern, const consumer_settings& consumer,
               message_handler handler, int pending_msgs = default_pending_msgs,
               int pending_bytes = default_pending_bytes);

  /// Outstanding asynchronous publishes.
  std::size_t pending_acks() const;

  /// Internal.
  explicit connection(std::shared_ptr<detail::connection_state> state);

private:
  std::shared_ptr<detail::connection_state> state_;
};

/// Asynchronous JetStream publishes outstanding per connection: bounds the
/// tag table (the bridge refuses earlier, at its own max_in_flight).
inline constexpr std::size_t max_pending_acks = 65'536;

} // namespace canswarm::nats
