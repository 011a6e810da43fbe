// The request handlers of a control connection: each validates its request
// (requests.hpp), asks the swarm, the server or the router, and answers.

#include <caf/actor_cast.hpp>
#include <fmt/format.h>

#include "canswarm/control/requests.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"

namespace canswarm::control::detail {

namespace {

/// Timeout of requests to the server, the router and the swarm that do not
/// carry their own (all local and quick).
constexpr auto internal_timeout = std::chrono::seconds{10};

/// Slack on top of a dial or open timeout the swarm enforces itself, so its
/// own (more specific) error arrives first.
constexpr auto timeout_slack = std::chrono::seconds{5};

/// An error handler answering with the failure's text.
auto fail_with(connection_ptr self, std::string prefix) {
  return [self, prefix = std::move(prefix)](caf::error& err) {
    auto e = from_caf_error(self->system(), err);
    finish_request(self, p2pd::error_response(prefix + e.message));
  };
}

void on_identify(connection_ptr self) {
  go_busy(self);
  self
    ->request(self->state.ctx.server, internal_timeout, ctl_listen_atom::value)
    .then(
      [self](std::vector<multiaddr>& addrs) {
        auto resp = p2pd::ok_response();
        resp.identify = p2pd::identify_response{self->state.ctx.self.to_bytes(),
                                                identify_addrs(addrs)};
        finish_request(self, resp);
      },
      fail_with(self, "IDENTIFY: "));
}

void on_connect(connection_ptr self, const p2pd::connect_request& req) {
  auto& st = self->state;
  auto dial = to_dial_request(req, st.ctx.connection_timeout);
  if (!dial) {
    send_response(self, p2pd::error_response(dial.error().message));
    return;
  }
  go_busy(self);
  auto timeout = dial->timeout + timeout_slack;
  self->request(st.ctx.swarm, timeout, dial_atom::value, std::move(*dial))
    .then([self](peer_id&) { finish_request(self, p2pd::ok_response()); },
          fail_with(self, ""));
}

void on_disconnect(connection_ptr self, const p2pd::disconnect_request& req) {
  auto peer = to_peer(req);
  if (!peer) {
    send_response(self, p2pd::error_response(peer.error().message));
    return;
  }
  go_busy(self);
  self
    ->request(self->state.ctx.swarm, internal_timeout, disconnect_atom::value,
              std::move(*peer))
    .then([self](std::uint64_t) { finish_request(self, p2pd::ok_response()); },
          fail_with(self, "DISCONNECT: "));
}

void on_list_peers(connection_ptr self) {
  go_busy(self);
  self->request(self->state.ctx.swarm, internal_timeout, peers_atom::value)
    .then(
      [self](std::vector<peer_entry>& conns) {
        auto resp = p2pd::ok_response();
        resp.peers = list_peers(conns);
        finish_request(self, resp);
      },
      fail_with(self, "LIST_PEERS: "));
}

/// The stream is open and its remote address known: answer OK with the
/// StreamInfo and turn the connection into the stream.
void start_stream(connection_ptr self, const multiaddr& remote) {
  auto& st = self->state;
  if (st.at != phase::busy || st.bridge.flow.was_reset())
    return;
  auto resp = p2pd::ok_response();
  resp.stream = to_stream_info(*st.bridge.ref, remote);
  send_response(self, resp);
  st.at = phase::streaming;
  log::debug(component, "{}: bridged", st.bridge.label);
  resume_reading(self);
  bridge_activate(self, st.bridge);
  // Bytes the client sent after its request belong to the stream.
  bridge_write(self, st.bridge, st.reader.take_rest());
}

void on_stream_open(connection_ptr self, const p2pd::stream_open_request& req) {
  auto& st = self->state;
  auto args = to_stream_open(req, st.ctx.connection_timeout);
  if (!args) {
    send_response(self, p2pd::error_response(args.error().message));
    return;
  }
  go_busy(self);
  auto owner = caf::actor_cast<stream_handler_actor>(
    caf::actor_cast<caf::actor>(self));
  auto timeout = args->timeout + timeout_slack;
  self
    ->request(st.ctx.swarm, timeout, open_stream_atom::value, args->peer,
              args->protocols, args->timeout, owner)
    .then(
      [self](stream_ref& ref) {
        auto& st = self->state;
        st.bridge.label = fmt::format("control connection #{}: {} stream {} "
                                      "to {}",
                                      st.ctx.number, ref.protocol,
                                      ref.key.id.value, ref.peer.to_string());
        auto conn = ref.key.conn;
        st.bridge.ref = std::move(ref);
        self->request(st.ctx.swarm, internal_timeout, peers_atom::value)
          .then([self,
                 conn](std::vector<peer_entry>&
                         xs) { start_stream(self, remote_addr_of(xs, conn)); },
                [self](caf::error&) { start_stream(self, multiaddr{}); });
      },
      fail_with(self, ""));
}

void on_stream_handler(connection_ptr self,
                       const p2pd::stream_handler_request& req) {
  auto args = to_stream_handler(req);
  if (!args) {
    send_response(self, p2pd::error_response(args.error().message));
    return;
  }
  go_busy(self);
  self
    ->request(self->state.ctx.router, internal_timeout,
              ctl_register_atom::value, std::move(args->addr),
              std::move(args->protocols))
    .then([self](std::uint64_t) { finish_request(self, p2pd::ok_response()); },
          fail_with(self, "STREAM_HANDLER: "));
}

/// Answers with the stats document once the pub/sub report (if any) is in.
void finish_stats(connection_ptr self, const std::vector<peer_entry>& conns,
                  const pubsub_report* report, const bus_stats* bus) {
  auto& st = self->state;
  stats_inputs in;
  in.self = st.ctx.self;
  in.connections = &conns;
  in.pubsub = report;
  in.bus = bus;
  envelope::gate_stats gate;
  if (st.ctx.gate) {
    std::lock_guard<std::mutex> guard{st.ctx.gate->mtx};
    gate = st.ctx.gate->gate.stats();
    in.gate = &gate;
  }
  auto resp = p2pd::ok_response();
  resp.canswarm_stats = stats_json(in);
  finish_request(self, resp);
}

/// Adds the bus's counters (if the node has a bus), then answers.
void stats_with_bus(connection_ptr self, const std::vector<peer_entry>& conns,
                    std::shared_ptr<pubsub_report> report) {
  auto& ctx = self->state.ctx;
  auto bus = ctx.bus ? ctx.bus->get() : bus_actor{};
  if (!bus) {
    finish_stats(self, conns, report.get(), nullptr);
    return;
  }
  self->request(bus, internal_timeout, bus_stats_atom::value)
    .then([self, conns, report](
            bus_stats& s) { finish_stats(self, conns, report.get(), &s); },
          fail_with(self, "CANSWARM_STATS: "));
}

void on_canswarm_stats(connection_ptr self) {
  go_busy(self);
  self->request(self->state.ctx.swarm, internal_timeout, peers_atom::value)
    .then(
      [self](std::vector<peer_entry>& conns) {
        auto& ctx = self->state.ctx;
        auto ps = ctx.pubsub ? ctx.pubsub->get() : pubsub_actor{};
        if (!ps) {
          stats_with_bus(self, conns, nullptr);
          return;
        }
        self->request(ps, internal_timeout, pubsub_report_atom::value)
          .then(
            [self, conns](pubsub_report& report) {
              stats_with_bus(self, conns,
                             std::make_shared<pubsub_report>(
                               std::move(report)));
            },
            fail_with(self, "CANSWARM_STATS: "));
      },
      fail_with(self, "CANSWARM_STATS: "));
}

} // namespace

void go_busy(connection_ptr self) {
  // Reading is not halted here: halting and re-triggering the socket for
  // every request lost the re-trigger under load (pipelined requests were
  // never read again). Input waiting behind a busy request stays in the
  // frame reader, bounded by max_busy_buffered (on_request_bytes).
  self->state.at = phase::busy;
}

void resume_reading(connection_ptr self) {
  auto& st = self->state;
  if (!st.read_halted)
    return;
  st.read_halted = false;
  self->trigger(st.hdl);
}

void handle_request(connection_ptr self, p2pd::request& req) {
  using p2pd::request_type;
  log::debug(component, "control connection #{}: {}", self->state.ctx.number,
             p2pd::to_string(req.type));
  switch (req.type) {
    case request_type::identify: on_identify(self); return;
    case request_type::connect: on_connect(self, *req.connect); return;
    case request_type::disconnect: on_disconnect(self, *req.disconnect); return;
    case request_type::list_peers: on_list_peers(self); return;
    case request_type::stream_open:
      on_stream_open(self, *req.stream_open);
      return;
    case request_type::stream_handler:
      on_stream_handler(self, *req.stream_handler);
      return;
    case request_type::pubsub: handle_pubsub(self, *req.pubsub); return;
    case request_type::canswarm_stats: on_canswarm_stats(self); return;
    case request_type::canswarm_inspect:
      on_canswarm_inspect(self, req.inspect);
      return;
    default:
      send_response(self, p2pd::error_response(unsupported_message(req.type)));
  }
}

} // namespace canswarm::control::detail
