#include <doctest/doctest.h>

#include <stdexcept>

#include "canswarm/actors/restart_policy.hpp"

using namespace canswarm;
using namespace canswarm::supervision;
using namespace std::chrono_literals;

namespace {

const time_point t0 = time_point{} + 1000s;

std::vector<std::size_t> ids(std::initializer_list<std::size_t> xs) {
  return xs;
}

} // namespace

TEST_CASE("one_for_one restarts only the failed child") {
  restart_policy p{{strategy::one_for_one, 3, 5s}};
  auto d = p.on_child_failure(1, 4, t0);
  CHECK_FALSE(d.escalate);
  CHECK(d.restart == ids({1}));
}

TEST_CASE("rest_for_one restarts the failed child and all later ones in "
          "start order") {
  restart_policy p{{strategy::rest_for_one, 3, 5s}};
  CHECK(p.on_child_failure(1, 4, t0).restart == ids({1, 2, 3}));
  CHECK(p.on_child_failure(3, 4, t0).restart == ids({3}));
  CHECK(p.on_child_failure(0, 2, t0).restart == ids({0, 1}));
}

TEST_CASE("a failure beyond max_restarts within the period escalates") {
  restart_policy p{{strategy::one_for_one, 3, 5s}};
  for (int i = 0; i < 3; ++i) {
    auto d = p.on_child_failure(0, 1, t0 + i * 1s);
    CHECK_FALSE(d.escalate);
  }
  CHECK(p.restarts_in_window(t0 + 2s) == 3);
  auto d = p.on_child_failure(0, 1, t0 + 3s);
  CHECK(d.escalate);
  CHECK(d.restart.empty());
}

TEST_CASE("the intensity window slides: old restarts stop counting") {
  restart_policy p{{strategy::one_for_one, 2, 10s}};
  CHECK_FALSE(p.on_child_failure(0, 1, t0).escalate);
  CHECK_FALSE(p.on_child_failure(0, 1, t0 + 4s).escalate);
  // At t0+10s the first restart is exactly one period old: out of the window.
  CHECK(p.restarts_in_window(t0 + 10s) == 1);
  CHECK_FALSE(p.on_child_failure(0, 1, t0 + 10s).escalate);
  // Now restarts at t0+4s and t0+10s are in the window: the next one within
  // 10s of t0+4s escalates.
  CHECK(p.on_child_failure(0, 1, t0 + 13s).escalate);
  // After both age out, restarts are granted again.
  CHECK_FALSE(p.on_child_failure(0, 1, t0 + 20s).escalate);
}

TEST_CASE("failures of different children share one intensity budget") {
  restart_policy p{{strategy::one_for_one, 2, 5s}};
  CHECK_FALSE(p.on_child_failure(0, 3, t0).escalate);
  CHECK_FALSE(p.on_child_failure(2, 3, t0).escalate);
  CHECK(p.on_child_failure(1, 3, t0).escalate);
}

TEST_CASE("an escalation does not consume a restart") {
  restart_policy p{{strategy::one_for_one, 1, 5s}};
  CHECK_FALSE(p.on_child_failure(0, 1, t0).escalate);
  CHECK(p.on_child_failure(0, 1, t0 + 1s).escalate);
  CHECK(p.restarts_in_window(t0 + 1s) == 1);
  CHECK_FALSE(p.on_child_failure(0, 1, t0 + 5s).escalate);
}

TEST_CASE("max_restarts zero escalates on the first failure") {
  restart_policy p{{strategy::rest_for_one, 0, 5s}};
  CHECK(p.on_child_failure(0, 2, t0).escalate);
}

TEST_CASE("a failure of an unknown child index escalates") {
  restart_policy p;
  CHECK(p.on_child_failure(5, 2, t0).escalate);
}

TEST_CASE("invalid policy parameters are rejected with a reason") {
  policy_config too_many{strategy::one_for_one, max_intensity + 1, 5s};
  auto r = too_many.validate();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message.find("max_restarts") != std::string::npos);
  policy_config no_period{strategy::one_for_one, 3, 0s};
  CHECK_FALSE(no_period.validate().ok());
  CHECK_THROWS_AS(restart_policy{no_period}, std::invalid_argument);
  CHECK(std::string{to_string(strategy::rest_for_one)} == "rest_for_one");
}
