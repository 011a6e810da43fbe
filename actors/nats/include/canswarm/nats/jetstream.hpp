#pragma once

// JetStream settings and results used by `nats::connection` (client.hpp):
// the stream that persists thread subjects, the durable push consumers that
// feed subscriptions, and publish acknowledgements.
//
// De-duplication: every publish carries the header Nats-Msg-Id (the hex
// envelope id); the server drops a second message with the same id within
// the stream's duplicate window and acknowledges it with duplicate=true.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/error.hpp"

namespace canswarm::nats {

/// The header JetStream de-duplicates on.
inline constexpr std::string_view msg_id_header = "Nats-Msg-Id";

/// Default stream of thread subjects.
inline constexpr std::string_view default_stream_name = "CANSWARM_THREADS";

/// Default de-duplication window: long enough to cover a publisher's retry
/// after a reconnect (reconnect wait x a few attempts), short enough that the
/// server's id table stays small.
inline constexpr std::chrono::seconds default_duplicate_window{120};

/// Most subjects of one stream (configuration, not remote input).
inline constexpr std::size_t max_stream_subjects = 16;

/// Where a stream keeps its messages.
enum class storage_kind : std::uint8_t { file, memory };

/// A stream to create or update.
struct stream_settings {
  /// Stream name ([A-Za-z0-9_-], 1..64).
  std::string name{default_stream_name};
  /// Subjects captured by the stream.
  std::vector<std::string> subjects{"thread.>"};
  storage_kind storage = storage_kind::file;
  /// De-duplication window for Nats-Msg-Id.
  std::chrono::nanoseconds duplicate_window = default_duplicate_window;
  /// Limits; -1 = unlimited (the server's own limits apply).
  std::int64_t max_msgs = -1;
  std::int64_t max_bytes = -1;
  /// Oldest message kept; 0 = forever.
  std::chrono::nanoseconds max_age{0};

  /// Checks the name, subjects (1..max_stream_subjects valid patterns) and
  /// window (> 0): errc::invalid_argument naming the field.
  result<void> validate() const;
};

/// State of a stream, from the server.
struct stream_info {
  std::string name;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::int64_t consumers = 0;
  /// Configured de-duplication window.
  std::chrono::nanoseconds duplicate_window{0};
};

/// Default bound of unacknowledged messages per consumer: the server stops
/// pushing beyond it, which bounds what one subscription can queue in
/// nats.c and in the bridge.
inline constexpr std::int64_t default_max_ack_pending = 1024;

/// A durable push consumer that feeds a subscription.
struct consumer_settings {
  /// Stream to bind to.
  std::string stream{default_stream_name};
  /// Durable name (see subject.hpp `durable_name`); the consumer survives
  /// restarts of the client and of the server.
  std::string durable;
  /// Redelivery of a message not acknowledged within this time.
  std::chrono::milliseconds ack_wait{30'000};
  /// Unacknowledged messages before the server pauses delivery.
  std::int64_t max_ack_pending = default_max_ack_pending;
  /// Deliveries of one message before the server gives up; -1 = no limit.
  std::int64_t max_deliver = -1;
  /// On first creation: deliver only messages published from now on (true)
  /// or the whole stream (false). An existing durable resumes where it was.
  bool deliver_new = true;
};

/// The server's acknowledgement of a JetStream publish.
struct publish_ack {
  std::string stream;
  std::uint64_t sequence = 0;
  /// The server had seen this Nats-Msg-Id within the duplicate window and
  /// did not store the message again.
  bool duplicate = false;
};

} // namespace canswarm::nats
