#include "canswarm/actors/message_types.hpp"

#include <string>
#include <vector>

#include <caf/message.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/interfaces.hpp"
#include "canswarm/actors/messages.hpp"

namespace canswarm {

void add_message_types(caf::actor_system_config& cfg) {
  // Message types (add_message_type also registers std::vector<T>).
  cfg.add_message_type<component_status>("canswarm::component_status");
  cfg.add_message_type<child_info>("canswarm::child_info");
  cfg.add_message_type<std::vector<std::string>>("std::vector<std::string>");
  // Actor handles that travel in messages.
  cfg.add_message_type<component_actor>("canswarm::component_actor");
  cfg.add_message_type<supervisor_actor>("canswarm::supervisor_actor");
  cfg.add_message_type<transport_actor>("canswarm::transport_actor");
  // Error category of exit reasons.
  cfg.add_error_category(actor_error_category,
                         [](std::uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           auto text = to_string(static_cast<actor_errc>(code));
                           if (ctx.match_elements<std::string>())
                             text += ": " + ctx.get_as<std::string>(0);
                           return text;
                         });
}

} // namespace canswarm
