#pragma once

// What the router has queued for one peer until the next flush: our
// subscription changes, control (GRAFT, PRUNE, IHAVE, IWANT) and messages
// (shared, already encoded). A flush batches everything into as few RPC
// frames as fit max_transmit_size (control piggybacks on messages, spec v1.0
// "Control Message Piggybacking"). This is the per-connection half of the
// router: in the node it sits in the peer-connection actor.
//
// Bounds: messages (max_pending_messages_per_peer) and IHAVE/IWANT ids
// (max_pending_control_ids_per_peer) are dropped and counted when a peer is
// not flushed (never reads); subscriptions, GRAFT and PRUNE keep only the
// latest entry per topic, so they are bounded by the number of topics.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/message_cache.hpp"

namespace canswarm::gossipsub {

/// A FIFO on a vector: unlike std::deque it allocates nothing until used
/// (there is one queue per peer and most stay small).
template<class T>
class fifo {
public:
  bool empty() const {
    return head_ == items_.size();
  }
  std::size_t size() const {
    return items_.size() - head_;
  }
  T& front() {
    return items_[head_];
  }
  void push_back(T x) {
    items_.push_back(std::move(x));
  }
  void pop_front() {
    items_[head_++] = T{};
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(),
                   items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

/// Per-peer outbound queue.
class outbound_queue {
public:
  /// Frames carry at most `max_body` bytes of RPC (max_transmit_size).
  explicit outbound_queue(std::size_t max_body);

  /// Queues a message; false (dropped, counted) when the queue is full.
  bool push_message(std::shared_ptr<const cached_message> m);

  /// Queues a subscription change; replaces a pending one for the topic.
  void push_subscription(const std::string& topic, bool subscribe);

  /// Queues a GRAFT; cancels a pending PRUNE for the topic.
  void push_graft(const std::string& topic);

  /// Queues a PRUNE; cancels a pending GRAFT for the topic.
  void push_prune(control_prune prune);

  /// Queues an IHAVE (split into entries that fit a frame); false if ids
  /// were dropped because the id budget is full.
  bool push_ihave(const std::string& topic, const std::vector<message_id>& ids);

  /// Queues an IWANT like push_ihave.
  bool push_iwant(const std::vector<message_id>& ids);

  /// Returns whether nothing is queued.
  bool empty() const;

  /// Takes the next frame (uvarint length prefix + RPC body), or nullopt
  /// when nothing is queued.
  std::optional<bytes> pop_frame();

  /// Drops everything queued (peer gone).
  void clear();

  /// Messages queued.
  std::size_t pending_messages() const {
    return messages_.size();
  }

  /// Messages and ids dropped because the queue was full.
  std::size_t dropped() const {
    return dropped_;
  }

  /// Returns whether a GRAFT / PRUNE for `topic` is queued (for tests).
  bool has_graft(const std::string& topic) const;
  bool has_prune(const std::string& topic) const;

private:
  template<class Entry>
  bool
  push_ids(fifo<Entry>& queue, Entry proto, const std::vector<message_id>& ids);

  std::size_t max_body_;
  std::vector<sub_opts> subscriptions_;
  std::vector<std::string> grafts_;
  std::vector<control_prune> prunes_;
  fifo<control_ihave> ihaves_;
  fifo<control_iwant> iwants_;
  fifo<std::shared_ptr<const cached_message>> messages_;
  std::size_t pending_ids_ = 0;
  std::size_t dropped_ = 0;
};

} // namespace canswarm::gossipsub
