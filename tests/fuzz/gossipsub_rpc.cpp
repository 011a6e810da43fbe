// Fuzz target: the gossipsub RPC codec and frame reader
// (protocols/gossipsub, decode_rpc / encode_rpc / frame_reader), and the
// router fed remote RPCs under a virtual clock.
//
// Input: byte 0 selects the mode, byte 1 a chunk size:
//   0  the rest is one RPC body (decode_rpc with the default 1 MiB bound);
//   1  the rest is a stream of length-prefixed frames for a frame_reader
//      bounded at 16 << (byte 1 % 16) bytes, fed in chunks of byte 1;
//   2  a router subscribed to "t" with three peers; the rest is a list of
//      steps: a byte whose low 2 bits are 3 advances the clock by
//      (byte >> 2) * 50 ms, otherwise it names the peer (byte % 3) and a
//      big-endian u16 length and that many bytes follow as its RPC body.
//      Properties: the router's per-peer and global topic bounds hold and
//      every frame it sends decodes.
// Properties:
//  - decode(encode(decode(body))) == decode(body), and encoding is stable;
//  - the reader yields bodies within its bound and, unless it fails, its
//    frames re-framed plus the unread tail equal the input.

#include <chrono>
#include <cstdint>
#include <vector>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/gossipsub/router.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/varint/varint.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;

namespace {

void check_rpc(bytes_view body) {
  auto r = decode_rpc(body, default_max_transmit_size);
  if (!r)
    return;
  auto encoded = encode_rpc(*r);
  auto again = decode_rpc(encoded, max_transmit_size_limit);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *r);
  FUZZ_CHECK(encode_rpc(*again) == encoded);
}

void check_reader(std::uint8_t selector, bytes_view stream) {
  frame_reader reader{std::size_t{16} << (selector % 16)};
  bytes seen;
  bool failed = false;
  fuzz::feed_chunks(stream, selector, [&](bytes_view part) {
    if (failed || !reader.push(part)) {
      failed = true;
      return;
    }
    while (true) {
      auto next = reader.next();
      if (!next) {
        failed = true;
        return;
      }
      if (!*next)
        break;
      FUZZ_CHECK((*next)->size() <= (std::size_t{16} << (selector % 16)));
      varint::write_frame(**next, seen);
    }
  });
  if (failed)
    return;
  FUZZ_CHECK(seen.size() + reader.buffered() == stream.size());
  FUZZ_CHECK(std::equal(seen.begin(), seen.end(), stream.begin()));
}

identity::private_key key_from_seed(std::uint8_t first) {
  bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(first + i);
  auto key = identity::private_key::ed25519_from_seed(seed);
  FUZZ_CHECK(key.ok());
  return *key;
}

/// The three remote peers and our key, made once (Ed25519 is not cheap).
struct router_fixture {
  identity::private_key local = key_from_seed(200);
  std::vector<peer_id> peers;
  router_fixture() {
    for (std::uint8_t s : {1, 2, 3})
      peers.push_back(peer_id::from_public_key(key_from_seed(s).public_key()));
  }
};

void check_router(fuzz::input& in) {
  static const router_fixture fx;
  time_point now{std::chrono::hours{1}};
  auto made = router::make(config{}, fx.local, 7, 0, now);
  FUZZ_CHECK(made.ok());
  auto& r = *made;
  FUZZ_CHECK(r.subscribe("t", now).ok());
  for (std::size_t i = 0; i < fx.peers.size(); ++i)
    FUZZ_CHECK(
      r.add_peer(fx.peers[i], protocol::meshsub_v11, i == 0, {}, now).ok());
  auto drain = [&] {
    while (auto t = r.poll_transmit()) {
      auto f = varint::read_frame(t->frame, t->frame.size());
      FUZZ_CHECK(f.st == varint::status::ok);
      FUZZ_CHECK(decode_rpc(f.body, max_transmit_size_limit).ok());
    }
    while (r.poll_event()) {
    }
  };
  while (in.remaining() > 0) {
    auto op = in.byte();
    if ((op & 3) == 3) {
      now += std::chrono::milliseconds{50} * (op >> 2);
      r.handle_timeout(now);
    } else {
      auto body = in.take(in.u16());
      (void)r.handle_rpc(fx.peers[op % 3], body, now);
    }
    drain();
    FUZZ_CHECK(r.known_topic_count() <= max_known_topics);
    for (const auto& p : fx.peers)
      FUZZ_CHECK(r.peer_topic_count(p) <= max_topics_per_peer);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte() % 3;
  auto selector = in.byte();
  if (mode == 0)
    check_rpc(in.rest());
  else if (mode == 1)
    check_reader(selector, in.rest());
  else
    check_router(in);
  return 0;
}
