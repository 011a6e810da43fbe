// The control server broker: binds the control address, forks a broker per
// control connection (at most max_control_connections), owns the stream
// router, and answers IDENTIFY's address query (see server.hpp).

#include "canswarm/control/server.hpp"

#include <optional>
#include <set>

#include <caf/actor_cast.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "canswarm/actors/broker_mailbox.hpp"
#include "canswarm/actors/errors.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/net/tcp_listen.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"
#include "sockets.hpp"

namespace canswarm::control {

namespace {

using namespace detail;

/// State of the control server broker.
struct server_state {
  static inline const char* name = "control";

  server_state() = default;
  server_state(const server_state&) = delete;
  server_state& operator=(const server_state&) = delete;
  ~server_state() {
    remove_unix_socket(unix_path);
  }

  server_config cfg;
  swarm_actor swarm;
  multiaddr bound;
  std::string unix_path;
  control_router_actor router;
  std::set<caf::actor_addr> connections;
  /// Refused connections whose ERROR response is being written (at most
  /// max_refusing_control_connections).
  std::set<caf::io::connection_handle> refusing;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
};

using server_ptr = caf::io::stateful_broker<server_state>*;

/// Opens the control listener; errors name the configured address.
result<listen_socket> open_control(const server_config& cfg) {
  auto where = cfg.sticky_bound && !cfg.sticky_bound->empty()
                 ? *cfg.sticky_bound
                 : cfg.control_addr;
  auto sock = open_listener(where);
  if (!sock)
    return make_error(sock.error().code, "P2P_CONTROL_ADDR "
                                           + cfg.control_addr.to_string() + ": "
                                           + sock.error().message);
  return sock;
}

/// Binds the control address (unless `prebound` holds a listener already
/// bound by the caller) and hands the socket to CAF.
result<void> bind_control(server_ptr self,
                          std::optional<listen_socket> prebound) {
  auto& st = self->state;
  auto sock = prebound ? result<listen_socket>{std::move(*prebound)}
                       : open_control(st.cfg);
  if (!sock)
    return sock.error();
  self->add_doorman(sock->fd);
  st.bound = sock->bound;
  st.unix_path = sock->unix_path;
  if (st.cfg.sticky_bound && st.cfg.sticky_bound->empty())
    *st.cfg.sticky_bound = st.bound;
  return {};
}

void on_new_connection(server_ptr self, caf::io::connection_handle hdl) {
  auto& st = self->state;
  if (st.connections.size() >= max_control_connections) {
    ++st.refused;
    log::warning(component,
                 "refusing a control connection: {} open "
                 "(max_control_connections)",
                 st.connections.size());
    if (st.refusing.size() >= max_refusing_control_connections) {
      self->close(hdl); // Never read: closing frees it at once.
      return;
    }
    bytes out;
    p2pd::
      write_message(p2pd::error_response(
                      fmt::format("too many control connections (at most {})",
                                  max_control_connections)),
                    out);
    // Reading drains what the client sent, so the close is not a reset
    // that could destroy the response. The close waits for the write to be
    // reported (data_transferred_msg): CAF 0.17 leaks a socket, descriptor
    // included, that starts reading and is closed in the same multiplexer
    // round (see peer_connection.cpp, start_core).
    self->ack_writes(hdl, true);
    self->configure_read(hdl, caf::io::receive_policy::at_most(1024));
    self->write(hdl, out.size(), out.data());
    self->flush(hdl);
    st.refusing.insert(hdl);
    return;
  }
  connection_context ctx{caf::actor_cast<caf::actor>(self),
                         st.swarm,
                         st.router,
                         st.cfg.self,
                         st.cfg.connection_timeout,
                         ++st.accepted,
                         st.cfg.pubsub,
                         st.cfg.gate,
                         st.cfg.bus,
                         st.cfg.root,
                         is_local_only(st.bound)};
  auto child = self->fork(control_connection, hdl, std::move(ctx));
  self->monitor(child);
  self->link_to(child);
  st.connections.insert(child.address());
  log::debug(component, "control connection #{} accepted", st.accepted);
}

caf::behavior control_server(server_ptr self, server_config cfg,
                             std::optional<listen_socket> prebound) {
  drain_mailbox_on_exit(self);
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.swarm = st.cfg.swarm ? st.cfg.swarm : st.cfg.locator->get();
  if (auto ok = bind_control(self, std::move(prebound)); !ok) {
    log::error(component, "{}", ok.error().message);
    self->quit(
      canswarm::make_error(actor_errc::listen_failed, ok.error().message));
    return {};
  }
  if (!is_local_only(st.bound))
    log::warning(component,
                 "the control API listens on {}, which is not a loopback "
                 "address: whoever reaches it controls this node",
                 st.bound.to_string());
  log::info(component, "control API listening on {}", st.bound.to_string());
  st.router = self->spawn<caf::linked>(router, st.swarm);
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.connections.erase(msg.source); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Connections end on their own (their down message updates the count).
    if (self->state.connections.count(msg.source) == 0)
      self->quit(std::move(msg.reason));
  });
  return {
    [self](status_atom) {
      auto& st = self->state;
      return with_mailbox(
        self, component_status{"control", "control-server",
                               fmt::format("listening on {}, {} connections "
                                           "open, {} accepted, {} "
                                           "refused",
                                           st.bound.to_string(),
                                           st.connections.size(), st.accepted,
                                           st.refused)});
    },
    [self](addresses_atom) {
      return std::vector<std::string>{self->state.bound.to_string()};
    },
    [self](listen_addrs_atom, std::vector<multiaddr>& addrs) {
      self->state.cfg.listen_addrs = std::move(addrs);
    },
    [self](ctl_listen_atom) { return self->state.cfg.listen_addrs; },
    [self](const caf::io::new_connection_msg& msg) {
      on_new_connection(self, msg.handle);
    },
    [](const caf::io::new_data_msg&) {
      // Only refused connections are still read here: ignore.
    },
    [self](const caf::io::data_transferred_msg& msg) {
      auto& st = self->state;
      if (msg.remaining == 0 && st.refusing.erase(msg.handle) > 0)
        self->close(msg.handle);
    },
    [self](const caf::io::connection_closed_msg& msg) {
      self->state.refusing.erase(msg.handle);
    },
    [self](const caf::io::acceptor_closed_msg&) {
      log::error(component, "the control listener closed unexpectedly");
      self->quit(canswarm::make_error(actor_errc::listen_failed,
                                      "control listener closed"));
    },
  };
}

} // namespace

result<void> server_config::validate() const {
  auto is_tcp = net::tcp_endpoint_of(control_addr).ok();
  auto is_unix = control_addr.value_of("unix").has_value()
                 && control_addr.components().size() == 1;
  if (!is_tcp && !is_unix)
    return make_error(errc::unsupported,
                      fmt::format("P2P_CONTROL_ADDR {}: expected "
                                  "/ip4|ip6/<host>/tcp/<port> or /unix/<path>",
                                  control_addr.to_string()));
  if (self.to_bytes().empty())
    return make_error(errc::invalid_argument, "control server without a peer "
                                              "id");
  if (!swarm && !(locator && locator->get()))
    return make_error(errc::invalid_argument, "control server without a "
                                              "swarm");
  if (connection_timeout <= caf::timespan::zero())
    return make_error(errc::invalid_argument,
                      "connection_timeout must be positive");
  return {};
}

result<started_server> start_control_server(caf::actor_system& sys,
                                            server_config cfg,
                                            caf::timespan timeout) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  // Binding here (not in the broker) reports a failure at once.
  auto sock = open_control(cfg);
  if (!sock)
    return sock.error();
  auto hdl = sys.middleman().spawn_broker(control_server, std::move(cfg),
                                          std::optional{std::move(*sock)});
  caf::scoped_actor self{sys};
  std::vector<std::string> addrs;
  std::optional<caf::error> failure;
  self->request(hdl, timeout, addresses_atom::value)
    .receive([&](std::vector<std::string>& xs) { addrs = std::move(xs); },
             [&](caf::error& err) { failure = std::move(err); });
  if (failure) {
    caf::anon_send_exit(hdl, caf::exit_reason::kill);
    return make_error(errc::io, describe(sys, *failure));
  }
  auto bound = addrs.empty() ? result<multiaddr>{make_error(errc::io, "")}
                             : multiaddr::parse(addrs.front());
  if (!bound)
    return make_error(errc::io, "the control server reported no address");
  return started_server{caf::actor_cast<control_actor>(hdl), *bound};
}

spawn_function control_spawner(server_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto hdl = sys.middleman().spawn_broker(control_server, cfg,
                                            std::optional<listen_socket>{});
    return caf::actor_cast<component_actor>(hdl);
  };
}

void add_control_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<control_actor>("canswarm::control_actor");
  cfg.add_message_type<control_router_actor>("canswarm::control_router_actor");
}

} // namespace canswarm::control
