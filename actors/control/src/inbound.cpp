// The bridge of one inbound stream (STREAM_HANDLER): dials the client's
// listener from a detached worker (connecting may block), asks the swarm
// for the stream's remote address, writes one framed StreamInfo, then
// bridges the raw bytes (bridge.cpp).

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/broker.hpp>
#include <fmt/format.h>

#include "canswarm/actors/broker_mailbox.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"
#include "sockets.hpp"

namespace canswarm::control::detail {

namespace {

/// Dials `target` and hands the socket to `bridge` (closing it if the
/// bridge no longer wants it).
void dial_worker(caf::event_based_actor* self, caf::actor bridge,
                 multiaddr target) {
  auto fd = connect_to(target, handler_dial_timeout);
  int sock = fd ? *fd : -1;
  std::string failure = fd ? std::string{} : fd.error().message;
  self
    ->request(bridge, std::chrono::seconds{10}, ctl_dialed_atom::value, sock,
              std::move(failure))
    .then(
      [sock](bool taken) {
        if (!taken)
          close_socket(sock);
      },
      [sock](caf::error&) { close_socket(sock); });
}

/// Starts bridging once the socket and the remote address are both known.
void maybe_start(inbound_ptr self) {
  auto& st = self->state;
  if (st.fd < 0 || !st.remote_addr)
    return;
  auto hdl = self->add_scribe(st.fd);
  st.fd = -1;
  st.bridge.hdl = hdl;
  self->ack_writes(hdl, true);
  bytes info;
  p2pd::write_message(to_stream_info(*st.bridge.ref, *st.remote_addr), info);
  st.bridge.flow.on_control_bytes(info.size());
  self->write(hdl, info.size(), info.data());
  self->flush(hdl);
  self->send(st.router, ctl_ready_atom::value, st.key);
  log::debug(component, "{}: bridged", st.bridge.label);
  bridge_activate(self, st.bridge);
}

bool on_dialed(inbound_ptr self, int fd, const std::string& failure) {
  auto& st = self->state;
  if (fd < 0) {
    log::warning(component, "cannot reach the stream handler at {}: {}",
                 st.target.to_string(), failure);
    self->send(st.router, ctl_ready_atom::value, st.key);
    bridge_abort(self, st.bridge, "stream handler unreachable");
    return false;
  }
  if (st.bridge.flow.was_reset())
    return false;
  st.fd = fd;
  maybe_start(self);
  return true;
}

} // namespace

inbound_state::~inbound_state() {
  close_socket(fd); // Connected, but the bridge stopped before using it.
}

caf::behavior inbound_bridge(inbound_ptr self, stream_ref ref, multiaddr target,
                             swarm_actor swarm, control_router_actor router) {
  drain_mailbox_on_exit(self);
  auto& st = self->state;
  st.router = std::move(router);
  st.key = ref.key;
  st.target = std::move(target);
  st.bridge.label = fmt::format("inbound {} stream {} from {}", ref.protocol,
                                ref.key.id.value, ref.peer.to_string());
  st.bridge.ref = std::move(ref);
  self->system().spawn<caf::detached>(dial_worker,
                                      caf::actor_cast<caf::actor>(self),
                                      st.target);
  self->request(swarm, std::chrono::seconds{10}, peers_atom::value)
    .then(
      [self](std::vector<peer_entry>& xs) {
        self->state.remote_addr = remote_addr_of(xs, self->state.key.conn);
        maybe_start(self);
      },
      [self](caf::error&) {
        self->state.remote_addr = multiaddr{};
        maybe_start(self);
      });
  return {
    [self](ctl_dialed_atom, int fd, const std::string& failure) {
      return on_dialed(self, fd, failure);
    },
    [self](caf::io::new_data_msg& msg) {
      bridge_on_socket_data(self, self->state.bridge, msg.buf);
    },
    [self](const caf::io::data_transferred_msg& msg) {
      bridge_on_transferred(self, self->state.bridge, msg);
    },
    [self](const caf::io::connection_closed_msg&) {
      bridge_on_socket_closed(self, self->state.bridge);
    },
    [self](stream_data& msg) {
      bridge_on_stream_data(self, self->state.bridge, msg);
    },
    [self](const stream_closed&) {
      bridge_on_stream_closed(self, self->state.bridge);
    },
    [self](const stream_reset& msg) {
      bridge_on_stream_reset(self, self->state.bridge, msg.reason);
    },
    [self](ctl_drain_atom) {
      auto& st = self->state;
      if (!st.bridge.flow.finished())
        bridge_abort(self, st.bridge,
                     "the remote did not close within bridge_drain_timeout");
    },
  };
}

} // namespace canswarm::control::detail
