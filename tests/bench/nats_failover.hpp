#pragma once

// The failover part of bench_nats (issue #7): two real `canswarm node`
// processes in mode 3 (NATS primary, P2P fallback; B bootstraps from A)
// against a real nats-server; an agent publishes signed envelopes through
// A's control API at a steady rate, a subscriber reads them through B's;
// nats-server is killed with SIGKILL and, after the measurement, started
// again. Measured at B: the time from the kill to the first delivery of an
// envelope published after the kill, and the largest gap between two
// deliveries; every envelope must arrive exactly once. Optionally the
// same in mode 2 (P2P primary, NATS fallback) with the P2P relay between A
// and B killed instead. The anchor, in the
// same run: nats.c connect + subscribe + flush (the server confirmed the
// subscription) on a fresh connection, median of 20.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace canswarm::bench {

/// One kill of nats-server.
struct failover_run {
  double failover_ms = -1; ///< Kill -> first post-kill envelope at B.
  double max_gap_ms = 0; ///< Largest gap between deliveries at B.
  /// Kill -> first delivery at B of any envelope (a re-sent one too).
  double first_any_ms = -1;
  /// Kill -> A's stats count the failover (polled, an upper bound).
  double detect_ms = -1;
  std::size_t published = 0; ///< Envelopes the agent got accepted.
  std::size_t delivered = 0; ///< Of those, delivered at B (at least once).
  std::size_t duplicates = 0; ///< Extra copies at B.
  std::size_t retries = 0; ///< Publishes the agent had to repeat.
  long long failovers = -1; ///< A's bus failover counter afterwards.
  long long resent = -1; ///< A's bus re-sends afterwards.
  bool recovered = false; ///< A's bus back on NATS after the restart.

  bool exactly_once() const {
    return published > 0 && delivered == published && duplicates == 0;
  }
};

/// Everything the failover part measured.
struct failover_result {
  /// nats.c connect + subscribe + flush, median and all samples (ms).
  double anchor_ms = 0;
  std::vector<double> anchor_samples_ms;
  /// Mode 3: nats-server killed.
  std::vector<failover_run> runs;
  /// Mode 2 (P2P primary, NATS fallback): the relay between A and B
  /// killed.
  std::vector<failover_run> p2p_runs;
  /// Why the measurement could not run (empty when it ran).
  std::string error;
  std::string p2p_error;
  int rate = 0; ///< Publishes per second.
};

/// Runs `kills` kill/restart cycles of nats-server at `rate` envelopes/s
/// (mode 3), and with `with_mode2` also `kills` relay kills in mode 2 (the
/// line A - R - B, R killed -9, fresh nodes each time). `binary` is the
/// canswarm executable.
failover_result measure_failover(const std::string& binary, int kills, int rate,
                                 bool with_mode2);

/// nats.c connect + subscribe + flush on fresh connections to `url`
/// (milliseconds, `samples` of them, in order).
std::vector<double> connect_subscribe_ms(const std::string& url, int samples);

} // namespace canswarm::bench
