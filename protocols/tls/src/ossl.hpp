#pragma once

// Small OpenSSL helpers private to the tls library: owning pointers and
// reading the thread's error queue into a message.

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "canswarm/bytes.hpp"

namespace canswarm::tls::detail {

template<class T, void (*Free)(T*)>
struct deleter {
  void operator()(T* p) const {
    Free(p);
  }
};

using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using ctx_ptr = std::unique_ptr<SSL_CTX, deleter<SSL_CTX, SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, deleter<SSL, SSL_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION,
                                deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using obj_ptr = std::unique_ptr<ASN1_OBJECT,
                                deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using octets_ptr = std::unique_ptr<
  ASN1_OCTET_STRING, deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;

/// Pops the thread's OpenSSL error queue: the reason of the earliest error
/// ("wrong version number", ...) or `fallback` if the queue is empty.
inline std::string take_openssl_reason(const char* fallback) {
  unsigned long first = ERR_get_error();
  std::string out;
  if (first != 0) {
    const char* reason = ERR_reason_error_string(first);
    out = reason ? reason : "unknown OpenSSL error";
  } else {
    out = fallback;
  }
  ERR_clear_error();
  return out;
}

/// DER-encodes with an i2d_* function.
template<class T>
bytes to_der(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  int len = i2d(obj, nullptr);
  if (len <= 0)
    return {};
  bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d(obj, &p);
  return out;
}

} // namespace canswarm::tls::detail
