#include "canswarm/nats/messages.hpp"

#include <caf/message.hpp>

#include "canswarm/actors/errors.hpp"
#include <caf/sec.hpp>

#include "canswarm/nats/interfaces.hpp"

namespace canswarm {

namespace nats {

caf::error to_caf_error(const error& err) {
  return wrap_error(err, error_category);
}

error from_caf_error(caf::actor_system& sys, const caf::error& err) {
  return unwrap_error(sys, err, error_category);
}

} // namespace nats

void add_nats_message_types(caf::actor_system_config& cfg) {
  // add_message_type also registers std::vector<T>.
  cfg.add_message_type<bytes>("canswarm::bytes");
  cfg.add_message_type<nats_envelope>("canswarm::nats_envelope");
  cfg.add_message_type<nats_connection_event>(
    "canswarm::nats_connection_event");
  cfg.add_message_type<nats_publish_receipt>("canswarm::nats_publish_receipt");
  cfg.add_message_type<nats_health>("canswarm::nats_health");
  cfg.add_message_type<nats_inbound>("canswarm::nats_inbound");
  cfg.add_message_type<nats_state_change>("canswarm::nats_state_change");
  cfg.add_message_type<nats_ack_result>("canswarm::nats_ack_result");
  cfg.add_message_type<nats_envelope_sink_actor>(
    "canswarm::nats_envelope_sink_actor");
  cfg.add_message_type<nats_event_sink_actor>(
    "canswarm::nats_event_sink_actor");
  cfg.add_message_type<nats_bridge_actor>("canswarm::nats_bridge_actor");
  cfg.add_error_category(nats::error_category,
                         [](std::uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           std::string text = to_string(
                             static_cast<errc>(code - 1));
                           if (ctx.match_elements<std::string>())
                             text += ": " + ctx.get_as<std::string>(0);
                           return text;
                         });
}

} // namespace canswarm
