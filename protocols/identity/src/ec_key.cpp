// Elliptic-curve keys (peer-ids spec, "Secp256k1" and "ECDSA"):
// secp256k1 as a 32-byte scalar and a 33-byte compressed point (Bitcoin
// encoding), ECDSA on P-256 as SEC1 ECPrivateKey DER (go's
// x509.MarshalECPrivateKey: with curve parameters and public key) and PKIX
// SubjectPublicKeyInfo DER with an uncompressed point.
//
// Deviations from spec: ECDSA keys on curves other than P-256 are refused
// (go-libp2p parses any curve x509 knows; it only generates P-256).

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "der.hpp"
#include "native_key.hpp"

namespace canswarm::identity::detail {

namespace {

/// secp256k1 key sizes (SEC 1): 32-byte scalar, 0x02/0x03 || x.
constexpr std::size_t scalar_size = 32;
constexpr std::size_t compressed_point_size = 33;

/// Largest DER ECDSA signature on a 256-bit curve: SEQUENCE of two
/// INTEGERs of at most 33 bytes each.
constexpr std::size_t max_signature_size = 72;

/// Attempts at drawing a valid secp256k1 scalar (a draw fails with
/// probability ~2^-128).
constexpr int max_scalar_draws = 8;

template<auto Free>
struct free_with {
  template<class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using group_ptr = std::unique_ptr<EC_GROUP, free_with<EC_GROUP_free>>;
using point_ptr = std::unique_ptr<EC_POINT, free_with<EC_POINT_clear_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, free_with<BN_clear_free>>;
using bn_ctx_ptr = std::unique_ptr<BN_CTX, free_with<BN_CTX_free>>;
using sig_ptr = std::unique_ptr<ECDSA_SIG, free_with<ECDSA_SIG_free>>;
using bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, free_with<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, free_with<OSSL_PARAM_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX,
                                     free_with<EVP_PKEY_CTX_free>>;

const char* label(key_type type) {
  return type == key_type::secp256k1 ? "Secp256k1" : "ECDSA";
}

const char* group_name(key_type type) {
  return type == key_type::secp256k1 ? "secp256k1" : "prime256v1";
}

group_ptr make_group(key_type type) {
  group_ptr group{EC_GROUP_new_by_curve_name(
    type == key_type::secp256k1 ? NID_secp256k1 : NID_X9_62_prime256v1)};
  if (!group)
    openssl_failure("EC_GROUP_new_by_curve_name");
  return group;
}

/// Decodes an encoded point; errc::crypto if it is not on the curve.
result<point_ptr> decode_point(const EC_GROUP* group, key_type type,
                               bytes_view octets) {
  point_ptr point{EC_POINT_new(group)};
  if (!point)
    openssl_failure("EC_POINT_new");
  if (EC_POINT_oct2point(group, point.get(), octets.data(), octets.size(),
                         nullptr)
      != 1)
    return make_error(errc::crypto,
                      fmt::format("{} public key is not a valid {} curve "
                                  "point",
                                  label(type), group_name(type)));
  if (EC_POINT_is_at_infinity(group, point.get()) == 1)
    return make_error(errc::crypto,
                      fmt::format("{} public key is the point at infinity",
                                  label(type)));
  return point;
}

bytes encode_point(const EC_GROUP* group, const EC_POINT* point,
                   point_conversion_form_t form) {
  bytes out(EC_POINT_point2oct(group, point, form, nullptr, 0, nullptr));
  if (out.empty()
      || EC_POINT_point2oct(group, point, form, out.data(), out.size(), nullptr)
           != out.size())
    openssl_failure("EC_POINT_point2oct");
  return out;
}

/// Builds an EVP key from a validated point and, for a key pair, scalar.
evp_pkey_ptr build_key(key_type type, bytes_view point, const BIGNUM* scalar) {
  bld_ptr bld{OSSL_PARAM_BLD_new()};
  if (!bld
      || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                         group_name(type), 0)
           != 1
      || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                          point.data(), point.size())
           != 1
      || (scalar != nullptr
          && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar)
               != 1))
    openssl_failure("OSSL_PARAM_BLD_push");
  params_ptr params{OSSL_PARAM_BLD_to_param(bld.get())};
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
      || EVP_PKEY_fromdata(ctx.get(), &raw,
                           scalar != nullptr ? EVP_PKEY_KEYPAIR
                                             : EVP_PKEY_PUBLIC_KEY,
                           params.get())
           != 1)
    openssl_failure("EVP_PKEY_fromdata(EC)");
  return evp_pkey_ptr{raw};
}

result<native_private> load_secp256k1(bytes_view data) {
  if (data.size() != scalar_size)
    return make_error(errc::malformed,
                      fmt::format("Secp256k1 private key must be a 32-byte "
                                  "scalar, got {} bytes",
                                  data.size()));
  auto group = make_group(key_type::secp256k1);
  bn_ptr scalar{BN_secure_new()};
  if (!scalar
      || BN_bin2bn(data.data(), static_cast<int>(data.size()), scalar.get())
           == nullptr)
    openssl_failure("BN_bin2bn");
  if (BN_is_zero(scalar.get())
      || BN_cmp(scalar.get(), EC_GROUP_get0_order(group.get())) >= 0)
    return make_error(errc::crypto, "Secp256k1 private key is zero or not "
                                    "below the curve order");
  point_ptr point{EC_POINT_new(group.get())};
  bn_ctx_ptr bn_ctx{BN_CTX_secure_new()};
  if (!point || !bn_ctx
      || EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr,
                      bn_ctx.get())
           != 1)
    openssl_failure("EC_POINT_mul");
  auto compressed = encode_point(group.get(), point.get(),
                                 POINT_CONVERSION_COMPRESSED);
  auto key = build_key(key_type::secp256k1, compressed, scalar.get());
  return finish_private(key_type::secp256k1, std::move(key),
                        bytes{data.begin(), data.end()}, std::move(compressed));
}

result<native_private> load_p256(bytes_view der) {
  const unsigned char* p = der.data();
  evp_pkey_ptr key{
    d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, static_cast<long>(der.size()))};
  if (!key)
    return make_error(errc::malformed, "ECDSA private key: not a valid SEC1 "
                                       "ECPrivateKey with named curve");
  if (p != der.data() + der.size())
    return make_error(errc::malformed, "ECDSA private key: trailing bytes "
                                       "after the DER structure");
  char name[64] = {};
  std::size_t name_len = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                     name, sizeof name, &name_len)
      != 1)
    return make_error(errc::malformed, "ECDSA private key: no named curve");
  if (std::string_view{name, name_len} != group_name(key_type::ecdsa))
    return make_error(errc::unsupported,
                      fmt::format("ECDSA private key: curve {} is not "
                                  "supported (only P-256)",
                                  std::string_view{name, name_len}));
  // go always writes uncompressed points; so do we, whatever was read.
  if (EVP_PKEY_set_utf8_string_param(
        key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
        OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED)
      != 1)
    openssl_failure("EVP_PKEY_set_utf8_string_param");
  auto data = to_der(i2d_PrivateKey, key.get());
  auto public_data = to_der(i2d_PUBKEY, key.get());
  return finish_private(key_type::ecdsa, std::move(key), std::move(data),
                        std::move(public_data));
}

result<evp_pkey_ptr> load_p256_public(bytes_view spki) {
  constexpr std::string_view what = "ECDSA public key";
  auto parts = read_spki(spki, what);
  if (!parts)
    return parts.error();
  auto is = [](bytes_view a, bytes_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  };
  if (!is(parts->algorithm, oid_ec_public_key))
    return make_error(errc::malformed,
                      fmt::format("{}: data holds a {} key, not "
                                  "id-ecPublicKey",
                                  what, oid_name(parts->algorithm)));
  auto curve = read_der(parts->parameters, der_oid, what);
  if (!curve || curve->size != parts->parameters.size())
    return make_error(errc::unsupported,
                      fmt::format("{}: no named curve", what));
  if (!is(curve->content, oid_prime256v1))
    return make_error(errc::unsupported,
                      fmt::format("{}: curve {} is not supported (only "
                                  "P-256)",
                                  what, oid_name(curve->content)));
  auto group = make_group(key_type::ecdsa);
  auto point = decode_point(group.get(), key_type::ecdsa, parts->key);
  if (!point)
    return point.error();
  return build_key(key_type::ecdsa, parts->key, nullptr);
}

} // namespace

result<native_private> ec_load_private(key_type type, bytes_view data) {
  return type == key_type::secp256k1 ? load_secp256k1(data) : load_p256(data);
}

result<evp_pkey_ptr> ec_load_public(key_type type, bytes_view data) {
  if (type == key_type::ecdsa)
    return load_p256_public(data);
  if (data.size() != compressed_point_size)
    return make_error(errc::malformed,
                      fmt::format("Secp256k1 public key must be a 33-byte "
                                  "compressed point, got {} bytes",
                                  data.size()));
  if (data[0] != 0x02 && data[0] != 0x03)
    return make_error(errc::malformed,
                      fmt::format("Secp256k1 public key must start with 0x02 "
                                  "or 0x03, got 0x{:02x}",
                                  data[0]));
  auto group = make_group(type);
  auto point = decode_point(group.get(), type, data);
  if (!point)
    return point.error();
  return build_key(type, data, nullptr);
}

result<native_private> ec_generate(key_type type) {
  if (type == key_type::secp256k1) {
    bytes scalar(scalar_size);
    for (int i = 0; i < max_scalar_draws; ++i) {
      if (RAND_priv_bytes(scalar.data(), static_cast<int>(scalar.size())) != 1)
        openssl_failure("RAND_priv_bytes");
      auto key = load_secp256k1(scalar);
      OPENSSL_cleanse(scalar.data(), scalar.size());
      if (key)
        return key;
    }
    openssl_failure("secp256k1 scalar generation");
  }
  evp_pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (!key)
    openssl_failure("EVP_PKEY_Q_keygen(EC P-256)");
  auto der = to_der(i2d_PrivateKey, key.get());
  auto loaded = load_p256(der);
  OPENSSL_cleanse(der.data(), der.size());
  return loaded;
}

result<void> ec_check_signature(key_type type, bytes_view signature) {
  if (signature.size() > max_signature_size)
    return make_error(errc::crypto,
                      fmt::format("{} signature of {} bytes, over the {}-byte "
                                  "DER maximum",
                                  label(type), signature.size(),
                                  max_signature_size));
  const unsigned char* p = signature.data();
  sig_ptr sig{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()))};
  bool strict = false;
  if (sig && p == signature.data() + signature.size()) {
    unsigned char* out = nullptr;
    int len = i2d_ECDSA_SIG(sig.get(), &out);
    strict = len > 0 && static_cast<std::size_t>(len) == signature.size()
             && std::equal(signature.begin(), signature.end(), out);
    OPENSSL_free(out);
  }
  if (!strict)
    return make_error(errc::crypto,
                      fmt::format("{} signature is not a strict DER ECDSA "
                                  "signature",
                                  label(type)));
  return {};
}

bytes secp256k1_low_s(bytes_view der) {
  const unsigned char* p = der.data();
  sig_ptr sig{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()))};
  if (!sig)
    openssl_failure("d2i_ECDSA_SIG");
  auto group = make_group(key_type::secp256k1);
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  bn_ptr half{BN_dup(order)};
  if (!half || BN_rshift1(half.get(), half.get()) != 1)
    openssl_failure("BN_rshift1");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_cmp(s, half.get()) <= 0)
    return bytes{der.begin(), der.end()};
  bn_ptr new_r{BN_dup(r)};
  bn_ptr new_s{BN_new()};
  if (!new_r || !new_s || BN_sub(new_s.get(), order, s) != 1
      || ECDSA_SIG_set0(sig.get(), new_r.get(), new_s.get()) != 1)
    openssl_failure("ECDSA_SIG_set0");
  new_r.release(); // Owned by sig now.
  new_s.release();
  unsigned char* out = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &out);
  if (len <= 0)
    openssl_failure("i2d_ECDSA_SIG");
  bytes result{out, out + len};
  OPENSSL_free(out);
  return result;
}

} // namespace canswarm::identity::detail
