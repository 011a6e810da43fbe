#pragma once

// Helpers for mplex session tests: event draining and a fixed `now`.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "canswarm/mplex/session.hpp"

namespace mplex_test {

using namespace canswarm;
using namespace canswarm::mplex;

/// mplex reads no clock; every test passes this.
inline const time_point t0{};

/// Drains all pending events.
inline std::vector<event> events_of(session& s) {
  std::vector<event> out;
  while (auto ev = s.poll_event())
    out.push_back(std::move(*ev));
  return out;
}

/// Returns the event as `T`, failing the test if it is another kind.
template<class T>
const T& as(const event& ev) {
  auto* p = std::get_if<T>(&ev);
  REQUIRE_MESSAGE(p != nullptr, "unexpected event kind " << ev.index());
  return *p;
}

inline std::string text(const bytes& data) {
  return {data.begin(), data.end()};
}

/// Moves everything `from` wants to send into `to`.
inline void deliver(session& from, session& to) {
  auto out = from.take_output();
  if (!out.empty())
    to.handle_input(out, t0);
}

} // namespace mplex_test
