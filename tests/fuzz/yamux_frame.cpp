// Fuzz target: the yamux frame header codec (protocols/yamux,
// decode_header / encode_header / describe).
//
// Input: at least 12 bytes are a header; shorter inputs must be refused.
// Properties:
//  - an accepted header re-encodes to exactly its 12 bytes, through both
//    encode_header overloads;
//  - accepted headers satisfy the checks decode_header documents (version
//    0, known type, known flags, stream 0 for PING / GO_AWAY, one of
//    SYN / ACK on a PING, never SYN with ACK);
//  - describe() renders every accepted header.

#include <array>
#include <cstdint>

#include "canswarm/yamux/frame.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::yamux;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  bytes_view in{data, size};
  auto h = decode_header(in);
  if (size < header_size)
    FUZZ_CHECK(!h.ok());
  if (!h)
    return 0;
  auto again = encode_header(*h);
  FUZZ_CHECK(again == fuzz::copy(in.first(header_size)));
  std::array<std::uint8_t, header_size> raw{};
  encode_header(*h, raw.data());
  FUZZ_CHECK(std::equal(raw.begin(), raw.end(), in.begin()));
  FUZZ_CHECK(h->version == protocol_version);
  FUZZ_CHECK((h->flags & ~known_flags) == 0);
  FUZZ_CHECK(!(h->has(flag_syn) && h->has(flag_ack)));
  if (h->type == frame_type::ping || h->type == frame_type::go_away)
    FUZZ_CHECK(h->stream == 0);
  if (h->type == frame_type::ping)
    FUZZ_CHECK(h->has(flag_syn) != h->has(flag_ack));
  auto decoded = decode_header(again);
  FUZZ_CHECK(decoded.ok() && *decoded == *h);
  FUZZ_CHECK(!describe(*h).empty());
  return 0;
}
