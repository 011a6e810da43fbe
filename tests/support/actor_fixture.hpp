#pragma once

// A doctest fixture for actor tests on CAF's deterministic test_coordinator:
// no worker threads, messages run only when the test calls run(), and
// delayed messages fire only when the test advances the virtual clock.

#include <chrono>
#include <stdexcept>
#include <utility>

#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "canswarm/actors/message_types.hpp"

namespace canswarm::test {

/// Actor system configuration with the testing scheduler.
struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
    canswarm::add_message_types(*this);
  }
};

/// Owns a deterministic actor system and a scoped actor for requests.
struct actor_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched = dynamic_cast<
    caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};

  /// Runs every runnable actor until no messages are left.
  std::size_t run() {
    return sched.run();
  }

  /// Advances the virtual clock (firing due delayed messages), then runs.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    run();
  }

  /// Sends a request from `self`, runs the scheduler and returns the
  /// response; throws std::runtime_error on an error response.
  template<class Result, class Handle, class... Ts>
  Result request(const Handle& dest, Ts&&... xs) {
    auto rh = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    Result result{};
    bool failed = false;
    rh.receive([&](Result& x) { result = std::move(x); },
               [&](caf::error&) { failed = true; });
    if (failed)
      throw std::runtime_error("request failed");
    return result;
  }

  /// Remembers an actor to kill when the test ends (the actor system
  /// waits for every actor before it shuts down).
  template<class Handle>
  Handle track(Handle h) {
    tracked.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  ~actor_fixture() {
    for (auto& h : tracked)
      caf::anon_send_exit(h, caf::exit_reason::kill);
    // Let pending exits and down messages run before the system shuts down.
    run();
  }

  std::vector<caf::actor> tracked;
};

} // namespace canswarm::test
