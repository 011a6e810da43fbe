// One control connection (a broker forked by the server): reads framed
// requests one after the other, answers each with one Response, and after
// a successful STREAM_OPEN carries the stream's raw bytes, after a
// successful PUBSUB SUBSCRIBE the topic's PSMessages (see server.hpp).

#include <caf/io/broker.hpp>
#include <caf/io/system_messages.hpp>
#include <fmt/format.h>

#include "canswarm/actors/broker_mailbox.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"

namespace canswarm::control::detail {

namespace {

bytes_view view(const std::vector<char>& buf) {
  return {reinterpret_cast<const std::uint8_t*>(buf.data()), buf.size()};
}

/// Answers every complete request in the reader while not busy.
void pump(connection_ptr self) {
  auto& st = self->state;
  while (st.at == phase::requests) {
    auto next = st.reader.next();
    if (!next) {
      fail_connection(self, "bad control frame: " + next.error().message);
      return;
    }
    if (!*next)
      return;
    if (++st.requests > max_requests_per_connection) {
      fail_connection(self, fmt::format("more than {} requests on one "
                                        "control connection "
                                        "(max_requests_per_connection)",
                                        max_requests_per_connection));
      return;
    }
    auto req = p2pd::decode_request(**next);
    if (!req) {
      log::debug(component, "control connection #{}: malformed request: {}",
                 st.ctx.number, req.error().message);
      send_response(self, p2pd::error_response("malformed request: "
                                               + req.error().message));
      continue;
    }
    handle_request(self, *req);
  }
}

void on_request_bytes(connection_ptr self, const std::vector<char>& buf) {
  auto& st = self->state;
  if (auto ok = st.reader.feed(view(buf)); !ok) {
    fail_connection(self, "bad control frame: " + ok.error().message);
    return;
  }
  pump(self);
  if (st.at == phase::busy && !st.read_halted
      && st.reader.buffered() > max_busy_buffered) {
    st.read_halted = true;
    self->halt(st.hdl);
  }
}

void on_stream_reset(connection_ptr self, const stream_reset& msg) {
  auto& st = self->state;
  if (st.at == phase::streaming) {
    bridge_on_stream_reset(self, st.bridge, msg.reason);
    return;
  }
  // Reset between the open_stream answer and the OK response.
  st.bridge.flow.on_reset();
  if (st.at == phase::busy)
    fail_connection(self, "STREAM_OPEN: stream reset: " + msg.reason);
}

} // namespace

void send_response(connection_ptr self, const p2pd::response& resp) {
  auto& st = self->state;
  bytes out;
  p2pd::write_message(resp, out);
  st.bridge.flow.on_control_bytes(out.size());
  self->write(st.hdl, out.size(), out.data());
  self->flush(st.hdl);
}

void finish_request(connection_ptr self, const p2pd::response& resp) {
  auto& st = self->state;
  if (st.at != phase::busy)
    return;
  send_response(self, resp);
  st.at = phase::requests;
  resume_reading(self);
  pump(self);
}

void fail_connection(connection_ptr self, const std::string& reason) {
  auto& st = self->state;
  if (st.at == phase::closing)
    return;
  log::debug(component, "control connection #{}: closing: {}", st.ctx.number,
             reason);
  send_response(self, p2pd::error_response(reason));
  st.at = phase::closing;
  resume_reading(self); // Notice the client closing.
  self->close(st.hdl);
  // Anonymous, like the peer connection's tick (see peer_connection_io.cpp
  // and broker_mailbox.hpp).
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), close_linger,
                         ctl_linger_atom::value);
}

caf::behavior control_connection(connection_ptr self,
                                 caf::io::connection_handle hdl,
                                 connection_context ctx) {
  drain_mailbox_on_exit(self);
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.hdl = hdl;
  st.bridge.hdl = hdl;
  st.bridge.label = fmt::format("control connection #{}", st.ctx.number);
  self->configure_read(hdl,
                       caf::io::receive_policy::at_most(control_read_chunk));
  // Every write is reported, so the bridge can tell the control bytes
  // before a stream from the stream bytes (see bridge_flow).
  self->ack_writes(hdl, true);
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_subscription_down(self, msg); });
  return {
    [self](caf::io::new_data_msg& msg) {
      auto& st = self->state;
      if (st.at == phase::streaming)
        bridge_on_socket_data(self, st.bridge, msg.buf);
      else if (st.at == phase::subscribed)
        on_subscription_input(self, msg.buf.size());
      else if (st.at != phase::closing)
        on_request_bytes(self, msg.buf);
    },
    [self](const caf::io::data_transferred_msg& msg) {
      if (self->state.at == phase::subscribed)
        on_subscription_transferred(self, msg);
      else
        bridge_on_transferred(self, self->state.bridge, msg);
    },
    [self](const caf::io::connection_closed_msg&) {
      auto& st = self->state;
      if (st.at == phase::streaming) {
        bridge_on_socket_closed(self, st.bridge);
        return;
      }
      if (st.at == phase::subscribed) {
        end_subscription(self);
        return;
      }
      if (st.bridge.ref && !st.bridge.flow.was_reset())
        self->send(st.bridge.ref->connection, stream_reset_atom::value,
                   st.bridge.ref->key.id);
      self->quit();
    },
    [self](stream_data& msg) {
      auto& st = self->state;
      if (bridge_accepts(st.bridge, msg.key))
        bridge_on_stream_data(self, st.bridge, msg);
    },
    [self](const stream_closed& msg) {
      auto& st = self->state;
      if (!bridge_accepts(st.bridge, msg.key))
        return;
      if (st.at == phase::streaming)
        bridge_on_stream_closed(self, st.bridge);
      else
        st.bridge.flow.on_remote_closed();
    },
    [self](const stream_reset& msg) {
      if (bridge_accepts(self->state.bridge, msg.key))
        on_stream_reset(self, msg);
    },
    [](const stream_opened&) {
      // Only the router receives inbound streams.
    },
    [self](const pubsub_message& msg) { on_pubsub_message(self, msg); },
    [self](ctl_drain_atom) {
      auto& st = self->state;
      if (!st.bridge.flow.finished())
        bridge_abort(self, st.bridge,
                     "the remote did not close within bridge_drain_timeout");
    },
    [self](ctl_linger_atom) { self->quit(); },
  };
}

} // namespace canswarm::control::detail
