// Multiaddr golden vectors (text <-> binary, both ways) and helpers.

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "canswarm/multiformats/multiaddr.hpp"

using namespace canswarm;

namespace {

// The sha256 peer id used by the go/rust multiaddr test suites, and its
// multihash with the varint length prefix /p2p values carry:
// 22 = 34 bytes, 12 = sha2-256, 20 = 32-byte digest.
const std::string qm_peer = "QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC";
const std::string qm_peer_value
  = "22 1220 d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b";

// The Ed25519 peer id of the peer-ids spec test key: 26 = 38 bytes,
// 00 = identity, 24 = 36-byte digest, then the PublicKey protobuf.
const std::string ed_peer = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3"
                            "pq";
const std::string ed_peer_value = "26 0024 0801 1220 "
                                  "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cac"
                                  "f6010f0e42d474fce27e";

void check_both_ways(const std::string& text, const std::string& hex_text) {
  CAPTURE(text);
  auto binary = hex(hex_text);
  auto parsed = multiaddr::parse(text);
  REQUIRE_MESSAGE(parsed, parsed.error().describe());
  CHECK(to_hex(parsed->to_bytes()) == to_hex(binary));
  auto decoded = multiaddr::from_bytes(binary);
  REQUIRE_MESSAGE(decoded, decoded.error().describe());
  CHECK(decoded->to_string() == text);
  CHECK(*decoded == *parsed);
}

} // namespace

TEST_CASE("multiaddrs match the go and rust multiaddr vectors both ways") {
  // 04 = ip4, 91 02 = udp (273), 06 = tcp, 04 d2 = port 1234.
  check_both_ways("/ip4/127.0.0.1/udp/1234", "04 7f000001 9102 04d2");
  check_both_ways("/ip4/127.0.0.1/tcp/4321", "04 7f000001 06 10e1");
  check_both_ways("/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321",
                  "04 7f000001 9102 04d2 04 7f000001 06 10e1");
  check_both_ways("/ip4/1.2.3.4", "04 01020304");
  check_both_ways("/ip4/0.0.0.0", "04 00000000");
  // 29 = ip6 (41), 16 bytes.
  check_both_ways("/ip6/::1", "29 00000000000000000000000000000001");
  check_both_ways("/ip6/2601:9:4f81:9700:803e:ca65:66e8:c21",
                  "29 260100094f819700803eca6566e80c21");
  check_both_ways("/udp/0", "9102 0000");
  check_both_ways("/tcp/0", "06 0000");
  check_both_ways("/udp/65535", "9102 ffff");
  check_both_ways("/tcp/65535", "06 ffff");
  // a5 03 = p2p (421), then the length-prefixed multihash.
  check_both_ways("/p2p/" + qm_peer, "a503 " + qm_peer_value);
  check_both_ways("/p2p/" + qm_peer + "/tcp/1234",
                  "a503 " + qm_peer_value + " 06 04d2");
  check_both_ways("/ip4/127.0.0.1/p2p/" + qm_peer + "/tcp/1234",
                  "04 7f000001 a503 " + qm_peer_value + " 06 04d2");
  // dd 03 = ws (477), de 03 = wss (478), no value.
  check_both_ways("/ip6/2001:8a0:7ac5:4201:3ac9:86ff:fe31:7095/tcp/8000/ws/"
                  "p2p/"
                    + qm_peer,
                  "29 200108a07ac542013ac986fffe317095 06 1f40 dd03 a503 "
                    + qm_peer_value);
  check_both_ways("/ip6/2001:8a0:7ac5:4201:3ac9:86ff:fe31:7095/tcp/8000/wss/"
                  "p2p/"
                    + qm_peer,
                  "29 200108a07ac542013ac986fffe317095 06 1f40 de03 a503 "
                    + qm_peer_value);
  // a2 02 = p2p-circuit (290), no value.
  check_both_ways("/ip4/127.0.0.1/tcp/9090/p2p-circuit/p2p/" + qm_peer,
                  "04 7f000001 06 2382 a202 a503 " + qm_peer_value);
  check_both_ways("/ip4/127.0.0.1/tcp/127/ws", "04 7f000001 06 007f dd03");
}

TEST_CASE("dns, quic, unix and identity peer ids round-trip") {
  // 36 = dns4 (54), 0b = 11-byte name.
  check_both_ways("/dns4/example.com/tcp/443",
                  "36 0b 6578616d706c652e636f6d 06 01bb");
  // 37 = dns6 (55), cc 03 = quic (460).
  check_both_ways("/dns6/localhost/udp/53/quic",
                  "37 09 6c6f63616c686f7374 9102 0035 cc03");
  // 35 = dns (53), 13 = 19-byte name.
  check_both_ways("/dns/bootstrap.libp2p.io/tcp/443/wss",
                  "35 13 626f6f7473747261702e6c69627032702e696f 06 01bb "
                  "de03");
  // cd 03 = quic-v1 (461).
  check_both_ways("/ip4/1.2.3.4/udp/4001/quic-v1",
                  "04 01020304 9102 0fa1 cd03");
  // 90 03 = unix (400), 12 = 18-byte path including its leading '/'.
  check_both_ways("/unix/tmp/canswarm.sock",
                  "9003 12 2f746d702f63616e737761726d2e736f636b");
  check_both_ways("/ip4/127.0.0.1/tcp/4001/p2p/" + ed_peer + "/p2p-circuit/p2p/"
                    + qm_peer,
                  "04 7f000001 06 0fa1 a503 " + ed_peer_value + " a202 a503 "
                    + qm_peer_value);
}

TEST_CASE("text parsing normalises aliases and alternative spellings") {
  // /ipfs/ is the old name of /p2p/; it renders as /p2p/.
  auto a = multiaddr::parse("/ip4/1.2.3.4/tcp/1/ipfs/" + qm_peer);
  REQUIRE(a);
  CHECK(a->to_string() == "/ip4/1.2.3.4/tcp/1/p2p/" + qm_peer);
  // A CIDv1 peer id parses to the same binary value, rendered as base58btc.
  auto cid = multiaddr::parse("/p2p/bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tj"
                              "odrypfm6yaq6dsc2r2pzyt6");
  REQUIRE_MESSAGE(cid, cid.error().describe());
  CHECK(cid->to_string() == "/p2p/" + ed_peer);
  // ip6 text is compressed on output.
  auto six = multiaddr::parse("/ip6/0:0:0:0:0:0:0:1/tcp/80");
  REQUIRE(six);
  CHECK(six->to_string() == "/ip6/::1/tcp/80");
  // A unix path keeps its inner slashes.
  auto u = multiaddr::parse("/ip4/1.2.3.4/tcp/80/unix/a/b/c");
  REQUIRE(u);
  CHECK(u->value_of("unix") == "/a/b/c");
  CHECK(u->to_string() == "/ip4/1.2.3.4/tcp/80/unix/a/b/c");
}

TEST_CASE("components, value_of and the p2p helpers see the right parts") {
  auto a = multiaddr::parse("/ip4/10.0.0.1/tcp/4001/p2p/" + qm_peer);
  REQUIRE(a);
  auto parts = a->components();
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].code == 4);
  CHECK(parts[0].name == "ip4");
  CHECK(to_hex(parts[0].value) == "0a000001");
  CHECK(parts[1].name == "tcp");
  CHECK(to_hex(parts[1].value) == "0fa1");
  CHECK(parts[2].code == 421);
  CHECK(to_hex(parts[2].value) == to_hex(hex(qm_peer_value.substr(3))));
  CHECK(a->value_of("ip4") == "10.0.0.1");
  CHECK(a->value_of("tcp") == "4001");
  CHECK(a->value_of("p2p") == qm_peer);
  CHECK(a->value_of("ipfs") == qm_peer);
  CHECK(a->value_of("udp") == std::nullopt);
  CHECK(a->value_of("nonsense") == std::nullopt);
  CHECK(a->peer_id_bytes() == hex(qm_peer_value.substr(3)));
  auto transport = a->decapsulate_p2p();
  CHECK(transport.to_string() == "/ip4/10.0.0.1/tcp/4001");
  CHECK(transport.peer_id_bytes() == std::nullopt);
  CHECK(transport.decapsulate_p2p() == transport);
  auto id = multiaddr::parse("/p2p/" + qm_peer);
  REQUIRE(id);
  CHECK(transport.encapsulate(*id) == *a);
  CHECK(multiaddr{}.empty());
  CHECK_FALSE(a->empty());
  auto quic = multiaddr::parse("/ip4/1.2.3.4/udp/1/quic-v1");
  REQUIRE(quic);
  CHECK(quic->value_of("quic-v1") == "");
}

TEST_CASE("the peer id of a relayed address is the last /p2p component") {
  auto a = multiaddr::parse("/ip4/1.2.3.4/tcp/1/p2p/" + ed_peer
                            + "/p2p-circuit/p2p/" + qm_peer);
  REQUIRE(a);
  CHECK(a->peer_id_bytes() == hex(qm_peer_value.substr(3)));
  CHECK(a->decapsulate_p2p().to_string()
        == "/ip4/1.2.3.4/tcp/1/p2p/" + ed_peer + "/p2p-circuit");
}

TEST_CASE("mutated binary addresses never crash and accepted ones round-trip "
          "through text") {
  const char* seeds[] = {
    "047f000001910204d2",
    "29200108a07ac542013ac986fffe317095061f40dd03a503221220d52ebb89d85b02a2"
    "84948203a62ff28389c57c9f42beec4ec20db76a68911c0b",
    "360b6578616d706c652e636f6d0601bb",
    "9003122f746d702f63616e737761726d2e736f636b",
    "047f0000010623 82a202a5032600240801122"
    "01ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e",
  };
  std::mt19937 rng{20240601}; // Seeded: the run is reproducible.
  int accepted = 0;
  for (const char* seed : seeds) {
    auto base = hex(seed);
    for (int i = 0; i < 2000; ++i) {
      auto input = base;
      // Flip, drop or insert a few bytes.
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        auto pos = input.empty() ? 0 : rng() % input.size();
        switch (rng() % 3) {
          case 0:
            if (!input.empty())
              input[pos] = static_cast<std::uint8_t>(rng());
            break;
          case 1:
            if (!input.empty())
              input.erase(input.begin() + static_cast<std::ptrdiff_t>(pos));
            break;
          default:
            input.insert(input.begin() + static_cast<std::ptrdiff_t>(pos),
                         static_cast<std::uint8_t>(rng()));
        }
      }
      auto decoded = multiaddr::from_bytes(input);
      if (!decoded)
        continue;
      ++accepted;
      auto text = decoded->to_string();
      CAPTURE(text);
      auto reparsed = multiaddr::parse(text);
      REQUIRE_MESSAGE(reparsed, reparsed.error().describe());
      CHECK(reparsed->to_bytes() == input);
    }
  }
  CHECK(accepted > 100); // The mutations do reach the accepting paths.
}
