#include "canswarm/connection/messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/message.hpp>

#include "canswarm/actors/errors.hpp"

#include "canswarm/connection/interfaces.hpp"

namespace canswarm {

caf::error to_caf_error(const error& err) {
  return wrap_error(err, connection_error_category);
}

error from_caf_error(caf::actor_system& sys, const caf::error& err) {
  return unwrap_error(sys, err, connection_error_category);
}

void add_connection_message_types(caf::actor_system_config& cfg) {
  // add_message_type also registers std::vector<T>.
  cfg.add_message_type<peer_id>("canswarm::peer_id");
  cfg.add_message_type<multiaddr>("canswarm::multiaddr");
  cfg.add_message_type<conn_id>("canswarm::conn_id");
  cfg.add_message_type<stream_id>("canswarm::stream_id");
  cfg.add_message_type<request_id>("canswarm::request_id");
  cfg.add_message_type<bytes>("canswarm::bytes");
  cfg.add_message_type<stream_key>("canswarm::stream_key");
  cfg.add_message_type<stream_ref>("canswarm::stream_ref");
  cfg.add_message_type<stream_opened>("canswarm::stream_opened");
  cfg.add_message_type<stream_data>("canswarm::stream_data");
  cfg.add_message_type<stream_closed>("canswarm::stream_closed");
  cfg.add_message_type<stream_reset>("canswarm::stream_reset");
  cfg.add_message_type<dial_request>("canswarm::dial_request");
  cfg.add_message_type<peer_entry>("canswarm::peer_entry");
  cfg.add_message_type<peer_connection_info>("canswarm::peer_connection_info");
  cfg.add_message_type<peer_info>("canswarm::peer_info");
  cfg.add_message_type<connection_event>("canswarm::connection_event");
  cfg.add_message_type<handler_entry>("canswarm::handler_entry");
  cfg.add_message_type<admission_request>("canswarm::admission_request");
  cfg.add_message_type<connection_up>("canswarm::connection_up");
  cfg.add_message_type<connection_down>("canswarm::connection_down");
  cfg.add_message_type<identify_update>("canswarm::identify_update");
  cfg.add_message_type<dial_outcome>("canswarm::dial_outcome");
  cfg.add_message_type<stream_handler_actor>("canswarm::stream_handler_actor");
  cfg.add_message_type<connection_event_actor>(
    "canswarm::connection_event_actor");
  cfg.add_message_type<peer_connection_actor>(
    "canswarm::peer_connection_actor");
  cfg.add_message_type<swarm_actor>("canswarm::swarm_actor");
  cfg.add_error_category(connection_error_category,
                         [](std::uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           std::string text = to_string(
                             static_cast<errc>(code));
                           if (ctx.match_elements<std::string>())
                             text += ": " + ctx.get_as<std::string>(0);
                           return text;
                         });
}

} // namespace canswarm
