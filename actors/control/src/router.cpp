// The stream router: the swarm's handler of every protocol registered with
// STREAM_HANDLER. Each inbound stream gets a bridge broker (inbound.cpp)
// that dials the client's listener; the router forwards the stream's
// messages to it (the connection sends them to the handler it knows) and
// resets the stream if the bridge dies without finishing it.

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"
#include "control_impl.hpp"

namespace canswarm::control::detail {

namespace {

using router_ptr = control_router_actor::stateful_pointer<router_state>;

/// Asks a peer connection to reset one of its streams.
void reset_stream(router_ptr self, const caf::actor& connection, stream_id id) {
  auto conn = caf::actor_cast<peer_connection_actor>(connection);
  if (conn)
    self->send(conn, stream_reset_atom::value, id);
}

void refuse(router_ptr self, const stream_ref& ref, std::string_view why) {
  log::warning(component, "refusing inbound {} stream from {}: {}",
               ref.protocol, ref.peer.to_string(), why);
  reset_stream(self, ref.connection, ref.key.id);
}

void on_opened(router_ptr self, stream_ref& ref) {
  auto& st = self->state;
  auto route = st.routes.find(ref.protocol);
  if (route == st.routes.end())
    return refuse(self, ref, "no stream handler registered");
  if (st.streams.size() >= max_handler_streams)
    return refuse(self, ref,
                  fmt::format("{} streams bridged (max_handler_streams)",
                              st.streams.size()));
  if (st.dialing.size() >= max_pending_handler_dials)
    return refuse(self, ref,
                  fmt::format("{} stream handler dials pending "
                              "(max_pending_handler_dials)",
                              st.dialing.size()));
  auto key = ref.key;
  auto conn = ref.connection;
  auto id = ref.key.id;
  auto bridge = self->system()
                  .middleman()
                  .spawn_broker(inbound_bridge, std::move(ref), route->second,
                                st.swarm,
                                caf::actor_cast<control_router_actor>(self));
  self->monitor(bridge);
  st.streams.emplace(key, routed_stream{bridge, conn, id});
  st.dialing.insert(key);
}

template<class Message>
void forward(router_ptr self, Message& msg) {
  auto& st = self->state;
  if (auto i = st.streams.find(msg.key); i != st.streams.end())
    caf::anon_send(i->second.bridge, std::move(msg));
}

void on_down(router_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  for (auto i = st.streams.begin(); i != st.streams.end(); ++i) {
    if (caf::actor_cast<caf::actor_addr>(i->second.bridge) != msg.source)
      continue;
    if (msg.reason)
      reset_stream(self, i->second.connection, i->second.id);
    st.dialing.erase(i->first);
    st.streams.erase(i);
    return;
  }
}

caf::result<std::uint64_t> on_register(router_ptr self, multiaddr& addr,
                                       std::vector<std::string>& protos) {
  auto& st = self->state;
  std::size_t added = 0;
  for (auto& p : protos)
    if (st.routes.count(p) == 0)
      ++added;
  if (st.routes.size() + added > max_handler_protocols)
    return to_caf_error(
      make_error(errc::too_large,
                 fmt::format("{} protocols routed, at most {} "
                             "(max_handler_protocols)",
                             st.routes.size() + added, max_handler_protocols)));
  for (auto& p : protos) {
    log::info(component, "inbound {} streams go to {}", p, addr.to_string());
    st.routes[p] = addr;
  }
  return self->delegate(st.swarm, set_handler_atom::value, std::move(protos),
                        caf::actor_cast<stream_handler_actor>(self));
}

} // namespace

control_router_actor::behavior_type router(router_ptr self, swarm_actor swarm) {
  self->state.swarm = std::move(swarm);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // Bridges are not linked to the router (one failing must not take the
    // others down), so stop them here: a bridge left waiting for its
    // client socket would keep the actor system (and the node) alive.
    for (auto& [key, entry] : self->state.streams)
      self->send_exit(entry.bridge, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [self](ctl_register_atom, multiaddr& addr,
           std::vector<std::string>& protos) {
      return on_register(self, addr, protos);
    },
    [self](stream_opened& msg) { on_opened(self, msg.ref); },
    [self](stream_data& msg) { forward(self, msg); },
    [self](stream_closed& msg) { forward(self, msg); },
    [self](stream_reset& msg) { forward(self, msg); },
    [self](ctl_ready_atom, const stream_key& key) {
      self->state.dialing.erase(key);
    },
  };
}

} // namespace canswarm::control::detail
