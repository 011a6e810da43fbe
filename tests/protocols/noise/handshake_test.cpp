#include <doctest/doctest.h>

#include <string>

#include "canswarm/noise/handshake.hpp"
#include "canswarm/noise/handshake_state.hpp"
#include "canswarm/noise/payload.hpp"
#include "noise_fixtures.hpp"

using namespace canswarm;
using namespace canswarm::noise;
using namespace noise_test;

namespace {

// The keys of libp2p_vector.py.
handshake make_initiator(std::optional<peer_id> expected = std::nullopt) {
  return handshake{role::initiator, identity_from(0x00), seq32(0x40),
                   seq32(0x60), std::move(expected)};
}

handshake make_responder() {
  handshake h{role::responder, identity_from(0x20), seq32(0x80), seq32(0xa0)};
  h.set_local_extensions(extensions{{}, {"/yamux/1.0.0"}});
  return h;
}

// Golden transcript computed independently by libp2p_vector.py (Python
// `cryptography`), each line a frame: 2-byte length, then the Noise message.
// clang-format off
// -> e: the 32-byte ephemeral key, empty payload.
const char* golden_msg1 =
  "0020"
  "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f";
// <- e, ee, s, es + payload (identity key, signature, "/yamux/1.0.0"):
// length 216 = e (32) + encrypted s (32 + 16 tag) + payload (120 + 16 tag).
const char* golden_msg2
  = "00d8"
    "605a725d2a4adfeeb1a29e17edd621c1b7593ee8cdbc44ac6c4ab6e2f805d23c"
    "f6cee5f1111678a2ffcc9db40937573bcf83b06f402bdd88f6108a67232108ad"
    "cf6f23165ad83bb4aed993b02b9eb073"
    "ab502cd8596b5705c33b27f67670624f5dc0f17b7d2adc8bb660a4410c3210e5"
    "05df623cfeecc8da78a99b2a9c3ce06d020334bfffbee618e92757066a30c497"
    "922f28a703c678dfb49204bac64bf962d3665be74d295f8ce132051d3ee03f4c"
    "26b23d94d4359df63772b23f215f688a766cc764b6c3f308"
    "4887e73e7f64c49b479d31d5e4afc8cc";
// -> s, se + payload (identity key, signature): length 168 = encrypted s
// (32 + 16 tag) + payload (104 + 16 tag).
const char* golden_msg3
  = "00a8"
    "5243da933f3d72200be582808c0aa22058b27dc7760f0af85e2b96cb1ba4d34c"
    "ef721a07ab7b78af7cca886dc357cc28"
    "a73c67edd50f060fcc02ef1efb28db6e219a2f68a0310cbb6c7f36b463557296"
    "6ae7bc8c5f1cfd492cfbb53404d8ab2e106b05a39ce18aabd34a607cecbfa878"
    "fa55017bcffda67efc6e01e0f591e6909b5b2eed5d0f0d2eb03967d6bf25c430"
    "9e00e9b0b19a59d1"
    "ce308610519bf94a63d720fc9f8302aa";
// The final handshake hash h.
const char* golden_hash =
  "1bf38eec66449673a411d318b3b47d11ba0e8f45c9510114f730fdb20c6eba4f";
// clang-format on
// Transport frames: "hello" initiator -> responder, "world" back (nonce 0).
const char* golden_hello = "0015058e5fe9495240f492f1af4395e4a7802146bf0784";
const char* golden_world = "0015ab7bef6fc5425f77f0a3f221fc38974fc0cbeaf0a1";

// A responder built from the bare Noise layer, so tests choose its payload.
struct fake_responder {
  handshake_state noise{role::responder,
                        {},
                        x25519_keypair::from_secret(seq32(0x80)),
                        x25519_keypair::from_secret(seq32(0xa0))};

  // Reads the initiator's message 1 frame, returns message 2 framed.
  bytes respond(const bytes& msg1_frame, bytes_view payload) {
    bytes ignored;
    REQUIRE(noise.read_message(unframed(msg1_frame), ignored));
    bytes msg;
    REQUIRE(noise.write_message(payload, msg));
    return framed(msg);
  }

  // A payload signed by `signer` over this responder's static key.
  bytes payload_from(const identity::private_key& signer) {
    auto msg = to_bytes(static_key_prefix);
    append(msg, x25519_keypair::from_secret(seq32(0x80)).public_key);
    auto encoded = encode_payload(
      {signer.public_key().to_protobuf(), signer.sign(msg), std::nullopt});
    REQUIRE(encoded);
    return *encoded;
  }
};

// Runs an initiator against a fake responder sending `payload`.
handshake run_against(fake_responder& fake, bytes_view payload,
                      std::optional<peer_id> expected = std::nullopt) {
  auto init = make_initiator(std::move(expected));
  init.start();
  init.handle_input(fake.respond(init.take_output(), payload));
  return init;
}

} // namespace

TEST_CASE("the libp2p handshake matches the golden transcript both ways") {
  auto init = make_initiator(peer_of(identity_from(0x20)));
  auto resp = make_responder();
  init.start();
  resp.start();
  CHECK(resp.take_output().empty()); // the responder speaks second
  auto msg1 = init.take_output();
  CHECK(to_hex(msg1) == golden_msg1);
  resp.handle_input(hex(golden_msg1));
  auto msg2 = resp.take_output();
  CHECK(to_hex(msg2) == to_hex(hex(golden_msg2)));
  init.handle_input(hex(golden_msg2));
  REQUIRE(init.state() == handshake::status::done);
  auto msg3 = init.take_output();
  CHECK(to_hex(msg3) == to_hex(hex(golden_msg3)));
  // Message 3 and the first transport frame arrive together.
  auto flight = hex(golden_msg3);
  append(flight, hex(golden_hello));
  resp.handle_input(flight);
  REQUIRE(resp.state() == handshake::status::done);
  CHECK(to_hex(init.handshake_hash()) == golden_hash);
  CHECK(to_hex(resp.handshake_hash()) == golden_hash);

  CHECK(init.remote_peer() == peer_of(identity_from(0x20)));
  CHECK(resp.remote_peer() == peer_of(identity_from(0x00)));
  CHECK(init.remote_public_key() == identity_from(0x20).public_key());
  CHECK(resp.remote_public_key() == identity_from(0x00).public_key());
  REQUIRE(init.remote_extensions().has_value());
  CHECK(init.remote_extensions()->stream_muxers
        == std::vector<std::string>{"/yamux/1.0.0"});
  CHECK_FALSE(resp.remote_extensions().has_value());

  auto init_session = init.finish();
  auto resp_session = resp.finish();
  REQUIRE(init_session);
  REQUIRE(resp_session);
  bytes hello;
  init_session->encrypt(to_bytes("hello"), hello);
  CHECK(to_hex(hello) == golden_hello);
  bytes plain;
  REQUIRE(resp_session->decrypt(resp.take_remaining(), plain));
  CHECK(plain == to_bytes("hello"));
  bytes world;
  resp_session->encrypt(to_bytes("world"), world);
  CHECK(to_hex(world) == golden_world);
  plain.clear();
  REQUIRE(init_session->decrypt(world, plain));
  CHECK(plain == to_bytes("world"));
}

TEST_CASE("a tampered identity signature fails the handshake") {
  fake_responder fake;
  auto payload = decode_payload(fake.payload_from(identity_from(0x20)));
  REQUIRE(payload);
  payload->identity_sig[10] ^= 0x40;
  auto encoded = encode_payload(*payload);
  REQUIRE(encoded);
  auto init = run_against(fake, *encoded);
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::crypto);
  CHECK(init.failure()->message
        == "noise remote identity signature over the static key does not "
           "verify: Ed25519 signature does not verify");
  CHECK_FALSE(init.remote_peer().has_value());
  CHECK(init.take_output().empty()); // no message 3
  CHECK_FALSE(init.finish());
}

TEST_CASE("a remote with another peer id than dialed fails, naming both") {
  auto dialed = peer_of(identity_from(0x55));
  auto actual = peer_of(identity_from(0x20));
  auto init = make_initiator(dialed);
  auto resp = make_responder();
  init.start();
  resp.handle_input(init.take_output());
  init.handle_input(resp.take_output());
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::crypto);
  CHECK(init.failure()->message
        == "peer id mismatch: dialed " + dialed.to_string() + ", remote is "
             + actual.to_string());
  auto f = init.finish();
  REQUIRE_FALSE(f);
  CHECK(f.error().message == init.failure()->message);
}

TEST_CASE("a short first handshake message is malformed") {
  auto resp = make_responder();
  resp.start();
  resp.handle_input(hex("0005 68656c6c6f"));
  REQUIRE(resp.state() == handshake::status::failed);
  CHECK(resp.failure()->code == errc::malformed);
  CHECK(resp.failure()->message
        == "noise handshake message 1 is 5 bytes, too short for its "
           "ephemeral key");
  // Input after a failure is ignored.
  resp.handle_input(hex(golden_msg1));
  CHECK(resp.state() == handshake::status::failed);
  CHECK(resp.take_output().empty());
}

TEST_CASE("garbage in place of message 2 fails authentication") {
  auto init = make_initiator();
  init.start();
  (void)init.take_output();
  bytes garbage(200);
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<std::uint8_t>(i * 7 + 3);
  init.handle_input(framed(garbage));
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::crypto);
  CHECK(init.failure()->message
        == "noise handshake message 2 static key: noise ciphertext failed "
           "authentication (AEAD tag mismatch)");
}

TEST_CASE("a first message with trailing junk is a protocol error") {
  auto resp = make_responder();
  auto msg = hex(golden_msg1);
  msg.erase(msg.begin(), msg.begin() + 2);
  append(msg, to_bytes("junk"));
  resp.handle_input(framed(msg));
  REQUIRE(resp.state() == handshake::status::failed);
  CHECK(resp.failure()->code == errc::protocol);
  CHECK(resp.failure()->message
        == "noise handshake message 1 carries 4 unexpected payload bytes "
           "after the ephemeral key");
  CHECK(resp.take_output().empty());
}

TEST_CASE("a second message with trailing junk fails authentication") {
  auto init = make_initiator();
  init.start();
  auto msg = unframed(hex(golden_msg2));
  msg.push_back(0x00);
  init.handle_input(framed(msg));
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::crypto);
  CHECK(init.failure()->message
        == "noise handshake message 2 payload: noise ciphertext failed "
           "authentication (AEAD tag mismatch)");
}

TEST_CASE("a third message with trailing junk fails authentication") {
  auto init = make_initiator();
  auto resp = make_responder();
  init.start();
  resp.handle_input(init.take_output());
  init.handle_input(resp.take_output());
  auto msg = unframed(init.take_output());
  append(msg, to_bytes("xyz"));
  resp.handle_input(framed(msg));
  REQUIRE(resp.state() == handshake::status::failed);
  CHECK(resp.failure()->code == errc::crypto);
  CHECK(resp.failure()->message.starts_with("noise handshake message 3 "
                                            "payload:"));
  CHECK_FALSE(resp.remote_peer().has_value());
}

TEST_CASE("a Secp256k1 identity whose signature is not DER is refused") {
  fake_responder fake;
  // A libp2p PublicKey protobuf of type Secp256k1 (2) with a 33-byte
  // compressed point (the generator), and 64 bytes that are no DER signature.
  auto key = hex(
    "0802 1221 02"
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  auto encoded = encode_payload({key, bytes(64, 0x11), std::nullopt});
  REQUIRE(encoded);
  auto init = run_against(fake, *encoded);
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::crypto);
  CHECK(init.failure()->message
        == "noise remote identity signature over the static key does not "
           "verify: Secp256k1 signature is not a strict DER ECDSA signature");
  CHECK_FALSE(init.remote_peer().has_value());
}

TEST_CASE("a handshake payload over the bound is refused") {
  fake_responder fake;
  bytes huge(max_payload_size + 1, 0);
  auto init = run_against(fake, huge);
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::too_large);
  CHECK(init.failure()->message
        == "noise handshake payload of 16385 bytes is over the 16384-byte "
           "limit");
}

TEST_CASE("a payload that is not a protobuf is malformed") {
  fake_responder fake;
  auto init = run_against(fake, hex("ffffffff"));
  REQUIRE(init.state() == handshake::status::failed);
  CHECK(init.failure()->code == errc::malformed);
}

TEST_CASE("an all-zero ephemeral key is rejected") {
  auto resp = make_responder();
  resp.handle_input(framed(bytes(32, 0)));
  REQUIRE(resp.state() == handshake::status::failed);
  CHECK(resp.failure()->code == errc::crypto);
  CHECK(resp.failure()->message.find("all-zero shared secret")
        != std::string::npos);
  CHECK(resp.take_output().empty());
}

TEST_CASE("finish yields one session, only once the handshake is done") {
  auto init = make_initiator();
  auto resp = make_responder();
  init.start();
  auto early = init.finish();
  REQUIRE_FALSE(early);
  CHECK(early.error().code == errc::invalid_argument);
  CHECK(init.take_remaining().empty());
  resp.handle_input(init.take_output());
  init.handle_input(resp.take_output());
  REQUIRE(init.state() == handshake::status::done);
  REQUIRE(init.finish());
  auto again = init.finish();
  REQUIRE_FALSE(again);
  CHECK(again.error().message == "noise handshake already finished");
}
