// The handshake and session API: bytes after the last flight, refusals of
// bad certificates and foreign peers (each with its specific reason), the
// handshake input bound, finishing, closing and tampered records.

#include <doctest/doctest.h>

#include <string>

#include <openssl/ssl.h>

#include "canswarm/tls/handshake.hpp"
#include "tls_fixtures.hpp"

using namespace canswarm;
using namespace tls_test;

namespace {

using status = tls::handshake::status;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// Alice (initiator, 0x01) dials Bob (responder, 0x02).
struct pair_fixture {
  identity::private_key alice_key = identity_from(0x01);
  identity::private_key bob_key = identity_from(0x02);
};

tls::certificate
cert_with(const identity::private_key& host,
          void (*tweak)(tls::certificate_fields&, const identity::private_key&,
                        const tls::certificate_key&)) {
  auto key = fresh_key();
  auto fields = valid_fields(host, key);
  tweak(fields, host, key);
  return make_cert(key, fields);
}

/// A TLS alert the handshake sent after failing reaches the other side.
void expect_alert(tls::handshake& done_side) {
  REQUIRE(done_side.state() == status::done);
  auto session = done_side.finish();
  REQUIRE(session);
  bytes plain;
  auto ok = session->decrypt(done_side.take_remaining(), plain);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::protocol);
  CHECK(ok.error().message
        == "tls record failed: the remote sent alert \"bad certificate\"");
  CHECK(plain.empty());
}

} // namespace

TEST_CASE_FIXTURE(pair_fixture,
                  "data in the initiator's last flight reaches the responder") {
  for (bool byte_at_a_time : {false, true}) {
    CAPTURE(byte_at_a_time);
    tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                         test_now};
    tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
    alice.start();
    bob.start();
    CHECK(bob.take_output().empty());
    bob.handle_input(alice.take_output()); // ClientHello
    alice.handle_input(bob.take_output()); // ServerHello .. Finished
    REQUIRE(alice.state() == status::done);
    auto flight = alice.take_output(); // Certificate .. Finished
    auto a = alice.finish();
    REQUIRE(a);
    a->encrypt(as_bytes("hello bob"), flight);
    if (byte_at_a_time) {
      for (auto b : flight)
        bob.handle_input(bytes_view{&b, 1});
    } else {
      bob.handle_input(flight);
    }
    REQUIRE(bob.state() == status::done);
    CHECK(bob.remote_peer() == peer_of(alice_key));
    auto rest = bob.take_remaining();
    CHECK_FALSE(rest.empty());
    auto b = bob.finish();
    REQUIRE(b);
    bytes plain;
    REQUIRE(b->decrypt(rest, plain));
    CHECK(std::string(plain.begin(), plain.end()) == "hello bob");
    CHECK(bob.take_output().empty()); // no session tickets
  }
}

TEST_CASE_FIXTURE(pair_fixture, "a wrong expected peer id is refused") {
  auto carol = peer_of(identity_from(0x03));
  tls::handshake alice{tls::role::initiator, alice_key, carol, test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::crypto);
  CHECK(alice.failure()->message
        == "peer id mismatch: dialed " + carol.to_string() + ", remote is "
             + peer_of(bob_key).to_string());
  CHECK_FALSE(alice.remote_peer());
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::protocol);
  CHECK(bob.failure()->message
        == "tls handshake failed: the remote sent alert \"bad certificate\"");
  auto s = alice.finish();
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::crypto);
}

TEST_CASE_FIXTURE(pair_fixture,
                  "the responder refuses a certificate without the extension") {
  auto key = fresh_key();
  tls::handshake alice{tls::role::initiator, make_cert(key, {}),
                       peer_of(bob_key), test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::protocol);
  CHECK(bob.failure()->message == "certificate without libp2p extension");
  // TLS 1.3: the initiator finished first and learns it through an alert.
  expect_alert(alice);
}

TEST_CASE_FIXTURE(pair_fixture,
                  "the initiator refuses an extension with a wrong signature") {
  auto bad = cert_with(bob_key, [](auto& fields, auto& host, auto&) {
    fields.libp2p_extension = *tls::encode_signed_key(
      tls::sign_certificate_key(host, fresh_key().spki()));
  });
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now};
  tls::handshake bob{tls::role::responder, bad, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::crypto);
  CHECK(
    contains(alice.failure()->message, "libp2p extension signature invalid"));
  CHECK(bob.state() == status::failed);
}

TEST_CASE_FIXTURE(pair_fixture, "the initiator refuses a key-type mismatch") {
  auto bad = cert_with(bob_key, [](auto& fields, auto& host, auto& key) {
    auto signed_key = tls::sign_certificate_key(host, key.spki());
    signed_key.public_key = hex("0801" // Type: Ed25519
                                "1221" // Data: 33 bytes
                                "02"); // a compressed secp256k1 prefix...
    signed_key.public_key.resize(4 + 33, 0x11);
    fields.libp2p_extension = *tls::encode_signed_key(signed_key);
  });
  tls::handshake alice{tls::role::initiator, alice_key, std::nullopt, test_now};
  tls::handshake bob{tls::role::responder, bad, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::malformed);
  CHECK(contains(alice.failure()->message,
                 "libp2p extension public key is not a valid Ed25519 key"));
}

TEST_CASE_FIXTURE(pair_fixture, "an expired remote certificate is refused") {
  auto short_lived = cert_with(bob_key, [](auto& fields, auto&, auto&) {
    fields.not_before = test_now - 10;
    fields.not_after = test_now + 10;
  });
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now + 10};
  tls::handshake bob{tls::role::responder, short_lived, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::refused);
  CHECK(contains(alice.failure()->message, "certificate expired before UNIX "
                                           "time 1700000010"));
}

TEST_CASE_FIXTURE(pair_fixture,
                  "a certificate over the size bound is refused unread") {
  auto huge = cert_with(bob_key, [](auto& fields, auto&, auto&) {
    // A non-critical extension the verifier would ignore, 20 KiB long.
    bytes filler = hex("04825000");
    filler.resize(4 + 0x5000, 0x00);
    fields.extra_extensions.push_back({"1.3.6.1.4.1.99999.2", false, filler});
  });
  REQUIRE(huge.der().size() > tls::max_certificate_size);
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now};
  tls::handshake bob{tls::role::responder, huge, std::nullopt, test_now};
  run(alice, bob);
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::protocol);
  CHECK(alice.failure()->message
        == "tls handshake failed: excessive message size");
}

TEST_CASE_FIXTURE(pair_fixture, "a reused certificate serves two handshakes") {
  auto shared = tls::certificate::generate(bob_key);
  REQUIRE(shared);
  for (int i = 0; i < 2; ++i) {
    tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                         test_now};
    tls::handshake bob{tls::role::responder, *shared, std::nullopt, test_now};
    run(alice, bob);
    CHECK(alice.state() == status::done);
    CHECK(bob.state() == status::done);
    CHECK(bob.local_certificate()->der() == shared->der());
  }
}

TEST_CASE_FIXTURE(pair_fixture, "a TLS 1.2-only initiator is refused") {
  auto cert = tls::certificate::generate(alice_key);
  REQUIRE(cert);
  raw_peer client{true, TLS1_2_VERSION, &*cert};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  bob.handle_input(client.step({}));
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::protocol);
  CHECK(bob.failure()->message
        == "tls handshake failed: the remote does not offer TLS 1.3 "
           "(unsupported protocol)");
  auto alert = bob.take_output();
  CHECK_FALSE(alert.empty());
  int rc = 1;
  client.step(alert, &rc);
  CHECK(rc <= 0);
  bob.handle_input(hex("16030100"));
  CHECK(bob.failure()->message.find("unsupported") != std::string::npos);
}

TEST_CASE_FIXTURE(pair_fixture, "a TLS 1.2-only responder is refused") {
  auto cert = tls::certificate::generate(bob_key);
  REQUIRE(cert);
  raw_peer server{false, TLS1_2_VERSION, &*cert};
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now};
  alice.start();
  alice.handle_input(server.step(alice.take_output()));
  REQUIRE(alice.state() == status::failed);
  CHECK(alice.failure()->code == errc::protocol);
  CHECK(alice.failure()->message
        == "tls handshake failed: the remote sent alert \"protocol "
           "version\"");
}

TEST_CASE_FIXTURE(pair_fixture, "a foreign TLS 1.3 server sees no SNI and "
                                "requests the client certificate") {
  auto cert = tls::certificate::generate(bob_key);
  REQUIRE(cert);
  raw_peer server{false, TLS1_3_VERSION, &*cert};
  SSL_set_verify(server.native(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) {
    return 1; // accept anything: this peer only watches
  });
  tls::handshake alice{tls::role::initiator, alice_key, peer_of(bob_key),
                       test_now};
  alice.start();
  alice.handle_input(server.step(alice.take_output()));
  REQUIRE(alice.state() == status::done);
  CHECK(alice.remote_peer() == peer_of(bob_key));
  int rc = 0;
  server.step(alice.take_output(), &rc);
  CHECK(rc == 1);
  CHECK(SSL_version(server.native()) == TLS1_3_VERSION);
  CHECK(SSL_get_servername(server.native(), TLSEXT_NAMETYPE_host_name)
        == nullptr);
  X509* client_cert = SSL_get0_peer_certificate(server.native());
  REQUIRE(client_cert != nullptr);
  int len = i2d_X509(client_cert, nullptr);
  bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(client_cert, &p);
  CHECK(der == alice.local_certificate()->der());
}

TEST_CASE_FIXTURE(pair_fixture, "an initiator without a certificate is "
                                "refused") {
  raw_peer client{true, TLS1_3_VERSION, nullptr};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  bob.handle_input(client.step({}));
  REQUIRE(bob.state() == status::in_progress);
  bob.handle_input(client.step(bob.take_output()));
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::protocol);
  CHECK(bob.failure()->message
        == "tls handshake failed: the remote presented no certificate");
}

TEST_CASE_FIXTURE(pair_fixture, "a certificate chain of two is refused") {
  auto cert = tls::certificate::generate(alice_key);
  auto extra = tls::certificate::generate(alice_key);
  REQUIRE(cert);
  REQUIRE(extra);
  raw_peer client{true, TLS1_3_VERSION, &*cert, {extra->der()}};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  bob.handle_input(client.step({}));
  REQUIRE(bob.state() == status::in_progress);
  bob.handle_input(client.step(bob.take_output()));
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::protocol);
  CHECK(bob.failure()->message
        == "expected exactly one certificate, the remote sent 2");
}

TEST_CASE_FIXTURE(pair_fixture, "a foreign client offering no ALPN is "
                                "served without one") {
  auto cert = tls::certificate::generate(alice_key);
  REQUIRE(cert);
  raw_peer client{true, TLS1_3_VERSION, &*cert, {}, ""};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  bob.handle_input(client.step({}));
  bob.handle_input(client.step(bob.take_output()));
  REQUIRE(bob.state() == status::done);
  CHECK(bob.selected_alpn().empty());
  CHECK(bob.remote_peer() == peer_of(alice_key));
}

TEST_CASE_FIXTURE(pair_fixture, "garbage instead of a handshake is refused") {
  SUBCASE("random bytes to the responder") {
    tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
    bob.handle_input(hex("8c5d31f7a0e2b94c6d10ff3a29b7c4e5"));
    REQUIRE(bob.state() == status::failed);
    CHECK(bob.failure()->code == errc::protocol);
    CHECK(contains(bob.failure()->message, "tls handshake failed: "));
  }
  SUBCASE("an HTTP request to the responder") {
    tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
    bob.handle_input(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(bob.state() == status::failed);
    CHECK(bob.failure()->message == "tls handshake failed: http request");
  }
  SUBCASE("random bytes to the initiator") {
    tls::handshake alice{tls::role::initiator, alice_key, std::nullopt,
                         test_now};
    alice.start();
    CHECK_FALSE(alice.take_output().empty());
    alice.handle_input(hex("8c5d31f7a0e2b94c6d10ff3a29b7c4e5"));
    REQUIRE(alice.state() == status::failed);
    CHECK(alice.failure()->code == errc::protocol);
    CHECK(contains(alice.failure()->message, "tls handshake failed: "));
    // Later input is ignored; the failure stays.
    auto before = alice.failure()->message;
    alice.handle_input(hex("16030300"));
    CHECK(alice.failure()->message == before);
  }
}

TEST_CASE_FIXTURE(pair_fixture, "a never-ending handshake is cut at the "
                                "input bound") {
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  // A ClientHello declaring 100000 bytes (OpenSSL accepts up to 128 KiB),
  // fragmented over 16 KiB handshake records.
  bytes first = hex("16030140 00"
                    "010186a0");
  first.resize(5 + 16384, 0x00);
  bob.handle_input(first);
  REQUIRE(bob.state() == status::in_progress);
  bytes next = hex("16030140 00");
  next.resize(5 + 16384, 0x00);
  for (int i = 0; i < 4 && bob.state() == status::in_progress; ++i)
    bob.handle_input(next);
  REQUIRE(bob.state() == status::failed);
  CHECK(bob.failure()->code == errc::too_large);
  CHECK(contains(bob.failure()->message, "over the 65536-byte bound"));
}

TEST_CASE_FIXTURE(pair_fixture, "finish is refused before completion and "
                                "after the first time") {
  tls::handshake alice{tls::role::initiator, alice_key, std::nullopt, test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  auto early = alice.finish();
  REQUIRE_FALSE(early);
  CHECK(early.error().message == "tls handshake is still in progress");
  run(alice, bob);
  REQUIRE(alice.finish());
  auto again = alice.finish();
  REQUIRE_FALSE(again);
  CHECK(again.error().message == "tls handshake already finished");
}

TEST_CASE_FIXTURE(pair_fixture, "close_notify ends the stream") {
  tls::handshake alice{tls::role::initiator, alice_key, std::nullopt, test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  run(alice, bob);
  auto a = alice.finish();
  auto b = bob.finish();
  REQUIRE(a);
  REQUIRE(b);
  bytes wire;
  a->encrypt(as_bytes("last words"), wire);
  a->close(wire);
  bytes after;
  a->encrypt(as_bytes("ignored"), after);
  CHECK(after.empty());
  bytes plain;
  REQUIRE(b->decrypt(wire, plain));
  CHECK(std::string(plain.begin(), plain.end()) == "last words");
  CHECK(b->remote_closed());
  CHECK_FALSE(a->remote_closed());
}

TEST_CASE_FIXTURE(pair_fixture, "a tampered record fails the session") {
  tls::handshake alice{tls::role::initiator, alice_key, std::nullopt, test_now};
  tls::handshake bob{tls::role::responder, bob_key, std::nullopt, test_now};
  run(alice, bob);
  auto a = alice.finish();
  auto b = bob.finish();
  REQUIRE(a);
  REQUIRE(b);
  bytes wire;
  a->encrypt(as_bytes("first"), wire);
  auto first_size = wire.size();
  a->encrypt(as_bytes("second"), wire);
  wire[first_size + 7] ^= 0x40; // inside the second record's ciphertext
  bytes plain;
  auto ok = b->decrypt(wire, plain);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::protocol);
  CHECK(contains(ok.error().message, "tls record failed: "));
  CHECK(std::string(plain.begin(), plain.end()) == "first");
  CHECK(b->failure());
  bytes more;
  CHECK_FALSE(b->decrypt({}, more)); // sticky
  // The alert it queued tells alice.
  auto alert = b->take_output();
  CHECK_FALSE(alert.empty());
  CHECK_FALSE(a->decrypt(alert, more));
}
