#include "canswarm/error.hpp"

namespace canswarm {

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::malformed: return "malformed";
    case errc::too_large: return "too_large";
    case errc::unsupported: return "unsupported";
    case errc::crypto: return "crypto";
    case errc::protocol: return "protocol";
    case errc::io: return "io";
    case errc::timeout: return "timeout";
    case errc::refused: return "refused";
    case errc::not_found: return "not_found";
  }
  return "unknown";
}

std::string error::describe() const {
  return std::string{to_string(code)} + ": " + message;
}

} // namespace canswarm
