// libp2p public/private keys: Ed25519 through libsodium, the other types
// through native_key.hpp (OpenSSL).

#include "canswarm/identity/keys.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <sodium.h>

#include "key_codec.hpp"
#include "native_key.hpp"

namespace canswarm::identity {

namespace {

constexpr std::size_t ed25519_public_size = crypto_sign_PUBLICKEYBYTES;
constexpr std::size_t ed25519_seed_size = crypto_sign_SEEDBYTES;
constexpr std::size_t ed25519_secret_size = crypto_sign_SECRETKEYBYTES;
constexpr std::size_t ed25519_signature_size = crypto_sign_BYTES;

/// Go's legacy private key layout: seed || public key || public key.
constexpr std::size_t ed25519_legacy_secret_size = ed25519_secret_size
                                                   + ed25519_public_size;

static_assert(ed25519_secret_size == 64 && ed25519_public_size == 32);

/// Initialises libsodium once; thread-safe through the function-local static.
void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0)
    throw std::runtime_error("libsodium initialisation failed");
}

} // namespace

const char* to_string(key_type type) {
  switch (type) {
    case key_type::rsa: return "RSA";
    case key_type::ed25519: return "Ed25519";
    case key_type::secp256k1: return "Secp256k1";
    case key_type::ecdsa: return "ECDSA";
  }
  return "unknown";
}

// -- public_key ---------------------------------------------------------------

result<public_key> public_key::from_protobuf(bytes_view encoded) {
  auto msg = detail::decode_key_message(encoded, "PublicKey",
                                        max_key_protobuf_size);
  if (!msg)
    return msg.error();
  return from_data(msg->type, msg->data);
}

result<public_key> public_key::from_data(key_type type, bytes_view data) {
  if (type == key_type::ed25519)
    return ed25519(data);
  if (data.empty())
    return make_error(errc::malformed,
                      fmt::format("{} public key data is empty",
                                  to_string(type)));
  if (auto checked = detail::load_public(type, data); !checked)
    return checked.error();
  public_key key;
  key.type_ = type;
  key.data_.assign(data.begin(), data.end());
  return key;
}

bytes public_key::to_protobuf() const {
  return detail::encode_key_message(type_, data_);
}

result<public_key> public_key::ed25519(bytes_view raw32) {
  if (raw32.size() != ed25519_public_size)
    return make_error(errc::malformed,
                      fmt::format("Ed25519 public key must be 32 bytes, got "
                                  "{}",
                                  raw32.size()));
  public_key key;
  key.type_ = key_type::ed25519;
  key.data_.assign(raw32.begin(), raw32.end());
  return key;
}

bool public_key::verify(bytes_view message, bytes_view signature) const {
  return check_verify(message, signature).ok();
}

result<void> public_key::check_verify(bytes_view message,
                                      bytes_view signature) const {
  if (type_ != key_type::ed25519)
    return detail::verify_native(type_, data_, message, signature);
  if (data_.size() != ed25519_public_size) // A default-constructed key.
    return make_error(errc::invalid_argument, "empty public key");
  if (signature.size() != ed25519_signature_size)
    return make_error(errc::crypto,
                      fmt::format("Ed25519 signature must be 64 bytes, got {}",
                                  signature.size()));
  ensure_sodium();
  if (crypto_sign_verify_detached(signature.data(), message.data(),
                                  message.size(), data_.data())
      != 0)
    return make_error(errc::crypto, "Ed25519 signature does not verify");
  return {};
}

// -- private_key --------------------------------------------------------------

private_key::private_key(key_type type, bytes secret,
                         std::shared_ptr<const detail::native_key> native,
                         identity::public_key pub)
    : type_(type),
      secret_(std::move(secret)),
      native_(std::move(native)),
      public_(std::move(pub)) {}

private_key::~private_key() {
  if (!secret_.empty())
    sodium_memzero(secret_.data(), secret_.size());
}

private_key private_key::generate_ed25519() {
  ensure_sodium();
  bytes secret(ed25519_secret_size);
  unsigned char pk[ed25519_public_size];
  crypto_sign_keypair(pk, secret.data());
  return from_sodium_secret(std::move(secret));
}

result<private_key> private_key::generate_rsa(std::size_t bits) {
  auto native = detail::generate_private(key_type::rsa, bits);
  if (!native)
    return native.error();
  return from_native(key_type::rsa, std::move(*native));
}

private_key private_key::generate_secp256k1() {
  auto native = detail::generate_private(key_type::secp256k1, 0);
  if (!native)
    throw std::runtime_error(native.error().describe());
  return from_native(key_type::secp256k1, std::move(*native));
}

private_key private_key::generate_ecdsa() {
  auto native = detail::generate_private(key_type::ecdsa, 0);
  if (!native)
    throw std::runtime_error(native.error().describe());
  return from_native(key_type::ecdsa, std::move(*native));
}

private_key private_key::from_sodium_secret(bytes secret) {
  // libsodium's secret key is seed || public key.
  auto pub = *identity::public_key::ed25519(
    bytes_view{secret}.subspan(ed25519_seed_size));
  return private_key{key_type::ed25519, std::move(secret), nullptr,
                     std::move(pub)};
}

private_key private_key::from_native(key_type type,
                                     detail::native_private native) {
  identity::public_key pub;
  pub.type_ = type;
  pub.data_ = std::move(native.public_data);
  return private_key{type, std::move(native.data), std::move(native.key),
                     std::move(pub)};
}

result<private_key> private_key::ed25519_from_seed(bytes_view seed32) {
  if (seed32.size() != ed25519_seed_size)
    return make_error(errc::malformed,
                      fmt::format("Ed25519 seed must be 32 bytes, got {}",
                                  seed32.size()));
  ensure_sodium();
  bytes secret(ed25519_secret_size);
  unsigned char pk[ed25519_public_size];
  crypto_sign_seed_keypair(pk, secret.data(), seed32.data());
  return from_sodium_secret(std::move(secret));
}

result<private_key> private_key::from_protobuf(bytes_view encoded) {
  auto msg = detail::decode_key_message(encoded, "PrivateKey",
                                        max_private_key_protobuf_size);
  if (!msg)
    return msg.error();
  auto wipe = [&] { sodium_memzero(msg->data.data(), msg->data.size()); };
  if (msg->type != key_type::ed25519) {
    auto native = detail::load_private(msg->type, msg->data);
    wipe();
    if (!native)
      return native.error();
    return from_native(msg->type, std::move(*native));
  }
  bytes_view data{msg->data};
  if (data.size() != ed25519_secret_size
      && data.size() != ed25519_legacy_secret_size) {
    wipe();
    return make_error(errc::malformed,
                      fmt::format("Ed25519 private key must be 64 or 96 "
                                  "bytes, got {}",
                                  data.size()));
  }
  auto stored_pub = data.subspan(ed25519_seed_size, ed25519_public_size);
  if (data.size() == ed25519_legacy_secret_size) {
    auto repeat = data.subspan(ed25519_secret_size, ed25519_public_size);
    if (sodium_memcmp(stored_pub.data(), repeat.data(), repeat.size()) != 0) {
      wipe();
      return make_error(errc::malformed,
                        "Ed25519 96-byte private key repeats a different "
                        "public key");
    }
  }
  auto key = ed25519_from_seed(data.first(ed25519_seed_size));
  bool matches = key
                 && sodium_memcmp(key->public_key().data().data(),
                                  stored_pub.data(), stored_pub.size())
                      == 0;
  wipe();
  if (!key)
    return key.error();
  if (!matches)
    return make_error(errc::crypto,
                      "Ed25519 private key holds a public key that does not "
                      "match its seed");
  return key;
}

bytes private_key::to_protobuf() const {
  return detail::encode_key_message(type_, secret_);
}

identity::public_key private_key::public_key() const {
  return public_;
}

bytes private_key::sign(bytes_view message) const {
  if (type_ != key_type::ed25519)
    return detail::sign_native(type_, *native_, message);
  ensure_sodium();
  bytes signature(ed25519_signature_size);
  crypto_sign_detached(signature.data(), nullptr, message.data(),
                       message.size(), secret_.data());
  return signature;
}

} // namespace canswarm::identity
