#include "canswarm/runtime/addresses.hpp"

namespace canswarm::runtime {

result<std::vector<multiaddr>>
advertised_addresses(const std::vector<std::string>& listening,
                     const std::vector<multiaddr>& announce,
                     const peer_id& self) {
  auto suffix = multiaddr::parse("/p2p/" + self.to_string());
  if (!suffix)
    return suffix.error();
  std::vector<multiaddr> result;
  if (!announce.empty()) {
    for (auto& a : announce) {
      if (auto id = a.peer_id_bytes(); id && *id != self.to_bytes())
        return make_error(errc::invalid_argument,
                          "P2P_ANNOUNCE_ADDRS " + a.to_string()
                            + " names another peer than this node ("
                            + self.to_string() + ")");
      result.push_back(a.decapsulate_p2p().encapsulate(*suffix));
    }
    return result;
  }
  for (auto& text : listening) {
    auto a = multiaddr::parse(text);
    if (!a)
      return a.error();
    result.push_back(a->encapsulate(*suffix));
  }
  return result;
}

std::string join_addresses(const std::vector<multiaddr>& addrs) {
  std::string result;
  for (auto& a : addrs) {
    if (!result.empty())
      result += ' ';
    result += a.to_string();
  }
  return result;
}

} // namespace canswarm::runtime
