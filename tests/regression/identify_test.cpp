// Identify advisory class (issue #9): a peer pushing 10,000 identify
// updates with fresh addresses and protocols, over the wire path (length
// prefixed frames through identify::reader, then peer_record::apply). The
// per-peer caps hold: addresses, protocols, and message size (an oversize
// push is refused from its length prefix and changes nothing).

#include <doctest/doctest.h>

#include <string>

#include "canswarm/identify/message.hpp"
#include "canswarm/identify/peer_record.hpp"
#include "canswarm/identify/reader.hpp"
#include "canswarm/varint/varint.hpp"

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

/// Bytes held by a record's lists (what a push flood could grow).
std::size_t held_bytes(const id::peer_record& rec) {
  std::size_t n = 0;
  for (const auto& a : rec.listen_addrs)
    n += a.size();
  for (const auto& p : rec.protocols)
    n += p.size();
  return n;
}

} // namespace

// Advisory class: unbounded identify push state (10,000 pushes with fresh
// addresses and protocols; per-peer caps on addresses, protocols and
// message size).
TEST_CASE("10,000 identify pushes with fresh addresses and protocols keep "
          "the peer record within its caps") {
  id::peer_record rec;
  std::uint32_t next_addr = 0;
  std::uint32_t next_proto = 0;
  std::uint32_t first_addr = 0;
  std::size_t applied = 0, refused = 0;
  for (int push = 0; push < 10'000; ++push) {
    id::reader r;
    if (push % 100 == 99) {
      // Every 100th push announces a body one byte over the size cap: it is
      // refused from the prefix, before any body is buffered.
      bytes frame;
      varint::encode(id::max_message_size + 1, frame);
      frame.resize(frame.size() + 64, 0x1a);
      auto res = r.handle_input(frame);
      REQUIRE_FALSE(res);
      CHECK(res.error().code == errc::too_large);
      CHECK_FALSE(r.finish());
      ++refused;
      continue;
    }
    id::message m;
    first_addr = next_addr;
    for (int i = 0; i < 40; ++i)
      m.listen_addrs.push_back(fresh_address(next_addr++));
    for (int i = 0; i < 40; ++i)
      m.protocols.push_back("/fresh/" + std::to_string(next_proto++));
    m.agent_version = "agent/" + std::to_string(push);
    auto frame = id::encode_frame(m);
    REQUIRE(frame);
    // A push may arrive as up to max_messages frames on one stream, merged
    // as protobuf concatenation; the merged message is capped too. Two
    // frames (80 addresses) pass; every 10th push sends three (120 over
    // max_listen_addrs 100) and the whole stream is refused.
    const int frames = push % 10 == 9 ? 3 : 2;
    bytes wire;
    for (int i = 0; i < frames; ++i)
      append(wire, *frame);
    auto res = r.handle_input(wire);
    if (frames == 3) {
      REQUIRE_FALSE(res);
      CHECK(res.error().code == errc::too_large);
      ++refused;
      continue;
    }
    REQUIRE(res);
    auto merged = r.finish();
    REQUIRE(merged);
    CHECK(merged->listen_addrs.size() == 80);
    rec.apply(*merged);
    ++applied;
    REQUIRE(rec.listen_addrs.size() <= id::max_listen_addrs);
    REQUIRE(rec.protocols.size() <= id::max_protocols);
  }
  CHECK(applied == 9'000);
  CHECK(refused == 1'000);
  CHECK(rec.updates == applied);
  // The last push (9999) was refused; push 9998 replaced the lists (two
  // copies of 40 entries, duplicates dropped): nothing accumulated.
  CHECK(rec.listen_addrs.size() == 40);
  CHECK(rec.listen_addrs.front() == fresh_address(first_addr));
  CHECK(rec.protocols.size() == 40);
  CHECK(held_bytes(rec) <= id::max_listen_addrs * id::max_address_size
                             + id::max_protocols * id::max_protocol_size);
  CHECK(rec.agent_version == "agent/9998");
}
