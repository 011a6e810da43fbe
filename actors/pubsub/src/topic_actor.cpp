// The topic actor (topic_actor.hpp): one local topic's subscribers and
// validation hook.

#include "topic_actor.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace canswarm::detail {

namespace {

struct topic_state {
  static inline const char* name = "pubsub_topic";
  std::string topic;
  gossipsub::validator hook;
  std::vector<pubsub_subscriber_actor> subscribers;
};

using topic_self = topic_actor_handle::stateful_pointer<topic_state>;

void deliver(topic_self self, const pubsub_message& m) {
  for (auto& sub : self->state.subscribers)
    self->send(sub, m);
}

topic_actor_handle::behavior_type
topic_actor(topic_self self, std::string topic, gossipsub::validator hook,
            std::vector<pubsub_subscriber_actor> subscribers,
            caf::actor parent) {
  auto& st = self->state;
  st.topic = std::move(topic);
  st.hook = std::move(hook);
  st.subscribers = std::move(subscribers);
  self->monitor(parent);
  self->set_down_handler([self](caf::down_msg& msg) {
    // Only the parent is monitored.
    self->quit(msg.reason);
  });
  return {
    [self](topic_validate& v) -> std::int32_t {
      auto& st = self->state;
      auto verdict = st.hook ? st.hook(v.source, *v.msg)
                             : gossipsub::validation_result::accept;
      if (verdict == gossipsub::validation_result::accept)
        deliver(self, to_pubsub_message(st.topic, *v.msg, v.source));
      return static_cast<std::int32_t>(verdict);
    },
    [self](pubsub_message& m) { deliver(self, m); },
    [self](topic_add_atom, pubsub_subscriber_actor& sub) {
      auto& list = self->state.subscribers;
      if (std::find(list.begin(), list.end(), sub) == list.end())
        list.push_back(std::move(sub));
    },
    [self](topic_remove_atom, caf::actor_addr& who) {
      auto& list = self->state.subscribers;
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const auto& s) {
                                  return s.address() == who;
                                }),
                 list.end());
    },
  };
}

} // namespace

pubsub_message to_pubsub_message(const std::string& topic,
                                 const gossipsub::message& m,
                                 const peer_id& source) {
  return pubsub_message{topic,
                        m.from.value_or(bytes{}),
                        m.data,
                        m.seqno.value_or(bytes{}),
                        m.signature.value_or(bytes{}),
                        m.key.value_or(bytes{}),
                        source};
}

topic_actor_handle
spawn_topic_actor(caf::actor_system& sys, std::string topic,
                  gossipsub::validator hook,
                  std::vector<pubsub_subscriber_actor> subscribers,
                  caf::actor parent) {
  return sys.spawn(topic_actor, std::move(topic), std::move(hook),
                   std::move(subscribers), std::move(parent));
}

} // namespace canswarm::detail
