#pragma once

// Translation of go p2pd's command line (go-libp2p-daemon cmd/p2pd, as the
// official @libp2p/interop runner passes it) into canswarm configuration:
//
//   canswarm p2pd -listen=/ip4/127.0.0.1/tcp/5001
//   -hostAddrs=/ip4/127.0.0.1/tcp/0
//                 -id=go.ed25519.key -noise=true -muxer=yamux
//
// Pure: no CAF, no file or environment access. The result is a set of
// configuration flag overrides (P2P_* variables, precedence "flag") plus the
// parts the config schema cannot express (no listen address at all, an
// ephemeral identity, the requested transports and services).
//
// Syntax follows go's `flag` package: `-name` or `--name`; values as
// `-name=value` or `-name value`; booleans as `-name` (true) or
// `-name=<bool>` (never `-name <bool>`); `--` or the first non-flag argument
// ends the flags. A flag given twice takes the last value.
//
// Deviations from go p2pd: only the flags the interop runner uses are known
// (any other is "flag provided but not defined", as go reports unknown
// flags); without -hostAddrs the node listens on /ip4/0.0.0.0/tcp/0 only
// (TCP is the only transport); without -listen the control socket is go's
// default /unix/tmp/p2pd.sock.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/error.hpp"

namespace canswarm::control {

/// A transport or service a p2pd command line can ask for.
enum class p2pd_feature {
  noise, ///< -noise=true (the default security transport).
  tls, ///< -tls=true.
  plaintext, ///< -plaintext=true.
  yamux, ///< -muxer=yamux (the default muxer).
  mplex, ///< -muxer=mplex.
  dht_server, ///< -dhtServer.
  relay, ///< -relay (circuit relay v2 hop service).
  pubsub, ///< -pubsub.
  gossipsub, ///< -pubsubRouter=gossipsub (with -pubsub; the default router).
  floodsub, ///< -pubsubRouter=floodsub (with -pubsub).
};

/// Returns the feature's name ("noise", "dht_server", ...).
const char* to_string(p2pd_feature f);

/// The features this build implements: THE list to extend when a transport
/// or service lands. Asking for any other feature is an error.
inline constexpr p2pd_feature supported_p2pd_features[] = {
  p2pd_feature::noise,     p2pd_feature::tls,      p2pd_feature::plaintext,
  p2pd_feature::yamux,     p2pd_feature::mplex,    p2pd_feature::pubsub,
  p2pd_feature::gossipsub, p2pd_feature::floodsub,
};

/// Returns whether `f` is in supported_p2pd_features.
bool is_supported(p2pd_feature f);

/// Go p2pd's default control socket (its -listen default).
inline constexpr std::string_view default_p2pd_control_addr = "/unix/tmp/"
                                                              "p2pd.sock";

/// Listen address used when -hostAddrs is not given.
inline constexpr std::string_view default_p2pd_host_addrs = "/ip4/0.0.0.0/tcp/"
                                                            "0";

/// Most arguments accepted (a bound on a command line built by a script).
inline constexpr std::size_t max_p2pd_args = 64;

/// A translated p2pd command line.
struct p2pd_options {
  /// Configuration variable -> value, to be loaded as flag overrides:
  /// P2P_CONTROL_ADDR, P2P_LISTEN_ADDR (absent with -noListenAddrs),
  /// P2P_KEY_FILE (only with -id), P2P_SECURITY (the chosen security
  /// transports in preference order, e.g. "noise" or "noise,tls"),
  /// P2P_MUXERS (the one -muxer: "yamux" or "mplex"; go p2pd offers exactly
  /// what its flags name), P2P_MDNS_ENABLED=false,
  /// P2P_DHT_ENABLED=false, P2P_CIRCUIT_RELAY_ENABLED=false,
  /// P2P_BOOTSTRAP_NODES= and P2P_ANNOUNCE_ADDRS= (no automatic peers: the
  /// interop suite checks that the peer list is empty before it connects).
  std::map<std::string, std::string> config_flags;
  /// -noListenAddrs: open no transport listener at all (P2P_LISTEN_ADDR
  /// cannot be empty in the config schema, so the node must skip it).
  bool no_listen = false;
  /// No -id: go p2pd then runs with a fresh random identity; the node must
  /// generate an in-memory key and not read or write P2P_KEY_FILE.
  bool ephemeral_identity = true;
  /// Security transports in preference order (-noise, then -tls, then
  /// -plaintext, as go p2pd adds them; noise when none is given).
  std::vector<p2pd_feature> security;
  /// The stream muxer (-muxer; yamux by default).
  p2pd_feature muxer = p2pd_feature::yamux;
  /// Services asked for: dht_server, relay, pubsub (then followed by its
  /// router, gossipsub or floodsub). The node reads pub/sub from here: the
  /// config schema has no variable for it.
  std::vector<p2pd_feature> services;
  /// -h / -help: print p2pd_usage() and exit successfully.
  bool help = false;
};

/// Translates the arguments after `p2pd`. Errors (errc::invalid_argument
/// for bad syntax or values, errc::unsupported for a known but not yet
/// implemented feature) are one line naming the flag, e.g.
/// "unsupported p2pd flag -relay: circuit relay v2 is not implemented yet" or
/// "flag provided but not defined: -quic".
result<p2pd_options> translate_p2pd_flags(const std::vector<std::string>& args);

/// Help text listing the accepted flags (for `canswarm p2pd -h`).
std::string p2pd_usage();

} // namespace canswarm::control
