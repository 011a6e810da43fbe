#include "canswarm/envelope/envelope.hpp"

#include <fmt/format.h>

#include "canswarm/multiformats/multihash.hpp"
#include "canswarm/varint/varint.hpp"
#include "utf8.hpp"

namespace canswarm::envelope {

namespace {

void put_be(bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = width; i-- > 0;)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void put_field(bytes& out, bytes_view value) {
  varint::encode(value.size(), out);
  append(out, value);
}

void put_optional(bytes& out, const std::optional<bytes>& value) {
  if (!value) {
    out.push_back(0x00);
    return;
  }
  out.push_back(0x01);
  put_field(out, *value);
}

result<void> check_max(std::size_t size, std::size_t limit,
                       std::string_view field, std::string_view limit_name) {
  if (size > limit)
    return make_error(errc::too_large,
                      fmt::format("{} is {} bytes, over {} ({})", field, size,
                                  limit, limit_name));
  return {};
}

result<void> check_exact(std::size_t size, std::size_t want,
                         std::string_view field) {
  if (size != 0 && size != want)
    return make_error(errc::malformed,
                      fmt::format("{} is {} bytes, not {}", field, size, want));
  return {};
}

} // namespace

envelope make(kind k, std::string thread_id, bytes payload,
              std::uint64_t lamport, std::uint64_t ts_ns,
              bytes policy_engine_hash, bytes nonce, bytes id) {
  envelope e;
  e.version = current_version;
  e.id = std::move(id);
  e.thread_id = std::move(thread_id);
  e.kind = k;
  e.lamport = lamport;
  e.ts_ns = ts_ns;
  e.payload = std::move(payload);
  e.payload_hash = multihash::sha256(e.payload);
  e.policy_engine_hash = std::move(policy_engine_hash);
  e.nonce = std::move(nonce);
  return e;
}

bytes signing_bytes(const envelope& e) {
  bytes out;
  out.reserve(signing_prefix.size() + 256 + e.thread_id.size());
  append(out, as_bytes(signing_prefix));
  put_be(out, e.version, 4);
  put_field(out, e.id);
  put_field(out, as_bytes(e.thread_id));
  put_be(out, static_cast<std::uint32_t>(e.kind), 4);
  put_be(out, e.lamport, 8);
  put_be(out, e.ts_ns, 8);
  put_field(out, e.sender);
  put_field(out, e.payload_hash);
  put_field(out, e.policy_engine_hash);
  put_field(out, e.nonce);
  put_optional(out, e.policy_capsule_hash);
  put_optional(out, e.policy_eval_digest);
  return out;
}

result<void> sign(envelope& e, const identity::private_key& key) {
  if (key.type() != identity::key_type::ed25519)
    return make_error(errc::unsupported,
                      fmt::format("envelopes are signed with Ed25519, not {}",
                                  identity::to_string(key.type())));
  e.sender = key.public_key().data();
  e.payload_hash = multihash::sha256(e.payload);
  e.signature = key.sign(signing_bytes(e));
  return {};
}

bool payload_hash_matches(const envelope& e) {
  return e.payload_hash == multihash::sha256(e.payload);
}

result<void> verify_signature(const envelope& e) {
  if (e.sender.size() != sender_size)
    return make_error(errc::crypto,
                      fmt::format("sender is {} bytes, not a {}-byte Ed25519 "
                                  "public key",
                                  e.sender.size(), sender_size));
  if (e.signature.size() != signature_size)
    return make_error(errc::crypto,
                      fmt::format("signature is {} bytes, not {}",
                                  e.signature.size(), signature_size));
  auto key = identity::public_key::ed25519(e.sender);
  if (!key)
    return make_error(errc::crypto, "sender: " + key.error().message);
  if (auto ok = key->check_verify(signing_bytes(e), e.signature); !ok)
    return make_error(errc::crypto,
                      "envelope signature: " + ok.error().message);
  return {};
}

result<void> verify(const envelope& e) {
  if (!payload_hash_matches(e))
    return make_error(errc::crypto, "payload_hash is not the SHA-256 of the "
                                    "payload");
  return verify_signature(e);
}

result<void> check_fields(const envelope& e) {
  if (!is_valid(e.kind) && e.kind != kind::unspecified)
    return make_error(errc::unsupported,
                      fmt::format("unknown envelope kind {}",
                                  static_cast<std::uint32_t>(e.kind)));
  result<void> checks[] = {
    check_exact(e.id.size(), id_size, "id"),
    check_max(e.thread_id.size(), max_thread_id_size, "thread_id",
              "max_thread_id_size"),
    check_exact(e.sender.size(), sender_size, "sender"),
    check_max(e.payload.size(), max_payload_size, "payload",
              "max_payload_size"),
    check_exact(e.payload_hash.size(), payload_hash_size, "payload_hash"),
    check_max(e.policy_engine_hash.size(), max_policy_digest_size,
              "policy_engine_hash", "max_policy_digest_size"),
    check_max(e.nonce.size(), max_nonce_size, "nonce", "max_nonce_size"),
    check_max(e.policy_capsule_hash ? e.policy_capsule_hash->size() : 0,
              max_policy_digest_size, "policy_capsule_hash",
              "max_policy_digest_size"),
    check_max(e.policy_eval_digest ? e.policy_eval_digest->size() : 0,
              max_policy_digest_size, "policy_eval_digest",
              "max_policy_digest_size"),
    check_exact(e.signature.size(), signature_size, "signature"),
  };
  for (auto& check : checks)
    if (!check)
      return check;
  if (!detail::valid_utf8(e.thread_id))
    return make_error(errc::malformed, "thread_id is not valid UTF-8");
  return {};
}

} // namespace canswarm::envelope
