// Bridging a libp2p stream and a socket (see control_impl.hpp and
// bridge_flow.hpp): socket reads become stream writes (reads pause while
// the muxer has not accepted enough of them), stream data is written to the
// socket and acknowledged once the socket transferred it.

#include <caf/io/broker.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"
#include "control_impl.hpp"
#include "sockets.hpp"

namespace canswarm::control::detail {

namespace {

/// Pauses or resumes socket reads to match the flow's backpressure.
void update_reading(caf::io::broker* self, bridge_state& b) {
  if (!b.active || b.flow.socket_gone())
    return;
  auto want = b.flow.may_read();
  if (want && b.halted) {
    self->trigger(b.hdl);
    b.halted = false;
  } else if (!want && !b.halted) {
    self->halt(b.hdl);
    b.halted = true;
  }
}

/// Grants the remote credit for `n` bytes.
void ack(caf::io::broker* self, bridge_state& b, std::uint64_t n) {
  if (n > 0 && b.ref && !b.flow.was_reset())
    self->send(b.ref->connection, stream_ack_atom::value, b.ref->key.id, n);
}

void write_socket(caf::io::broker* self, bridge_state& b, const bytes& data) {
  self->write(b.hdl, data.size(), data.data());
  self->flush(b.hdl);
}

/// Sends the FIN a remote close asks for, once the socket is idle. CAF 0.17
/// has no half-close (its close() also stops reading), so the FIN is sent
/// with shutdown(2) on the socket, which CAF's default multiplexer names by
/// its descriptor (network::conn_hdl_from_socket); CAF keeps reading.
void maybe_half_close(caf::io::broker* self, bridge_state& b) {
  if (!b.fin_pending || !b.active || b.flow.socket_gone()
      || !b.flow.socket_idle() || !self->valid(b.hdl))
    return;
  b.fin_pending = false;
  if (half_close(static_cast<int>(b.hdl.id())))
    return;
  // Not a plain socket: close both directions instead.
  self->close(b.hdl);
  bridge_on_socket_closed(self, b);
}

} // namespace

bool bridge_accepts(const bridge_state& b, const stream_key& key) {
  return !b.ref || b.ref->key == key;
}

void bridge_activate(caf::io::broker* self, bridge_state& b) {
  b.active = true;
  self->configure_read(b.hdl,
                       caf::io::receive_policy::at_most(control_read_chunk));
  for (auto& chunk : b.early)
    write_socket(self, b, chunk);
  b.early.clear();
  b.fin_pending = b.flow.remote_closed();
  update_reading(self, b);
  maybe_half_close(self, b);
}

void bridge_on_socket_data(caf::io::broker* self, bridge_state& b,
                           std::vector<char>& buf) {
  bytes data(buf.begin(), buf.end());
  bridge_write(self, b, std::move(data));
}

void bridge_write(caf::io::broker* self, bridge_state& b, bytes data) {
  if (data.empty() || !b.ref || b.flow.was_reset())
    return;
  auto n = data.size();
  b.flow.on_write_issued(n);
  update_reading(self, b);
  self
    ->request(b.ref->connection, caf::infinite, stream_write_atom::value,
              b.ref->key.id, std::move(data))
    .then(
      [self, &b, n](std::uint64_t) {
        b.flow.on_write_done(n);
        update_reading(self, b);
        bridge_maybe_finish(self, b);
      },
      [self, &b](caf::error& err) {
        bridge_abort(self, b,
                     "stream write failed: "
                       + from_caf_error(self->system(), err).message);
      });
}

void bridge_on_stream_data(caf::io::broker* self, bridge_state& b,
                           stream_data& msg) {
  if (b.flow.was_reset())
    return;
  auto n = msg.data.size();
  if (b.flow.socket_gone()) {
    ack(self, b, n); // Draining: the client is gone.
    return;
  }
  if (auto ok = b.flow.on_stream_data(n); !ok) {
    bridge_abort(self, b, ok.error().message);
    return;
  }
  if (!b.active)
    b.early.push_back(std::move(msg.data));
  else
    write_socket(self, b, msg.data);
}

void bridge_on_transferred(caf::io::broker* self, bridge_state& b,
                           const caf::io::data_transferred_msg& msg) {
  ack(self, b, b.flow.on_transferred(msg.written));
  maybe_half_close(self, b);
}

void bridge_on_stream_closed(caf::io::broker* self, bridge_state& b) {
  b.flow.on_remote_closed();
  log::debug(component, "{}: remote closed its side", b.label);
  b.fin_pending = true;
  maybe_half_close(self, b);
  bridge_maybe_finish(self, b);
}

void bridge_on_stream_reset(caf::io::broker* self, bridge_state& b,
                            const std::string& reason) {
  log::debug(component, "{}: reset: {}", b.label, reason);
  b.flow.on_reset();
  if (b.active && !b.flow.socket_gone())
    self->close(b.hdl);
  self->quit();
}

void bridge_on_socket_closed(caf::io::broker* self, bridge_state& b) {
  ack(self, b, b.flow.on_socket_gone());
  if (b.ref && !b.flow.was_reset())
    self->send(b.ref->connection, stream_close_atom::value, b.ref->key.id);
  if (b.flow.draining()) {
    log::debug(component, "{}: local socket closed, draining the remote",
               b.label);
    // Anonymous, like the connection's linger tick (broker_mailbox.hpp).
    caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                           bridge_drain_timeout, ctl_drain_atom::value);
  }
  bridge_maybe_finish(self, b);
}

void bridge_abort(caf::io::broker* self, bridge_state& b,
                  const std::string& reason) {
  log::debug(component, "{}: resetting: {}", b.label, reason);
  if (b.ref && !b.flow.was_reset())
    self->send(b.ref->connection, stream_reset_atom::value, b.ref->key.id);
  b.flow.on_reset();
  if (b.active && !b.flow.socket_gone())
    self->close(b.hdl);
  self->quit();
}

void bridge_maybe_finish(caf::io::broker* self, bridge_state& b) {
  if (b.flow.finished()) {
    log::debug(component, "{}: done", b.label);
    self->quit();
  }
}

} // namespace canswarm::control::detail
