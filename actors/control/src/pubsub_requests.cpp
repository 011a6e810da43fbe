// PUBSUB requests of a control connection (see server.hpp): GET_TOPICS,
// LIST_PEERS and PUBLISH ask the pub/sub actor and answer; SUBSCRIBE makes
// the connection broker a subscriber of the topic and turns the connection
// into a stream of PSMessages, paced by subscription_flow.

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "canswarm/actors/errors.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"

namespace canswarm::control::detail {

namespace {

/// Timeout of requests to the pub/sub actor (local and quick).
constexpr auto pubsub_timeout = std::chrono::seconds{10};

/// The text of a failure: the specific message a wrap_error carries,
/// whatever its category, else CAF's rendering.
std::string error_text(caf::actor_system& sys, const caf::error& err) {
  auto cat = err.category();
  if (cat != caf::atom("system") && cat != caf::atom("exit")
      && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return describe(sys, err);
}

/// An error handler answering with the failure's text.
auto fail_with(connection_ptr self, std::string prefix) {
  return [self, prefix = std::move(prefix)](caf::error& err) {
    finish_request(self, p2pd::error_response(
                           prefix + error_text(self->system(), err)));
  };
}

/// The running pub/sub actor, or why there is none.
result<pubsub_actor> service_of(connection_ptr self) {
  auto& locator = self->state.ctx.pubsub;
  if (!locator)
    return make_error(errc::unsupported, std::string{pubsub_disabled_message});
  auto ps = locator->get();
  if (!ps)
    return make_error(errc::unsupported, "pub/sub is not running");
  return ps;
}

pubsub_subscriber_actor me(connection_ptr self) {
  return caf::actor_cast<pubsub_subscriber_actor>(
    caf::actor_cast<caf::actor>(self));
}

void on_get_topics(connection_ptr self, const pubsub_actor& ps) {
  go_busy(self);
  self->request(ps, pubsub_timeout, pubsub_topics_atom::value)
    .then(
      [self](std::vector<std::string>& topics) {
        finish_request(self, topics_response(std::move(topics)));
      },
      fail_with(self, "GET_TOPICS: "));
}

void on_list_peers(connection_ptr self, const pubsub_actor& ps,
                   std::string topic) {
  go_busy(self);
  self->request(ps, pubsub_timeout, pubsub_peers_atom::value, std::move(topic))
    .then([self](
            std::vector<peer_id>&
              peers) { finish_request(self, pubsub_peers_response(peers)); },
          fail_with(self, "LIST_PEERS: "));
}

/// The envelope bus, if the node has one and `topic` is a thread topic.
bus_actor bus_for(connection_ptr self, const std::string& topic) {
  auto& locator = self->state.ctx.bus;
  if (!locator || topic.rfind(envelope::p2p_topic_root, 0) != 0)
    return {};
  return locator->get();
}

void on_publish(connection_ptr self, const pubsub_actor& ps, std::string topic,
                bytes data, bool raw) {
  go_busy(self);
  if (raw) {
    log::warning(component,
                 "control connection #{}: raw PUBLISH on {} (no envelope bus, "
                 "no preflight gate)",
                 self->state.ctx.number, topic);
  } else if (auto bus = bus_for(self, topic)) {
    self
      ->request(bus, pubsub_timeout, bus_publish_wire_atom::value,
                std::move(topic), std::move(data))
      .then([self](
              std::uint64_t) { finish_request(self, p2pd::ok_response()); },
            fail_with(self, "PUBLISH: "));
    return;
  }
  self
    ->request(ps, pubsub_timeout, pubsub_publish_atom::value, std::move(topic),
              std::move(data))
    .then([self](std::uint64_t) { finish_request(self, p2pd::ok_response()); },
          fail_with(self, "PUBLISH: "));
}

/// The pub/sub actor confirmed the subscription: answer OK and stream.
void start_subscription(connection_ptr self, const pubsub_actor& ps,
                        const std::string& topic) {
  auto& st = self->state;
  if (st.at != phase::busy)
    return;
  send_response(self, p2pd::ok_response());
  st.at = phase::subscribed;
  st.sub.topic = topic;
  st.sub.service = ps;
  // A restarted pub/sub actor does not know the subscription: the client
  // learns it from the closed connection, as from go's daemon.
  if (st.sub.bus)
    self->monitor(st.sub.bus);
  else
    self->monitor(ps);
  log::debug(component, "control connection #{}: subscribed to {}",
             st.ctx.number, topic);
  // Keep reading: only to notice the client closing.
  resume_reading(self);
  if (auto rest = st.reader.take_rest(); !rest.empty())
    on_subscription_input(self, rest.size());
}

void on_subscribe(connection_ptr self, const pubsub_actor& ps,
                  std::string topic) {
  go_busy(self);
  if (auto bus = bus_for(self, topic)) {
    self->state.sub.bus = bus;
    self
      ->request(bus, pubsub_timeout, bus_topic_subscribe_atom::value, topic,
                me(self))
      .then([self, ps,
             topic](std::uint64_t) { start_subscription(self, ps, topic); },
            fail_with(self, "SUBSCRIBE: "));
    return;
  }
  self
    ->request(ps, pubsub_timeout, pubsub_subscribe_atom::value, topic, me(self))
    .then([self, ps,
           topic](std::uint64_t) { start_subscription(self, ps, topic); },
          fail_with(self, "SUBSCRIBE: "));
}

} // namespace

void handle_pubsub(connection_ptr self, const p2pd::ps_request& req) {
  using p2pd::ps_request_type;
  auto ps = service_of(self);
  if (!ps) {
    send_response(self, p2pd::error_response(ps.error().message));
    return;
  }
  auto args = to_pubsub(req);
  if (!args) {
    send_response(self, p2pd::error_response(args.error().message));
    return;
  }
  switch (args->type) {
    case ps_request_type::get_topics: on_get_topics(self, *ps); return;
    case ps_request_type::list_peers:
      on_list_peers(self, *ps, std::move(args->topic));
      return;
    case ps_request_type::publish:
      on_publish(self, *ps, std::move(args->topic), std::move(args->data),
                 args->raw);
      return;
    case ps_request_type::subscribe:
      on_subscribe(self, *ps, std::move(args->topic));
      return;
  }
  send_response(self, p2pd::error_response("PUBSUB: unknown request type"));
}

void on_pubsub_message(connection_ptr self, const pubsub_message& msg) {
  auto& st = self->state;
  if (st.at != phase::subscribed || msg.topic != st.sub.topic)
    return;
  bytes frame;
  p2pd::write_message(to_ps_message(msg), frame);
  if (!st.sub.flow.admit(frame.size())) {
    if (st.sub.flow.dropped() == 1)
      log::warning(component,
                   "control connection #{}: the subscriber of {} does not "
                   "read; dropping its messages while {} messages or {} bytes "
                   "wait (max_subscription_backlog)",
                   st.ctx.number, st.sub.topic, max_subscription_backlog,
                   max_subscription_backlog_bytes);
    return;
  }
  self->write(st.hdl, frame.size(), frame.data());
  self->flush(st.hdl);
}

void on_subscription_transferred(connection_ptr self,
                                 const caf::io::data_transferred_msg& msg) {
  self->state.sub.flow.on_transferred(msg.remaining);
}

void on_subscription_input(connection_ptr self, std::size_t n) {
  auto& sub = self->state.sub;
  if (sub.discarded_input)
    return;
  sub.discarded_input = true;
  log::debug(component,
             "control connection #{}: discarding {} bytes the client sent "
             "after SUBSCRIBE (and any later ones)",
             self->state.ctx.number, n);
}

void end_subscription(connection_ptr self) {
  auto& st = self->state;
  log::debug(component,
             "control connection #{}: closed by the client; unsubscribing "
             "from {} ({} messages written, {} dropped)",
             st.ctx.number, st.sub.topic, st.sub.flow.written(),
             st.sub.flow.dropped());
  if (st.sub.bus)
    caf::anon_send(st.sub.bus, bus_topic_unsubscribe_atom::value, st.sub.topic,
                   me(self));
  else if (st.sub.service)
    caf::anon_send(st.sub.service, pubsub_unsubscribe_atom::value, st.sub.topic,
                   me(self));
  self->quit();
}

void on_subscription_down(connection_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto holder = st.sub.bus ? st.sub.bus.address() : st.sub.service.address();
  if (st.at != phase::subscribed || !holder || msg.source != holder)
    return;
  log::debug(component,
             "control connection #{}: the {} stopped; closing the "
             "subscription to {}",
             st.ctx.number, st.sub.bus ? "envelope bus" : "pub/sub service",
             st.sub.topic);
  st.sub.service = pubsub_actor{};
  st.sub.bus = bus_actor{};
  self->close(st.hdl);
  self->quit();
}

} // namespace canswarm::control::detail
