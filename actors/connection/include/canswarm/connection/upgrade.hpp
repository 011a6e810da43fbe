#pragma once

// The choices of a connection upgrade (libp2p/specs connections/): which
// security protocol and which stream muxer, named by the short names the
// configuration uses (P2P_SECURITY, P2P_MUXERS) and by their multistream
// protocol ids.
//
// A dialer proposes its list in order and takes the first the listener
// accepts; a listener accepts any protocol of its list (so the dialer's
// preference wins, as in go-libp2p and js-libp2p).

#include <cstdint>
#include <string_view>
#include <vector>

#include "canswarm/error.hpp"

namespace canswarm::connection {

/// A connection security protocol.
enum class security_kind : std::uint8_t {
  noise, ///< /noise (noise-libp2p, XX).
  tls, ///< /tls/1.0.0 (TLS 1.3, libp2p certificate extension).
  plaintext, ///< /plaintext/2.0.0: no encryption; tests and trusted nets.
};

/// A stream multiplexer.
enum class muxer_kind : std::uint8_t {
  yamux, ///< /yamux/1.0.0.
  mplex, ///< /mplex/6.7.0.
};

/// Returns "noise", "tls" or "plaintext".
const char* to_string(security_kind k);

/// Returns "yamux" or "mplex".
const char* to_string(muxer_kind k);

/// Returns the multistream protocol id ("/noise", "/tls/1.0.0", ...).
std::string_view protocol_id(security_kind k);

/// Returns the multistream protocol id ("/yamux/1.0.0", "/mplex/6.7.0").
std::string_view protocol_id(muxer_kind k);

/// Parses a short name ("noise", "tls", "plaintext"); errc::invalid_argument
/// names the accepted values otherwise.
result<security_kind> parse_security(std::string_view name);

/// Parses a short name ("yamux", "mplex").
result<muxer_kind> parse_muxer(std::string_view name);

/// Security protocols offered when nothing is configured: Noise, then TLS.
/// Plaintext is never offered unless configured.
inline const std::vector<security_kind> default_security{security_kind::noise,
                                                         security_kind::tls};

/// Muxers offered when nothing is configured: yamux, then mplex.
inline const std::vector<muxer_kind> default_muxers{muxer_kind::yamux,
                                                    muxer_kind::mplex};

} // namespace canswarm::connection
