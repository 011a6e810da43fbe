#pragma once

// A fixture for tests of the NATS bridge on a threaded actor system: signed
// envelopes, publish/subscribe requests, sinks for envelopes and connection
// events (scoped actors), and a log capture.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "canswarm/actors/message_types.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/nats/bridge.hpp"
#include "nats_server.hpp"

namespace canswarm::test {

/// Actor system configuration with every message type of the bridge.
struct bridge_system_config : caf::actor_system_config {
  bridge_system_config() {
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
    canswarm::add_message_types(*this);
    canswarm::add_nats_message_types(*this);
  }
};

/// Builds signed (or unsigned) envelopes with fresh ids and nonces.
class envelope_factory {
public:
  envelope_factory();

  /// An envelope of `thread`/`k`, signed; with `sign` false the signature
  /// is removed (sender still set): an unsigned envelope.
  envelope::envelope make(const std::string& thread, envelope::kind k,
                          std::string payload, bool sign = true);

  /// Its wire bytes.
  static bytes wire(const envelope::envelope& e);

  /// Its NATS subject.
  static std::string subject(const envelope::envelope& e);

  const identity::private_key& key() const {
    return key_;
  }

private:
  bytes random_bytes(std::size_t n);

  identity::private_key key_;
  std::mt19937_64 rng_;
  std::uint64_t lamport_ = 1;
};

/// Returns the wall clock in Unix nanoseconds.
std::uint64_t unix_now_ns();

/// Collects log lines while alive.
class log_capture {
public:
  log_capture();
  ~log_capture();

  /// Returns whether some line contains every needle.
  bool contains(const std::vector<std::string>& needles);

private:
  std::mutex mtx_;
  std::vector<std::string> lines_;
};

/// An actor system, a bridge-agnostic requester and two sinks.
struct bridge_fixture {
  bridge_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::scoped_actor sink{sys};
  caf::scoped_actor events{sys};
  envelope_factory envs;
  std::vector<nats_bridge_actor> bridges;

  ~bridge_fixture();

  /// A bridge configuration for `srv`.
  static nats_bridge_config config_for(const nats_server& srv, bool jetstream);

  /// Spawns a bridge, subscribes `events` and consumes the first event
  /// (which must say `connected`).
  nats_bridge_actor start(nats_bridge_config c);

  /// Publishes an envelope (wire, subject, id); returns the receipt or the
  /// bridge's error.
  result<nats_publish_receipt> publish(const nats_bridge_actor& b,
                                       const envelope::envelope& e);

  /// Publishes raw arguments.
  result<nats_publish_receipt> publish(const nats_bridge_actor& b, bytes wire,
                                       std::string subject, bytes id);

  /// Subscribes `sink` to `pattern`.
  result<std::uint64_t> subscribe(const nats_bridge_actor& b,
                                  std::string pattern);

  nats_health health(const nats_bridge_actor& b);

  /// The next envelope at `sink`, if one arrives within `timeout`.
  std::optional<nats_envelope>
  next_envelope(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// The next connection event at `events`.
  std::optional<nats_connection_event>
  next_event(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  /// Turns a CAF error of the bridge back into a canswarm error.
  error unwrap(const caf::error& err);
};

} // namespace canswarm::test
