#include "canswarm/runtime/node.hpp"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/listener.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/actors/tuning.hpp"
#include "canswarm/bus/bus.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/control/server.hpp"
#include "canswarm/identity/key_file.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/metrics/exposer.hpp"
#include "canswarm/metrics/node_metrics.hpp"
#include "canswarm/nats/bridge.hpp"
#include "canswarm/nats/messages.hpp"
#include "canswarm/pubsub/pubsub.hpp"
#include "canswarm/runtime/addresses.hpp"
#include "canswarm/runtime/cli.hpp"
#include "metrics_reporter.hpp"
#include "signals.hpp"

namespace canswarm::runtime {

struct node_parts {
  std::shared_ptr<const identity::private_key> key;
  peer_id id;
  /// The running swarm, for the listener's connection factory and the
  /// control server (updated on every swarm restart).
  std::shared_ptr<swarm_locator> locator = std::make_shared<swarm_locator>();
  /// The running pub/sub service (for the control server and the bus).
  std::shared_ptr<pubsub_locator> pubsub = std::make_shared<pubsub_locator>();
  /// The envelope ingress gate: the gossipsub validation hook of every
  /// thread topic, and the bus's replay memory (survives restarts of both).
  std::shared_ptr<ingress_gate> gate = std::make_shared<ingress_gate>();
  /// The root supervisor (for the control API's inspector).
  std::shared_ptr<actor_locator<supervisor_actor>>
    root = std::make_shared<actor_locator<supervisor_actor>>();
  /// The envelope bus (for the control server).
  std::shared_ptr<bus_locator> bus = std::make_shared<bus_locator>();
  /// The NATS bridge (for the bus), when NATS is used.
  std::shared_ptr<nats_bridge_locator>
    nats = std::make_shared<nats_bridge_locator>();
  /// The control address bound first, so a restart binds the same port.
  std::shared_ptr<multiaddr> control_bound = std::make_shared<multiaddr>();
  /// The Prometheus series (served when P2P_METRICS_ADDR is set).
  std::shared_ptr<metrics::node_metrics>
    metrics = std::make_shared<metrics::node_metrics>();

  /// Addresses announced in Identify and IDENTIFY (without /p2p), once the
  /// transport reported them; restarted components start with them.
  std::vector<multiaddr> announced() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return announced_;
  }

  void set_announced(std::vector<multiaddr> xs) {
    std::lock_guard<std::mutex> guard{mtx_};
    announced_ = std::move(xs);
  }

private:
  mutable std::mutex mtx_;
  std::vector<multiaddr> announced_;
};

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
    canswarm::apply_runtime_tuning(*this);
    canswarm::add_message_types(*this);
    canswarm::add_connection_message_types(*this);
    canswarm::control::add_control_message_types(*this);
    canswarm::add_nats_message_types(*this);
  }
};

/// Asks the root for a child (the transport or the control server) and the
/// child for its addresses, retrying while it restarts; fails when the root
/// terminates.
result<std::vector<std::string>> query_addresses(caf::scoped_actor& self,
                                                 const supervisor_actor& root,
                                                 const std::string& child) {
  auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  std::optional<std::vector<std::string>> found;
  std::optional<caf::error> root_down;
  while (!found && !root_down && std::chrono::steady_clock::now() < deadline) {
    component_actor transport;
    self->request(root, query_timeout, children_atom::value, child)
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
  return make_error(errc::timeout, "the " + child + " did not start in time");
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

/// Loads or creates the key file (or makes an in-memory key) and derives
/// the peer id.
std::shared_ptr<node_parts> load_identity(const config::settings& s,
                                          const node_options& opts) {
  auto parts = std::make_shared<node_parts>();
  if (opts.ephemeral_identity) {
    parts->key = std::make_shared<const identity::private_key>(
      identity::private_key::generate_ed25519());
  } else {
    std::string warning;
    auto key = identity::load_or_create_key_file(s.key_file, &warning);
    if (!key) {
      log::error(component, "{}", key.error().message);
      return nullptr;
    }
    if (!warning.empty())
      log::warning(component, "{}", warning);
    parts->key = std::make_shared<const identity::private_key>(std::move(*key));
  }
  parts->id = peer_id::from_public_key(parts->key->public_key());
  return parts;
}

/// Tells the swarm and the control server which addresses to announce.
void announce(caf::scoped_actor& self, const supervisor_actor& root,
              node_parts& parts, std::vector<multiaddr> addrs) {
  parts.set_announced(addrs);
  if (auto swarm = parts.locator->get())
    caf::anon_send(swarm, listen_addrs_atom::value, addrs);
  self
    ->request(root, query_timeout, children_atom::value, std::string{"control"})
    .receive(
      [&](component_actor& x) {
        if (x)
          caf::anon_send(caf::actor_cast<control_actor>(x),
                         listen_addrs_atom::value, addrs);
      },
      [](caf::error&) {});
}

/// Dials every bootstrap node once (the peer id in its /p2p component is
/// verified by the handshake) and logs each outcome.
void dial_bootstrap_nodes(caf::actor_system& sys, const node_parts& parts,
                          const config::settings& s) {
  if (s.bootstrap_nodes.empty())
    return;
  auto swarm = parts.locator->get();
  if (!swarm)
    return;
  auto timeout = caf::timespan{s.connection_timeout};
  for (auto& addr : s.bootstrap_nodes) {
    auto id_bytes = addr.peer_id_bytes();
    auto expected = id_bytes
                      ? peer_id::from_bytes(*id_bytes)
                      : result<peer_id>{make_error(errc::invalid_argument,
                                                   "no /p2p component")};
    if (!expected) {
      log::warning(component, "bootstrap node {}: {}", addr.to_string(),
                   expected.error().message);
      continue;
    }
    if (*expected == parts.id)
      continue; // Our own entry in a shared bootstrap list.
    sys.spawn(
      [swarm, addr, timeout,
       req = dial_request{*expected, {addr.decapsulate_p2p()}, timeout}](
        caf::event_based_actor* self) {
        self
          ->request(swarm, timeout + std::chrono::seconds{1}, dial_atom::value,
                    req)
          .then(
            [addr](const peer_id&) {
              log::info(component, "connected to bootstrap node {}",
                        addr.to_string());
            },
            [self, addr](const caf::error& err) {
              log::warning(component, "bootstrap node {} unreachable: {}",
                           addr.to_string(),
                           from_caf_error(self->system(), err).message);
            });
      });
  }
}

/// Whether the mode uses NATS (as primary or fallback).
bool uses_nats(const config::settings& s) {
  return !s.p2p_enabled || !s.p2p_primary || s.nats_fallback;
}

/// Counts application bytes per protocol into the node's metrics.
stream_byte_counter
byte_counter(const std::shared_ptr<metrics::node_metrics>& m) {
  return [m](const std::string& protocol, bool inbound, std::uint64_t n) {
    if (inbound)
      m->bytes_in(protocol, n);
    else
      m->bytes_out(protocol, n);
  };
}

/// The bus of the configured mode (P2P_ENABLED, P2P_PRIMARY,
/// NATS_FALLBACK).
bus_config node_bus_config(const config::settings& s,
                           const std::shared_ptr<node_parts>& parts) {
  bus_config bc;
  if (s.p2p_enabled)
    bc.pubsub = parts->pubsub;
  if (uses_nats(s))
    bc.nats = parts->nats;
  bc.primary = s.p2p_enabled && s.p2p_primary ? bus_transport::p2p
                                              : bus_transport::nats;
  bc.gate = parts->gate;
  bc.self_locator = parts->bus;
  bc.observe_latency = [m = parts->metrics](double seconds) {
    m->observe_publish_to_deliver_latency(seconds);
  };
  return bc;
}

} // namespace

result<supervisor_config>
root_supervisor_config(const config::settings& s,
                       const std::shared_ptr<node_parts>& parts,
                       const node_options& opts) {
  supervisor_config cfg;
  cfg.name = "root";
  cfg.policy = {supervision::strategy::rest_for_one, root_max_restarts,
                root_restart_period};
  if (s.p2p_enabled) {
    auto timeout = caf::timespan{s.connection_timeout};
    swarm_config sc;
    sc.key = parts->key;
    sc.count_bytes = byte_counter(parts->metrics);
    sc.max_connections = s.max_connections;
    sc.connection_timeout = timeout;
    sc.locator = parts->locator;
    sc.security.clear();
    for (const auto& name : s.security) {
      auto k = connection::parse_security(name);
      if (!k)
        return k.error();
      sc.security.push_back(*k);
    }
    sc.muxers.clear();
    for (const auto& name : s.muxers) {
      auto k = connection::parse_muxer(name);
      if (!k)
        return k.error();
      sc.muxers.push_back(*k);
    }
    if (auto ok = sc.validate(); !ok)
      return ok.error();
    cfg.children.push_back({"swarm", "swarm",
                            [parts, sc](caf::actor_system& sys) {
                              auto c = sc;
                              c.listen_addrs = parts->announced();
                              return swarm_spawner(std::move(c))(sys);
                            },
                            default_grace_period});
    if (opts.pubsub) {
      pubsub_config pc;
      pc.key = parts->key;
      pc.locator = parts->locator;
      pc.self_locator = parts->pubsub;
      pc.validators = envelope_validators(parts->gate);
      pc.router.d = s.mesh_degree;
      pc.router.d_lo = s.mesh_degree_low;
      pc.router.d_hi = s.mesh_degree_high;
      // The spec's D_lazy / D_score / D_out follow D: D_score and D_out
      // must stay below D_lo and D / 2.
      pc.router.d_lazy = s.mesh_degree;
      pc.router.d_score = std::min<std::size_t>(pc.router.d_score,
                                                s.mesh_degree_low);
      pc.router.d_out = std::min<
        std::size_t>(pc.router.d_out,
                     std::min<std::size_t>(s.mesh_degree_low - 1,
                                           s.mesh_degree / 2));
      pc.router.heartbeat_interval = s.heartbeat_interval;
      apply_strict_no_sign_topics(pc.router, s.strict_no_sign_topics);
      if (auto ok = pc.router.validate(); !ok)
        return ok.error();
      cfg.children.push_back(
        {"pubsub", "gossipsub", pubsub_spawner(pc), default_grace_period});
      cfg.children.push_back({"bus", "envelope-bus",
                              bus_spawner(node_bus_config(s, parts)),
                              default_grace_period});
    }
    if (!opts.no_listen) {
      listener_config lc;
      lc.listen_addrs = s.listen_addrs;
      lc.sticky_ports = std::make_shared<std::vector<std::uint16_t>>();
      lc.factory = inbound_connection_factory(parts->locator, parts->key,
                                              timeout, write_stall_limit,
                                              byte_counter(parts->metrics));
      if (auto ok = lc.validate(); !ok)
        return ok.error();
      cfg.children.push_back({"transport", "listener",
                              listener_spawner(std::move(lc)),
                              default_grace_period});
    }
    if (!s.control_addr.empty()) {
      control::server_config cc;
      cc.control_addr = s.control_addr;
      cc.locator = parts->locator;
      cc.self = parts->id;
      cc.connection_timeout = timeout;
      cc.sticky_bound = parts->control_bound;
      if (opts.pubsub) {
        cc.pubsub = parts->pubsub;
        cc.gate = parts->gate;
        cc.bus = parts->bus;
      }
      cc.root = parts->root;
      cfg.children.push_back({"control", "control-server",
                              [parts, cc](caf::actor_system& sys) {
                                auto c = cc;
                                c.listen_addrs = parts->announced();
                                return control::control_spawner(std::move(c))(
                                  sys);
                              },
                              default_grace_period,
                              // Stopped first at shutdown: no publish is
                              // taken once the bus's transports (the NATS
                              // bridge, last started) begin to stop.
                              true});
    }
  }
  if (!s.p2p_enabled && opts.pubsub) {
    // NATS only: the bus over the bridge (the control API needs the swarm
    // and is not started; agents use NATS directly in this mode).
    cfg.children.push_back({"bus", "envelope-bus",
                            bus_spawner(node_bus_config(s, parts)),
                            default_grace_period});
    if (!s.control_addr.empty())
      log::warning(component, "P2P_ENABLED=false: no control API (it needs "
                              "the P2P swarm); agents use NATS directly");
  }
  if (uses_nats(s) && opts.pubsub) {
    // Last: its failures restart only itself; the bus finds each new
    // instance through the locator and routes around it meanwhile.
    auto nc = make_nats_bridge_config(s);
    // Durable consumers are per node: two nodes sharing one would split
    // the messages between them.
    auto id = parts->id.to_string();
    nc.durable_prefix = "canswarm-" + id.substr(id.size() - 16);
    nc.client.name = "canswarm " + id;
    if (auto ok = nc.validate(); !ok)
      return ok.error();
    cfg.children.push_back({"nats", "nats-bridge",
                            [parts, nc](caf::actor_system& sys) {
                              auto h = spawn_nats_bridge(sys, nc);
                              if (!h) {
                                log::error(component, "NATS bridge: {}",
                                           h.error().message);
                                return component_actor{};
                              }
                              parts->nats->set(*h);
                              return caf::actor_cast<component_actor>(*h);
                            },
                            default_grace_period});
  }
  // The metrics reporter comes last: it only reads the others (through
  // locators, and the swarm's connection events), so its failure restarts
  // nothing else; it restarts with any of them and keeps its totals
  // outside the actor. In NATS-only mode it reports the bus alone.
  if (!s.metrics_addr.empty())
    cfg.children.push_back(
      {"metrics", "metrics-reporter",
       metrics_reporter_spawner(parts->metrics,
                                reporter_sources{parts->locator, parts->pubsub,
                                                 parts->bus, parts->root}),
       default_grace_period});
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  return cfg;
}

int run_node(const config::loaded& loaded, std::ostream& out,
             const node_options& opts) {
  auto& s = loaded.values;
  auto parts = load_identity(s, opts);
  if (!parts)
    return cli::exit_failure;
  auto root_cfg = root_supervisor_config(s, parts, opts);
  if (!root_cfg) {
    log::error(component, "{}", root_cfg.error().message);
    return cli::exit_usage;
  }
  auto& id = parts->id;
  log::global().set_peer_id(id.to_string()); // JSON log lines carry it
  log::info(component, "canswarm {} starting, peer id {}{}", CANSWARM_VERSION,
            id.to_string(), s.bootstrap_mode ? " (bootstrap node)" : "");
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
  parts->root->set(*root);
  caf::scoped_actor self{sys};
  self->monitor(*root);
  std::unique_ptr<metrics::exposer> exposer;
  auto fail = [&](const error& err, int code) {
    log::error(component, "cannot start: {}", err.message);
    caf::anon_send_exit(*root, caf::exit_reason::kill);
    return code;
  };
  std::vector<std::string> listening;
  if (s.p2p_enabled && !opts.no_listen) {
    auto addrs = query_addresses(self, *root, "transport");
    if (!addrs)
      return fail(addrs.error(), cli::exit_failure);
    listening = std::move(*addrs);
  }
  auto advertised = advertised_addresses(listening, s.announce_addrs, id);
  if (!advertised)
    return fail(advertised.error(), cli::exit_usage);
  std::optional<std::string> control_bound;
  if (s.p2p_enabled && !s.control_addr.empty()) {
    auto addrs = query_addresses(self, *root, "control");
    if (!addrs)
      return fail(addrs.error(), cli::exit_failure);
    if (!addrs->empty())
      control_bound = addrs->front();
  }
  if (!s.metrics_addr.empty()) {
    metrics::exposer_config ec;
    ec.bind_address = s.metrics_addr;
    ec.on_warning = [](const std::string& w) {
      log::warning(component, "P2P_METRICS_ADDR: {}", w);
    };
    auto started = metrics::exposer::start(ec, *parts->metrics);
    if (!started)
      return fail(make_error(started.error().code, "P2P_METRICS_ADDR "
                                                     + s.metrics_addr + ": "
                                                     + started.error().message),
                  started.error().code == errc::invalid_argument
                    ? cli::exit_usage
                    : cli::exit_failure);
    exposer = std::move(*started);
    log::info(component, "metrics on {}", exposer->url());
  }
  if (s.p2p_enabled) {
    std::vector<multiaddr> bare;
    for (auto& a : *advertised)
      bare.push_back(a.decapsulate_p2p());
    announce(self, *root, *parts, std::move(bare));
  }
  if (opts.p2pd_banner && control_bound)
    out << "Control socket: " << *control_bound << '\n';
  out << "Peer ID: " << id.to_string() << '\n'
      << "Peer Addrs: " << join_addresses(*advertised) << '\n'
      << std::flush;
  if (control_bound && !opts.p2pd_banner)
    log::info(component, "control API on {}", *control_bound);
  if (s.p2p_enabled)
    dial_bootstrap_nodes(sys, *parts, s);
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
  exposer.reset(); // Can take up to 2 s (civetweb): before the actors go.
  if (reason == caf::exit_reason::user_shutdown) {
    log::info(component, "stopped");
    return cli::exit_ok;
  }
  log::error(component, "node failed: {}", describe(sys, reason));
  return cli::exit_failure;
}

} // namespace canswarm::runtime
