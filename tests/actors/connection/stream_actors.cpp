#include "stream_actors.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/unit.hpp>

#include "canswarm/actors/listener.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/actors/tuning.hpp"
#include "canswarm/connection/messages.hpp"

namespace canswarm::test {

namespace {

constexpr std::size_t piece_size = 256 * 1024;
constexpr int writes_in_flight = 4;

caf::actor sender_of(caf::local_actor* self) {
  return caf::actor_cast<caf::actor>(self->current_sender());
}

// -- echo ---------------------------------------------------------------------

struct echo_state {
  static inline const char* name = "test_echo";
};

caf::behavior echo_handler(caf::stateful_actor<echo_state>* self, caf::unit_t) {
  return {
    [](stream_opened&) {},
    [self](stream_data& x) {
      auto conn = sender_of(self);
      auto id = x.key.id;
      std::uint64_t n = x.data.size();
      self
        ->request(conn, caf::infinite, stream_write_atom::value, id,
                  std::move(x.data))
        .then(
          [self, conn, id, n](std::uint64_t) {
            self->send(conn, stream_ack_atom::value, id, n);
          },
          [](caf::error&) {});
    },
    [self](stream_closed& x) {
      self->send(sender_of(self), stream_close_atom::value, x.key.id);
    },
    [](stream_reset&) {},
  };
}

// -- sink ---------------------------------------------------------------------

struct sink_state {
  static inline const char* name = "test_sink";
  std::map<stream_key, std::uint64_t> counts;
  std::uint64_t received = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t finished = 0;
  bool ack = true;
};

caf::behavior sink_handler(caf::stateful_actor<sink_state>* self, bool ack) {
  self->state.ack = ack;
  return {
    [](stream_opened&) {},
    [self](stream_data& x) {
      auto& st = self->state;
      auto& offset = st.counts[x.key];
      for (std::size_t i = 0; i < x.data.size(); ++i)
        if (x.data[i] != static_cast<std::uint8_t>((offset + i) * 31 + 7))
          ++st.mismatches;
      offset += x.data.size();
      st.received += x.data.size();
      if (st.ack)
        self->send(sender_of(self), stream_ack_atom::value, x.key.id,
                   static_cast<std::uint64_t>(x.data.size()));
    },
    [self](stream_closed& x) {
      auto& st = self->state;
      auto total = st.counts[x.key];
      bytes reply(8);
      for (int i = 0; i < 8; ++i)
        reply[i] = static_cast<std::uint8_t>(total >> (56 - 8 * i));
      auto conn = sender_of(self);
      self
        ->request(conn, caf::infinite, stream_write_atom::value, x.key.id,
                  std::move(reply))
        .then([](std::uint64_t) {}, [](caf::error&) {});
      self->send(conn, stream_close_atom::value, x.key.id);
      st.counts.erase(x.key);
      ++st.finished;
    },
    [self](stream_reset& x) { self->state.counts.erase(x.key); },
    [self](stats_atom) {
      auto& st = self->state;
      return caf::make_message(st.received, st.mismatches, st.finished);
    },
  };
}

// -- client -------------------------------------------------------------------

struct client_state {
  static inline const char* name = "test_client";
  caf::actor conn;
  stream_id id;
  bytes payload;
  std::size_t sent = 0;
  std::uint64_t accepted = 0;
  int in_flight = 0;
  bool fin_sent = false;
  bytes received;
  std::uint64_t expected = 0;
  bool remote_closed = false;
  bool started = false;
  caf::response_promise rp;
};

using client_ptr = caf::stateful_actor<client_state>*;

void check_done(client_ptr self) {
  auto& st = self->state;
  if (st.started && st.rp.pending() && st.remote_closed
      && st.received.size() >= st.expected)
    st.rp.deliver(st.received);
}

void pump(client_ptr self) {
  auto& st = self->state;
  while (st.in_flight < writes_in_flight && st.sent < st.payload.size()) {
    auto n = std::min(piece_size, st.payload.size() - st.sent);
    auto first = st.payload.begin() + static_cast<std::ptrdiff_t>(st.sent);
    bytes piece(first, first + static_cast<std::ptrdiff_t>(n));
    st.sent += n;
    ++st.in_flight;
    self
      ->request(st.conn, caf::infinite, stream_write_atom::value, st.id,
                std::move(piece))
      .then(
        [self](std::uint64_t n) {
          self->state.accepted += n;
          --self->state.in_flight;
          pump(self);
        },
        [self](caf::error& err) {
          if (self->state.rp.pending())
            self->state.rp.deliver(err);
        });
  }
  if (st.sent == st.payload.size() && st.in_flight == 0 && !st.fin_sent) {
    st.fin_sent = true;
    self->send(st.conn, stream_close_atom::value, st.id);
  }
}

caf::behavior client(client_ptr self, caf::unit_t) {
  return {
    [self](transfer_atom, stream_ref& ref, bytes& payload,
           std::uint64_t expected) {
      auto& st = self->state;
      st.conn = ref.connection;
      st.id = ref.key.id;
      st.payload = std::move(payload);
      st.expected = expected;
      st.started = true;
      st.rp = self->make_response_promise();
      pump(self);
      check_done(self);
      return st.rp;
    },
    [self](stream_opened&) {},
    [self](stream_data& x) {
      auto& st = self->state;
      append(st.received, x.data);
      self->send(sender_of(self), stream_ack_atom::value, x.key.id,
                 static_cast<std::uint64_t>(x.data.size()));
      check_done(self);
    },
    [self](stream_closed&) {
      self->state.remote_closed = true;
      check_done(self);
    },
    [self](stats_atom) {
      auto& st = self->state;
      return caf::make_message(static_cast<std::uint64_t>(st.received.size()),
                               st.remote_closed, st.accepted, st.in_flight,
                               st.fin_sent);
    },
    [self](stream_reset& x) {
      if (self->state.rp.pending())
        self->state.rp.deliver(
          to_caf_error(make_error(errc::io, "stream reset: " + x.reason)));
    },
  };
}

} // namespace

bytes pattern(std::size_t size, std::size_t offset) {
  bytes data(size);
  for (std::size_t i = 0; i < size; ++i)
    data[i] = static_cast<std::uint8_t>((offset + i) * 31 + 7);
  return data;
}

// The caf::unit arguments: CAF 0.17 spawns a function-based actor without
// arguments by dereferencing a null argument tuple (init_fun_factory_helper
// applies `*args_`), which UBSan reports and stops at.

caf::actor spawn_echo_handler(caf::actor_system& sys) {
  return sys.spawn(echo_handler, caf::unit);
}

caf::actor spawn_sink_handler(caf::actor_system& sys, bool ack) {
  return sys.spawn(sink_handler, ack);
}

caf::actor spawn_client(caf::actor_system& sys) {
  return sys.spawn(client, caf::unit);
}

io_config::io_config() {
  apply_runtime_tuning(*this); // As the node does.
  load<caf::io::middleman>();
  set("logger.file-verbosity", caf::atom("quiet"));
  set("logger.console-verbosity", caf::atom("quiet"));
  canswarm::add_message_types(*this);
  add_connection_message_types(*this);
}

multiaddr test_node::dial_addr() const {
  return multiaddr::parse(listen.at(0) + "/p2p/" + id.to_string()).value();
}

test_node start_node(caf::actor_system& sys, caf::scoped_actor& self,
                     std::size_t max_connections, caf::timespan timeout,
                     std::vector<connection::security_kind> security,
                     std::vector<connection::muxer_kind> muxers) {
  test_node n;
  n.key = std::make_shared<const identity::private_key>(
    identity::private_key::generate_ed25519());
  n.id = peer_id::from_public_key(n.key->public_key());
  auto locator = std::make_shared<swarm_locator>();
  swarm_config sc;
  sc.key = n.key;
  sc.max_connections = max_connections;
  sc.connection_timeout = timeout;
  sc.locator = locator;
  sc.security = std::move(security);
  sc.muxers = std::move(muxers);
  auto s = spawn_swarm(sys, sc);
  if (!s)
    throw std::runtime_error(s.error().describe());
  n.swarm = *s;
  listener_config lc;
  lc.listen_addrs = {multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
  lc.factory = inbound_connection_factory(locator, n.key, timeout);
  n.transport = caf::actor_cast<transport_actor>(listener_spawner(lc)(sys));
  self->request(n.transport, std::chrono::seconds{5}, addresses_atom::value)
    .receive([&](std::vector<std::string>& xs) { n.listen = std::move(xs); },
             [&](caf::error& err) {
               throw std::runtime_error("listener: " + sys.render(err));
             });
  std::vector<multiaddr> addrs;
  for (const auto& a : n.listen)
    addrs.push_back(multiaddr::parse(a).value());
  self->send(n.swarm, listen_addrs_atom::value, std::move(addrs));
  return n;
}

void stop_node(caf::scoped_actor& self, test_node& n) {
  self->send_exit(n.swarm, caf::exit_reason::user_shutdown);
  self->send_exit(n.transport, caf::exit_reason::user_shutdown);
}

} // namespace canswarm::test
