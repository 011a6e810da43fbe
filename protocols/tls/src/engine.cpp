// OpenSSL configuration for libp2p TLS and the certificate verification
// callback.

#include "engine.hpp"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

namespace canswarm::tls::detail {

namespace {

/// ALPN protocol list on the wire: one length-prefixed "libp2p".
constexpr unsigned char alpn_wire[] = {6, 'l', 'i', 'b', 'p', '2', 'p'};
static_assert(sizeof(alpn_wire) == 1 + alpn_protocol.size());

/// TLS 1.3 Certificate message framing around one certificate: request
/// context (1 + up to 255), list length (3), entry length (3), entry
/// extensions length (2), plus slack for small entry extensions.
constexpr std::size_t certificate_message_overhead = 512;

/// Replaces OpenSSL's chain validation: exactly one certificate, checked by
/// the libp2p rules, then the expected peer id. Returns 1 to accept.
int verify_callback(X509_STORE_CTX* store, void* arg) {
  auto* self = static_cast<engine*>(arg);
  auto refuse = [&](error err) {
    self->verify_error = std::move(err);
    // Makes OpenSSL send a bad_certificate alert.
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  };
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store);
  int count = chain != nullptr ? sk_X509_num(chain) : 0;
  if (count != 1)
    return refuse(make_error(errc::protocol,
                             fmt::format("expected exactly one certificate, "
                                         "the remote sent {}",
                                         count)));
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf == nullptr)
    return refuse(make_error(errc::protocol, "remote sent no certificate"));
  auto der = to_der<X509>(leaf, i2d_X509);
  auto verified = verify_certificate(der, self->now);
  if (!verified)
    return refuse(verified.error());
  if (self->expected && *self->expected != verified->peer)
    return refuse(
      make_error(errc::crypto, fmt::format("peer id mismatch: dialed {}, "
                                           "remote is {}",
                                           self->expected->to_string(),
                                           verified->peer.to_string())));
  self->remote = std::move(*verified);
  return 1;
}

/// Selects "libp2p" when offered; otherwise goes on without ALPN.
int alpn_select(SSL*, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, alpn_wire, sizeof(alpn_wire), in,
                            inlen)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

error setup_failure(std::string_view what) {
  return make_error(errc::crypto,
                    fmt::format("tls setup: {}: {}", what,
                                take_openssl_reason("unknown failure")));
}

} // namespace

result<std::unique_ptr<engine>>
engine::create(role side, const certificate& local,
               std::optional<peer_id> expected, unix_time now) {
  ERR_clear_error();
  auto self = std::make_unique<engine>();
  self->expected = std::move(expected);
  self->now = now;
  bool client = side == role::initiator;
  self->ctx.reset(
    SSL_CTX_new(client ? TLS_client_method() : TLS_server_method()));
  SSL_CTX* ctx = self->ctx.get();
  if (ctx == nullptr)
    return setup_failure("SSL_CTX_new");
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)
      || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
    return setup_failure("restricting to TLS 1.3");
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_cert_list(ctx,
                            static_cast<long>(max_certificate_size
                                              + certificate_message_overhead));
  const auto& der = local.der();
  if (SSL_CTX_use_certificate_ASN1(ctx, static_cast<int>(der.size()),
                                   der.data())
        != 1
      || SSL_CTX_use_PrivateKey(ctx, local.key().native()) != 1
      || SSL_CTX_check_private_key(ctx) != 1)
    return setup_failure("loading the local certificate");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_callback, self.get());
  if (!client)
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, nullptr);
  self->ssl.reset(SSL_new(ctx));
  SSL* ssl = self->ssl.get();
  if (ssl == nullptr)
    return setup_failure("SSL_new");
  self->rbio = BIO_new(BIO_s_mem());
  self->wbio = BIO_new(BIO_s_mem());
  if (self->rbio == nullptr || self->wbio == nullptr) {
    BIO_free(self->rbio);
    BIO_free(self->wbio);
    return setup_failure("BIO_new");
  }
  // An empty read BIO means "no bytes yet" (retry), not end of stream.
  BIO_set_mem_eof_return(self->rbio, -1);
  BIO_set_mem_eof_return(self->wbio, -1);
  SSL_set_bio(ssl, self->rbio, self->wbio);
  if (client) {
    SSL_set_connect_state(ssl);
    // No SNI (spec, "Future Extensibility"); offer ALPN "libp2p". Note:
    // SSL_set_alpn_protos returns 0 on success.
    if (SSL_set_alpn_protos(ssl, alpn_wire, sizeof(alpn_wire)) != 0)
      return setup_failure("setting ALPN");
  } else {
    SSL_set_accept_state(ssl);
  }
  return self;
}

void engine::feed(bytes_view input) {
  std::size_t pos = 0;
  while (pos < input.size()) {
    auto n = std::min<std::size_t>(input.size() - pos, INT_MAX);
    int written = BIO_write(rbio, input.data() + pos, static_cast<int>(n));
    if (written <= 0)
      return; // a memory BIO only fails when out of memory
    pos += static_cast<std::size_t>(written);
  }
}

void engine::drain(bytes& out) {
  auto pending = BIO_ctrl_pending(wbio);
  if (pending == 0)
    return;
  auto old = out.size();
  out.resize(old + pending);
  int got = BIO_read(wbio, out.data() + old, static_cast<int>(pending));
  out.resize(old + static_cast<std::size_t>(std::max(got, 0)));
}

std::size_t engine::unread() const {
  return BIO_ctrl_pending(rbio);
}

bytes engine::take_unread() {
  bytes out(unread());
  if (out.empty())
    return out;
  int got = BIO_read(rbio, out.data(), static_cast<int>(out.size()));
  out.resize(static_cast<std::size_t>(std::max(got, 0)));
  return out;
}

error engine::failure(int rc, std::string_view phase) {
  int code = SSL_get_error(ssl.get(), rc);
  if (verify_error) {
    ERR_clear_error();
    return *verify_error;
  }
  if (code == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return make_error(errc::protocol,
                      fmt::format("tls {}: the remote closed the connection "
                                  "(close_notify)",
                                  phase));
  }
  unsigned long first = ERR_peek_error();
  int reason = ERR_GET_REASON(first);
  std::string what;
  if (first != 0 && ERR_GET_LIB(first) == ERR_LIB_SSL
      && reason >= SSL_AD_REASON_OFFSET)
    what = fmt::format("the remote sent alert \"{}\"",
                       SSL_alert_desc_string_long(reason
                                                  - SSL_AD_REASON_OFFSET));
  else if (first != 0 && reason == SSL_R_UNSUPPORTED_PROTOCOL)
    what = "the remote does not offer TLS 1.3 (unsupported protocol)";
  else if (first != 0 && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    what = "the remote presented no certificate";
  else
    what = take_openssl_reason(code == SSL_ERROR_SYSCALL
                                 ? "unexpected end of the TLS stream"
                                 : "unknown TLS failure");
  ERR_clear_error();
  return make_error(errc::protocol,
                    fmt::format("tls {} failed: {}", phase, what));
}

} // namespace canswarm::tls::detail
