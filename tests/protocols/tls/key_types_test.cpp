// Host keys of every libp2p type (RSA, Ed25519, secp256k1, ECDSA) in the
// certificate extension and across a full handshake, and the size bounds
// holding for the largest host key.

#include <doctest/doctest.h>

#include <vector>

#include "canswarm/tls/handshake.hpp"
#include "tls_fixtures.hpp"

using namespace canswarm;
using namespace tls_test;

namespace {

identity::private_key host_of(identity::key_type type) {
  switch (type) {
    case identity::key_type::rsa: {
      auto key = identity::private_key::generate_rsa(2048);
      REQUIRE(key);
      return *key;
    }
    case identity::key_type::secp256k1:
      return identity::private_key::generate_secp256k1();
    case identity::key_type::ecdsa:
      return identity::private_key::generate_ecdsa();
    case identity::key_type::ed25519: break;
  }
  return identity::private_key::generate_ed25519();
}

const std::vector<identity::key_type>
  all_types = {identity::key_type::rsa, identity::key_type::ed25519,
               identity::key_type::secp256k1, identity::key_type::ecdsa};

} // namespace

TEST_CASE("certificates carry host keys of every type") {
  for (auto type : all_types) {
    CAPTURE(identity::to_string(type));
    auto host = host_of(type);
    auto cert = tls::certificate::generate(host);
    REQUIRE(cert);
    CHECK(cert->der().size() < tls::max_certificate_size);
    auto verified = tls::verify_certificate(cert->der(), test_now);
    REQUIRE(verified);
    CHECK(verified->public_key.type() == type);
    CHECK(verified->peer == peer_of(host));
    // The same extension over another certificate key is refused.
    auto other = fresh_key();
    auto fields = valid_fields(host, fresh_key());
    auto err = tls::verify_certificate(make_cert(other, fields).der(),
                                       test_now);
    REQUIRE_FALSE(err);
    CHECK(err.error().code == errc::crypto);
    CHECK(err.error().message.find("libp2p extension signature invalid")
          != std::string::npos);
  }
}

TEST_CASE("handshakes complete between host keys of different types") {
  for (std::size_t i = 0; i < all_types.size(); ++i) {
    auto client_type = all_types[i];
    auto server_type = all_types[(i + 1) % all_types.size()];
    CAPTURE(identity::to_string(client_type));
    CAPTURE(identity::to_string(server_type));
    auto client_key = host_of(client_type);
    auto server_key = host_of(server_type);
    tls::handshake client{tls::role::initiator, client_key, peer_of(server_key),
                          test_now};
    tls::handshake server{tls::role::responder, server_key, std::nullopt,
                          test_now};
    run(client, server, delivery::random_chunks, static_cast<unsigned>(i));
    REQUIRE(client.state() == tls::handshake::status::done);
    REQUIRE(server.state() == tls::handshake::status::done);
    CHECK(client.remote_peer() == peer_of(server_key));
    CHECK(server.remote_peer() == peer_of(client_key));
    CHECK(server.remote_public_key()->type() == client_type);
  }
}

TEST_CASE("the largest SignedKey fits in a certificate under the bound") {
  auto key = fresh_key();
  tls::signed_key largest{bytes(identity::max_key_protobuf_size, 0x00),
                          bytes(tls::max_signature_size, 0x00)};
  largest.public_key[0] = 0x08; // Type: RSA (0), then junk
  tls::certificate_fields fields;
  auto value = tls::encode_signed_key(largest);
  REQUIRE(value);
  fields.libp2p_extension = *value;
  auto cert = make_cert(key, fields);
  CHECK(cert.der().size() < tls::max_certificate_size);
  auto err = tls::verify_certificate(cert.der(), test_now);
  REQUIRE_FALSE(err);
  CHECK(err.error().code != errc::too_large); // refused for the key instead
  CHECK(err.error().message.find("libp2p extension public key")
        != std::string::npos);
}
