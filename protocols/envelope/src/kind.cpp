#include "canswarm/envelope/kind.hpp"

#include <fmt/format.h>

namespace canswarm::envelope {

namespace {

/// ASCII-only case folding (std::toupper depends on the C locale).
char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

const char* to_string(kind k) {
  switch (k) {
    case kind::unspecified: return "UNSPECIFIED";
    case kind::need: return "NEED";
    case kind::propose: return "PROPOSE";
    case kind::claim: return "CLAIM";
    case kind::commit: return "COMMIT";
    case kind::attest: return "ATTEST";
    case kind::decide: return "DECIDE";
    case kind::finalize: return "FINALIZE";
    case kind::yield: return "YIELD";
    case kind::release: return "RELEASE";
    case kind::update_plan: return "UPDATE_PLAN";
    case kind::attest_plan: return "ATTEST_PLAN";
    case kind::challenge: return "CHALLENGE";
    case kind::invalidate: return "INVALIDATE";
    case kind::reconcile: return "RECONCILE";
    case kind::checkpoint: return "CHECKPOINT";
  }
  return "UNKNOWN";
}

std::string verb(kind k) {
  std::string out = to_string(k);
  for (auto& c : out)
    c = ascii_lower(c);
  return out;
}

result<kind> parse_kind(std::string_view name) {
  for (auto k : all_kinds) {
    std::string_view candidate = to_string(k);
    if (candidate.size() != name.size())
      continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = ascii_upper(name[i]) == candidate[i];
    if (same)
      return k;
  }
  return make_error(errc::invalid_argument,
                    fmt::format("unknown envelope kind '{}'", name));
}

} // namespace canswarm::envelope
