#include "canswarm/metrics/exposer.hpp"

#include <exception>

#include <prometheus/exposer.h>

#include "registry_access.hpp"

namespace canswarm::metrics {

struct exposer::impl {
  std::unique_ptr<prometheus::Exposer> server;
};

exposer::exposer(std::unique_ptr<impl> state, std::string host,
                 std::uint16_t port, std::optional<std::string> warning)
    : impl_(std::move(state)),
      host_(std::move(host)),
      port_(port),
      warning_(std::move(warning)) {}

exposer::~exposer() = default;

result<std::unique_ptr<exposer>> exposer::start(const exposer_config& cfg,
                                                const node_metrics& metrics) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  auto addr = *parse_bind_address(cfg.bind_address);
  auto warning = bind_warning(addr);
  if (warning && cfg.on_warning)
    cfg.on_warning(*warning);
  auto state = std::make_unique<impl>();
  try {
    // civetweb's "listening_ports" syntax is exactly host:port / [v6]:port.
    state->server = std::make_unique<prometheus::Exposer>(cfg.bind_address,
                                                          cfg.threads);
  } catch (const std::exception& e) {
    std::string why = "cannot bind metrics endpoint " + cfg.bind_address
                      + " (in use, or not an address of this machine)";
    if (addr.host.front() == '[')
      why += "; note: Debian's civetweb is built without IPv6, use 127.0.0.1";
    return make_error(errc::io, why + ": " + e.what());
  }
  auto ports = state->server->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0 || ports.front() > 65535)
    return make_error(errc::io, "metrics endpoint " + cfg.bind_address
                                  + " reported no listening port");
  state->server->RegisterCollectable(detail::registry_access::registry(metrics),
                                     std::string{metrics_path});
  return std::unique_ptr<exposer>{
    new exposer(std::move(state), addr.host,
                static_cast<std::uint16_t>(ports.front()), std::move(warning))};
}

std::string exposer::url() const {
  return "http://" + host_ + ":" + std::to_string(port_)
         + std::string{metrics_path};
}

} // namespace canswarm::metrics
