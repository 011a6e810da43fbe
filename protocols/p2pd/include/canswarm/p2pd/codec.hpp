#pragma once

// Encoder and decoder of the libp2p daemon control protocol messages
// (see messages.hpp for the conversation) and their framing: each message is
// an unsigned-varint length followed by the protobuf (proto2) body.
//
// Encoding follows proto2: every required field is written even when its
// value is 0 or empty (go's daemon and client reject a message without
// them), present optional fields are written even when 0, and fields come in
// field-number order, as go and js write them.
//
// Deviations from spec (decoding only):
//  - A missing required bytes or string field decodes as empty, because the
//    js daemon (protons) omits empty values even for required fields. A
//    missing required `type` is still an error: both reference decoders
//    fail on it.
//  - decode_request also checks that the sub-request its type needs is
//    present; go answers such a request with an ERROR response instead.
//  - Unknown fields are ignored, as protobuf does.

#include <cstddef>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/p2pd/frame_reader.hpp"
#include "canswarm/p2pd/messages.hpp"

namespace canswarm::p2pd {

// -- bodies (no length prefix) ----------------------------------------------

/// Decodes a Request body and checks it with `check_request`. Errors:
/// errc::too_large (body over max_message_size), errc::malformed for a
/// non-protobuf body, a missing type ("Request without type field"), an
/// unknown enum value ("Request has unknown type 42") or a missing
/// sub-request ("CONNECT request without connect field").
result<request> decode_request(bytes_view body);

/// Encodes a Request body (proto2: required fields always written).
bytes encode_request(const request& r);

/// Checks that the sub-request `r.type` needs is present: CONNECT needs
/// `connect`, STREAM_OPEN `stream_open`, ... IDENTIFY and LIST_PEERS need
/// none. Other sub-requests may be present; they are ignored, as go does.
result<void> check_request(const request& r);

/// Decodes a Response body. Errors as for decode_request, minus the
/// sub-message check (an ERROR without `error` is accepted, as both
/// reference clients do).
result<response> decode_response(bytes_view body);

/// Encodes a Response body.
bytes encode_response(const response& r);

/// Decodes a bare StreamInfo body (start of a stream-handler connection).
result<stream_info> decode_stream_info(bytes_view body);

/// Encodes a StreamInfo body.
bytes encode_stream_info(const stream_info& s);

/// Decodes a bare PSMessage body (subscription stream).
result<ps_message> decode_ps_message(bytes_view body);

/// Encodes a PSMessage body.
bytes encode_ps_message(const ps_message& m);

/// Decodes a bare DHTResponse body (DHT result stream).
result<dht_response> decode_dht_response(bytes_view body);

/// Encodes a DHTResponse body.
bytes encode_dht_response(const dht_response& d);

// -- frames -----------------------------------------------------------------

/// Appends one frame (uvarint length + body) carrying `r` to `out`.
void write_message(const request& r, bytes& out);
/// Appends one frame carrying `r` to `out`.
void write_message(const response& r, bytes& out);
/// Appends one frame carrying `s` to `out`.
void write_message(const stream_info& s, bytes& out);
/// Appends one frame carrying `m` to `out`.
void write_message(const ps_message& m, bytes& out);
/// Appends one frame carrying `d` to `out`.
void write_message(const dht_response& d, bytes& out);

// -- convenience --------------------------------------------------------------

/// Response{type: OK} with nothing else.
response ok_response();

/// Response{type: ERROR, error: {msg}}.
response error_response(std::string msg);

} // namespace canswarm::p2pd
