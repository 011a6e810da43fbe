#include <doctest/doctest.h>

#include <string>

#include "canswarm/identify/peer_record.hpp"

using namespace canswarm;
namespace id = canswarm::identify;

namespace {

/// A distinct /ip4/10.x.y.z/tcp/4001 address for every n.
bytes fresh_address(std::uint32_t n) {
  return {0x04,
          10,
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n),
          0x06,
          0x0f,
          0xa1};
}

} // namespace

TEST_CASE("an identify fills the record and a partial push updates it") {
  id::peer_record rec;
  id::message first;
  first.agent_version = "go-libp2p/0.33";
  first.protocol_version = "ipfs/0.1.0";
  first.public_key = hex("0801122000");
  first.listen_addrs = {fresh_address(1), fresh_address(2)};
  first.observed_addr = fresh_address(99);
  first.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
  rec.apply(first);
  CHECK(rec.agent_version == "go-libp2p/0.33");
  CHECK(rec.listen_addrs.size() == 2);
  CHECK(rec.supports("/ipfs/ping/1.0.0"));
  CHECK_FALSE(rec.supports("/meshsub/1.1.0"));

  // A push carrying only protocols leaves everything else as it was.
  id::message push;
  push.protocols = {"/ipfs/id/1.0.0", "/meshsub/1.1.0"};
  rec.apply(push);
  CHECK(rec.supports("/meshsub/1.1.0"));
  CHECK_FALSE(rec.supports("/ipfs/ping/1.0.0"));
  CHECK(rec.agent_version == "go-libp2p/0.33");
  CHECK(rec.listen_addrs
        == std::vector<bytes>{fresh_address(1), fresh_address(2)});
  CHECK(rec.public_key == hex("0801122000"));
  CHECK(rec.updates == 2);
}

TEST_CASE("10,000 pushes with fresh addresses keep the record within caps") {
  id::peer_record rec;
  std::uint32_t next = 0;
  for (int push = 0; push < 10000; ++push) {
    id::message m;
    // Pushes built locally may even exceed the per-message cap.
    auto count = push % 2 == 0 ? id::max_listen_addrs : 150;
    for (std::size_t i = 0; i < count; ++i)
      m.listen_addrs.push_back(fresh_address(next++));
    m.protocols.push_back("/proto/" + std::to_string(push));
    m.protocols.push_back("/proto/" + std::to_string(push)); // duplicate
    m.agent_version = "agent/" + std::to_string(push);
    rec.apply(m);
    REQUIRE(rec.listen_addrs.size() <= id::max_listen_addrs);
    REQUIRE(rec.protocols.size() <= id::max_protocols);
  }
  CHECK(rec.updates == 10000);
  CHECK(rec.listen_addrs.size() == id::max_listen_addrs);
  // The last push (150 addresses) replaced the list; its first 100 stay.
  CHECK(rec.listen_addrs.front() == fresh_address(next - 150));
  CHECK(rec.listen_addrs.back() == fresh_address(next - 51));
  CHECK(rec.protocols == std::vector<std::string>{"/proto/9999"});
  CHECK(rec.agent_version == "agent/9999");
}

TEST_CASE("duplicate and oversize entries are not stored") {
  id::peer_record rec;
  id::message m;
  m.listen_addrs = {fresh_address(1), fresh_address(1),
                    bytes(id::max_address_size + 1, 4), fresh_address(2)};
  m.protocols = {"/a", std::string(id::max_protocol_size + 1, 'p'), "/a"};
  m.agent_version = std::string(id::max_version_size + 1, 'v');
  rec.apply(m);
  CHECK(rec.listen_addrs
        == std::vector<bytes>{fresh_address(1), fresh_address(2)});
  CHECK(rec.protocols == std::vector<std::string>{"/a"});
  CHECK_FALSE(rec.agent_version);
}
