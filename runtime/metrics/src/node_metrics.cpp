#include "canswarm/metrics/node_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <prometheus/text_serializer.h>

#include "node_metrics_impl.hpp"
#include "registry_access.hpp"

namespace canswarm::metrics {

using detail::idx;

std::string_view to_string(direction dir) {
  return dir == direction::inbound ? "inbound" : "outbound";
}

std::string_view to_string(series_type type) {
  switch (type) {
    case series_type::counter: return "counter";
    case series_type::gauge: return "gauge";
    case series_type::histogram: return "histogram";
  }
  return "untyped";
}

std::shared_ptr<pm::Registry>
detail::registry_access::registry(const node_metrics& m) {
  return m.impl_->registry;
}

node_metrics::node_metrics() : impl_(std::make_unique<impl>()) {}

node_metrics::~node_metrics() = default;

void node_metrics::connection_opened(direction dir) {
  impl_->opened[idx(dir)]->Increment();
}

void node_metrics::connection_closed(direction dir, std::string_view reason) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->closed[idx(dir)], reason, "close_reason");
}

void node_metrics::handshake_failed(std::string_view reason) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->handshake, reason, "handshake_reason");
}

void node_metrics::bytes_in(std::string_view protocol, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->bytes[idx(direction::inbound)], protocol, "protocol",
               static_cast<double>(n));
}

void node_metrics::bytes_out(std::string_view protocol, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->bytes[idx(direction::outbound)], protocol, "protocol",
               static_cast<double>(n));
}

void node_metrics::set_connected_peers(std::size_t n) {
  impl_->connected.Set(static_cast<double>(n));
}

void node_metrics::message_delivered(std::string_view topic, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->delivered, topic, "topic", static_cast<double>(n));
}

void node_metrics::message_duplicated(std::string_view topic, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->duplicated, topic, "topic", static_cast<double>(n));
}

void node_metrics::message_rejected(std::string_view reason, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->rejected, reason, "reject_reason",
               static_cast<double>(n));
}

bool node_metrics::observe_publish_to_deliver_latency(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return false;
  impl_->latency.Observe(seconds);
  return true;
}

bool node_metrics::set_propagation_rate(std::string_view topic, double ratio) {
  if (std::isnan(ratio))
    return false;
  std::lock_guard guard{impl_->mtx};
  auto* g = impl_->gauge(impl_->propagation, topic, "topic");
  if (g == nullptr)
    return false;
  g->Set(std::clamp(ratio, 0.0, 1.0));
  return true;
}

bool node_metrics::set_mesh_size(std::string_view topic, std::size_t n) {
  std::lock_guard guard{impl_->mtx};
  auto* g = impl_->gauge(impl_->mesh, topic, "topic");
  if (g == nullptr)
    return false;
  g->Set(static_cast<double>(n));
  return true;
}

void node_metrics::topic_unsubscribed(std::string_view topic) {
  std::lock_guard guard{impl_->mtx};
  impl_->propagation.remove(topic);
  impl_->mesh.remove(topic);
}

bool node_metrics::set_peer_score(std::string_view peer, double score) {
  if (!std::isfinite(score))
    return false;
  auto label = sanitize_label_value(peer);
  std::lock_guard guard{impl_->mtx};
  if (peer.size() > max_label_value_size || label == overflow_label) {
    impl_->overflowed("peer");
    return false;
  }
  auto& s = *impl_;
  auto update = s.scores.set(label, score);
  if (update.demoted) {
    s.remove_peer_gauge(*update.demoted);
    s.overflowed("peer");
  }
  if (update.newly_tracked)
    s.add_peer_gauge(label, score);
  else if (auto i = s.peer_gauges.find(label); i != s.peer_gauges.end())
    i->second->Set(score);
  s.set_other_score();
  return true;
}

void node_metrics::forget_peer(std::string_view peer) {
  auto label = sanitize_label_value(peer);
  std::lock_guard guard{impl_->mtx};
  auto& s = *impl_;
  auto removal = s.scores.forget(label);
  if (removal.was_tracked)
    s.remove_peer_gauge(label);
  if (removal.promoted)
    s.add_peer_gauge(removal.promoted->first, removal.promoted->second);
  s.set_other_score();
}

void node_metrics::set_bus_mode(std::string_view mode) {
  std::lock_guard guard{impl_->mtx};
  auto& s = *impl_;
  auto found = s.mode.get(mode, true);
  if (found.overflow)
    s.overflowed("mode");
  if (std::find(s.mode_gauges.begin(), s.mode_gauges.end(), found.metric)
      == s.mode_gauges.end())
    s.mode_gauges.push_back(found.metric);
  for (auto* g : s.mode_gauges)
    g->Set(g == found.metric ? 1 : 0);
}

void node_metrics::failover(std::string_view from, std::string_view to,
                            std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  auto& s = *impl_;
  auto a = s.modes.admit(from);
  auto b = s.modes.admit(to);
  if (a.overflow)
    s.overflowed("mode");
  if (b.overflow)
    s.overflowed("mode");
  s.failovers_f.Add({{"from", a.value}, {"to", b.value}})
    .Increment(static_cast<double>(n));
}

void node_metrics::supervisor_restart(std::string_view component,
                                      std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->restarts, component, "component", static_cast<double>(n));
}

void node_metrics::envelopes_published(std::string_view transport,
                                       std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->envelopes[idx(direction::outbound)], transport,
               "transport", static_cast<double>(n));
}

void node_metrics::envelopes_received(std::string_view transport,
                                      std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->envelopes[idx(direction::inbound)], transport,
               "transport", static_cast<double>(n));
}

void node_metrics::dedup_hit(std::uint64_t n) {
  impl_->dedup.Increment(static_cast<double>(n));
}

void node_metrics::gate_rejected(std::string_view reason, std::uint64_t n) {
  std::lock_guard guard{impl_->mtx};
  impl_->count(impl_->gate, reason, "gate_reason", static_cast<double>(n));
}

std::string node_metrics::render_text() const {
  return pm::TextSerializer{}.Serialize(impl_->registry->Collect());
}

} // namespace canswarm::metrics
