// Certificate keys and self-signed libp2p certificates through OpenSSL's
// X509 API.

#include "canswarm/tls/certificate.hpp"

#include <openssl/rand.h>

#include <fmt/format.h>

#include "canswarm/tls/signed_key.hpp"
#include "ossl.hpp"

namespace canswarm::tls {

namespace {

using namespace detail;

std::shared_ptr<evp_pkey_st> share(EVP_PKEY* key) {
  return std::shared_ptr<evp_pkey_st>{key, EVP_PKEY_free};
}

error openssl_failure(std::string_view what) {
  return make_error(errc::crypto,
                    fmt::format("{}: {}", what,
                                take_openssl_reason("unknown failure")));
}

result<void> add_extension(X509* cert, const char* oid, bool critical,
                           bytes_view value) {
  obj_ptr obj{OBJ_txt2obj(oid, 1)};
  if (!obj)
    return make_error(errc::invalid_argument,
                      fmt::format("certificate extension OID '{}' is not a "
                                  "dotted OID",
                                  oid));
  octets_ptr data{ASN1_OCTET_STRING_new()};
  if (!data
      || !ASN1_OCTET_STRING_set(data.get(), value.data(),
                                static_cast<int>(value.size())))
    return openssl_failure("certificate extension value");
  ext_ptr ext{X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), critical ? 1 : 0,
                                           data.get())};
  if (!ext || !X509_add_ext(cert, ext.get(), -1))
    return openssl_failure("adding certificate extension");
  return {};
}

std::uint64_t random_serial() {
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial))
      != 1)
    serial = 1;
  serial >>= 1; // keep the INTEGER positive and at most 63 bits, like go
  return serial == 0 ? 1 : serial;
}

} // namespace

// -- certificate_key ----------------------------------------------------------

result<certificate_key> certificate_key::generate() {
  ERR_clear_error();
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key)
    return openssl_failure("generating the P-256 certificate key");
  return certificate_key{share(key)};
}

result<certificate_key> certificate_key::from_pkcs8(bytes_view der) {
  ERR_clear_error();
  const unsigned char* p = der.data();
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p,
                                     static_cast<long>(der.size()));
  if (!key)
    return make_error(errc::malformed,
                      fmt::format("certificate key is not a PKCS#8 private "
                                  "key: {}",
                                  take_openssl_reason("decoding failed")));
  if (p != der.data() + der.size()) {
    EVP_PKEY_free(key);
    return make_error(errc::malformed,
                      "certificate key PKCS#8 has trailing bytes");
  }
  return certificate_key{share(key)};
}

bytes certificate_key::to_pkcs8() const {
  std::unique_ptr<PKCS8_PRIV_KEY_INFO,
                  deleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>
    info{EVP_PKEY2PKCS8(key_.get())};
  if (!info)
    return {};
  return to_der<PKCS8_PRIV_KEY_INFO>(info.get(), i2d_PKCS8_PRIV_KEY_INFO);
}

bytes certificate_key::spki() const {
  int len = i2d_PUBKEY(key_.get(), nullptr);
  if (len <= 0)
    return {};
  bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_PUBKEY(key_.get(), &p);
  return out;
}

// -- certificate --------------------------------------------------------------

result<certificate> certificate::generate(const identity::private_key& host) {
  auto key = certificate_key::generate();
  if (!key)
    return key.error();
  auto value = encode_signed_key(sign_certificate_key(host, key->spki()));
  if (!value)
    return value.error();
  certificate_fields fields;
  fields.libp2p_extension = std::move(*value);
  fields.serial = random_serial();
  return self_sign(*key, fields);
}

result<certificate> certificate::self_sign(const certificate_key& key,
                                           const certificate_fields& fields) {
  ERR_clear_error();
  x509_ptr cert{X509_new()};
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3))
    return openssl_failure("creating the certificate");
  if (!ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()),
                               fields.serial))
    return openssl_failure("setting the certificate serial");
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                     static_cast<time_t>(fields.not_before))
      || !ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                        static_cast<time_t>(fields.not_after)))
    return openssl_failure("setting the certificate validity");
  // Empty subject and issuer names (X509_new leaves both empty).
  if (!X509_set_pubkey(cert.get(), key.native()))
    return openssl_failure("setting the certificate public key");
  if (fields.libp2p_extension) {
    auto oid = std::string{extension_oid};
    if (auto ok = add_extension(cert.get(), oid.c_str(),
                                fields.libp2p_extension_critical,
                                *fields.libp2p_extension);
        !ok)
      return ok.error();
  }
  for (const auto& ext : fields.extra_extensions)
    if (auto ok = add_extension(cert.get(), ext.oid.c_str(), ext.critical,
                                ext.value);
        !ok)
      return ok.error();
  // Ed25519/Ed448 sign without a separate digest; everything else SHA-256.
  const EVP_MD* md = EVP_PKEY_get_id(key.native()) == EVP_PKEY_ED25519
                         || EVP_PKEY_get_id(key.native()) == EVP_PKEY_ED448
                       ? nullptr
                       : EVP_sha256();
  if (X509_sign(cert.get(), key.native(), md) <= 0)
    return openssl_failure("self-signing the certificate");
  auto der = to_der<X509>(cert.get(), i2d_X509);
  if (der.empty())
    return openssl_failure("encoding the certificate");
  return certificate{key, std::move(der)};
}

} // namespace canswarm::tls
