#include "canswarm/runtime/node.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/listener.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/identity/key_file.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/runtime/addresses.hpp"
#include "canswarm/runtime/cli.hpp"
#include "signals.hpp"

namespace canswarm::runtime {

namespace {

constexpr std::string_view component = "node";

/// How long one start-up query may take.
constexpr std::chrono::milliseconds query_timeout{1000};

/// Pause between start-up queries while the transport is (re)starting.
constexpr std::chrono::milliseconds query_retry{100};

/// CAF configuration of the node: middleman, message types, CAF's own
/// logger silenced (we log through canswarm::log).
struct node_caf_config : caf::actor_system_config {
  node_caf_config() {
    load<caf::io::middleman>();
    set("logger.file-verbosity", caf::atom("quiet"));
    set("logger.console-verbosity", caf::atom("quiet"));
    canswarm::add_message_types(*this);
  }
};

/// Asks the root for the transport and the transport for its addresses,
/// retrying while it restarts; fails when the root terminates.
result<std::vector<std::string>> query_addresses(caf::scoped_actor& self,
                                                 const supervisor_actor& root) {
  auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  std::optional<std::vector<std::string>> found;
  std::optional<caf::error> root_down;
  while (!found && !root_down && std::chrono::steady_clock::now() < deadline) {
    component_actor transport;
    self
      ->request(root, query_timeout, children_atom::value,
                std::string{"transport"})
      .receive([&](component_actor& x) { transport = std::move(x); },
               [](caf::error&) {});
    if (transport)
      self
        ->request(caf::actor_cast<transport_actor>(transport), query_timeout,
                  addresses_atom::value)
        .receive([&](std::vector<std::string>& xs) { found = std::move(xs); },
                 [](caf::error&) {});
    if (found)
      break;
    self->receive(
      [&](caf::down_msg& msg) {
        if (msg.source == root.address())
          root_down = msg.reason;
      },
      caf::after(query_retry) >> [] {});
  }
  if (found)
    return std::move(*found);
  if (root_down)
    return make_error(errc::io, describe(self->system(), *root_down));
  return make_error(errc::timeout, "the transport did not start in time");
}

/// Blocks until the root supervisor terminates; returns its exit reason.
caf::error await_root(caf::scoped_actor& self, const supervisor_actor& root) {
  caf::error reason;
  bool done = false;
  while (!done)
    self->receive(
      [&](caf::down_msg& msg) {
        if (msg.source == root.address()) {
          reason = std::move(msg.reason);
          done = true;
        }
      },
      caf::others >> [](caf::message_view&) -> caf::result<caf::message> {
        return caf::message{};
      });
  return reason;
}

/// Loads or creates the key file and derives the peer id.
std::optional<peer_id> load_identity(const config::settings& s) {
  std::string warning;
  auto key = identity::load_or_create_key_file(s.key_file, &warning);
  if (!key) {
    log::error(component, "{}", key.error().message);
    return std::nullopt;
  }
  if (!warning.empty())
    log::warning(component, "{}", warning);
  return peer_id::from_public_key(key->public_key());
}

} // namespace

result<supervisor_config> root_supervisor_config(const config::settings& s) {
  supervisor_config cfg;
  cfg.name = "root";
  cfg.policy = {supervision::strategy::rest_for_one, root_max_restarts,
                root_restart_period};
  if (s.p2p_enabled) {
    listener_config lc;
    lc.listen_addrs = s.listen_addrs;
    lc.sticky_ports = std::make_shared<std::vector<std::uint16_t>>();
    if (auto ok = lc.validate(); !ok)
      return ok.error();
    cfg.children.push_back({"transport", "listener",
                            listener_spawner(std::move(lc)),
                            default_grace_period});
  }
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  return cfg;
}

int run_node(const config::loaded& loaded, std::ostream& out) {
  auto& s = loaded.values;
  auto root_cfg = root_supervisor_config(s);
  if (!root_cfg) {
    log::error(component, "{}", root_cfg.error().message);
    return cli::exit_usage;
  }
  auto id = load_identity(s);
  if (!id)
    return cli::exit_failure;
  log::info(component, "canswarm {} starting, peer id {}{}", CANSWARM_VERSION,
            id->to_string(), s.bootstrap_mode ? " (bootstrap node)" : "");
  if (!s.p2p_enabled)
    log::warning(component, "P2P_ENABLED=false: no libp2p transport runs");
  signal_watcher signals; // before the actor system starts its threads
  node_caf_config caf_cfg;
  caf::actor_system sys{caf_cfg};
  auto root = spawn_supervisor(sys, std::move(*root_cfg));
  if (!root) {
    log::error(component, "{}", root.error().message);
    return cli::exit_failure;
  }
  caf::scoped_actor self{sys};
  self->monitor(*root);
  std::vector<std::string> listening;
  if (s.p2p_enabled) {
    auto addrs = query_addresses(self, *root);
    if (!addrs) {
      log::error(component, "cannot start: {}", addrs.error().message);
      caf::anon_send_exit(*root, caf::exit_reason::kill);
      return cli::exit_failure;
    }
    listening = std::move(*addrs);
  }
  auto advertised = advertised_addresses(listening, s.announce_addrs, *id);
  if (!advertised) {
    log::error(component, "{}", advertised.error().message);
    caf::anon_send_exit(*root, caf::exit_reason::kill);
    return cli::exit_usage;
  }
  out << "Peer ID: " << id->to_string() << '\n'
      << "Peer Addrs: " << join_addresses(*advertised) << '\n'
      << std::flush;
  signals.start([root = *root](int signo, int count) {
    if (count == 1) {
      log::info(component, "received {}, shutting down (again to force)",
                signal_name(signo));
      caf::anon_send(root, shutdown_atom::value);
    } else {
      log::warning(component, "received {} again, exiting now",
                   signal_name(signo));
      std::_Exit(128 + signo);
    }
  });
  auto reason = await_root(self, *root);
  signals.stop();
  if (reason == caf::exit_reason::user_shutdown) {
    log::info(component, "stopped");
    return cli::exit_ok;
  }
  log::error(component, "node failed: {}", describe(sys, reason));
  return cli::exit_failure;
}

} // namespace canswarm::runtime
