#pragma once

// libp2p peer ids: the multihash of a public key's protobuf encoding
// (identity multihash when that encoding is at most 42 bytes, else
// sha2-256). Text forms: base58btc of the multihash ("12D3KooW...",
// "Qm...") and CIDv1 ("b" + base32 of <0x01><0x72 libp2p-key><multihash>).
//
// Deviations from spec: none.

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/multiformats/cid.hpp"

namespace canswarm {

/// Key protobufs up to this size are inlined with the identity multihash
/// (peer-ids spec: "42 bytes or fewer").
inline constexpr std::size_t max_inline_key_length = 42;

/// The multicodec of libp2p public keys in CIDs.
inline constexpr std::uint64_t libp2p_key_codec = cid::libp2p_key;

/// A libp2p peer identity: a multihash.
class peer_id {
public:
  /// Default-constructed: empty (not a valid peer id; use the factories).
  peer_id() = default;

  /// Derives the peer id of `key`.
  static peer_id from_public_key(const identity::public_key& key);

  /// Validates multihash bytes: sha2-256 with a 32-byte digest, or identity
  /// with a digest of at most `max_inline_key_length` bytes that decodes as
  /// a public key protobuf.
  static result<peer_id> from_bytes(bytes_view multihash);

  /// Parses base58btc ("12D3KooW...", "Qm...", "1...") or a CIDv1 with the
  /// libp2p-key codec in base32 ("bafz...") or base58btc ("z...").
  static result<peer_id> parse(std::string_view text);

  /// Renders base58btc of the multihash.
  std::string to_string() const;

  /// Renders the CIDv1 form (multibase 'b', base32 lowercase).
  std::string to_cid_string() const;

  /// Returns the multihash bytes.
  const bytes& to_bytes() const {
    return bytes_;
  }

  /// Returns the public key inlined in an identity multihash, if any.
  std::optional<identity::public_key> extract_public_key() const;

  /// Returns whether this peer id is the one derived from `key`.
  bool matches(const identity::public_key& key) const;

  friend auto operator<=>(const peer_id&, const peer_id&) = default;

private:
  bytes bytes_;
};

} // namespace canswarm

template<>
struct std::hash<canswarm::peer_id> {
  std::size_t operator()(const canswarm::peer_id& id) const noexcept;
};
