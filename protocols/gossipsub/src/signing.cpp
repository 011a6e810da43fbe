#include "canswarm/gossipsub/signing.hpp"

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/multiformats/multihash.hpp"

namespace canswarm::gossipsub {

bytes seqno_bytes(std::uint64_t seqno) {
  bytes out(seqno_size);
  for (std::size_t i = 0; i < seqno_size; ++i)
    out[i] = static_cast<std::uint8_t>(seqno >> (8 * (seqno_size - 1 - i)));
  return out;
}

message make_signed_message(const identity::private_key& key,
                            const peer_id& self, std::string topic, bytes data,
                            std::uint64_t seqno) {
  message m;
  m.from = self.to_bytes();
  m.data = std::move(data);
  m.seqno = seqno_bytes(seqno);
  m.topic = std::move(topic);
  m.signature = key.sign(signing_payload(m));
  return m;
}

message make_unsigned_message(std::string topic, bytes data) {
  message m;
  m.topic = std::move(topic);
  m.data = std::move(data);
  return m;
}

std::optional<reject_reason> check_fields(const message& m,
                                          signing_policy policy) {
  if (policy == signing_policy::strict_no_sign) {
    if (m.from || m.seqno || m.signature || m.key)
      return reject_reason::unexpected_auth_field;
    return std::nullopt;
  }
  if (!m.from)
    return reject_reason::missing_from;
  if (!m.seqno)
    return reject_reason::missing_seqno;
  if (m.seqno->size() != seqno_size)
    return reject_reason::invalid_seqno;
  if (!m.signature)
    return reject_reason::missing_signature;
  return std::nullopt;
}

std::optional<reject_reason> verify_signature(const message& m) {
  bytes scratch;
  return verify_signature(m, scratch);
}

std::optional<reject_reason> verify_signature(const message& m,
                                              bytes& scratch) {
  auto origin = peer_id::from_bytes(*m.from);
  if (!origin)
    return reject_reason::invalid_from;
  std::optional<identity::public_key> key;
  if (m.key) {
    auto k = identity::public_key::from_protobuf(*m.key);
    if (!k)
      return reject_reason::invalid_key;
    if (!origin->matches(*k))
      return reject_reason::key_mismatch;
    key = std::move(*k);
  } else {
    key = origin->extract_public_key();
    if (!key)
      return reject_reason::invalid_key;
  }
  if (key->type() != identity::key_type::ed25519)
    return reject_reason::invalid_key;
  signing_payload(m, scratch);
  if (!key->verify(scratch, *m.signature))
    return reject_reason::invalid_signature;
  return std::nullopt;
}

std::optional<reject_reason> check_message(const message& m,
                                           signing_policy policy) {
  if (auto r = check_fields(m, policy))
    return r;
  if (policy == signing_policy::strict_sign)
    return verify_signature(m);
  return std::nullopt;
}

message_id default_message_id(const message& m) {
  if (!m.from || !m.seqno)
    return content_message_id(m);
  std::string id;
  id.reserve(m.from->size() + m.seqno->size());
  id.append(reinterpret_cast<const char*>(m.from->data()), m.from->size());
  id.append(reinterpret_cast<const char*>(m.seqno->data()), m.seqno->size());
  return message_id{std::move(id)};
}

message_id content_message_id(const message& m) {
  return message_id{multihash::sha256(m.data)};
}

} // namespace canswarm::gossipsub
