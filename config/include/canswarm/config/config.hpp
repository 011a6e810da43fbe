#pragma once

// Node configuration: the schema of every environment variable of the P2P
// deployment guide, loading from the process environment, a `.env` file and
// command-line flags (precedence flag > environment > .env > default), strict
// validation with one-line error messages, and a rendering of the effective
// configuration with the source of every value.

#include <canswarm/error.hpp>
#include <canswarm/multiformats/multiaddr.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canswarm::config {

/// Where a variable's effective value came from.
enum class source { default_value, env_file, environment, flag };

/// Returns "default", ".env", "environment" or "flag".
const char* to_string(source);

/// Verbosity of the node's log output (LOG_LEVEL).
enum class log_level { debug, info, warning, error };

/// Returns "DEBUG", "INFO", "WARNING" or "ERROR".
const char* to_string(log_level);

/// Shape of the node's log lines on stderr (LOG_FORMAT): plain text, or one
/// JSON object per line for log shippers.
enum class log_format { text, json };

/// Returns "text" or "json".
const char* to_string(log_format);

/// The effective, validated configuration of a node. A default-constructed
/// `settings` has empty `listen_addrs` and `control_addr`; `load()` always
/// fills them (defaults /ip4/0.0.0.0/tcp/4001 and /ip4/127.0.0.1/tcp/5001).
struct settings {
  bool p2p_enabled = true; ///< P2P_ENABLED
  bool p2p_primary = true; ///< P2P_PRIMARY
  bool nats_fallback = false; ///< NATS_FALLBACK
  std::vector<multiaddr> listen_addrs; ///< P2P_LISTEN_ADDR
  std::vector<multiaddr> bootstrap_nodes; ///< P2P_BOOTSTRAP_NODES (/p2p/<id>)
  bool mdns_enabled = true; ///< P2P_MDNS_ENABLED
  bool dht_enabled = true; ///< P2P_DHT_ENABLED
  std::uint32_t max_connections = 100; ///< P2P_MAX_CONNECTIONS (1..100000)
  /// P2P_CONNECTION_TIMEOUT in seconds, fractional ok (0 < t <= 3600).
  std::chrono::milliseconds connection_timeout{30000};
  bool circuit_relay_enabled = true; ///< P2P_CIRCUIT_RELAY_ENABLED
  /// P2P_ANNOUNCE_ADDRS (empty = advertise the listen addresses).
  std::vector<multiaddr> announce_addrs;
  /// P2P_SECURITY: security protocols in order of preference, each one of
  /// "noise", "tls", "plaintext" (the dialer's order wins).
  std::vector<std::string> security{"noise", "tls"};
  /// P2P_MUXERS: stream muxers in order of preference, each one of "yamux",
  /// "mplex" (the dialer's order wins).
  std::vector<std::string> muxers{"yamux", "mplex"};
  /// GOSSIPSUB_HEARTBEAT_INTERVAL in seconds, fractional (0.01..60).
  std::chrono::milliseconds heartbeat_interval{1000};
  std::uint32_t mesh_degree_low = 4; ///< GOSSIPSUB_MESH_DEGREE_LOW
  std::uint32_t mesh_degree = 6; ///< GOSSIPSUB_MESH_DEGREE
  std::uint32_t mesh_degree_high = 12; ///< GOSSIPSUB_MESH_DEGREE_HIGH
  /// GOSSIPSUB_STRICT_NO_SIGN_TOPICS: topics whose messages carry no
  /// origin, seqno or signature (StrictNoSign); every other topic is
  /// StrictSign.
  std::vector<std::string> strict_no_sign_topics;
  log_level level = log_level::info; ///< LOG_LEVEL
  bool libp2p_debug = false; ///< LIBP2P_DEBUG
  log_format format = log_format::text; ///< LOG_FORMAT
  /// NATS_URL (comma-separated).
  std::vector<std::string> nats_urls{"nats://127.0.0.1:4222"};
  /// NATS_JETSTREAM: envelopes through a JetStream stream (persistent,
  /// de-duplicated by envelope id, durable consumers) instead of core NATS.
  bool nats_jetstream = false;
  /// NATS_STREAM: the JetStream stream over `thread.>`.
  std::string nats_stream = "CANSWARM_THREADS";
  std::string key_file = "canswarm.key"; ///< P2P_KEY_FILE
  multiaddr control_addr; ///< P2P_CONTROL_ADDR
  /// P2P_METRICS_ADDR: "host:port" of the Prometheus endpoint ("" = off).
  std::string metrics_addr;
  bool bootstrap_mode = false; ///< --bootstrap flag only (CLI)
};

/// One variable's effective value and where it came from.
struct origin {
  std::string name;
  std::string value;
  source from = source::default_value;
};

/// The result of a successful load.
struct loaded {
  settings values;
  /// Every known variable, in schema order.
  std::vector<origin> origins;
  /// Unknown P2P_*/GOSSIPSUB_* names (with "did you mean X?"), plaintext
  /// in P2P_SECURITY, etc.
  std::vector<std::string> warnings;
};

/// Where values come from. Precedence: flags > environment > .env > default.
struct load_options {
  /// Usually `read_environment()`.
  std::map<std::string, std::string> environment;
  /// nullopt -> "./.env" if it exists; set -> the file must exist.
  std::optional<std::string> env_file;
  /// Variable name -> value from CLI flags.
  std::map<std::string, std::string> flags;
};

/// Reads the process environment (environ) into a map.
std::map<std::string, std::string> read_environment();

/// Loads and validates. On failure the error message is ONE line naming the
/// variable, the value and what was expected, e.g.
/// `P2P_MAX_CONNECTIONS="abc": expected an integer between 1 and 100000`.
result<loaded> load(const load_options&);

/// Parses dotenv text (comments, blank lines, `export X=`, single/double
/// quotes, escapes in double quotes, inline ` #` comments on unquoted values).
/// Errors name the line number.
result<std::vector<std::pair<std::string, std::string>>>
parse_dotenv(std::string_view text);

/// Renders the effective configuration and each value's source, one line per
/// variable, for `canswarm config`.
std::string render(const loaded&);

/// One known variable: name, default text and a one-line description.
struct variable {
  std::string_view name;
  std::string_view default_value;
  std::string_view description;
};

/// The schema: every known variable with its default text and a one-line
/// description (used by render, the README's configuration table, warnings).
std::span<const variable> schema();

} // namespace canswarm::config
