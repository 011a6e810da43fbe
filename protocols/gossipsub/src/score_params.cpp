#include "canswarm/gossipsub/score_params.hpp"

#include <fmt/format.h>

namespace canswarm::gossipsub {

namespace {

error bad(std::string_view field, std::string_view rule, double value) {
  return make_error(errc::invalid_argument,
                    fmt::format("{} must be {} (got {})", field, rule, value));
}

bool in_unit(double x) {
  return x > 0.0 && x < 1.0;
}

} // namespace

result<void> topic_score_params::validate() const {
  if (topic_weight < 0)
    return bad("topic_weight", ">= 0", topic_weight);
  if (time_in_mesh_weight < 0)
    return bad("time_in_mesh_weight", ">= 0", time_in_mesh_weight);
  if (time_in_mesh_quantum <= duration::zero())
    return bad("time_in_mesh_quantum", "> 0",
               std::chrono::duration<double>(time_in_mesh_quantum).count());
  if (time_in_mesh_weight != 0 && time_in_mesh_cap <= 0)
    return bad("time_in_mesh_cap", "> 0", time_in_mesh_cap);
  if (first_message_deliveries_weight < 0)
    return bad("first_message_deliveries_weight", ">= 0",
               first_message_deliveries_weight);
  if (!in_unit(first_message_deliveries_decay))
    return bad("first_message_deliveries_decay", "in (0, 1)",
               first_message_deliveries_decay);
  if (first_message_deliveries_weight != 0 && first_message_deliveries_cap <= 0)
    return bad("first_message_deliveries_cap", "> 0",
               first_message_deliveries_cap);
  if (mesh_message_deliveries_weight > 0)
    return bad("mesh_message_deliveries_weight", "<= 0",
               mesh_message_deliveries_weight);
  if (!in_unit(mesh_message_deliveries_decay))
    return bad("mesh_message_deliveries_decay", "in (0, 1)",
               mesh_message_deliveries_decay);
  if (mesh_message_deliveries_weight != 0) {
    if (mesh_message_deliveries_threshold <= 0)
      return bad("mesh_message_deliveries_threshold", "> 0",
                 mesh_message_deliveries_threshold);
    if (mesh_message_deliveries_cap < mesh_message_deliveries_threshold)
      return bad("mesh_message_deliveries_cap",
                 ">= mesh_message_deliveries_threshold",
                 mesh_message_deliveries_cap);
  }
  if (mesh_message_deliveries_window < duration::zero())
    return bad("mesh_message_deliveries_window", ">= 0",
               std::chrono::duration<double>(mesh_message_deliveries_window)
                 .count());
  if (mesh_message_deliveries_activation < duration::zero())
    return bad("mesh_message_deliveries_activation", ">= 0",
               std::chrono::duration<double>(mesh_message_deliveries_activation)
                 .count());
  if (mesh_failure_penalty_weight > 0)
    return bad("mesh_failure_penalty_weight", "<= 0",
               mesh_failure_penalty_weight);
  if (!in_unit(mesh_failure_penalty_decay))
    return bad("mesh_failure_penalty_decay", "in (0, 1)",
               mesh_failure_penalty_decay);
  if (invalid_message_deliveries_weight > 0)
    return bad("invalid_message_deliveries_weight", "<= 0",
               invalid_message_deliveries_weight);
  if (!in_unit(invalid_message_deliveries_decay))
    return bad("invalid_message_deliveries_decay", "in (0, 1)",
               invalid_message_deliveries_decay);
  return {};
}

result<void> peer_score_thresholds::validate() const {
  if (gossip_threshold > 0)
    return bad("gossip_threshold", "<= 0", gossip_threshold);
  if (publish_threshold > gossip_threshold)
    return bad("publish_threshold", "<= gossip_threshold", publish_threshold);
  if (graylist_threshold >= publish_threshold)
    return bad("graylist_threshold", "< publish_threshold", graylist_threshold);
  if (accept_px_threshold < 0)
    return bad("accept_px_threshold", ">= 0", accept_px_threshold);
  if (opportunistic_graft_threshold < 0)
    return bad("opportunistic_graft_threshold", ">= 0",
               opportunistic_graft_threshold);
  return {};
}

const topic_score_params*
peer_score_params::for_topic(const std::string& topic) const {
  if (auto i = topics.find(topic); i != topics.end())
    return &i->second;
  return default_topic ? &*default_topic : nullptr;
}

result<void> peer_score_params::validate() const {
  for (const auto& [topic, params] : topics)
    if (auto ok = params.validate(); !ok)
      return make_error(errc::invalid_argument,
                        fmt::format("score parameters of topic '{}': {}", topic,
                                    ok.error().message));
  if (default_topic)
    if (auto ok = default_topic->validate(); !ok)
      return make_error(errc::invalid_argument,
                        fmt::format("default topic score parameters: {}",
                                    ok.error().message));
  if (topic_score_cap < 0)
    return bad("topic_score_cap", ">= 0 (0: no cap)", topic_score_cap);
  if (app_specific_weight < 0)
    return bad("app_specific_weight", ">= 0", app_specific_weight);
  if (ip_colocation_factor_weight > 0)
    return bad("ip_colocation_factor_weight", "<= 0",
               ip_colocation_factor_weight);
  if (ip_colocation_factor_weight != 0 && ip_colocation_factor_threshold < 1)
    return bad("ip_colocation_factor_threshold", ">= 1",
               ip_colocation_factor_threshold);
  if (behaviour_penalty_weight > 0)
    return bad("behaviour_penalty_weight", "<= 0", behaviour_penalty_weight);
  if (behaviour_penalty_threshold < 0)
    return bad("behaviour_penalty_threshold", ">= 0",
               behaviour_penalty_threshold);
  if (!in_unit(behaviour_penalty_decay))
    return bad("behaviour_penalty_decay", "in (0, 1)", behaviour_penalty_decay);
  if (decay_interval <= duration::zero())
    return bad("decay_interval", "> 0",
               std::chrono::duration<double>(decay_interval).count());
  if (!in_unit(decay_to_zero))
    return bad("decay_to_zero", "in (0, 1)", decay_to_zero);
  if (retain_score < duration::zero())
    return bad("retain_score", ">= 0",
               std::chrono::duration<double>(retain_score).count());
  return {};
}

} // namespace canswarm::gossipsub
