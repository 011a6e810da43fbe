#pragma once

// Message authentication of the pubsub spec ("Message Signing"): the origin
// signs "libp2p-pubsub:" + the Message protobuf without signature and key;
// `from` is the origin's peer id bytes, `seqno` 8 bytes big-endian; `key`
// carries the public key only when it cannot be inlined in the peer id
// (never for Ed25519). Policies per topic: StrictSign (all of from, seqno,
// signature required and valid) and StrictNoSign (none may be present).
// Also the default message id functions.
//
// Deviations from spec: only Ed25519 origins verify (identity library);
// messages from other key types are rejected as invalid_key.

#include <cstdint>
#include <optional>
#include <string>

#include "canswarm/bytes.hpp"
#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace canswarm::gossipsub {

/// Returns the 8-byte big-endian encoding of `seqno`.
bytes seqno_bytes(std::uint64_t seqno);

/// Builds a StrictSign message: from = `self`, seqno, signature by `key`.
message make_signed_message(const identity::private_key& key,
                            const peer_id& self, std::string topic, bytes data,
                            std::uint64_t seqno);

/// Builds a StrictNoSign message (topic and data only).
message make_unsigned_message(std::string topic, bytes data);

/// Cheap structural checks of `m` under `policy` (field presence, seqno
/// size); no parsing of `from` and no signature verification.
std::optional<reject_reason> check_fields(const message& m,
                                          signing_policy policy);

/// Verifies the origin signature of a StrictSign message whose fields
/// passed `check_fields`: from is a peer id, key matches from, signature
/// verifies.
std::optional<reject_reason> verify_signature(const message& m);

/// Like verify_signature, building the signed payload in `scratch` (reused
/// across calls to avoid an allocation per message).
std::optional<reject_reason> verify_signature(const message& m, bytes& scratch);

/// `check_fields`, then `verify_signature` under StrictSign.
std::optional<reject_reason> check_message(const message& m,
                                           signing_policy policy);

/// The default message id: from||seqno when both are present (go's and
/// rust's default), else the SHA-256 of data (content addressing for
/// unsigned topics).
message_id default_message_id(const message& m);

/// The content-hash id: SHA-256 of data.
message_id content_message_id(const message& m);

} // namespace canswarm::gossipsub
