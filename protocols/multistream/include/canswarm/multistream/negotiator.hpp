#pragma once

// Sans-IO multistream-select 1.0 negotiators for the two roles.
//
// Phases (libp2p/specs connections/ "Protocol Negotiation"):
//   1. Both sides send the header "/multistream/1.0.0"; each checks that the
//      first message it receives is that header.
//   2. The dialer proposes protocols in preference order; the listener echoes
//      a supported one (agreement) or answers "na"; "ls" asks for its list.
//   3. After the echo, every further byte belongs to the negotiated protocol
//      and surfaces through take_remaining().
//
// The caller feeds received bytes to handle_input(), writes whatever
// take_output() returns, and watches state(). Nothing here does I/O.
//
// Deviations from spec: none on the wire. Bounds the spec leaves open: lines
// of at most max_line_size bytes, at most max_rounds messages from the
// remote after its header, at most max_pending_input unparsed bytes held.

#include <cstddef>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/multistream/codec.hpp"
#include "canswarm/varint/varint.hpp"

namespace canswarm::multistream {

/// Most messages (proposals, "ls") the listener answers after the header
/// before it gives up, and most protocols a dialer may propose: a real
/// dialer tries a handful; a peer sending thousands is wasting our time.
inline constexpr std::size_t max_rounds = 32;

/// Most received bytes held while waiting for the rest of a message: one
/// length prefix plus one maximal line.
inline constexpr std::size_t max_pending_input = varint::max_bytes
                                                 + max_line_size;

/// Progress of a negotiation.
enum class state {
  negotiating, ///< Still exchanging multistream messages.
  done, ///< Agreed on protocol(); take_remaining() holds later bytes.
  failed, ///< Gave up; failure() says why.
};

/// Returns "negotiating", "done" or "failed".
const char* to_string(state st);

/// What dialer and listener share: output, result and the input splitter.
class negotiation {
public:
  /// Progress of the negotiation.
  multistream::state state() const {
    return state_;
  }

  /// The agreed protocol; empty unless state() == done.
  const std::string& protocol() const {
    return protocol_;
  }

  /// Why the negotiation failed; meaningful only when state() == failed.
  const error& failure() const {
    return failure_;
  }

  /// Returns and clears the bytes to send to the remote.
  bytes take_output();

  /// Returns and clears the bytes received after the agreement (data of the
  /// negotiated protocol the remote pipelined). Input fed after state()
  /// became done is appended here too.
  bytes take_remaining();

protected:
  negotiation() = default;

  /// Starts processing `data`. Returns false when nothing is to be parsed
  /// (already done: `data` went to the remaining bytes; or failed).
  bool begin_input(bytes_view data);

  /// Takes the next complete message into `text`. Returns false when more
  /// bytes are needed or the input was malformed (then state() == failed).
  bool next_line(std::string& text);

  /// Keeps the unparsed tail: as remaining bytes once done, as pending
  /// input (bounded by max_pending_input) while negotiating.
  void end_input();

  /// Enters state done with `protocol`.
  void succeed(std::string protocol);

  /// Enters state failed with `err` (the first failure wins).
  void fail(error err);

  /// The bytes queued for the remote.
  bytes& output() {
    return out_;
  }

private:
  bytes out_;
  multistream::state state_ = state::negotiating;
  std::string protocol_;
  error failure_;
  bytes buffer_; // received, not yet parsed
  std::size_t pos_ = 0; // parse position in buffer_
  bytes remaining_;
};

/// Options of the dialing (initiating) side.
struct dialer_options {
  /// Lazy pipelining: send the header and the first proposal in one write
  /// without waiting for the listener's header, as go-multistream and
  /// rust-libp2p do. When false, the first proposal waits for the header
  /// (one extra round trip).
  bool lazy = true;
};

/// The dialer role: proposes `protocols` in order until one is echoed.
class dialer : public negotiation {
public:
  /// Queues the header (and the first proposal when lazy). An empty list,
  /// more than max_rounds protocols or an invalid protocol id (see
  /// check_protocol) leaves the dialer failed with that reason.
  explicit dialer(std::vector<std::string> protocols,
                  dialer_options options = {});

  /// Processes received bytes. When every proposal was answered "na" the
  /// dialer fails with errc::unsupported naming the protocols tried.
  void handle_input(bytes_view data);

  /// Index in the preference list of the current proposal.
  std::size_t proposal_index() const {
    return index_;
  }

private:
  void on_line(const std::string& text);

  std::vector<std::string> protocols_;
  dialer_options options_;
  bool header_received_ = false;
  std::size_t index_ = 0;
};

/// The listener (responding) role: answers proposals from `supported`.
class listener : public negotiation {
public:
  /// Queues the header. An invalid protocol id, or a list whose ls answer
  /// would exceed max_ls_response_size / max_ls_protocols, leaves the
  /// listener failed with that reason.
  explicit listener(std::vector<std::string> supported);

  /// Processes received bytes: answers the header, "ls", and proposals.
  /// More than max_rounds messages after the header fail with
  /// errc::too_large.
  void handle_input(bytes_view data);

  /// Messages answered after the header so far.
  std::size_t rounds() const {
    return rounds_;
  }

private:
  void on_line(const std::string& text);

  std::vector<std::string> supported_;
  bool header_received_ = false;
  std::size_t rounds_ = 0;
};

} // namespace canswarm::multistream
