#pragma once

// Deterministic identities, a simulated link and a bare OpenSSL peer shared
// by the tls tests.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string_view>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "canswarm/bytes.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/handshake.hpp"
#include "canswarm/tls/signed_key.hpp"

namespace tls_test {

using namespace canswarm;

/// 2023-11-14T22:13:20Z: inside every validity window used in the tests.
inline constexpr tls::unix_time test_now = 1'700'000'000;

/// An Ed25519 identity from the seed start, start+1, ..., start+31.
inline identity::private_key identity_from(std::uint8_t start) {
  bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(start + i);
  auto key = identity::private_key::ed25519_from_seed(seed);
  REQUIRE(key);
  return *key;
}

inline peer_id peer_of(const identity::private_key& key) {
  return peer_id::from_public_key(key.public_key());
}

/// A fresh certificate key (checked).
inline tls::certificate_key fresh_key() {
  auto key = tls::certificate_key::generate();
  REQUIRE(key);
  return *key;
}

/// Certificate fields whose libp2p extension is `host`'s valid SignedKey
/// for `key`.
inline tls::certificate_fields valid_fields(const identity::private_key& host,
                                            const tls::certificate_key& key) {
  tls::certificate_fields fields;
  auto value = tls::encode_signed_key(
    tls::sign_certificate_key(host, key.spki()));
  REQUIRE(value);
  fields.libp2p_extension = *value;
  return fields;
}

/// Self-signs `fields` with `key` (checked).
inline tls::certificate make_cert(const tls::certificate_key& key,
                                  const tls::certificate_fields& fields) {
  auto cert = tls::certificate::self_sign(key, fields);
  REQUIRE(cert);
  return *cert;
}

enum class delivery { byte_at_a_time, random_chunks, whole };

/// One direction of a simulated link: bytes in flight, released in chunks.
class sim_pipe {
public:
  sim_pipe(delivery mode, std::uint32_t seed) : mode_(mode), rng_(seed) {}

  void send(bytes_view data) {
    if (empty()) {
      in_flight_.clear();
      head_ = 0;
    }
    append(in_flight_, data);
  }

  bool empty() const {
    return head_ == in_flight_.size();
  }

  /// Releases the next chunk (a copy).
  bytes deliver() {
    std::size_t n = in_flight_.size() - head_;
    if (mode_ == delivery::byte_at_a_time)
      n = std::min<std::size_t>(n, 1);
    else if (mode_ == delivery::random_chunks)
      n = std::min<std::size_t>(n, std::uniform_int_distribution<
                                     std::size_t>{1, 3000}(rng_));
    bytes chunk{in_flight_.begin() + static_cast<std::ptrdiff_t>(head_),
                in_flight_.begin() + static_cast<std::ptrdiff_t>(head_ + n)};
    head_ += n;
    return chunk;
  }

private:
  delivery mode_;
  std::mt19937 rng_;
  bytes in_flight_;
  std::size_t head_ = 0;
};

/// Runs two handshakes against each other until neither has anything to
/// send; returns the number of deliveries.
inline std::size_t run(tls::handshake& client, tls::handshake& server,
                       delivery mode = delivery::whole,
                       std::uint32_t seed = 1) {
  sim_pipe to_server{mode, seed};
  sim_pipe to_client{mode, seed + 1};
  client.start();
  server.start();
  std::size_t steps = 0;
  for (; steps < 10'000'000; ++steps) {
    to_server.send(client.take_output());
    to_client.send(server.take_output());
    if (to_server.empty() && to_client.empty())
      break;
    if (!to_server.empty())
      server.handle_input(to_server.deliver());
    if (!to_client.empty())
      client.handle_input(to_client.deliver());
  }
  return steps;
}

/// A bare OpenSSL endpoint over memory BIOs, configured by the test (any
/// TLS version, optional certificate chain, no verification), to talk to a
/// tls::handshake the way a foreign or broken implementation would.
class raw_peer {
public:
  /// `cert` (optional) is presented with `extra_chain` behind it.
  raw_peer(bool client, int max_version, const tls::certificate* cert,
           const std::vector<bytes>& extra_chain = {},
           std::string_view alpn = "\x06libp2p") {
    ctx_ = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
    REQUIRE(ctx_ != nullptr);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (cert != nullptr) {
      REQUIRE(SSL_CTX_use_certificate_ASN1(ctx_,
                                           static_cast<int>(cert->der().size()),
                                           cert->der().data())
              == 1);
      REQUIRE(SSL_CTX_use_PrivateKey(ctx_, cert->key().native()) == 1);
      for (const auto& der : extra_chain) {
        const unsigned char* p = der.data();
        X509* extra = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
        REQUIRE(extra != nullptr);
        REQUIRE(SSL_CTX_add_extra_chain_cert(ctx_, extra) == 1);
      }
    }
    ssl_ = SSL_new(ctx_);
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl_, rbio, wbio);
    if (client) {
      SSL_set_connect_state(ssl_);
      if (!alpn.empty())
        SSL_set_alpn_protos(ssl_,
                            reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned>(alpn.size()));
    } else {
      SSL_set_accept_state(ssl_);
    }
  }

  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

  ~raw_peer() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  /// Feeds `input`, advances the handshake, returns what it wrote and
  /// whether the handshake is complete.
  bytes step(bytes_view input, int* rc_out = nullptr) {
    if (!input.empty())
      BIO_write(SSL_get_rbio(ssl_), input.data(),
                static_cast<int>(input.size()));
    int rc = SSL_do_handshake(ssl_);
    if (rc_out != nullptr)
      *rc_out = rc;
    ERR_clear_error();
    BIO* wbio = SSL_get_wbio(ssl_);
    bytes out(BIO_ctrl_pending(wbio));
    if (!out.empty())
      BIO_read(wbio, out.data(), static_cast<int>(out.size()));
    return out;
  }

  SSL* native() {
    return ssl_;
  }

private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

} // namespace tls_test
