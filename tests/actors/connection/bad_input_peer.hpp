#pragma once

// A misbehaving remote for the bad-input tests: a blocking TCP socket in the
// test thread that speaks the real protocols through the pure libraries
// (multistream dialer, Noise XX initiator, yamux frame headers), so it gets
// past the earlier layers of a canswarm connection and then breaks the rules
// of a later one. Plus a capture of canswarm::log lines.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/noise/session.hpp"
#include "canswarm/yamux/frame.hpp"

namespace canswarm::test {

/// The TCP port of a "/ip4/127.0.0.1/tcp/<port>" listen address.
std::uint16_t port_of(const std::string& listen_addr);

/// A raw client connection to 127.0.0.1 driven step by step by a test.
/// Every wait is bounded; protocol failures throw std::runtime_error.
class raw_peer {
public:
  /// Connects to 127.0.0.1:`port`. A non-zero `rcvbuf` sets SO_RCVBUF
  /// before connecting (a small receive buffer makes a peer that stops
  /// reading stall the sender sooner).
  explicit raw_peer(std::uint16_t port, int rcvbuf = 0);
  ~raw_peer();

  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  /// Our local TCP port (it appears in canswarm's log label of the
  /// connection: "/ip4/127.0.0.1/tcp/<port>").
  std::uint16_t local_port() const;

  /// Writes all of `data` (blocking).
  void send(bytes_view data);

  /// Returns what arrives within `wait` (empty on timeout or EOF).
  bytes read_some(std::chrono::milliseconds wait);

  /// Reads and discards until the remote closes (EOF or reset) or `wait`
  /// passes; returns whether it closed.
  bool wait_closed(std::chrono::milliseconds wait);

  // -- real protocol steps ----------------------------------------------------

  /// Negotiates `protocol` with multistream-select on the raw socket as the
  /// dialer; bytes after the echo are kept for the next layer.
  void negotiate_plain(const std::string& protocol);

  /// Runs the Noise XX handshake as initiator with a fresh identity,
  /// expecting `remote`.
  void noise_handshake(const peer_id& remote);

  /// Encrypts `plain` into Noise transport frames and sends them.
  void send_secure(bytes_view plain);

  /// Decrypts what arrives within `wait`.
  bytes read_secure(std::chrono::milliseconds wait);

  /// Negotiates `protocol` with multistream-select inside Noise.
  void negotiate_secure(const std::string& protocol);

  /// /noise, the handshake and /yamux/1.0.0: ready for raw yamux frames.
  void upgrade(const peer_id& remote);

  /// Sends one yamux frame (header, then `body`) inside Noise.
  void send_frame(const yamux::header& h, bytes_view body = {});

  /// Reads yamux frames until `pred` accepts one or `wait` passes; returns
  /// the accepted header. DATA bodies are skipped.
  template<class Pred>
  std::optional<yamux::header>
  read_frame_until(Pred pred, std::chrono::milliseconds wait);

  /// Sends a yamux PING and returns whether its ACK came back within
  /// `wait`: the session is alive and reading.
  bool ping_alive(std::uint32_t opaque, std::chrono::milliseconds wait);

  /// Every yamux header read so far.
  const std::vector<yamux::header>& frames() const {
    return frames_;
  }

private:
  /// Parses complete yamux frames out of plain_; returns the new ones.
  std::vector<yamux::header> parse_frames();

  int fd_ = -1;
  identity::private_key key_;
  bytes raw_rest_; ///< Raw bytes after a plain negotiation.
  std::optional<noise::session> session_;
  bytes plain_; ///< Decrypted, not yet parsed as yamux.
  std::uint32_t body_left_ = 0; ///< Unread DATA body bytes in the stream.
  std::vector<yamux::header> frames_;
};

template<class Pred>
std::optional<yamux::header>
raw_peer::read_frame_until(Pred pred, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    for (auto& h : parse_frames())
      if (pred(h))
        return h;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero())
      return std::nullopt;
    append(plain_, read_secure(std::min(left, std::chrono::milliseconds{200})));
  }
}

/// Collects canswarm::log lines while alive (restores stderr afterwards).
class log_capture {
public:
  log_capture();
  ~log_capture();

  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  /// Waits up to `wait` for a line containing every one of `needles`;
  /// returns it, or an empty string.
  std::string wait_for(const std::vector<std::string>& needles,
                       std::chrono::milliseconds wait) const;

  /// Every line so far, one per line (for failure messages).
  std::string dump() const;

private:
  struct shared {
    std::mutex mtx;
    std::vector<std::string> lines;
  };
  std::shared_ptr<shared> data_;
};

} // namespace canswarm::test
