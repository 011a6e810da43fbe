// The schema of every configuration variable: name, default text and a
// one-line description, in the order of the P2P deployment guide. The
// descriptions also document the validation and cross-field rules that
// load() enforces.

#include "canswarm/config/config.hpp"

#include <array>

namespace canswarm::config {

namespace {

constexpr auto known_variables = std::to_array<variable>({
  {"P2P_ENABLED", "true",
   "Run the libp2p transport (boolean). false = NATS only: P2P_PRIMARY must "
   "then be false or unset (an unset P2P_PRIMARY becomes false)."},
  {"P2P_PRIMARY", "true",
   "Use P2P as the primary transport (boolean); false = NATS primary with P2P "
   "as fallback. true requires P2P_ENABLED=true."},
  {"NATS_FALLBACK", "false",
   "Also use NATS as a fallback when P2P is primary (boolean). Allowed with "
   "P2P_ENABLED=false (NATS only), where it changes nothing."},
  {"P2P_LISTEN_ADDR", "/ip4/0.0.0.0/tcp/4001",
   "Comma-separated multiaddrs to listen on; at least one."},
  {"P2P_BOOTSTRAP_NODES", "",
   "Comma-separated multiaddrs of bootstrap peers; each must end in "
   "/p2p/<peer-id>. May be empty."},
  {"P2P_MDNS_ENABLED", "true", "Discover peers on the LAN via mDNS (boolean)."},
  {"P2P_DHT_ENABLED", "true", "Discover peers via the Kademlia DHT (boolean)."},
  {"P2P_MAX_CONNECTIONS", "100",
   "Maximum concurrent connections, an integer between 1 and 100000."},
  {"P2P_CONNECTION_TIMEOUT", "30",
   "Dial/handshake timeout in seconds, fractional allowed (millisecond "
   "resolution), greater than 0 and at most 3600."},
  {"P2P_CIRCUIT_RELAY_ENABLED", "true",
   "Use circuit relays for NAT traversal (boolean)."},
  {"P2P_ANNOUNCE_ADDRS", "",
   "Comma-separated multiaddrs to advertise instead of the listen addresses "
   "(e.g. the public IP behind NAT). Empty = advertise the listen addresses."},
  {"P2P_SECURITY", "noise,tls",
   "Comma-separated security protocols in order of preference, each one of "
   "noise, tls, plaintext, at least one, no duplicates. A dialer proposes "
   "them in this order and a listener accepts any of them, so the dialer's "
   "order wins. plaintext (no encryption, no authentication; tests and "
   "trusted networks only) logs a warning."},
  {"P2P_MUXERS", "yamux,mplex",
   "Comma-separated stream muxers in order of preference, each one of yamux, "
   "mplex, at least one, no duplicates. A dialer proposes them in this order "
   "and a listener accepts any of them, so the dialer's order wins."},
  {"GOSSIPSUB_HEARTBEAT_INTERVAL", "1",
   "Gossipsub heartbeat interval in seconds, fractional allowed (millisecond "
   "resolution), between 0.01 and 60."},
  {"GOSSIPSUB_MESH_DEGREE_LOW", "4",
   "Gossipsub D_low, an integer between 1 and 1000; must be <= "
   "GOSSIPSUB_MESH_DEGREE."},
  {"GOSSIPSUB_MESH_DEGREE", "6",
   "Gossipsub D (target mesh size), an integer between 1 and 1000; "
   "D_low <= D <= D_high."},
  {"GOSSIPSUB_MESH_DEGREE_HIGH", "12",
   "Gossipsub D_high, an integer between 1 and 1000; must be >= "
   "GOSSIPSUB_MESH_DEGREE."},
  {"GOSSIPSUB_STRICT_NO_SIGN_TOPICS", "",
   "Comma-separated gossipsub topics (each at most 256 bytes, none twice) "
   "published and accepted StrictNoSign: no origin, seqno or signature, "
   "message id from the content. Every other topic is StrictSign (unsigned "
   "messages refused). All nodes of such a topic must list it."},
  {"LOG_LEVEL", "INFO",
   "Log verbosity: DEBUG, INFO, WARNING (or WARN) or ERROR, case-insensitive."},
  {"LIBP2P_DEBUG", "false",
   "Log libp2p protocol detail (boolean): stream opens, GO_AWAY and other "
   "per-connection protocol events, written at DEBUG whatever LOG_LEVEL is; "
   "set LOG_LEVEL=DEBUG too for the connection and pub/sub debug events."},
  {"LOG_FORMAT", "text",
   "Shape of the log lines on stderr: text (one readable line per entry) or "
   "json (one JSON object per line with ts, level, component, peer_id, msg; "
   "for log shippers), case-insensitive."},
  {"NATS_URL", "nats://127.0.0.1:4222",
   "Comma-separated NATS server URLs (nats:// or tls://). Required (non-empty) "
   "whenever NATS is used: P2P_ENABLED=false, P2P_PRIMARY=false or "
   "NATS_FALLBACK=true."},
  {"NATS_JETSTREAM", "false",
   "Carry envelopes through a JetStream stream (persistent; the server "
   "de-duplicates re-publishes by envelope id via Nats-Msg-Id; one durable "
   "consumer per node and subject) instead of core NATS (boolean)."},
  {"NATS_STREAM", "CANSWARM_THREADS",
   "Name of the JetStream stream over thread.> (letters, digits, '_', '-'; "
   "created if missing). Used with NATS_JETSTREAM=true."},
  {"P2P_KEY_FILE", "canswarm.key",
   "Path of the node's private key file (created with mode 0600 if missing)."},
  {"P2P_CONTROL_ADDR", "",
   "Multiaddr (tcp or unix) of the p2pd-compatible control API, e.g. "
   "/ip4/127.0.0.1/tcp/5001; empty: no control API. It gives full control of "
   "the node: keep it on loopback or a unix socket."},
  {"P2P_METRICS_ADDR", "",
   "host:port of the Prometheus /metrics endpoint, e.g. 127.0.0.1:9464 (port "
   "0: any free port); empty: no endpoint. A non-loopback host logs a "
   "warning."},
});

} // namespace

std::span<const variable> schema() {
  return known_variables;
}

const char* to_string(source from) {
  switch (from) {
    case source::default_value: return "default";
    case source::env_file: return ".env";
    case source::environment: return "environment";
    case source::flag: return "flag";
  }
  return "unknown";
}

const char* to_string(log_level level) {
  switch (level) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warning: return "WARNING";
    case log_level::error: return "ERROR";
  }
  return "unknown";
}

const char* to_string(log_format format) {
  switch (format) {
    case log_format::text: return "text";
    case log_format::json: return "json";
  }
  return "unknown";
}

} // namespace canswarm::config
