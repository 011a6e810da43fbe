// Peer connection broker: life cycle (admission, core start, close), socket
// I/O with the write high-water mark, and timers. Core events and stream
// bridging are in peer_connection_streams.cpp.

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "canswarm/actors/broker_mailbox.hpp"
#include "canswarm/log/log.hpp"
#include "peer_connection_impl.hpp"

namespace canswarm {

using namespace detail;

namespace {

/// Draws an X25519 secret from libsodium's CSPRNG.
noise::key32 random_secret() {
  noise::key32 k;
  randombytes_buf(k.data(), k.size());
  return k;
}

void start_core(pc_self self) {
  auto& st = self->state;
  connection::core_config cc;
  cc.dir = st.cfg.dir;
  cc.key = st.cfg.key;
  cc.static_secret = random_secret();
  cc.ephemeral_secret = random_secret();
  cc.wall_clock = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  cc.security = st.cfg.security;
  cc.muxers = st.cfg.muxers;
  if (!st.cfg.expected.to_bytes().empty())
    cc.expected_peer = st.cfg.expected;
  cc.observed_addr = st.cfg.remote_addr.to_bytes();
  cc.handshake_deadline = st.cfg.deadline;
  cc.identify.public_key = st.cfg.key->public_key().to_protobuf();
  cc.identify.listen_addrs = st.cfg.listen_addrs;
  for (const auto& [protocol, handler] : st.handlers)
    cc.app_protocols.push_back(protocol);
  try {
    st.core = std::make_unique<connection::core>(std::move(cc));
  } catch (const std::exception& e) {
    pc_finish(self, make_error(errc::invalid_argument, e.what()));
    return;
  }
  // The socket is read only from here on, once the swarm admitted the
  // connection. CAF 0.17 leaks a scribe (and keeps its descriptor open)
  // that starts reading and is closed in the same multiplexer round: the
  // pending "add to the event loop" and "remove" cancel out, so the stream
  // never learns it left the loop and keeps a reference to itself. A
  // refusal answered at once would hit exactly that (a flood past
  // P2P_MAX_CONNECTIONS leaked one descriptor per refused connection, test
  // "a flood of connections over the limit is closed one by one"); a
  // socket that never started reading is freed by its close.
  self->configure_read(st.hdl, caf::io::receive_policy::at_most(
                                 initial_read_chunk_size));
  self->ack_writes(st.hdl, true);
  st.core->start(pc_now());
  pc_sync(self);
}

void request_admission(pc_self self) {
  auto& st = self->state;
  auto swarm = caf::actor_cast<swarm_actor>(st.cfg.swarm);
  if (!swarm) {
    pc_finish(self, make_error(errc::refused, "no swarm to admit it"));
    return;
  }
  admission_request req{conn_id{}, st.cfg.remote_addr, st.cfg.dir};
  auto wait = std::max(st.cfg.deadline - pc_now(),
                       duration{std::chrono::seconds{1}});
  self
    ->request(swarm, std::chrono::ceil<std::chrono::milliseconds>(wait),
              admit_atom::value, std::move(req))
    .then(
      [self](admission& a) {
        auto& st = self->state;
        if (st.closing)
          return;
        if (!a.admitted) {
          pc_finish(self, make_error(errc::refused, a.reason));
          return;
        }
        st.cfg.conn = a.conn;
        st.cfg.listen_addrs = std::move(a.listen_addrs);
        st.cfg.security = std::move(a.security);
        st.cfg.muxers = std::move(a.muxers);
        for (auto& h : a.handlers)
          st.handlers[h.protocol] = caf::actor_cast<stream_handler_actor>(
            h.handler);
        log::debug(pc_component, "{}: admitted", pc_label(self));
        start_core(self);
      },
      [self](caf::error& err) {
        pc_finish(self,
                  make_error(errc::refused, "the swarm did not admit it: "
                                              + self->system().render(err)));
      });
}

void on_data(pc_self self, caf::io::new_data_msg& msg) {
  auto& st = self->state;
  if (st.closing)
    return;
  st.bytes_read += msg.buf.size();
  ++st.reads;
  if (msg.buf.size() >= st.read_size && st.read_size < read_chunk_size) {
    st.read_size = std::min(read_chunk_size, st.read_size * 4);
    self->configure_read(st.hdl,
                         caf::io::receive_policy::at_most(st.read_size));
  }
  bytes_view data{reinterpret_cast<const std::uint8_t*>(msg.buf.data()),
                  msg.buf.size()};
  if (!st.core)
    return; // Not read before admission (start_core); nothing to do.
  st.core->handle_input(data, pc_now());
  pc_sync(self);
}

void on_tick(pc_self self) {
  auto& st = self->state;
  st.timer_at = no_deadline;
  if (st.closing)
    return;
  auto now = pc_now();
  if (st.in_flight > 0 && now - st.last_progress >= st.cfg.write_stall_limit) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.cfg.write_stall_limit);
    pc_finish(self,
              make_error(errc::timeout,
                         fmt::format("write timeout: {} bytes unwritten for "
                                     "{} ms, the peer stopped reading",
                                     st.in_flight, ms.count())));
    return;
  }
  if (!st.core) {
    if (now >= st.cfg.deadline)
      pc_finish(self, make_error(errc::timeout, "not admitted in time"));
    else
      pc_arm_timer(self);
    return;
  }
  st.core->handle_timeout(now);
  pc_sync(self);
}

} // namespace

caf::behavior
peer_connection(caf::io::stateful_broker<peer_connection_state>* self,
                caf::io::connection_handle hdl, peer_connection_config cfg) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  drain_mailbox_on_exit(self);
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.hdl = hdl;
  for (auto& h : st.cfg.handlers)
    st.handlers[h.protocol] = caf::actor_cast<stream_handler_actor>(h.handler);
  self->set_down_handler([self](caf::down_msg& msg) {
    // A stream owner terminated: reset its streams.
    auto& st = self->state;
    std::vector<stream_id> ids;
    for (auto& [id, s] : st.streams)
      if (caf::actor_cast<caf::actor_addr>(s.owner) == msg.source)
        ids.push_back(id);
    st.owners.erase(msg.source);
    for (auto id : ids) {
      if (st.core)
        st.core->reset_stream(id);
      pc_drop_stream(self, id, "owner terminated", false);
    }
    pc_sync(self);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    pc_finish(self,
              make_error(errc::refused, "shutting down: "
                                          + self->system().render(msg.reason)));
  });
  log::debug(pc_component, "{}: {} connection, upgrading", pc_label(self),
             connection::to_string(st.cfg.dir));
  if (st.cfg.dir == connection::direction::outbound)
    start_core(self);
  else
    request_admission(self);
  pc_arm_timer(self);
  return {
    [self](caf::io::new_data_msg& msg) { on_data(self, msg); },
    [self](const caf::io::connection_passivated_msg&) {
      pc_on_passivated(self);
    },
    [self](const caf::io::data_transferred_msg& msg) {
      auto& st = self->state;
      st.bytes_written += msg.written;
      st.in_flight = msg.remaining;
      if (msg.written > 0)
        st.last_progress = pc_now();
      pc_sync(self);
    },
    [self](const caf::io::connection_closed_msg&) {
      auto& st = self->state;
      if (!st.core) {
        pc_finish(self, make_error(errc::io, "connection closed by the "
                                             "remote before admission"));
        return;
      }
      st.core->handle_eof("connection closed by the remote");
      pc_sync(self);
    },
    [self](tick_atom) { on_tick(self); },
    [self](status_atom) { return with_mailbox(self, pc_status(self)); },
    [self](ping_atom) -> caf::result<caf::timespan> {
      auto& st = self->state;
      if (!st.core)
        return to_caf_error(make_error(errc::refused, "connection not open"));
      request_id req{++st.next_request};
      bytes payload(ping::payload_size);
      randombytes_buf(payload.data(), payload.size());
      if (auto ok = st.core->ping(req, payload, pc_now()); !ok)
        return to_caf_error(ok.error());
      auto rp = self->make_response_promise<caf::timespan>();
      st.pings.emplace(req, rp);
      pc_sync(self);
      return rp;
    },
    [self](open_stream_atom, std::vector<std::string>& protocols,
           caf::timespan timeout,
           stream_handler_actor owner) -> caf::result<stream_ref> {
      auto& st = self->state;
      if (!st.core)
        return to_caf_error(make_error(errc::refused, "connection not open"));
      if (st.streams.size() + st.opens.size() >= max_bridged_streams)
        return to_caf_error(
          make_error(errc::refused,
                     fmt::format("{} streams bridged (max_bridged_streams)",
                                 st.streams.size())));
      if (!owner)
        owner = caf::actor_cast<stream_handler_actor>(self->current_sender());
      request_id req{++st.next_request};
      auto now = pc_now();
      if (auto ok = st.core->open_stream(req, std::move(protocols),
                                         now + timeout, now);
          !ok)
        return to_caf_error(ok.error());
      auto rp = self->make_response_promise<stream_ref>();
      st.opens.emplace(req, peer_connection_state::open_request{rp, owner});
      pc_sync(self);
      return rp;
    },
    [self](stream_write_atom, stream_id id,
           bytes& data) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      auto i = st.streams.find(id);
      if (i == st.streams.end() || !st.core)
        return to_caf_error(
          make_error(errc::not_found,
                     fmt::format("no open stream {}", id.value)));
      auto& s = i->second;
      if (s.writes.size() >= max_pending_writes)
        return to_caf_error(
          make_error(errc::refused, fmt::format("{} writes queued on stream {} "
                                                "(max_pending_writes)",
                                                s.writes.size(), id.value)));
      auto rp = self->make_response_promise<std::uint64_t>();
      s.writes.push_back(pending_write{std::move(data), 0, rp});
      pc_retry_writes(self, id);
      pc_sync(self);
      return rp;
    },
    [self](stream_ack_atom, stream_id id, std::uint64_t n) {
      auto& st = self->state;
      auto i = st.streams.find(id);
      if (i == st.streams.end())
        return;
      auto& s = i->second;
      s.acked = std::min(s.delivered, s.acked + n);
      pc_credit(self, id);
      pc_sync(self);
    },
    [self](stream_close_atom, stream_id id) {
      auto& st = self->state;
      auto i = st.streams.find(id);
      if (i == st.streams.end() || !st.core)
        return;
      i->second.close_after_writes = true;
      pc_retry_writes(self, id);
      pc_sync(self);
    },
    [self](stream_reset_atom, stream_id id) {
      auto& st = self->state;
      if (!st.core)
        return;
      st.core->reset_stream(id);
      pc_drop_stream(self, id, "reset by its owner", false);
      pc_sync(self);
    },
    [self](close_atom, std::string& reason) {
      pc_finish(self, make_error(errc::refused, std::move(reason)));
    },
    [self](handlers_atom, std::vector<handler_entry>& entries) {
      auto& st = self->state;
      st.handlers.clear();
      std::vector<std::string> protocols;
      for (auto& h : entries) {
        protocols.push_back(h.protocol);
        st.handlers[h.protocol] = caf::actor_cast<stream_handler_actor>(
          h.handler);
      }
      if (st.core)
        st.core->set_app_protocols(std::move(protocols));
    },
    [self](listen_addrs_atom, std::vector<bytes>& addrs) {
      auto& st = self->state;
      st.cfg.listen_addrs = addrs;
      if (st.core)
        st.core->set_listen_addrs(std::move(addrs));
    },
  };
}

namespace {

caf::behavior
outbound_connection(caf::io::stateful_broker<peer_connection_state>* self,
                    int fd, peer_connection_config cfg) {
  auto hdl = self->add_scribe(fd);
  return peer_connection(self, hdl, std::move(cfg));
}

} // namespace

peer_connection_actor spawn_outbound_connection(caf::actor_system& sys, int fd,
                                                peer_connection_config cfg) {
  auto hdl = sys.middleman().spawn_broker(outbound_connection, fd,
                                          std::move(cfg));
  return caf::actor_cast<peer_connection_actor>(hdl);
}

} // namespace canswarm
