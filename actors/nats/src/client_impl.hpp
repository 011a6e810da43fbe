#pragma once

// Internals of the nats.c wrapper: the token registry that stands between
// nats.c callbacks and C++ objects, the shared states behind the public
// handles, and the status -> canswarm::error mapping.

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "canswarm/nats/client.hpp"

namespace canswarm::nats::detail {

/// Maps the opaque tokens given to nats.c as callback closures to live
/// objects. A callback looks its object up (getting a strong reference for
/// the duration of the call); once removed, late callbacks find nothing.
/// Tokens are never reused. Never destroyed (nats.c threads may outlive
/// static destruction).
template<class T>
class registry {
public:
  static registry& instance() {
    static auto* r = new registry;
    return *r;
  }

  void* add(std::shared_ptr<T> x) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto token = next_++;
    entries_.emplace(token, std::move(x));
    return reinterpret_cast<void*>(token);
  }

  void remove(void* token) {
    std::shared_ptr<T> doomed; // destroyed outside the lock
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = entries_.find(reinterpret_cast<std::uintptr_t>(token));
    if (it != entries_.end()) {
      doomed = std::move(it->second);
      entries_.erase(it);
    }
  }

  std::shared_ptr<T> find(void* token) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = entries_.find(reinterpret_cast<std::uintptr_t>(token));
    return it == entries_.end() ? nullptr : it->second;
  }

private:
  std::mutex mtx_;
  std::unordered_map<std::uintptr_t, std::shared_ptr<T>> entries_;
  std::uintptr_t next_ = 1;
};

/// What connection callbacks reach.
struct connection_hub {
  callbacks cbs;
  std::atomic<link_state> state{link_state::connecting};
  natsConnection* nc = nullptr; ///< Set once connected (for error texts).
  /// Outstanding asynchronous publishes: nats.c's message -> caller's tag.
  std::mutex mtx;
  std::unordered_map<natsMsg*, std::uint64_t> pending;
};

/// Owns a natsSubscription; messages keep it alive so they can be acked.
struct subscription_handle {
  natsSubscription* sub = nullptr;
  ~subscription_handle() {
    natsSubscription_Destroy(sub);
  }
};

/// What a subscription's message callback reaches.
struct subscription_hub {
  message_handler handler;
  std::shared_ptr<subscription_handle> handle;
};

struct subscription_state {
  std::string subject;
  std::shared_ptr<subscription_handle> handle;
  void* token = nullptr;
  ~subscription_state() {
    registry<subscription_hub>::instance().remove(token);
  }
};

struct message_state {
  natsMsg* msg = nullptr;
  std::shared_ptr<subscription_handle> keep;
  ~message_state() {
    natsMsg_Destroy(msg);
  }
};

struct connection_state {
  natsConnection* nc = nullptr;
  std::shared_ptr<connection_hub> hub;
  void* token = nullptr;
  std::mutex js_mtx;
  jsCtx* js = nullptr; ///< Created on first JetStream use.
  ~connection_state();
};

/// Maps a nats.c status to a canswarm error "<what>: <status text>" plus
/// nats.c's thread-local error detail when it adds something.
error to_error(natsStatus s, std::string_view what);

/// As above, with a JetStream error code (0 = none) and text.
error to_js_error(natsStatus s, std::string_view what, jsErrCode code,
                  std::string_view text = {});

/// Returns the errc for a status.
errc classify(natsStatus s);

/// The message trampoline shared by core and JetStream subscriptions.
void on_message(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                void* closure);

/// Returns the connection's JetStream context, creating it on first use.
result<jsCtx*> jetstream_of(connection_state& st);

/// Creates a message carrying `hdrs` (and Nats-Msg-Id = `msg_id` if set).
result<natsMsg*> make_msg(std::string_view subject, bytes_view data,
                          const headers& hdrs, std::string_view msg_id = {});

} // namespace canswarm::nats::detail
