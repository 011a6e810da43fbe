#pragma once

// One multistream-select negotiation in either role, so the connection core
// drives dialers and listeners through one interface.

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/multistream/negotiator.hpp"

namespace canswarm::connection {

/// A multistream dialer or listener.
class negotiator {
public:
  /// The dialing role, proposing `protocols` in order.
  static negotiator dial(std::vector<std::string> protocols) {
    return negotiator{multistream::dialer{std::move(protocols)}};
  }

  /// The listening role, accepting any of `supported`.
  static negotiator listen(std::vector<std::string> supported) {
    return negotiator{multistream::listener{std::move(supported)}};
  }

  /// Feeds received bytes.
  void handle_input(bytes_view data) {
    std::visit([&](auto& x) { x.handle_input(data); }, impl_);
  }

  /// The shared state: output, result, remaining bytes.
  multistream::negotiation& base() {
    return std::visit([](auto& x) -> multistream::negotiation& { return x; },
                      impl_);
  }

  const multistream::negotiation& base() const {
    return std::visit([](const auto& x)
                        -> const multistream::negotiation& { return x; },
                      impl_);
  }

  multistream::state state() const {
    return base().state();
  }

private:
  template<class T>
  explicit negotiator(T x) : impl_(std::move(x)) {}

  std::variant<multistream::dialer, multistream::listener> impl_;
};

} // namespace canswarm::connection
