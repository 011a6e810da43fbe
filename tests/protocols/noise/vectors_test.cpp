// Noise_XX_25519_ChaChaPoly_SHA256 test vectors.
//
// Sources (copied as data, JSON fields named below):
//  - "cacophony": the Cacophony (Haskell) vector set as shipped in
//    github.com/mcginty/snow tests/vectors/cacophony.txt (commit 8ac60f5),
//    entry protocol_name "Noise_XX_25519_ChaChaPoly_SHA256".
//  - "snow": github.com/mcginty/snow tests/vectors/snow.txt (same commit),
//    entry protocol_name "Noise_XX_25519_ChaChaPoly_SHA256".
// Messages alternate initiator, responder, initiator, ... in both files,
// including the transport messages after the three handshake messages.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "canswarm/noise/handshake_state.hpp"
#include "canswarm/noise/session.hpp"

using namespace canswarm;
using namespace canswarm::noise;

namespace {

struct message_vector {
  const char* payload;
  const char* ciphertext;
};

struct xx_vector {
  const char* name;
  const char* prologue;
  const char* init_static;
  const char* init_ephemeral;
  const char* resp_static;
  const char* resp_ephemeral;
  const char* handshake_hash; // empty when the file gives none
  std::vector<message_vector> messages;
};

key32 key(const char* text) {
  auto b = hex(text);
  REQUIRE(b.size() == 32);
  key32 k;
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

const xx_vector cacophony{
  "cacophony",
  "4a6f686e2047616c74", // "John Galt"
  "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
  "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
  "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
  {
    // -> e (32-byte ephemeral key, then the payload in clear)
    {"4c756477696720766f6e204d69736573",
     "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
     "4c756477696720766f6e204d69736573"},
    // <- e, ee, s, es (32 e + 48 encrypted s + payload + tag)
    {"4d757272617920526f746862617264",
     "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
     "81cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9"
     "bd5269c2f1e4f488ed8831161f19b781"
     "5528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"},
    // -> s, se (48 encrypted s + payload + tag)
    {"462e20412e20486179656b",
     "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8"
     "0ae475b9df0f169ae80a89be0865b57f"
     "58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
    // transport: initiator, responder, initiator
    {"4361726c204d656e676572",
     "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
    {"4a65616e2d426170746973746520536179",
     "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
    {"457567656e2042f6686d20766f6e2042617765726b",
     "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a5"
     "8502ae3f"},
  }};

const xx_vector
  snow{"snow",
       "5468657265206973206e6f20726967687420616e642077726f6e672e205468657265"
       "2773206f6e6c792066756e20616e6420626f72696e672e",
       "7dec208517a3b81a2861d7a71266d5d6dc944c5a8816634a86fe63198a0148ee",
       "a32daf21e93c0131495ce1d903181fde81cc46937daaeb990bae7c992709421e",
       "4d0aed5098e3b4ef20357e9f686ce66204c792b358da2e475017d6c485304881",
       "4eece0f195d026db035ff987597c429d3ad3bcc2944df37d649528951b2a27c5",
       "",
       {
         {"d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34",
          "f9fa868ba97ab8a2686deccfaad5a484ee10a5bb85e3d1dce015a84797f92818"
          "d03c489139e645d0711a3c9e810d776b46a84912463fafa87b884eebf242dc34"},
         {"d8190a92f7dc0c93dbea9118ba8055751fb7c6590c416ffbd419964132b99a85",
          "8c4e6fdb7d09d501a86f7eca5c234522751706ed409182c05cdf5f827d4dae47"
          "b81c6c5f43b025692c24391eefee725c17d8cb0fbe3e4abb8aedf42c4fd2592d"
          "4ea48ac08989d6ae8b4adae08b2c3408"
          "7c808c7aa55a63c02b0fab9e930612336bd43eaea04d3c670a0a146691aa9cc9"
          "d357872320dc735dbc48580cffb553db"},
         {"77891b19dcb92ef7c055b672c4a5aa7fdf1c84146b8b303459022729473ce254",
          "933ca6b5ed60df3df66121f0ab49a09e49efa45c613a86a3cecbf4c535cef2f8"
          "3f72b42837b18e3572f2fdc2b74c331e"
          "2368a545cef54bdca081678ab0e9dd5348122459e0c034c851984d88ce610963"
          "d43cde6cfe73a67fbd5a63e8bfca96d0"},
         {"d7efdf988072881941db045a42882433817555128fbf5663e56081712ec7d212",
          "54ef0ff0629e1aaa7685a2806ab111cba76b52331f2642276736f415868eacb6"
          "9ab2577f3bda0cbf72f879685f6ed25f"},
         {"dd7bf01a588bafb52c6cfba952e5d8fe35cc2b3f92b4730ae2474615157345ce",
          "356be70f110306d5c699bb834bb9d58d909e325924dfbec972e406e6f294dc63"
          "e1daebefe8a62a334facc8048ab4ad66"},
       }};

// Frames a raw Noise message the way noise-libp2p puts it on the wire.
bytes framed(const bytes& message) {
  bytes out{static_cast<std::uint8_t>(message.size() >> 8),
            static_cast<std::uint8_t>(message.size())};
  append(out, message);
  return out;
}

void check_vector(const xx_vector& v) {
  CAPTURE(v.name);
  auto prologue = hex(v.prologue);
  handshake_state init{role::initiator, prologue,
                       x25519_keypair::from_secret(key(v.init_static)),
                       x25519_keypair::from_secret(key(v.init_ephemeral))};
  handshake_state resp{role::responder, prologue,
                       x25519_keypair::from_secret(key(v.resp_static)),
                       x25519_keypair::from_secret(key(v.resp_ephemeral))};
  // Handshake messages, checked in both directions: the writer must produce
  // the vector's ciphertext, the reader must recover the vector's payload.
  for (std::size_t i = 0; i < xx_message_count; ++i) {
    CAPTURE(i);
    auto& writer = i % 2 == 0 ? init : resp;
    auto& reader = i % 2 == 0 ? resp : init;
    bytes message;
    REQUIRE(writer.write_message(hex(v.messages[i].payload), message));
    CHECK(to_hex(message) == to_hex(hex(v.messages[i].ciphertext)));
    bytes payload;
    REQUIRE(reader.read_message(hex(v.messages[i].ciphertext), payload));
    CHECK(to_hex(payload) == v.messages[i].payload);
  }
  REQUIRE(init.is_complete());
  REQUIRE(resp.is_complete());
  CHECK(init.handshake_hash() == resp.handshake_hash());
  if (*v.handshake_hash)
    CHECK(to_hex(init.handshake_hash()) == v.handshake_hash);
  CHECK(init.remote_static()
        == x25519_keypair::from_secret(key(v.resp_static)).public_key);
  CHECK(resp.remote_static()
        == x25519_keypair::from_secret(key(v.init_static)).public_key);
  // Transport messages through the noise-libp2p session: the framed output
  // is the vector's ciphertext behind a 2-byte big-endian length.
  auto init_ciphers = init.split();
  auto resp_ciphers = resp.split();
  REQUIRE(init_ciphers);
  REQUIRE(resp_ciphers);
  session init_session{std::move(init_ciphers->first),
                       std::move(init_ciphers->second)};
  session resp_session{std::move(resp_ciphers->first),
                       std::move(resp_ciphers->second)};
  for (std::size_t i = xx_message_count; i < v.messages.size(); ++i) {
    CAPTURE(i);
    auto& writer = i % 2 == 0 ? init_session : resp_session;
    auto& reader = i % 2 == 0 ? resp_session : init_session;
    bytes wire;
    writer.encrypt(hex(v.messages[i].payload), wire);
    CHECK(to_hex(wire) == to_hex(framed(hex(v.messages[i].ciphertext))));
    bytes plain;
    REQUIRE(reader.decrypt(framed(hex(v.messages[i].ciphertext)), plain));
    CHECK(to_hex(plain) == v.messages[i].payload);
  }
}

} // namespace

TEST_CASE("the cacophony XX_25519_ChaChaPoly_SHA256 vector matches both ways") {
  check_vector(cacophony);
}

TEST_CASE("the snow XX_25519_ChaChaPoly_SHA256 vector matches both ways") {
  check_vector(snow);
}

TEST_CASE("the protocol name fills the initial handshake hash unhashed") {
  // Noise spec 5.2: a name of exactly HASHLEN bytes is used as h directly.
  REQUIRE(protocol_name.size() == hash_size);
  symmetric_state st{protocol_name};
  CHECK(to_hex(st.handshake_hash()) == to_hex(as_bytes(protocol_name)));
}

TEST_CASE("the Noise HKDF matches RFC 5869 built from HMAC-SHA256") {
  // HKDF(ck, ikm, 2) of the Noise spec equals RFC 5869 HKDF-Extract with
  // salt = ck followed by HKDF-Expand with empty info. RFC 5869 test case 3
  // has an empty salt; with a 32-byte zero salt the PRK is the same (HMAC
  // pads keys with zeros), so its OKM is out1 || out2.
  key32 zero{};
  auto [out1, out2] = hkdf2(zero,
                            hex(
                              "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  bytes okm;
  append(okm, out1);
  append(okm, out2);
  CHECK(to_hex(okm).substr(0, 84)
        == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
           "9d201395faa4b61a96c8");
}
