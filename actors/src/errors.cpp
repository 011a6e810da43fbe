#include "canswarm/actors/errors.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace canswarm {

std::string to_string(actor_errc x) {
  switch (x) {
    case actor_errc::restart_intensity_exceeded:
      return "restart_intensity_exceeded";
    case actor_errc::child_start_failed: return "child_start_failed";
    case actor_errc::listen_failed: return "listen_failed";
    case actor_errc::no_such_child: return "no_such_child";
  }
  return "unknown_error";
}

caf::error make_error(actor_errc code, std::string context) {
  return caf::error{static_cast<std::uint8_t>(code), actor_error_category,
                    caf::make_message(std::move(context))};
}

caf::error wrap_error(const error& err, caf::atom_value category) {
  return caf::error{static_cast<std::uint8_t>(static_cast<int>(err.code) + 1),
                    category, caf::make_message(err.message)};
}

error unwrap_error(caf::actor_system& sys, const caf::error& err,
                   caf::atom_value category) {
  if (err.category() == category) {
    const auto& ctx = err.context();
    std::string text = ctx.match_elements<std::string>()
                         ? ctx.get_as<std::string>(0)
                         : std::string{};
    return canswarm::make_error(static_cast<errc>(err.code() - 1),
                                std::move(text));
  }
  if (err == caf::sec::request_timeout)
    return canswarm::make_error(errc::timeout, sys.render(err));
  return canswarm::make_error(errc::io, sys.render(err));
}

std::string describe(caf::actor_system& sys, const caf::error& err) {
  if (err.category() == actor_error_category) {
    auto text = to_string(static_cast<actor_errc>(err.code()));
    if (err.context().match_elements<std::string>())
      text += ": " + err.context().get_as<std::string>(0);
    return text;
  }
  if (err.category() == caf::atom("exit"))
    return caf::to_string(static_cast<caf::exit_reason>(err.code()));
  return sys.render(err);
}

} // namespace canswarm
