#pragma once

// What the gossipsub router reports to its owner through poll_event(): the
// messages for the local subscriber, validation requests, score and mesh
// changes (metrics), peer exchange offers and every refused input (for
// logging: the library itself never prints). These are the typed messages
// between the router and the application / metrics actors.

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace canswarm::gossipsub {

/// A valid message for a topic we subscribe to.
struct message_event {
  std::string topic;
  message_id id;
  peer_id source; ///< The peer that forwarded it to us.
  std::shared_ptr<const message> msg; ///< from, data, seqno, ... (shared).
};

/// A message waits for report_validation (asynchronous validation).
struct validation_request {
  std::string topic;
  message_id id;
  peer_id source;
  std::shared_ptr<const message> msg;
};

/// Score bands, from the spec's thresholds.
enum class score_band {
  non_negative, ///< >= 0.
  negative, ///< < 0: pruned from meshes, no PX.
  below_gossip, ///< < gossip threshold: no gossip either way.
  below_publish, ///< < publish threshold: no own messages.
  graylisted, ///< < graylist threshold: RPCs ignored.
};

/// Returns "non_negative", "negative", ...
const char* to_string(score_band b);

/// A peer's score moved to another band (checked every heartbeat).
struct score_changed {
  peer_id peer;
  double score = 0;
  score_band band = score_band::non_negative;
  score_band previous = score_band::non_negative;
};

/// A peer fell below the graylist threshold: its RPCs are now ignored.
struct peer_graylisted {
  peer_id peer;
  double score = 0;
};

/// Why a mesh changed.
enum class mesh_cause {
  joined, ///< We subscribed and grafted.
  heartbeat, ///< Heartbeat maintenance grafted / pruned.
  negative_score, ///< Pruned for a negative score.
  oversubscribed, ///< Pruned above D_hi.
  remote_graft, ///< The peer grafted us.
  remote_prune, ///< The peer pruned us.
  left, ///< We unsubscribed.
  peer_gone, ///< The peer unsubscribed or disconnected.
};

/// A peer joined or left one of our meshes (metrics).
struct mesh_changed {
  std::string topic;
  peer_id peer;
  bool joined = false;
  mesh_cause cause = mesh_cause::heartbeat;
};

/// A PRUNE from a peer above accept_px_threshold offered other peers for
/// the topic; the node may dial them.
struct px_offered {
  std::string topic;
  peer_id from;
  std::vector<peer_info> peers; ///< At most max_px_peers, ids validated.
};

/// Input from `peer` was refused (message, RPC or control entry).
struct input_rejected {
  peer_id peer;
  reject_reason reason = reject_reason::malformed_rpc;
  std::string detail;
};

/// Any router event.
using event = std::variant<message_event, validation_request, score_changed,
                           peer_graylisted, mesh_changed, px_offered,
                           input_rejected>;

} // namespace canswarm::gossipsub
