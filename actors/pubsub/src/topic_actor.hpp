#pragma once

// The topic actor of one local topic (internal to the pub/sub service; see
// pubsub.hpp). The pub/sub actor spawns it on the first local subscribe,
// monitors it, restarts it with the same subscribers when it fails and
// stops it when the last subscriber leaves.
//
// It holds the topic's local subscribers and:
// - validates: (topic_validate) -> int32 (a gossipsub::validation_result)
//   runs the topic's validation hook on this actor's CAF worker, delivers
//   an accepted message to every subscriber itself and answers the
//   verdict, which the pub/sub actor reports to the router;
// - delivers: (pubsub_message) goes to every subscriber (topics without a
//   hook: the router accepted it synchronously);
// - (topic_add_atom, subscriber), (topic_remove_atom, address) update the
//   subscriber list.
// It quits with the pub/sub actor (it monitors it).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/gossipsub/router.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm::detail {

using topic_add_atom = caf::atom_constant<caf::atom("tpadd")>;
using topic_remove_atom = caf::atom_constant<caf::atom("tpremove")>;

/// A message waiting for the topic's validation hook (local only: it shares
/// the router's decoded message).
struct topic_validate {
  gossipsub::message_id id;
  peer_id source;
  std::shared_ptr<const gossipsub::message> msg;
};

} // namespace canswarm::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(canswarm::detail::topic_validate)

namespace canswarm::detail {

/// The topic actor's interface.
using topic_actor_handle = caf::typed_actor<
  caf::replies_to<topic_validate>::with<std::int32_t>,
  caf::reacts_to<pubsub_message>,
  caf::reacts_to<topic_add_atom, pubsub_subscriber_actor>,
  caf::reacts_to<topic_remove_atom, caf::actor_addr>>;

/// Returns the subscriber view of a router message.
pubsub_message to_pubsub_message(const std::string& topic,
                                 const gossipsub::message& m,
                                 const peer_id& source);

/// Spawns the topic actor of `topic` with its validation hook (may be
/// empty: accept) and subscribers; it quits when `parent` terminates.
topic_actor_handle
spawn_topic_actor(caf::actor_system& sys, std::string topic,
                  gossipsub::validator hook,
                  std::vector<pubsub_subscriber_actor> subscribers,
                  caf::actor parent);

} // namespace canswarm::detail
