// Fuzz target: the gossipsub RPC codec and frame reader
// (protocols/gossipsub, decode_rpc / encode_rpc / frame_reader).
//
// Input: byte 0 selects the mode, byte 1 a chunk size:
//   0  the rest is one RPC body (decode_rpc with the default 1 MiB bound);
//   1  the rest is a stream of length-prefixed frames for a frame_reader
//      bounded at 16 << (byte 1 % 16) bytes, fed in chunks of byte 1.
// Properties:
//  - decode(encode(decode(body))) == decode(body), and encoding is stable;
//  - the reader yields bodies within its bound and, unless it fails, its
//    frames re-framed plus the unread tail equal the input.

#include <cstdint>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/limits.hpp"
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte() % 2;
  auto selector = in.byte();
  if (mode == 0)
    check_rpc(in.rest());
  else
    check_reader(selector, in.rest());
  return 0;
}
