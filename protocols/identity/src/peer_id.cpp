// libp2p peer ids (peer-ids spec, "Peer Ids" and "String representation").

#include "canswarm/identity/peer_id.hpp"

#include <fmt/format.h>

#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/cid.hpp"
#include "canswarm/multiformats/multihash.hpp"

namespace canswarm {

namespace {

constexpr std::size_t sha256_size = 32;

} // namespace

peer_id peer_id::from_public_key(const identity::public_key& key) {
  auto encoded = key.to_protobuf();
  peer_id id;
  if (encoded.size() <= max_inline_key_length)
    id.bytes_ = multihash::make(multihash::identity, encoded);
  else
    id.bytes_ = multihash::make(multihash::sha2_256,
                                multihash::sha256(encoded));
  return id;
}

result<peer_id> peer_id::from_bytes(bytes_view mh) {
  auto parsed = multihash::parse(mh);
  if (!parsed)
    return make_error(parsed.error().code,
                      fmt::format("peer id: {}", parsed.error().message));
  switch (parsed->code) {
    case multihash::sha2_256:
      if (parsed->digest.size() != sha256_size)
        return make_error(errc::malformed,
                          fmt::format("peer id: sha2-256 digest must be 32 "
                                      "bytes, got {}",
                                      parsed->digest.size()));
      break;
    case multihash::identity: {
      if (parsed->digest.size() > max_inline_key_length)
        return make_error(errc::malformed,
                          fmt::format("peer id: identity multihash of {} "
                                      "bytes, over the {}-byte inline limit",
                                      parsed->digest.size(),
                                      max_inline_key_length));
      auto key = identity::public_key::from_protobuf(parsed->digest);
      if (!key)
        return make_error(key.error().code,
                          fmt::format("peer id: inlined key: {}",
                                      key.error().message));
      break;
    }
    default:
      return make_error(errc::malformed,
                        fmt::format("peer id: multihash code 0x{:x} is "
                                    "neither identity nor sha2-256",
                                    parsed->code));
  }
  peer_id id;
  id.bytes_.assign(mh.begin(), mh.end());
  return id;
}

result<peer_id> peer_id::parse(std::string_view text) {
  auto mh = cid::peer_id_multihash_from_text(text);
  if (!mh)
    return make_error(mh.error().code, fmt::format("bad peer id '{}': {}", text,
                                                   mh.error().message));
  return from_bytes(*mh);
}

std::string peer_id::to_string() const {
  return base58btc_encode(bytes_);
}

std::string peer_id::to_cid_string() const {
  return cid::encode_libp2p_key(bytes_);
}

std::optional<identity::public_key> peer_id::extract_public_key() const {
  auto parsed = multihash::parse(bytes_);
  if (!parsed || parsed->code != multihash::identity)
    return std::nullopt;
  auto key = identity::public_key::from_protobuf(parsed->digest);
  if (!key)
    return std::nullopt;
  return std::move(*key);
}

bool peer_id::matches(const identity::public_key& key) const {
  return !bytes_.empty() && from_public_key(key) == *this;
}

} // namespace canswarm

std::size_t std::hash<canswarm::peer_id>::operator()(
  const canswarm::peer_id& id) const noexcept {
  const auto& b = id.to_bytes();
  return std::hash<std::string_view>{}(
    std::string_view{reinterpret_cast<const char*>(b.data()), b.size()});
}
