// OpenSSL-backed keys: dispatch per key type, EVP signing and verification,
// and the consistency probe every loaded private key passes.

#include "native_key.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

namespace canswarm::identity::detail {

namespace {

/// What a loaded private key signs to prove its parts agree.
constexpr std::string_view probe_message = "canswarm key consistency probe";

struct md_ctx_free {
  void operator()(EVP_MD_CTX* ctx) const {
    EVP_MD_CTX_free(ctx);
  }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

/// Clears OpenSSL's thread-local error queue on scope exit, so failures
/// here never surface in unrelated OpenSSL users on the same thread.
struct error_queue_guard {
  ~error_queue_guard() {
    ERR_clear_error();
  }
};

result<evp_pkey_ptr> load_public_key(key_type type, bytes_view data) {
  if (type == key_type::rsa)
    return rsa_load_public(data);
  return ec_load_public(type, data);
}

} // namespace

void openssl_failure(const char* call) {
  unsigned long code = ERR_get_error();
  char text[256] = {};
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error(fmt::format("OpenSSL {} failed: {}", call, text));
}

bytes to_der(int (*i2d)(const EVP_PKEY*, unsigned char**),
             const EVP_PKEY* key) {
  int len = i2d(key, nullptr);
  if (len <= 0)
    openssl_failure("i2d");
  bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d(key, &p) != len)
    openssl_failure("i2d");
  return out;
}

result<native_private> finish_private(key_type type, evp_pkey_ptr key,
                                      bytes data, bytes public_data) {
  auto shared = std::make_shared<native_key>(native_key{std::move(key)});
  bytes probe;
  try {
    // A key whose parameters parse but do not fit together (e.g. an RSA
    // exponent without an inverse, found by fuzz_key_protobuf) makes
    // OpenSSL fail to sign: that is a bad key, not a crash.
    probe = sign_native(type, *shared, as_bytes(probe_message));
  } catch (const std::runtime_error& e) {
    OPENSSL_cleanse(data.data(), data.size());
    return make_error(errc::crypto,
                      fmt::format("{} private key is inconsistent: {}",
                                  to_string(type), e.what()));
  }
  if (!verify_native(type, public_data, as_bytes(probe_message), probe)) {
    OPENSSL_cleanse(data.data(), data.size());
    return make_error(errc::crypto,
                      fmt::format("{} private key is inconsistent: its "
                                  "signature does not verify under its "
                                  "public key",
                                  to_string(type)));
  }
  return native_private{std::move(shared), std::move(data),
                        std::move(public_data)};
}

result<native_private> load_private(key_type type, bytes_view data) {
  error_queue_guard guard;
  if (type == key_type::rsa)
    return rsa_load_private(data);
  return ec_load_private(type, data);
}

result<native_private> generate_private(key_type type, std::size_t rsa_bits) {
  error_queue_guard guard;
  if (type == key_type::rsa)
    return rsa_generate(rsa_bits);
  return ec_generate(type);
}

result<evp_pkey_ptr> load_public(key_type type, bytes_view data) {
  error_queue_guard guard;
  return load_public_key(type, data);
}

bytes sign_native(key_type type, const native_key& key, bytes_view message) {
  error_queue_guard guard;
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::size_t size = 0;
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                            key.pkey.get())
           != 1
      || EVP_DigestSign(ctx.get(), nullptr, &size, message.data(),
                        message.size())
           != 1)
    openssl_failure("EVP_DigestSign");
  bytes signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, message.data(),
                     message.size())
      != 1)
    openssl_failure("EVP_DigestSign");
  signature.resize(size);
  if (type == key_type::secp256k1)
    return secp256k1_low_s(signature);
  return signature;
}

result<void> verify_native(key_type type, bytes_view data, bytes_view message,
                           bytes_view signature) {
  error_queue_guard guard;
  auto key = load_public_key(type, data);
  if (!key)
    return key.error();
  if (type == key_type::rsa) {
    auto expected = static_cast<std::size_t>(EVP_PKEY_get_size(key->get()));
    if (signature.size() != expected)
      return make_error(errc::crypto,
                        fmt::format("RSA signature must be {} bytes (the "
                                    "modulus size), got {}",
                                    expected, signature.size()));
  } else if (auto ok = ec_check_signature(type, signature); !ok) {
    return ok.error();
  }
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx
      || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                              key->get())
           != 1)
    openssl_failure("EVP_DigestVerifyInit");
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       message.data(), message.size())
      != 1)
    return make_error(errc::crypto, fmt::format("{} signature does not verify",
                                                to_string(type)));
  return {};
}

} // namespace canswarm::identity::detail
