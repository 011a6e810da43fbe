#pragma once

// What a node keeps about one remote peer from identify and identify/push.
// A push replaces the fields it carries ("missing fields should be ignored,
// as peers may choose to send partial updates", libp2p/specs identify/), so
// a record holds at most one message's worth of data however many pushes
// arrive.
//
// Deviations from spec: proto2 repeated fields have no presence, so an
// empty listenAddrs or protocols list counts as "not sent" and leaves the
// stored list unchanged (a peer cannot announce "no addresses" by push).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/identify/message.hpp"

namespace canswarm::identify {

/// The identify-derived state of one remote peer, within the caps of
/// message.hpp (max_listen_addrs, max_protocols and the size limits).
struct peer_record {
  std::optional<std::string> protocol_version;
  std::optional<std::string> agent_version;
  std::optional<bytes> public_key;
  std::vector<bytes> listen_addrs; ///< At most max_listen_addrs, unique.
  std::vector<std::string> protocols; ///< At most max_protocols, unique.
  std::optional<bytes> signed_peer_record;
  std::size_t updates = 0; ///< Messages applied so far.

  /// Applies an identify response or a push: every field present in `m`
  /// replaces the stored one (non-empty lists replace the stored lists).
  /// Duplicates are dropped, entries over the size caps skipped and the
  /// lists cut at max_listen_addrs / max_protocols, so the record stays
  /// within the caps even for a message that was not produced by decode.
  /// The observed address is about us, not the peer, and is not stored.
  void apply(const message& m);

  /// Whether the peer announced `protocol`.
  bool supports(std::string_view protocol) const;
};

} // namespace canswarm::identify
