// Verification of a remote libp2p TLS certificate (see certificate.hpp for
// the order of the checks). OpenSSL parses the X.509 structure and checks
// the self-signature; the libp2p rules are applied here.

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/signed_key.hpp"
#include "ossl.hpp"

namespace canswarm::tls {

namespace {

using namespace detail;

/// Critical extensions we understand well enough to ignore on a
/// self-signed leaf; any other critical one is refused (spec: "MUST abort
/// ... critical extensions that the endpoint does not understand").
constexpr std::array<int, 6> known_critical = {NID_basic_constraints,
                                               NID_key_usage,
                                               NID_ext_key_usage,
                                               NID_subject_key_identifier,
                                               NID_authority_key_identifier,
                                               NID_subject_alt_name};

bool is_libp2p_oid(const ASN1_OBJECT* obj) {
  auto len = OBJ_length(obj);
  auto* data = OBJ_get0_data(obj);
  return len == extension_oid_der.size() && data != nullptr
         && std::equal(extension_oid_der.begin(), extension_oid_der.end(),
                       data);
}

std::string dotted(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (n <= 0)
    return "(undecodable OID)";
  return std::string{buf, std::min<std::size_t>(static_cast<std::size_t>(n),
                                                sizeof(buf) - 1)};
}

std::string sigalg_name(const X509* cert) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, X509_get0_tbs_sigalg(cert));
  return obj ? dotted(obj) : "(none)";
}

/// Names the key type the protobuf declares (field 1 comes first in every
/// libp2p encoder) so a key-type mismatch reads as one.
error key_error(bytes_view protobuf, const error& inner) {
  constexpr std::uint8_t type_tag = 0x08; // field 1, varint
  if (protobuf.size() >= 2 && protobuf[0] == type_tag && protobuf[1] <= 3)
    return make_error(inner.code,
                      fmt::format("libp2p extension public key is not a "
                                  "valid {} key: {}",
                                  identity::to_string(
                                    static_cast<identity::key_type>(
                                      protobuf[1])),
                                  inner.message));
  return make_error(inner.code,
                    fmt::format("libp2p extension public key invalid: {}",
                                inner.message));
}

/// Finds and decodes the libp2p extension; refuses unknown critical ones.
result<signed_key> find_extension(const X509* cert) {
  std::optional<signed_key> found;
  int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(ext);
    if (is_libp2p_oid(obj)) {
      if (found)
        return make_error(errc::protocol,
                          "certificate carries the libp2p extension twice");
      const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(ext);
      auto decoded = decode_signed_key(
        bytes_view{ASN1_STRING_get0_data(value),
                   static_cast<std::size_t>(ASN1_STRING_length(value))});
      if (!decoded)
        return make_error(decoded.error().code,
                          fmt::format("libp2p extension: {}",
                                      decoded.error().message));
      found = std::move(*decoded);
      continue;
    }
    if (X509_EXTENSION_get_critical(ext) == 0)
      continue; // spec: ignore non-critical extensions with unknown OIDs
    int nid = OBJ_obj2nid(obj);
    if (std::find(known_critical.begin(), known_critical.end(), nid)
        == known_critical.end())
      return make_error(errc::unsupported,
                        fmt::format("certificate has unknown critical "
                                    "extension {}",
                                    dotted(obj)));
  }
  if (!found)
    return make_error(errc::protocol, "certificate without libp2p extension");
  return std::move(*found);
}

/// The key and signature algorithm rules of the spec.
result<void> check_algorithms(const X509* cert) {
  const ASN1_OBJECT* key_alg = nullptr;
  const X509_ALGOR* params = nullptr;
  if (!X509_PUBKEY_get0_param(const_cast<ASN1_OBJECT**>(&key_alg), nullptr,
                              nullptr, const_cast<X509_ALGOR**>(&params),
                              X509_get_X509_PUBKEY(cert)))
    return make_error(errc::malformed,
                      "certificate public key info cannot be read");
  if (OBJ_obj2nid(key_alg) == NID_X9_62_id_ecPublicKey) {
    int ptype = V_ASN1_UNDEF;
    X509_ALGOR_get0(nullptr, &ptype, nullptr, params);
    if (ptype != V_ASN1_OBJECT)
      return make_error(errc::refused,
                        "certificate EC key does not use the NamedCurve "
                        "encoding");
  }
  if (X509_get0_pubkey(cert) == nullptr)
    return make_error(errc::unsupported,
                      fmt::format("certificate public key ({}) cannot be "
                                  "decoded: {}",
                                  dotted(key_alg),
                                  take_openssl_reason("unknown key")));
  int md_nid = NID_undef;
  std::uint32_t flags = 0;
  if (!X509_get_signature_info(const_cast<X509*>(cert), &md_nid, nullptr,
                               nullptr, &flags)
      || (flags & X509_SIG_INFO_VALID) == 0)
    return make_error(errc::unsupported,
                      fmt::format("certificate signature algorithm {} is not "
                                  "supported",
                                  sigalg_name(cert)));
  if (md_nid != NID_undef) {
    const EVP_MD* md = EVP_get_digestbynid(md_nid);
    if (md == nullptr || EVP_MD_get_size(md) < 32)
      return make_error(errc::refused,
                        fmt::format("certificate signature uses {}, a hash "
                                    "shorter than 256 bits",
                                    OBJ_nid2sn(md_nid)));
  }
  return {};
}

result<void> check_validity(const X509* cert, unix_time now) {
  auto t = static_cast<time_t>(now);
  // X509_cmp_time: -1 if the ASN.1 time is <= t, 1 if later, 0 on error.
  int before = X509_cmp_time(X509_get0_notBefore(cert), &t);
  int after = X509_cmp_time(X509_get0_notAfter(cert), &t);
  if (before == 0 || after == 0)
    return make_error(errc::malformed,
                      "certificate validity times cannot be decoded");
  if (before > 0)
    return make_error(errc::refused,
                      fmt::format("certificate is not yet valid at UNIX time "
                                  "{}",
                                  now));
  if (after < 0)
    return make_error(errc::refused,
                      fmt::format("certificate expired before UNIX time {}",
                                  now));
  return {};
}

} // namespace

result<verified_certificate> verify_certificate(bytes_view der, unix_time now) {
  if (der.size() > max_certificate_size)
    return make_error(errc::too_large,
                      fmt::format("certificate of {} bytes exceeds the "
                                  "{}-byte bound",
                                  der.size(), max_certificate_size));
  ERR_clear_error();
  const unsigned char* p = der.data();
  x509_ptr cert{d2i_X509(nullptr, &p, static_cast<long>(der.size()))};
  if (!cert)
    return make_error(errc::malformed,
                      fmt::format("certificate is not valid DER: {}",
                                  take_openssl_reason("decoding failed")));
  if (p != der.data() + der.size())
    return make_error(errc::malformed,
                      fmt::format("certificate has {} trailing bytes",
                                  der.data() + der.size() - p));
  const ASN1_BIT_STRING* issuer_uid = nullptr;
  const ASN1_BIT_STRING* subject_uid = nullptr;
  X509_get0_uids(cert.get(), &issuer_uid, &subject_uid);
  if (issuer_uid != nullptr || subject_uid != nullptr)
    return make_error(errc::protocol,
                      "certificate carries the deprecated issuerUniqueID or "
                      "subjectUniqueID");
  auto ext = find_extension(cert.get());
  if (!ext)
    return ext.error();
  if (auto ok = check_algorithms(cert.get()); !ok)
    return ok.error();
  ERR_clear_error();
  if (X509_verify(cert.get(), X509_get0_pubkey(cert.get())) != 1)
    return make_error(errc::crypto,
                      fmt::format("certificate self-signature invalid: {}",
                                  take_openssl_reason("does not verify")));
  if (auto ok = check_validity(cert.get(), now); !ok)
    return ok.error();
  auto host = identity::public_key::from_protobuf(ext->public_key);
  if (!host)
    return key_error(ext->public_key, host.error());
  auto spki = to_der<X509_PUBKEY>(X509_get_X509_PUBKEY(cert.get()),
                                  i2d_X509_PUBKEY);
  if (auto ok = host->check_verify(signing_message(spki), ext->signature);
      !ok) {
    if (ok.error().code == errc::unsupported)
      return make_error(errc::unsupported,
                        fmt::format("libp2p extension key of type {} cannot "
                                    "be verified: {}",
                                    identity::to_string(host->type()),
                                    ok.error().message));
    return make_error(errc::crypto,
                      fmt::format("libp2p extension signature invalid: {}",
                                  ok.error().message));
  }
  auto peer = peer_id::from_public_key(*host);
  return verified_certificate{std::move(*host), std::move(peer)};
}

} // namespace canswarm::tls
