#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/log/log.hpp"
#include "support/actor_fixture.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

/// Names of children in the order their instances terminated.
using exit_log = std::shared_ptr<std::vector<std::string>>;

/// Every instance the spawn functions created, in spawn order.
struct spawn_log {
  std::vector<std::string> names;
  std::vector<component_actor> handles;
};
using spawn_log_ptr = std::shared_ptr<spawn_log>;

/// How a stub child behaves.
enum class stub_kind {
  plain, ///< Exits on any non-normal exit message.
  stubborn, ///< Ignores user_shutdown; only exit_reason::kill stops it.
  finisher, ///< Terminates normally when asked for its status.
};

component_actor::behavior_type stub_child(component_actor::pointer self,
                                          std::string name, exit_log exits,
                                          stub_kind kind) {
  self->attach_functor(
    [exits, name](const caf::error&) { exits->push_back(name); });
  if (kind == stub_kind::stubborn)
    self->set_exit_handler([](caf::exit_msg&) {});
  return {
    [=](status_atom) {
      if (kind == stub_kind::finisher)
        self->quit();
      return component_status{name, "stub", "ok"};
    },
  };
}

struct fixture : test::actor_fixture {
  exit_log exits = std::make_shared<std::vector<std::string>>();
  spawn_log_ptr spawned = std::make_shared<spawn_log>();

  fixture() {
    log::global().set_sink([](std::string_view) {}); // keep test output clean
  }

  ~fixture() {
    log::global().set_sink({});
  }

  child_spec child(const std::string& name, stub_kind kind = stub_kind::plain) {
    auto exits_ = exits;
    auto spawned_ = spawned;
    return {name, "stub",
            [=](caf::actor_system& sys) {
              auto h = sys.spawn(stub_child, name, exits_, kind);
              spawned_->names.push_back(name);
              spawned_->handles.push_back(h);
              return component_actor{h};
            },
            1s};
  }

  supervisor_actor start(supervisor_config cfg) {
    auto sup = spawn_supervisor(sys, std::move(cfg));
    REQUIRE(sup.ok());
    track(*sup);
    self->monitor(*sup);
    run();
    return *sup;
  }

  std::vector<child_info> children(const supervisor_actor& sup) {
    return request<std::vector<child_info>>(sup, children_atom::value);
  }

  void fail(const component_actor& child) {
    self->send_exit(child, caf::make_error(caf::sec::runtime_error));
    run();
  }

  /// The instance of child `name` the supervisor currently runs.
  component_actor current(const supervisor_actor& sup,
                          const std::string& name) {
    for (auto& c : children(sup))
      if (c.name == name)
        for (auto& h : spawned->handles)
          if (h.id() == c.actor_id)
            return h;
    FAIL("no running child " << name);
    return {};
  }

  /// Returns the reason of the supervisor's down message, if it terminated.
  std::optional<caf::error> termination() {
    std::optional<caf::error> result;
    self->receive([&](caf::down_msg& msg) { result = msg.reason; },
                  caf::after(std::chrono::seconds{0}) >> [] {});
    return result;
  }
};

supervisor_config config(supervision::strategy s, std::size_t max_restarts) {
  supervisor_config cfg;
  cfg.name = "test";
  cfg.policy = {s, max_restarts, 10s};
  return cfg;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "a failed child is restarted and its sibling "
                           "is left alone") {
  auto cfg = config(supervision::strategy::one_for_one, 3);
  cfg.children = {child("a"), child("b")};
  auto sup = start(std::move(cfg));
  auto before = children(sup);
  REQUIRE(before.size() == 2);
  CHECK(before[0].state == child_state::running);
  CHECK(before[1].restart_count == 0);
  fail(current(sup, "b"));
  auto after = children(sup);
  CHECK(after[0].actor_id == before[0].actor_id);
  CHECK(after[0].restart_count == 0);
  CHECK(after[1].restart_count == 1);
  CHECK(after[1].state == child_state::running);
  CHECK(after[1].actor_id != before[1].actor_id);
  CHECK(*exits == std::vector<std::string>{"b"});
  CHECK_FALSE(termination());
}

TEST_CASE_FIXTURE(fixture, "children can be looked up by name while they "
                           "run") {
  auto cfg = config(supervision::strategy::one_for_one, 3);
  cfg.children = {child("a"), child("b")};
  auto sup = start(std::move(cfg));
  auto b = request<component_actor>(sup, children_atom::value,
                                    std::string{"b"});
  CHECK(b.id() == children(sup)[1].actor_id);
  auto status = request<component_status>(b, status_atom::value);
  CHECK(status.name == "b");
  CHECK_THROWS(
    request<component_actor>(sup, children_atom::value, std::string{"nope"}));
}

TEST_CASE_FIXTURE(fixture, "a child that finishes normally is not "
                           "restarted") {
  auto cfg = config(supervision::strategy::one_for_one, 3);
  cfg.children = {child("a"), child("done", stub_kind::finisher)};
  auto sup = start(std::move(cfg));
  request<component_status>(current(sup, "done"), status_atom::value);
  run();
  auto xs = children(sup);
  CHECK(xs[1].state == child_state::stopped);
  CHECK(xs[1].restart_count == 0);
  CHECK(xs[1].actor_id == 0);
  CHECK(spawned->names.size() == 2);
  auto status = request<component_status>(sup, status_atom::value);
  CHECK(status.name == "test");
  CHECK(status.role == "supervisor");
  CHECK(status.summary == "2 children, 1 running, 0 restarts, running");
}

TEST_CASE_FIXTURE(fixture, "exceeding the restart intensity escalates: "
                           "children stop and the supervisor fails") {
  auto cfg = config(supervision::strategy::one_for_one, 2);
  cfg.children = {child("a"), child("b")};
  auto sup = start(std::move(cfg));
  fail(current(sup, "b"));
  fail(current(sup, "b"));
  CHECK(children(sup)[1].restart_count == 2);
  CHECK_FALSE(termination());
  fail(current(sup, "b"));
  auto reason = termination();
  REQUIRE(reason);
  CHECK(reason->category() == actor_error_category);
  CHECK(reason->code()
        == static_cast<std::uint8_t>(actor_errc::restart_intensity_exceeded));
  // The healthy sibling was stopped during the escalation.
  CHECK(exits->back() == "a");
  CHECK(describe(sys, *reason).find("child b failed") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "restarts older than the period no longer count "
                           "towards the intensity") {
  auto cfg = config(supervision::strategy::one_for_one, 1);
  cfg.children = {child("a")};
  auto sup = start(std::move(cfg));
  fail(current(sup, "a"));
  advance(10s);
  fail(current(sup, "a"));
  CHECK_FALSE(termination());
  CHECK(children(sup)[0].restart_count == 2);
}

TEST_CASE_FIXTURE(fixture, "rest_for_one stops later siblings in reverse "
                           "order and restarts them in start order") {
  auto cfg = config(supervision::strategy::rest_for_one, 3);
  cfg.children = {child("a"), child("b"), child("c"), child("d")};
  auto sup = start(std::move(cfg));
  auto before = children(sup);
  fail(current(sup, "b"));
  auto after = children(sup);
  CHECK(after[0].actor_id == before[0].actor_id);
  CHECK(after[0].restart_count == 0);
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(after[i].restart_count == 1);
    CHECK(after[i].actor_id != before[i].actor_id);
    CHECK(after[i].state == child_state::running);
  }
  // b failed; then d and c were stopped (reverse order)...
  CHECK(*exits == std::vector<std::string>{"b", "d", "c"});
  // ...and b, c, d started again in start order.
  std::vector<std::string> respawned(spawned->names.begin() + 4,
                                     spawned->names.end());
  CHECK(respawned == std::vector<std::string>{"b", "c", "d"});
}

TEST_CASE_FIXTURE(fixture, "shutdown stops children in reverse start order "
                           "and ends with user_shutdown") {
  auto cfg = config(supervision::strategy::one_for_one, 3);
  cfg.children = {child("a"), child("b"), child("c")};
  auto sup = start(std::move(cfg));
  self->send(sup, shutdown_atom::value);
  run();
  CHECK(*exits == std::vector<std::string>{"c", "b", "a"});
  auto reason = termination();
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "shutdown stops the stop_first children before "
                           "the others, each group in reverse start order") {
  auto cfg = config(supervision::strategy::rest_for_one, 3);
  cfg.children = {child("a"), child("ingress1"), child("b"), child("ingress2"),
                  child("c")};
  cfg.children[1].stop_first = true;
  cfg.children[3].stop_first = true;
  auto sup = start(std::move(cfg));
  self->send(sup, shutdown_atom::value);
  run();
  CHECK(*exits
        == std::vector<std::string>{"ingress2", "ingress1", "c", "b", "a"});
  auto reason = termination();
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a child that ignores the shutdown is killed "
                           "after its grace period") {
  auto cfg = config(supervision::strategy::one_for_one, 3);
  cfg.children = {child("a"), child("stubborn", stub_kind::stubborn)};
  auto sup = start(std::move(cfg));
  self->send(sup, shutdown_atom::value);
  run();
  CHECK(exits->empty());
  auto xs = children(sup);
  CHECK(xs[1].state == child_state::stopping);
  CHECK(xs[0].state == child_state::running); // waits for its turn
  advance(999ms);
  CHECK(exits->empty());
  advance(1ms);
  CHECK(*exits == std::vector<std::string>{"stubborn", "a"});
  auto reason = termination();
  REQUIRE(reason);
  CHECK(*reason == caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(fixture, "a nested supervisor that escalates is restarted "
                           "by its parent") {
  auto inner_cfg = config(supervision::strategy::one_for_one, 0);
  inner_cfg.name = "inner";
  inner_cfg.children = {child("leaf")};
  auto outer_cfg = config(supervision::strategy::one_for_one, 3);
  outer_cfg.name = "outer";
  outer_cfg.children = {
    {"inner", "supervisor",
     [inner_cfg](caf::actor_system& sys) {
       auto sup = spawn_supervisor(sys, inner_cfg);
       return sup ? component_actor{*sup} : component_actor{};
     },
     5s},
  };
  auto outer = start(std::move(outer_cfg));
  fail(spawned->handles.at(0));
  auto xs = children(outer);
  CHECK(xs[0].name == "inner");
  CHECK(xs[0].restart_count == 1);
  CHECK(spawned->names == std::vector<std::string>{"leaf", "leaf"});
  CHECK_FALSE(termination());
}

TEST_CASE("supervisor configurations are validated") {
  supervisor_config cfg;
  cfg.children = {{"a", "stub",
                   [](caf::actor_system&) { return component_actor{}; }},
                  {"a", "stub",
                   [](caf::actor_system&) { return component_actor{}; }}};
  auto r = cfg.validate();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("not unique") != std::string::npos);
  cfg.children.pop_back();
  CHECK(cfg.validate().ok());
  cfg.children[0].spawn = nullptr;
  CHECK(cfg.validate().error().message.find("spawn") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "message types print and serialise through their "
                           "inspect overloads") {
  child_info info{"transport", "listener", 42, 3, child_state::stopping};
  auto text = caf::deep_to_string(info);
  CHECK(text.find("transport") != std::string::npos);
  CHECK(text.find("stopping") != std::string::npos);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  component_status status{"root", "supervisor", "1 children"};
  REQUIRE_FALSE(sink(info, status));
  child_info info2;
  component_status status2;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(info2, status2));
  CHECK(info2.name == "transport");
  CHECK(info2.actor_id == 42);
  CHECK(info2.restart_count == 3);
  CHECK(info2.state == child_state::stopping);
  CHECK(status2.summary == "1 children");
}
