#include "signals.hpp"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace canswarm::runtime {

namespace {

/// How often the watcher thread checks whether it should stop.
constexpr long poll_interval_ns = 100'000'000;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

signal_watcher::signal_watcher() {
  auto set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watcher::~signal_watcher() {
  stop();
}

void signal_watcher::start(handler on_signal) {
  running_ = true;
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    auto set = watched_signals();
    int count = 0;
    while (running_) {
      timespec timeout{0, poll_interval_ns};
      auto signo = sigtimedwait(&set, nullptr, &timeout);
      if (signo > 0)
        on_signal(signo, ++count);
    }
  });
}

void signal_watcher::stop() {
  running_ = false;
  if (thread_.joinable())
    thread_.join();
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

} // namespace canswarm::runtime
