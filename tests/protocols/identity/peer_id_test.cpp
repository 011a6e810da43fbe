// Peer ids: the peer-ids spec keys with their expected ids (base58btc and
// CIDv1), parsing both forms, and bad ids.

#include <doctest/doctest.h>

#include <string>
#include <unordered_set>

#include "canswarm/identity/peer_id.hpp"
#include "spec_vectors.hpp"

using namespace canswarm;
using namespace canswarm::identity;

TEST_CASE("peer ids of the spec keys match their known text forms") {
  struct vec {
    const char* key;
    const char* base58;
    const char* cid;
    bool inlined;
  };
  // Expected ids as computed by rust-libp2p/go-libp2p for the spec keys.
  vec vectors[] = {
    // 36-byte protobuf <= 42: identity multihash.
    {spec_vectors::ed25519_public,
     "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
     "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6", true},
    // 37 bytes: identity multihash.
    {spec_vectors::secp256k1_public,
     "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
     "bafzaajiiaijcca3xo7uzjzcsyilaj6i54cj44qk7kqzpoao5rti2pjx6udtdbp6kte",
     true},
    // 95 bytes > 42: sha2-256.
    {spec_vectors::ecdsa_public,
     "QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk",
     "bafzbeidigywdclqvl5hxfefwp5onbffcfife7pza57mmfb4tiqmtkdjw64", false},
    // 555 bytes: sha2-256.
    {spec_vectors::rsa_public, "QmaeANgBs1DTSxWSrPPtobgQuxW8XTfsS4ydbK4rCHzqxG",
     "bafzbeifwzcumbiyql7bhv7fe7mixg6i7aohegq75k234m63bnw6dbicmzu", false},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.base58);
    auto key = public_key::from_protobuf(hex(v.key));
    REQUIRE_MESSAGE(key, key.error().describe());
    auto id = peer_id::from_public_key(*key);
    CHECK(id.to_string() == v.base58);
    CHECK(id.to_cid_string() == v.cid);
    CHECK(id.matches(*key));
    // Both text forms parse back to the same id.
    auto from_base58 = peer_id::parse(v.base58);
    REQUIRE_MESSAGE(from_base58, from_base58.error().describe());
    CHECK(*from_base58 == id);
    auto from_cid = peer_id::parse(v.cid);
    REQUIRE_MESSAGE(from_cid, from_cid.error().describe());
    CHECK(*from_cid == id);
    auto from_bytes = peer_id::from_bytes(id.to_bytes());
    REQUIRE(from_bytes);
    CHECK(*from_bytes == id);
    // Only inlined keys can be recovered from the id.
    auto extracted = id.extract_public_key();
    CHECK(extracted.has_value() == v.inlined);
    if (extracted)
      CHECK(*extracted == *key);
  }
}

TEST_CASE("an Ed25519 peer id is the identity multihash of the key protobuf") {
  auto key = public_key::from_protobuf(hex(spec_vectors::ed25519_public));
  REQUIRE(key);
  // 00 = identity, 24 = 36 bytes, then the PublicKey protobuf itself.
  CHECK(to_hex(peer_id::from_public_key(*key).to_bytes())
        == std::string{"0024"} + spec_vectors::ed25519_public);
}

TEST_CASE("a libp2p keypair encoding maps to its peer id (rust-libp2p)") {
  // base64 "CAESQL6vdKQu..." from rust-libp2p's keypair tests, in hex.
  auto key = private_key::from_protobuf(
    hex("08011240beaf74a42ece7428b13ad6ec5588f40b7e5d7ec405fd019d92e16fac3e"
        "37e5d241275f22797a73b53836ec5726584a711065070f5dd2d8f675f04855fea6"
        "70f0"));
  REQUIRE(key);
  CHECK(peer_id::from_public_key(key->public_key()).to_string()
        == "12D3KooWEChVMMMzV8acJ53mJHrw1pQ27UAGkCxWXLJutbeUMvVu");
}

TEST_CASE("the spec's example sha256 peer id parses in both forms") {
  auto a = peer_id::parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
  auto b = peer_id::parse(
    "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(b->to_string() == "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
  CHECK_FALSE(a->extract_public_key().has_value());
}

TEST_CASE("generated keys get 12D3KooW peer ids that round-trip") {
  auto key = private_key::generate_ed25519();
  auto id = peer_id::from_public_key(key.public_key());
  CHECK(id.to_string().rfind("12D3KooW", 0) == 0);
  auto parsed = peer_id::parse(id.to_string());
  REQUIRE(parsed);
  CHECK(*parsed == id);
  CHECK(parsed->matches(key.public_key()));
  CHECK_FALSE(parsed->matches(private_key::generate_ed25519().public_key()));
}

TEST_CASE("peer ids work as keys of hashed and ordered containers") {
  auto a = peer_id::from_public_key(
    private_key::generate_ed25519().public_key());
  auto b = peer_id::from_public_key(
    private_key::generate_ed25519().public_key());
  std::unordered_set<peer_id> set{a, b, a};
  CHECK(set.size() == 2);
  CHECK((a < b) != (b < a));
  CHECK(std::hash<peer_id>{}(a)
        == std::hash<peer_id>{}(*peer_id::parse(a.to_string())));
}

TEST_CASE("bad peer ids are refused with the reason") {
  auto fails = [](const std::string& text, const std::string& message) {
    CAPTURE(text);
    auto r = peer_id::parse(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK(r.error().message == message);
  };
  fails("", "bad peer id '': peer id text is empty");
  fails("Qm0", "bad peer id 'Qm0': invalid base58 character '0' at offset 2");
  fails("xyz", "bad peer id 'xyz': unsupported multibase prefix 'x' "
               "(expected 'b' or 'z')");
  // A sha2-256 multihash with a 3-byte digest ("QmYy..." truncated shapes).
  auto short_digest = peer_id::from_bytes(hex("1203 010203"));
  REQUIRE_FALSE(short_digest);
  CHECK(short_digest.error().message
        == "peer id: sha2-256 digest must be 32 bytes, got 3");
  // 13 = sha2-512 is not a peer id hash.
  auto other_code = peer_id::from_bytes(hex("1301 00"));
  REQUIRE_FALSE(other_code);
  CHECK(other_code.error().message
        == "peer id: multihash code 0x13 is neither identity nor sha2-256");
  // An identity multihash must hold a public key protobuf.
  auto not_key = peer_id::from_bytes(hex("0003 616263"));
  REQUIRE_FALSE(not_key);
  CHECK(not_key.error().message
        == "peer id: inlined key: PublicKey protobuf: unknown field 12 (wire "
           "type 1)");
  // An identity multihash over 42 bytes should have been hashed.
  bytes big = hex("002b");
  big.resize(2 + 43, 0);
  auto too_big = peer_id::from_bytes(big);
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().message
        == "peer id: identity multihash of 43 bytes, over the 42-byte inline "
           "limit");
  auto truncated = peer_id::from_bytes(hex("1220 0102"));
  REQUIRE_FALSE(truncated);
  CHECK(truncated.error().message
        == "peer id: multihash digest truncated: length 32, 2 bytes present");
}
