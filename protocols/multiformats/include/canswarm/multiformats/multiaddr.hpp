#pragma once

// Multiaddr: self-describing network addresses. Text form
// "/ip4/1.2.3.4/tcp/4001/p2p/12D3..." and binary form (a sequence of
// <varint protocol code><value>, where variable-size values carry a varint
// length prefix). The binary form is canonical and is what this class holds.
//
// Supported protocols: ip4, tcp, dns, dns4, dns6, udp, ip6, p2p (alias ipfs
// on parse), p2p-circuit, unix, quic, quic-v1, ws, wss.
//
// Deviations from spec: addresses over `max_multiaddr_size` (binary) or
// `max_multiaddr_text_size` (text) are refused; ports accept decimal text only;
// /p2p values must be identity or sha2-256 multihashes (the only peer id
// hashes); a /unix path is the rest of the text address (go-multiaddr style,
// value keeps its leading
// '/') and must be the last component; an empty address is not parsed
// (neither "" nor empty bytes).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm {

/// Longest multiaddr (text or binary) accepted: a bound on what a remote
/// peer can send in identify/DHT records; real addresses are < 300 bytes.
inline constexpr std::size_t max_multiaddr_size = 1024;

/// Longest text form accepted. Text is up to 4x longer than the binary
/// (an /ip4 component: 5 bytes, up to 20 characters), so every binary
/// address within max_multiaddr_size has a text form that parses back.
inline constexpr std::size_t max_multiaddr_text_size = 4 * max_multiaddr_size;

/// A multiaddr value. Default-constructed is the empty address.
class multiaddr {
public:
  /// One protocol component: code, protocol name and binary value (without
  /// its length prefix; empty for protocols without a value).
  struct component {
    std::uint64_t code = 0;
    std::string name;
    bytes value;
  };

  /// Parses the text form. Errors name the offending protocol or value.
  static result<multiaddr> parse(std::string_view text);

  /// Parses the binary form, validating every component.
  static result<multiaddr> from_bytes(bytes_view binary);

  /// Renders the text form (p2p values as base58btc peer ids).
  std::string to_string() const;

  /// Returns the canonical binary form.
  const bytes& to_bytes() const {
    return bytes_;
  }

  /// Returns the components in order.
  std::vector<component> components() const;

  /// Returns whether the address has no components.
  bool empty() const {
    return bytes_.empty();
  }

  /// Returns the text value of the first component named `proto` ("4001",
  /// "1.2.3.4", the peer id text, ""), or nullopt if there is none.
  std::optional<std::string> value_of(std::string_view proto) const;

  /// Returns this address followed by `other`'s components. A /unix path
  /// must stay last: do not encapsulate after one (its text form would
  /// swallow what follows).
  multiaddr encapsulate(const multiaddr& other) const;

  /// Returns this address without a trailing /p2p/<id> component.
  multiaddr decapsulate_p2p() const;

  /// Returns the multihash bytes of the last /p2p component, if any (for a
  /// relayed address ".../p2p/<relay>/p2p-circuit/p2p/<target>": the
  /// target).
  std::optional<bytes> peer_id_bytes() const;

  friend bool operator==(const multiaddr&, const multiaddr&) = default;

private:
  bytes bytes_;
};

} // namespace canswarm
