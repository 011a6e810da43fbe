#include "canswarm/identify/message.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"
#include "pb/identify.pb.h"

namespace canswarm::identify {

namespace {

error over(std::size_t count, std::string_view what, std::size_t limit,
           std::string_view name) {
  return make_error(errc::too_large, fmt::format("{} {} over limit {} ({})",
                                                 count, what, limit, name));
}

bytes from_pb(const std::string& s) {
  return {s.begin(), s.end()};
}

std::string to_pb(const bytes& b) {
  return {b.begin(), b.end()};
}

result<void> check_address(const bytes& addr, std::string_view what) {
  if (addr.size() > max_address_size)
    return over(addr.size(), fmt::format("bytes in {}", what), max_address_size,
                "max_address_size");
  return {};
}

result<void> check_version(const std::optional<std::string>& s,
                           std::string_view what) {
  if (s && s->size() > max_version_size)
    return over(s->size(), fmt::format("bytes in {}", what), max_version_size,
                "max_version_size");
  return {};
}

} // namespace

result<void> check_limits(const message& m) {
  if (m.listen_addrs.size() > max_listen_addrs)
    return over(m.listen_addrs.size(), "listen addresses", max_listen_addrs,
                "max_listen_addrs");
  if (m.protocols.size() > max_protocols)
    return over(m.protocols.size(), "protocols", max_protocols,
                "max_protocols");
  for (std::size_t i = 0; i < m.listen_addrs.size(); ++i)
    if (auto ok = check_address(m.listen_addrs[i],
                                fmt::format("listen address {}", i));
        !ok)
      return ok;
  if (m.observed_addr)
    if (auto ok = check_address(*m.observed_addr, "the observed address"); !ok)
      return ok;
  for (std::size_t i = 0; i < m.protocols.size(); ++i)
    if (m.protocols[i].size() > max_protocol_size)
      return over(m.protocols[i].size(), fmt::format("bytes in protocol {}", i),
                  max_protocol_size, "max_protocol_size");
  if (auto ok = check_version(m.protocol_version, "protocolVersion"); !ok)
    return ok;
  return check_version(m.agent_version, "agentVersion");
}

result<bytes> encode(const message& m) {
  if (auto ok = check_limits(m); !ok)
    return ok.error();
  pb::Identify p;
  if (m.protocol_version)
    p.set_protocolversion(*m.protocol_version);
  if (m.agent_version)
    p.set_agentversion(*m.agent_version);
  if (m.public_key)
    p.set_publickey(to_pb(*m.public_key));
  for (const auto& a : m.listen_addrs)
    p.add_listenaddrs(to_pb(a));
  if (m.observed_addr)
    p.set_observedaddr(to_pb(*m.observed_addr));
  for (const auto& proto : m.protocols)
    p.add_protocols(proto);
  if (m.signed_peer_record)
    p.set_signedpeerrecord(to_pb(*m.signed_peer_record));
  auto size = p.ByteSizeLong();
  if (size > max_own_message_size)
    return over(size, "bytes in our identify message", max_own_message_size,
                "max_own_message_size");
  bytes out(size);
  if (!p.SerializeToArray(out.data(), static_cast<int>(out.size())))
    return make_error(errc::invalid_argument,
                      "identify message could not be serialised");
  return out;
}

result<bytes> encode_frame(const message& m) {
  auto body = encode(m);
  if (!body)
    return body.error();
  bytes out;
  varint::write_frame(*body, out);
  return out;
}

result<message> decode(bytes_view body) {
  if (body.size() > max_message_size)
    return over(body.size(), "bytes in identify message", max_message_size,
                "max_message_size");
  pb::Identify p;
  if (!p.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return make_error(errc::malformed,
                      "identify message is not a valid Identify protobuf");
  message m;
  if (p.has_protocolversion())
    m.protocol_version = p.protocolversion();
  if (p.has_agentversion())
    m.agent_version = p.agentversion();
  if (p.has_publickey())
    m.public_key = from_pb(p.publickey());
  m.listen_addrs.reserve(static_cast<std::size_t>(p.listenaddrs_size()));
  for (const auto& a : p.listenaddrs())
    m.listen_addrs.push_back(from_pb(a));
  if (p.has_observedaddr())
    m.observed_addr = from_pb(p.observedaddr());
  m.protocols.assign(p.protocols().begin(), p.protocols().end());
  if (p.has_signedpeerrecord())
    m.signed_peer_record = from_pb(p.signedpeerrecord());
  if (auto ok = check_limits(m); !ok)
    return ok.error();
  return m;
}

result<void> merge(message& into, const message& next) {
  message merged = into;
  if (next.protocol_version)
    merged.protocol_version = next.protocol_version;
  if (next.agent_version)
    merged.agent_version = next.agent_version;
  if (next.public_key)
    merged.public_key = next.public_key;
  merged.listen_addrs.insert(merged.listen_addrs.end(),
                             next.listen_addrs.begin(),
                             next.listen_addrs.end());
  if (next.observed_addr)
    merged.observed_addr = next.observed_addr;
  merged.protocols.insert(merged.protocols.end(), next.protocols.begin(),
                          next.protocols.end());
  if (next.signed_peer_record)
    merged.signed_peer_record = next.signed_peer_record;
  if (auto ok = check_limits(merged); !ok)
    return ok;
  into = std::move(merged);
  return {};
}

} // namespace canswarm::identify
