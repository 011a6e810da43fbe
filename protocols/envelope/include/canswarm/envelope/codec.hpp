#pragma once

// Wire encoding of an envelope: the `Envelope` message of pb/envelope.proto
// in its one canonical protobuf form, so an envelope is byte-identical on
// every transport (gossipsub or NATS) and after any number of decode/encode
// round trips:
//
//   - fields in field-number order (1 version .. 14 signature), each once;
//   - proto3 defaults (0, empty bytes/string) omitted, except the two
//     `optional` policy fields, which are written when set, even if empty;
//   - varints minimal; no unknown fields; nothing after the last field.
//
// `decode` accepts exactly that form (so decode(w) succeeding implies
// encode(decode(w)) == w). Every length is checked against its bound before
// anything is allocated, and the whole input against `max_wire_size` first.
//
// Deviations from spec: protobuf parsers accept any field order, repeated
// scalar fields, explicit defaults and unknown fields; we refuse them, since
// the CAN Swarm bus wants one encoding per envelope.

#include <cstddef>

#include "canswarm/bytes.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/error.hpp"

namespace canswarm::envelope {

/// Largest encoded envelope: the payload cap plus 1 KiB, which holds every
/// other field at its maximum (about 700 bytes with tags and lengths).
inline constexpr std::size_t max_wire_size = max_payload_size + 1024;

/// Encodes `e` canonically. Fails (as `check_fields`) on a field over its
/// bound, a fixed-size field of the wrong size, a thread id that is not
/// UTF-8 or a kind outside the enum, so every encoding decodes.
result<bytes> encode(const envelope& e);

/// Decodes one canonical envelope that fills `wire` exactly. Errors name the
/// field: errc::too_large for input over `max_wire_size` or a field over its
/// bound, errc::unsupported for a kind outside the enum ("unknown envelope
/// kind 99"), errc::malformed for everything else (truncation, an unknown
/// field, a wrong wire type, a field repeated or out of order, an explicit
/// default, an overlong varint, a wrong fixed size, invalid UTF-8). Absent
/// fields decode as proto3 defaults (version 0, kind unspecified, empty);
/// the gate decides what is required.
result<envelope> decode(bytes_view wire);

} // namespace canswarm::envelope
