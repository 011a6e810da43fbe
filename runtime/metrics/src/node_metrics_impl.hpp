#pragma once

// Internal: the state behind node_metrics. Every prometheus-cpp family, the
// label caps, the peer score table and the small helpers that mirror cap
// and table decisions into metrics. Guarded by `mtx` except for the
// unlabelled metrics (prometheus-cpp updates those atomically).

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "canswarm/metrics/limits.hpp"
#include "canswarm/metrics/node_metrics.hpp"
#include "canswarm/metrics/peer_score_table.hpp"
#include "canswarm/metrics/series.hpp"
#include "capped_series.hpp"

namespace canswarm::metrics {

namespace pm = prometheus;
using detail::capped_series;

namespace detail {

inline const series_info& info(std::string_view name) {
  auto i = std::find_if(all_series.begin(), all_series.end(),
                        [name](const auto& s) { return s.name == name; });
  return *i; // every caller passes a name from the series:: catalogue
}

template<class Builder>
auto& build(Builder builder, std::string_view name, pm::Registry& registry) {
  const auto& s = info(name);
  return builder.Name(std::string{s.name})
    .Help(std::string{s.help})
    .Register(registry);
}

inline constexpr std::array<direction, 2> directions{direction::inbound,
                                                     direction::outbound};

inline std::size_t idx(direction dir) {
  return dir == direction::inbound ? 0 : 1;
}

inline pm::Labels dir_label(direction dir) {
  return {{"direction", std::string{to_string(dir)}}};
}

} // namespace detail

struct node_metrics::impl {
  using counter_family = pm::Family<pm::Counter>;
  using gauge_family = pm::Family<pm::Gauge>;

  std::shared_ptr<pm::Registry> registry = std::make_shared<pm::Registry>();
  std::mutex mtx;

  // Caps (see limits.hpp); the close-reason cap is shared by both directions.
  label_cap topics{max_topic_labels};
  label_cap close_reasons{max_reason_labels};
  label_cap handshake_reasons{max_reason_labels};
  label_cap reject_reasons{max_reason_labels};
  label_cap gate_reasons{max_reason_labels};
  label_cap protocols{max_protocol_labels};
  label_cap modes{max_bus_mode_labels};
  label_cap transports{max_transport_labels};
  label_cap components{max_component_labels};
  peer_score_table scores{max_peer_score_labels, max_scored_peers};

  counter_family& overflows_f = detail::build(pm::BuildCounter(),
                                              series::label_overflows,
                                              *registry);
  std::unordered_map<std::string_view, pm::Counter*> overflows;

  gauge_family& connected_f = detail::build(pm::BuildGauge(),
                                            series::connected_peers, *registry);
  pm::Gauge& connected = connected_f.Add({});
  counter_family& opened_f = detail::build(pm::BuildCounter(),
                                           series::connections_opened,
                                           *registry);
  std::array<pm::Counter*, 2> opened{&opened_f.Add(detail::dir_label(
                                       detail::directions[0])),
                                     &opened_f.Add(detail::dir_label(
                                       detail::directions[1]))};
  counter_family& closed_f = detail::build(pm::BuildCounter(),
                                           series::connections_closed,
                                           *registry);
  std::array<capped_series<pm::Counter>, 2>
    closed{capped_series<pm::Counter>{closed_f,
                                      detail::dir_label(detail::directions[0]),
                                      "reason", close_reasons},
           capped_series<pm::Counter>{closed_f,
                                      detail::dir_label(detail::directions[1]),
                                      "reason", close_reasons}};
  counter_family& handshake_f = detail::build(pm::BuildCounter(),
                                              series::handshake_failures,
                                              *registry);
  capped_series<pm::Counter> handshake{handshake_f,
                                       {},
                                       "reason",
                                       handshake_reasons};
  counter_family& bytes_f = detail::build(pm::BuildCounter(), series::bytes,
                                          *registry);
  std::array<capped_series<pm::Counter>, 2>
    bytes{capped_series<pm::Counter>{bytes_f,
                                     detail::dir_label(detail::directions[0]),
                                     "protocol", protocols},
          capped_series<pm::Counter>{bytes_f,
                                     detail::dir_label(detail::directions[1]),
                                     "protocol", protocols}};

  counter_family& delivered_f = detail::build(pm::BuildCounter(),
                                              series::messages_delivered,
                                              *registry);
  capped_series<pm::Counter> delivered{delivered_f, {}, "topic", topics};
  counter_family& duplicated_f = detail::build(pm::BuildCounter(),
                                               series::messages_duplicated,
                                               *registry);
  capped_series<pm::Counter> duplicated{duplicated_f, {}, "topic", topics};
  counter_family& rejected_f = detail::build(pm::BuildCounter(),
                                             series::messages_rejected,
                                             *registry);
  capped_series<pm::Counter> rejected{rejected_f, {}, "reason", reject_reasons};
  pm::Family<pm::Histogram>& latency_f = detail::
    build(pm::BuildHistogram(), series::publish_to_deliver, *registry);
  pm::Histogram& latency = latency_f.Add(
    {}, pm::Histogram::BucketBoundaries{latency_buckets_seconds.begin(),
                                        latency_buckets_seconds.end()});
  gauge_family& propagation_f = detail::build(pm::BuildGauge(),
                                              series::propagation_ratio,
                                              *registry);
  capped_series<pm::Gauge> propagation{propagation_f, {}, "topic", topics};
  gauge_family& mesh_f = detail::build(pm::BuildGauge(), series::mesh_peers,
                                       *registry);
  capped_series<pm::Gauge> mesh{mesh_f, {}, "topic", topics};
  gauge_family& score_f = detail::build(pm::BuildGauge(), series::peer_score,
                                        *registry);
  std::unordered_map<std::string, pm::Gauge*, string_hash, std::equal_to<>>
    peer_gauges;
  pm::Gauge* other_score = nullptr;

  gauge_family& mode_f = detail::build(pm::BuildGauge(), series::bus_mode,
                                       *registry);
  std::vector<pm::Gauge*> mode_gauges; // at most max_bus_mode_labels + 1
  capped_series<pm::Gauge> mode{mode_f, {}, "mode", modes};
  counter_family& failovers_f = detail::build(pm::BuildCounter(),
                                              series::bus_failovers, *registry);
  counter_family& restarts_f = detail::build(pm::BuildCounter(),
                                             series::supervisor_restarts,
                                             *registry);
  capped_series<pm::Counter> restarts{restarts_f, {}, "component", components};
  counter_family& envelopes_f = detail::build(pm::BuildCounter(),
                                              series::envelopes, *registry);
  std::array<capped_series<pm::Counter>, 2>
    envelopes{capped_series<pm::Counter>{envelopes_f,
                                         detail::dir_label(
                                           detail::directions[0]),
                                         "transport", transports},
              capped_series<pm::Counter>{envelopes_f,
                                         detail::dir_label(
                                           detail::directions[1]),
                                         "transport", transports}};
  counter_family& dedup_f = detail::build(pm::BuildCounter(),
                                          series::dedup_hits, *registry);
  pm::Counter& dedup = dedup_f.Add({});
  counter_family& gate_f = detail::build(pm::BuildCounter(),
                                         series::gate_rejections, *registry);
  capped_series<pm::Counter> gate{gate_f, {}, "reason", gate_reasons};

  impl() {
    // Export the overflow counters at 0 so `increase(...) > 0` alerts work.
    for (std::string_view label :
         {"topic", "close_reason", "handshake_reason", "reject_reason",
          "gate_reason", "protocol", "peer", "mode", "transport", "component"})
      overflows.emplace(label,
                        &overflows_f.Add({{"label", std::string{label}}}));
  }

  void overflowed(std::string_view label) {
    overflows.at(label)->Increment();
  }

  /// Increments the counter of `raw` in `s`, "other" beyond the cap.
  void count(capped_series<pm::Counter>& s, std::string_view raw,
             std::string_view cap_name, double n = 1) {
    auto found = s.get(raw, true);
    if (found.overflow)
      overflowed(cap_name);
    found.metric->Increment(n);
  }

  /// Returns the gauge of `raw` in `s`, nullptr (counted) beyond the cap.
  pm::Gauge* gauge(capped_series<pm::Gauge>& s, std::string_view raw,
                   std::string_view cap_name) {
    auto found = s.get(raw, false);
    if (found.overflow)
      overflowed(cap_name);
    return found.metric;
  }

  void set_other_score() {
    if (scores.aggregated_size() == 0) {
      if (other_score != nullptr)
        score_f.Remove(std::exchange(other_score, nullptr));
      return;
    }
    if (other_score == nullptr)
      other_score = &score_f.Add({{"peer", std::string{overflow_label}}});
    other_score->Set(scores.aggregated_mean());
  }

  void add_peer_gauge(const std::string& peer, double score) {
    auto* g = &score_f.Add({{"peer", peer}});
    g->Set(score);
    peer_gauges.emplace(peer, g);
  }

  void remove_peer_gauge(std::string_view peer) {
    if (auto i = peer_gauges.find(peer); i != peer_gauges.end()) {
      score_f.Remove(i->second);
      peer_gauges.erase(i);
    }
  }
};

} // namespace canswarm::metrics
