#pragma once

// A deterministic in-memory network of gossipsub routers: a virtual clock,
// a seeded RNG, and simulated links with latency, random frame loss and an
// optional "lossy for messages" mode (eager message pushes are stripped
// from frames; messages the receiver asked for with IWANT pass), so that
// repair through IHAVE/IWANT can be shown. Frames travel through the real
// framing (frame_reader) and codec. Reusable by later protocol simulations
// of the node (e.g. benchmarks).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "canswarm/gossipsub/router.hpp"

namespace gossipsub_sim {

using canswarm::bytes;
using canswarm::bytes_view;
using canswarm::duration;
using canswarm::peer_id;
using canswarm::time_point;
namespace gs = canswarm::gossipsub;
using namespace std::chrono_literals;

/// Properties of one direction of a link.
struct link_config {
  duration latency = 20ms;
  double loss = 0.0; ///< Probability that a whole frame is lost.
  /// Strip messages from frames unless the receiver asked for them with
  /// IWANT on this link (eager pushes are lost, gossip repairs).
  bool drop_unrequested_messages = false;
};

/// Counters of the simulated network.
struct net_stats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_lost = 0;
  std::uint64_t messages_stripped = 0; ///< By drop_unrequested_messages.
  std::uint64_t bytes_sent = 0;
};

/// One simulated node.
struct node {
  explicit node(gs::router r) : router(std::move(r)) {}
  gs::router router;
  peer_id id;
  /// Deliveries to the local subscriber per message id (1 = exactly once).
  std::unordered_map<gs::message_id, std::size_t> delivered;
};

/// The simulated network.
class simulator {
public:
  /// `seed` drives link loss and the seeds of the routers' RNGs.
  explicit simulator(std::uint64_t seed);

  /// Adds a router with `cfg`; its key is derived from its index. Returns
  /// the node index.
  std::size_t add_node(const gs::config& cfg);

  /// Connects `dialer` to `listener` (outbound for the dialer) with the same
  /// link properties both ways; each side speaks `proto` to the other.
  void connect(std::size_t dialer, std::size_t listener, link_config lc = {},
               gs::protocol dialer_speaks = gs::protocol::meshsub_v11,
               gs::protocol listener_speaks = gs::protocol::meshsub_v11);

  /// Returns whether the two nodes are connected.
  bool connected(std::size_t a, std::size_t b) const;

  /// Returns the properties of the direction `from` -> `to`.
  link_config& link(std::size_t from, std::size_t to);

  /// Returns a node.
  node& at(std::size_t i) {
    return *nodes_.at(i);
  }
  gs::router& router(std::size_t i) {
    return nodes_.at(i)->router;
  }

  /// Number of nodes.
  std::size_t size() const {
    return nodes_.size();
  }

  /// Returns the signing key of node `i` (to forge its messages).
  static canswarm::identity::private_key key_of(std::size_t i);

  /// Returns the index of the node with `id`.
  std::size_t index_of(const peer_id& id) const;

  /// Subscribes node `i` to `topic` now.
  void subscribe(std::size_t i, const std::string& topic);

  /// Publishes from node `i` now.
  canswarm::result<gs::publish_result>
  publish(std::size_t i, const std::string& topic, bytes data);

  /// Sends an arbitrary RPC body from `from` to `to` over their link (for
  /// misbehaving peers).
  void send_raw(std::size_t from, std::size_t to, bytes body);

  /// Lets the application of node `i` act now (any router call), then
  /// collects its output.
  void act(std::size_t i, const std::function<void(gs::router&)>& f);

  /// Runs the network until `t` (inclusive).
  void run_until(time_point t);

  /// Runs the network for `d`.
  void run_for(duration d) {
    run_until(now_ + d);
  }

  /// Returns the virtual time.
  time_point now() const {
    return now_;
  }

  /// Returns the network counters.
  const net_stats& stats() const {
    return stats_;
  }

  /// Called for every event of every node.
  std::function<void(std::size_t node, const gs::event&)> on_event;

  /// Called for every RPC body put on a link (after stripping).
  std::function<void(std::size_t from, std::size_t to, bytes_view body)>
    on_frame;

  /// Called after each heartbeat of a node (mesh invariants).
  std::function<void(std::size_t node)> after_heartbeat;

private:
  struct link_state {
    link_config cfg;
    std::unordered_set<gs::message_id> requested; ///< IWANT'd by receiver.
    gs::frame_reader reader{gs::default_max_transmit_size};
  };

  struct item {
    time_point at;
    std::uint64_t seq;
    std::size_t from; ///< Sender, or SIZE_MAX for a timer.
    std::size_t to;
    bytes frame;
    bool operator>(const item& o) const {
      return at != o.at ? at > o.at : seq > o.seq;
    }
  };

  static std::uint64_t key(std::size_t from, std::size_t to) {
    return (static_cast<std::uint64_t>(from) << 32) | to;
  }

  void settle(std::size_t i);
  void transmit(std::size_t from, std::size_t to, bytes frame);
  void deliver(item& it);
  void schedule_timer(std::size_t i);

  gs::rng rng_;
  time_point now_{};
  std::uint64_t seq_ = 0;
  std::vector<std::unique_ptr<node>> nodes_;
  std::vector<time_point> timers_;
  std::unordered_map<peer_id, std::size_t> index_;
  std::unordered_map<std::uint64_t, link_state> links_;
  std::priority_queue<item, std::vector<item>, std::greater<>> queue_;
  net_stats stats_;
};

} // namespace gossipsub_sim
