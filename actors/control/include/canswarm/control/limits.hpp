#pragma once

// Bounds of the control API: everything a control client (or the remote
// end of a bridged stream) can fill.

#include <chrono>
#include <cstddef>

namespace canswarm::control {

/// Control connections open at once; the interop suite uses a handful (the
/// js client opens one per request and one per open stream).
inline constexpr std::size_t max_control_connections = 256;

/// Connections over max_control_connections still being told why (the
/// ERROR response is written, the socket closes once it is sent); more
/// are closed without a word.
inline constexpr std::size_t max_refusing_control_connections = 64;

/// Requests served on one control connection before it is closed; a go
/// client loops on one connection, so this is generous but finite.
inline constexpr std::size_t max_requests_per_connection = 10'000;

/// Bytes asked for per socket read (one new_data_msg); also the largest
/// single stream write a bridge issues.
inline constexpr std::size_t control_read_chunk = 64 * 1024;

/// Bytes read from a bridged control socket and handed to the muxer but not
/// yet accepted by it; reading pauses above this (backpressure towards the
/// client).
inline constexpr std::size_t max_bridge_write_backlog = 256 * 1024;

/// Stream writes of one bridge in flight (below the peer connection's
/// max_pending_writes of 64).
inline constexpr std::size_t max_bridge_pending_writes = 16;

/// Stream bytes received for a bridged stream but not yet written to the
/// control socket. Credit is granted only for written bytes, so a
/// conforming connection stays below its receive window (256 KiB in
/// yamux); more means the credit loop is broken and the stream is reset.
inline constexpr std::size_t max_bridge_socket_backlog = 1024 * 1024;

/// Inbound streams whose bridge is still connecting to the client's
/// stream-handler listener; more are reset at once.
inline constexpr std::size_t max_pending_handler_dials = 64;

/// Inbound streams bridged to stream-handler listeners at once.
inline constexpr std::size_t max_handler_streams = 1024;

/// Protocols registered with STREAM_HANDLER (the swarm allows 128 handled
/// protocols in total).
inline constexpr std::size_t max_handler_protocols = 128;

/// Protocols named in one STREAM_OPEN / STREAM_HANDLER request.
inline constexpr std::size_t max_request_protocols = 32;

/// Longest protocol name accepted in a request (multistream-select lines
/// are far shorter in practice).
inline constexpr std::size_t max_protocol_name = 1024;

/// Addresses in one CONNECT request (the swarm tries them in order).
inline constexpr std::size_t max_connect_addrs = 64;

/// Peers listed in one LIST_PEERS reply (keeps the reply well below the
/// 4 MiB message bound).
inline constexpr std::size_t max_listed_peers = 10'000;

/// PSMessages written to a subscribed control connection (after SUBSCRIBE)
/// whose bytes are still in the broker's send buffer, i.e. the kernel did
/// not take them because the client does not read; further messages are
/// dropped and counted until it catches up.
inline constexpr std::size_t max_subscription_backlog = 1024;

/// Bytes of those PSMessages (four gossipsub messages of the default 1 MiB
/// max_transmit_size; the kernel's socket buffers come on top).
inline constexpr std::size_t max_subscription_backlog_bytes = 4 * 1024 * 1024;

/// Time a bridge may take to connect to a stream-handler listener.
inline constexpr std::chrono::seconds handler_dial_timeout{5};

/// Longest timeout a client may ask for in CONNECT / STREAM_OPEN.
inline constexpr std::chrono::seconds max_request_timeout{600};

/// After the client closed its side of a bridged stream, how long the
/// bridge keeps discarding (and acknowledging) data of a remote that does
/// not close its side, before it resets the stream.
inline constexpr std::chrono::seconds bridge_drain_timeout{30};

/// How long a control connection closed with an error waits for the client
/// to read the reply and close before it is dropped.
inline constexpr std::chrono::seconds close_linger{5};

} // namespace canswarm::control
