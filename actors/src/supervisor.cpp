#include "canswarm/actors/supervisor.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/log/log.hpp"

namespace canswarm {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

std::optional<std::size_t> find_child(const supervisor_state& st,
                                      const caf::actor_addr& addr) {
  for (std::size_t i = 0; i < st.children.size(); ++i)
    if (st.children[i].handle && st.children[i].handle.address() == addr)
      return i;
  return std::nullopt;
}

bool is_pending(const supervisor_state& st, std::size_t i) {
  return std::binary_search(st.pending.begin(), st.pending.end(), i);
}

bool is_normal(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal;
}

void advance(self_ptr self);

/// Starts the ordered shutdown; the first reason given wins.
void begin_shutdown(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.phase != supervisor_phase::shutting_down) {
    log::info(st.label, "shutting down: {}", describe(self->system(), reason));
    st.phase = supervisor_phase::shutting_down;
    st.pending.clear();
    st.exit_reason = std::move(reason);
  }
  advance(self);
}

/// Spawns child `i`; returns false (and starts the shutdown) if that fails.
bool start_child(self_ptr self, std::size_t i, bool restart) {
  auto& st = self->state;
  auto& c = st.children[i];
  auto handle = c.spec.spawn(self->system());
  if (!handle) {
    log::error(st.label, "could not spawn child {}", c.spec.name);
    begin_shutdown(self,
                   make_error(actor_errc::child_start_failed, c.spec.name));
    return false;
  }
  self->monitor(handle);
  c.handle = std::move(handle);
  c.state = child_state::running;
  if (restart) {
    ++c.restart_count;
    log::info(st.label, "restarted child {} (restart #{})", c.spec.name,
              c.restart_count);
  } else {
    log::debug(st.label, "started child {} ({})", c.spec.name, c.spec.role);
  }
  return true;
}

/// Asks child `i` to exit and arms its grace timer.
void stop_child(self_ptr self, std::size_t i) {
  auto& c = self->state.children[i];
  log::debug(self->state.label, "stopping child {}", c.spec.name);
  c.state = child_state::stopping;
  self->send_exit(c.handle, caf::exit_reason::user_shutdown);
  self->delayed_send(caf::actor_cast<supervisor_actor>(self), c.spec.grace,
                     grace_atom::value, c.handle.address());
}

/// Stops the highest running index accepted by `pred`; false if none.
template<class Pred>
bool stop_last_running(self_ptr self, Pred pred) {
  auto& xs = self->state.children;
  for (auto i = xs.size(); i-- > 0;)
    if (xs[i].state == child_state::running && pred(i)) {
      stop_child(self, i);
      return true;
    }
  return false;
}

/// Drives restarts and the shutdown one step further; called after every
/// change of a child's state.
void advance(self_ptr self) {
  auto& st = self->state;
  auto stopping = [](const child_entry& c) {
    return c.state == child_state::stopping;
  };
  if (std::any_of(st.children.begin(), st.children.end(), stopping))
    return; // one child at a time; its down message calls us again
  switch (st.phase) {
    case supervisor_phase::running: return;
    case supervisor_phase::restarting: {
      if (stop_last_running(self, [&](auto i) { return is_pending(st, i); }))
        return;
      auto todo = std::move(st.pending);
      st.pending.clear();
      st.phase = supervisor_phase::running;
      for (auto i : todo)
        if (!start_child(self, i, true))
          return;
      return;
    }
    case supervisor_phase::shutting_down:
      if (stop_last_running(self, [&](auto i) {
            return st.children[i].spec.stop_first;
          }))
        return;
      if (stop_last_running(self, [](auto) { return true; }))
        return;
      log::info(st.label, "all children stopped");
      self->quit(st.exit_reason);
      return;
  }
}

/// Applies the restart policy to a failure of child `i`.
void on_failure(self_ptr self, std::size_t i, const caf::error& reason) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto d = st.policy.on_child_failure(i, st.children.size(), now);
  if (d.escalate) {
    auto& cfg = st.policy.config();
    auto what = fmt::
      format("child {} failed ({}) after {} restarts within {} ms",
             st.children[i].spec.name, describe(self->system(), reason),
             cfg.max_restarts,
             std::chrono::duration_cast<std::chrono::milliseconds>(cfg.period)
               .count());
    log::error(st.label, "escalating: {}", what);
    begin_shutdown(self,
                   make_error(actor_errc::restart_intensity_exceeded, what));
    return;
  }
  std::set<std::size_t> merged(st.pending.begin(), st.pending.end());
  merged.insert(d.restart.begin(), d.restart.end());
  st.pending.assign(merged.begin(), merged.end());
  st.phase = supervisor_phase::restarting;
  advance(self);
}

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto i = find_child(st, msg.source);
  if (!i)
    return; // an instance we already replaced
  auto& c = st.children[*i];
  auto was = c.state;
  c.state = child_state::stopped;
  c.handle = nullptr;
  if (was == child_state::stopping) {
    log::debug(st.label, "child {} stopped", c.spec.name);
  } else if (st.phase == supervisor_phase::shutting_down) {
    log::info(st.label, "child {} exited during shutdown: {}", c.spec.name,
              describe(self->system(), msg.reason));
  } else if (is_normal(msg.reason)) {
    log::info(st.label, "child {} finished", c.spec.name);
  } else if (!is_pending(st, *i)) {
    log::warning(st.label, "child {} failed: {}", c.spec.name,
                 describe(self->system(), msg.reason));
    on_failure(self, *i, msg.reason);
    return;
  }
  advance(self);
}

void on_grace_elapsed(self_ptr self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto i = find_child(st, addr);
  if (!i || st.children[*i].state != child_state::stopping)
    return; // stopped in time
  auto& c = st.children[*i];
  log::warning(st.label,
               "child {} did not stop within its grace period, "
               "killing it",
               c.spec.name);
  self->send_exit(c.handle, caf::exit_reason::kill);
}

component_status make_status(const supervisor_state& st,
                             const std::string& name) {
  std::size_t running = 0;
  std::uint32_t restarts = 0;
  for (auto& c : st.children) {
    running += c.state == child_state::running ? 1 : 0;
    restarts += c.restart_count;
  }
  return {name, "supervisor",
          fmt::format("{} children, {} running, {} restarts, {}",
                      st.children.size(), running, restarts,
                      to_string(st.phase))};
}

} // namespace

std::string to_string(supervisor_phase x) {
  switch (x) {
    case supervisor_phase::running: return "running";
    case supervisor_phase::restarting: return "restarting";
    case supervisor_phase::shutting_down: return "shutting_down";
  }
  return "unknown";
}

supervisor_state::~supervisor_state() {
  for (auto& c : children)
    if (c.handle)
      caf::anon_send_exit(c.handle, caf::exit_reason::kill);
}

result<void> supervisor_config::validate() const {
  if (auto ok = policy.validate(); !ok)
    return ok;
  if (name.empty())
    return make_error(errc::invalid_argument, "supervisor name is empty");
  if (children.size() > max_children)
    return make_error(errc::too_large,
                      fmt::format("supervisor {}: {} children, at most {}",
                                  name, children.size(), max_children));
  std::set<std::string> names;
  for (auto& c : children) {
    if (c.name.empty() || !names.insert(c.name).second)
      return make_error(errc::invalid_argument,
                        fmt::format("supervisor {}: child name '{}' is empty "
                                    "or not unique",
                                    name, c.name));
    if (!c.spawn)
      return make_error(errc::invalid_argument,
                        fmt::format("supervisor {}: child {} has no spawn "
                                    "function",
                                    name, c.name));
    if (c.grace <= caf::timespan::zero())
      return make_error(errc::invalid_argument,
                        fmt::format("supervisor {}: child {} needs a positive "
                                    "grace period",
                                    name, c.name));
  }
  return {};
}

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           supervisor_config cfg) {
  auto& st = self->state;
  st.label = "supervisor:" + cfg.name;
  st.policy = supervision::restart_policy{cfg.policy};
  for (auto& spec : cfg.children)
    st.children.push_back(child_entry{std::move(spec), {}, 0, {}});
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_child_down(self, msg); });
  // An exit message (e.g. from a parent supervisor stopping us) starts the
  // ordered shutdown instead of terminating at once.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    begin_shutdown(self, std::move(msg.reason));
  });
  log::info(st.label,
            "starting {} children ({}, at most {} restarts in {} "
            "ms)",
            st.children.size(), supervision::to_string(cfg.policy.strategy),
            cfg.policy.max_restarts,
            std::chrono::duration_cast<std::chrono::milliseconds>(
              cfg.policy.period)
              .count());
  for (std::size_t i = 0; i < st.children.size(); ++i)
    if (!start_child(self, i, false))
      break;
  return {
    [self, name = cfg.name](status_atom) {
      return with_mailbox(self, make_status(self->state, name));
    },
    [self](children_atom) {
      std::vector<child_info> result;
      for (auto& c : self->state.children)
        result.push_back({c.spec.name, c.spec.role,
                          c.handle ? c.handle.id() : 0, c.restart_count,
                          c.state});
      return result;
    },
    [self](children_atom,
           const std::string& name) -> caf::result<component_actor> {
      for (auto& c : self->state.children)
        if (c.spec.name == name && c.state == child_state::running)
          return c.handle;
      return make_error(actor_errc::no_such_child, name);
    },
    [self](shutdown_atom) {
      begin_shutdown(self, caf::exit_reason::user_shutdown);
    },
    [self](grace_atom, const caf::actor_addr& addr) {
      on_grace_elapsed(self, addr);
    },
  };
}

result<supervisor_actor> spawn_supervisor(caf::actor_system& sys,
                                          supervisor_config cfg) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  return sys.spawn(supervisor, std::move(cfg));
}

} // namespace canswarm
