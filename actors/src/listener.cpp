#include "canswarm/actors/listener.hpp"

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "canswarm/actors/broker_mailbox.hpp"
#include "canswarm/actors/errors.hpp"
#include "canswarm/log/log.hpp"

namespace canswarm {

namespace {

constexpr std::string_view component = "transport";

using self_ptr = caf::io::stateful_broker<listener_state>*;

/// Opens every listener; returns an error naming the failing address.
result<void> bind_all(self_ptr self, const listener_config& cfg) {
  auto& st = self->state;
  for (std::size_t i = 0; i < cfg.listen_addrs.size(); ++i) {
    auto ep = net::tcp_endpoint_of(cfg.listen_addrs[i]);
    if (!ep)
      return ep.error();
    if (cfg.sticky_ports && i < cfg.sticky_ports->size() && ep->port == 0)
      ep->port = (*cfg.sticky_ports)[i];
    auto sock = net::open_tcp_listener(*ep);
    if (!sock)
      return make_error(sock.error().code, "P2P_LISTEN_ADDR "
                                             + cfg.listen_addrs[i].to_string()
                                             + ": " + sock.error().message);
    auto hdl = self->add_doorman(sock->fd);
    st.listeners.push_back({hdl, sock->bound});
  }
  if (cfg.sticky_ports && cfg.sticky_ports->empty())
    for (auto& l : st.listeners)
      cfg.sticky_ports->push_back(l.bound.port);
  return {};
}

/// Expands the bound endpoints into the dialable addresses.
std::vector<std::string> dialable(const std::vector<bound_listener>& xs) {
  std::vector<std::string> result;
  for (auto& l : xs) {
    auto ifaces = l.bound.is_wildcard()
                    ? net::interface_addresses(l.bound.family)
                    : std::vector<std::string>{};
    for (auto& ep : net::concrete_endpoints(l.bound, ifaces))
      result.push_back(ep.to_multiaddr().to_string());
  }
  return result;
}

void on_new_connection(self_ptr self, const caf::io::new_connection_msg& msg) {
  auto& st = self->state;
  accepted_connection info;
  info.id = conn_id{++st.accepted};
  info.remote_host = self->remote_addr(msg.handle);
  info.remote_port = self->remote_port(msg.handle);
  for (auto& l : st.listeners)
    if (l.hdl == msg.source)
      info.local_addr = l.bound.to_multiaddr().to_string();
  log::info(component, "accepted connection #{} from {}:{} on {}",
            info.id.value, info.remote_host, info.remote_port, info.local_addr);
  st.factory(self, msg.handle, info);
}

} // namespace

connection_factory closing_connection_factory() {
  return [](caf::io::broker* self, caf::io::connection_handle hdl,
            const accepted_connection& info) {
    log::debug(component,
               "libp2p connection stack not wired yet (security, muxer and "
               "protocol handlers arrive with it): closing connection #{}",
               info.id.value);
    self->close(hdl);
  };
}

result<void> listener_config::validate() const {
  if (listen_addrs.size() > net::max_listeners)
    return make_error(errc::too_large,
                      fmt::format("{} listen addresses, at most {}",
                                  listen_addrs.size(), net::max_listeners));
  for (auto& addr : listen_addrs)
    if (auto ep = net::tcp_endpoint_of(addr); !ep)
      return ep.error();
  return {};
}

caf::behavior listener(caf::io::stateful_broker<listener_state>* self,
                       listener_config cfg) {
  drain_mailbox_on_exit(self);
  auto& st = self->state;
  st.factory = cfg.factory ? cfg.factory : closing_connection_factory();
  if (auto ok = bind_all(self, cfg); !ok) {
    log::error(component, "{}", ok.error().message);
    self->quit(make_error(actor_errc::listen_failed, ok.error().message));
    return {};
  }
  st.addresses = dialable(st.listeners);
  for (auto& l : st.listeners)
    log::info(component, "listening on {}", l.bound.to_multiaddr().to_string());
  self->set_exit_handler([self](caf::exit_msg& msg) {
    log::debug(component, "closing {} listeners", self->state.listeners.size());
    self->quit(std::move(msg.reason));
  });
  return {
    [self](status_atom) {
      auto& st = self->state;
      return with_mailbox(
        self,
        component_status{"transport", "listener",
                         fmt::format("{} listeners, {} connections accepted",
                                     st.listeners.size(), st.accepted)});
    },
    [self](addresses_atom) { return self->state.addresses; },
    [self](const caf::io::new_connection_msg& msg) {
      on_new_connection(self, msg);
    },
    [](const caf::io::new_data_msg&) {
      // Connections are handed off (or closed) on accept; nothing to read.
    },
    [](const caf::io::connection_closed_msg&) {},
    [self](const caf::io::acceptor_closed_msg& msg) {
      log::error(component, "a listener closed unexpectedly");
      self->quit(make_error(actor_errc::listen_failed, "listener closed"));
    },
  };
}

spawn_function listener_spawner(listener_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto hdl = sys.middleman().spawn_broker(listener, cfg);
    return caf::actor_cast<component_actor>(hdl);
  };
}

} // namespace canswarm
