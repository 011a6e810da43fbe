#pragma once

// Turns SIGINT/SIGTERM into calls on a dedicated thread (sigtimedwait), so
// the node can send an ordinary message to its root supervisor instead of
// doing work in an async signal handler.

#include <atomic>
#include <functional>
#include <thread>

namespace canswarm::runtime {

/// Watches SIGINT and SIGTERM.
class signal_watcher {
public:
  /// Receives the signal number and how many signals arrived so far.
  using handler = std::function<void(int signo, int count)>;

  /// Blocks SIGINT and SIGTERM in the calling thread; threads started
  /// afterwards (CAF's workers) inherit the mask, so only the watcher thread
  /// ever takes these signals. Construct before the actor system. Signals
  /// that arrive before start() stay pending and are delivered then.
  signal_watcher();

  /// Stops the thread. The signals stay blocked (a late signal during the
  /// rest of the shutdown must not kill the process).
  ~signal_watcher();

  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

  /// Starts the watcher thread.
  void start(handler on_signal);

  /// Stops and joins the watcher thread.
  void stop();

private:
  std::atomic<bool> running_{false};
  std::thread thread_;
};

/// Returns "SIGINT", "SIGTERM" or "signal <n>".
const char* signal_name(int signo);

} // namespace canswarm::runtime
