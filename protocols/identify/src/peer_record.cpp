#include "canswarm/identify/peer_record.hpp"

#include <algorithm>

namespace canswarm::identify {

namespace {

/// Copies the unique entries of `from` no longer than `max_size`, at most
/// `max_count` of them.
template<class T>
std::vector<T> capped_unique(const std::vector<T>& from, std::size_t max_count,
                             std::size_t max_size) {
  std::vector<T> out;
  for (const auto& x : from) {
    if (out.size() == max_count)
      break;
    if (x.size() > max_size)
      continue;
    if (std::find(out.begin(), out.end(), x) == out.end())
      out.push_back(x);
  }
  return out;
}

void replace_version(std::optional<std::string>& stored,
                     const std::optional<std::string>& given) {
  if (given && given->size() <= max_version_size)
    stored = given;
}

} // namespace

void peer_record::apply(const message& m) {
  replace_version(protocol_version, m.protocol_version);
  replace_version(agent_version, m.agent_version);
  if (m.public_key && m.public_key->size() <= max_message_size)
    public_key = m.public_key;
  if (m.signed_peer_record && m.signed_peer_record->size() <= max_message_size)
    signed_peer_record = m.signed_peer_record;
  if (!m.listen_addrs.empty())
    listen_addrs = capped_unique(m.listen_addrs, max_listen_addrs,
                                 max_address_size);
  if (!m.protocols.empty())
    protocols = capped_unique(m.protocols, max_protocols, max_protocol_size);
  ++updates;
}

bool peer_record::supports(std::string_view protocol) const {
  return std::find(protocols.begin(), protocols.end(), protocol)
         != protocols.end();
}

} // namespace canswarm::identify
