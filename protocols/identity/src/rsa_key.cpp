// RSA keys (peer-ids spec, "RSA"): PKCS#1 private keys, PKIX public keys,
// modulus between `min_rsa_bits` and `max_rsa_bits`. The modulus size is
// read from the DER before OpenSSL parses the key, so an oversize key costs
// one pass over its bytes and nothing more.

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "der.hpp"
#include "native_key.hpp"

namespace canswarm::identity::detail {

namespace {

result<void> check_bits(std::size_t bits, std::string_view what) {
  if (bits > max_rsa_bits)
    return make_error(errc::too_large,
                      fmt::format("{}: {}-bit modulus, over the {}-bit limit",
                                  what, bits, max_rsa_bits));
  if (bits < min_rsa_bits)
    return make_error(errc::refused,
                      fmt::format("{}: {}-bit modulus, under the {}-bit "
                                  "minimum",
                                  what, bits, min_rsa_bits));
  return {};
}

/// Checks that an EVP key OpenSSL decoded for an RSA Data field is plain
/// RSA (not RSA-PSS) of the size the DER walk found.
result<void> check_decoded(const EVP_PKEY* key, std::size_t bits,
                           std::string_view what) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
    return make_error(errc::malformed,
                      fmt::format("{}: data holds a {} key", what,
                                  EVP_PKEY_get0_type_name(key)));
  if (static_cast<std::size_t>(EVP_PKEY_get_bits(key)) != bits)
    return make_error(errc::malformed,
                      fmt::format("{}: modulus size mismatch", what));
  return {};
}

} // namespace

result<native_private> rsa_load_private(bytes_view pkcs1) {
  constexpr std::string_view what = "RSA private key";
  auto bits = rsa_private_modulus_bits(pkcs1);
  if (!bits)
    return bits.error();
  if (auto ok = check_bits(*bits, what); !ok)
    return ok.error();
  const unsigned char* p = pkcs1.data();
  evp_pkey_ptr key{
    d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(pkcs1.size()))};
  if (!key)
    return make_error(errc::malformed,
                      fmt::format("{}: not a valid PKCS#1 RSAPrivateKey",
                                  what));
  if (p != pkcs1.data() + pkcs1.size())
    return make_error(errc::malformed,
                      fmt::format("{}: trailing bytes after the DER "
                                  "structure",
                                  what));
  if (auto ok = check_decoded(key.get(), *bits, what); !ok)
    return ok.error();
  auto data = to_der(i2d_PrivateKey, key.get());
  auto public_data = to_der(i2d_PUBKEY, key.get());
  return finish_private(key_type::rsa, std::move(key), std::move(data),
                        std::move(public_data));
}

result<evp_pkey_ptr> rsa_load_public(bytes_view spki) {
  constexpr std::string_view what = "RSA public key";
  auto bits = rsa_public_modulus_bits(spki);
  if (!bits)
    return bits.error();
  if (auto ok = check_bits(*bits, what); !ok)
    return ok.error();
  const unsigned char* p = spki.data();
  evp_pkey_ptr key{d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()))};
  if (!key)
    return make_error(errc::malformed,
                      fmt::format("{}: not a valid SubjectPublicKeyInfo",
                                  what));
  if (p != spki.data() + spki.size())
    return make_error(errc::malformed,
                      fmt::format("{}: trailing bytes after the DER "
                                  "structure",
                                  what));
  if (auto ok = check_decoded(key.get(), *bits, what); !ok)
    return ok.error();
  return key;
}

result<native_private> rsa_generate(std::size_t bits) {
  if (auto ok = check_bits(bits, "RSA key generation"); !ok)
    return ok.error();
  evp_pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)};
  if (!key)
    openssl_failure("EVP_PKEY_Q_keygen(RSA)");
  auto data = to_der(i2d_PrivateKey, key.get());
  auto loaded = rsa_load_private(data);
  OPENSSL_cleanse(data.data(), data.size());
  return loaded;
}

} // namespace canswarm::identity::detail
