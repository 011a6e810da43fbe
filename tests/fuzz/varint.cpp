// Fuzz target: unsigned varints and uvarint-length-prefixed frames
// (protocols/varint).
//
// Input: byte 0 selects the bound passed to the decoders (a power of two
// or the full 63 bits); the rest is decoded.
// Properties:
//  - a decoded varint re-encodes to exactly the bytes consumed (the decoder
//    accepts minimal encodings only), and encoded_size agrees;
//  - decode and read agree on value and size; a value is never over the
//    bound;
//  - a frame's body lies inside the input right after its prefix, is at most
//    max_len bytes, and write_frame reproduces the consumed bytes.

#include <cstdint>

#include "canswarm/varint/varint.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;

namespace {

std::uint64_t bound_of(std::uint8_t selector) {
  auto shift = selector % 64;
  return shift == 63 ? varint::max_value : (std::uint64_t{1} << shift);
}

void check_varint(bytes_view in, std::uint64_t bound) {
  auto d = varint::decode(in, bound);
  auto r = varint::read(in, bound);
  FUZZ_CHECK((d.st == varint::status::ok) == r.ok());
  if (d.st != varint::status::ok) {
    FUZZ_CHECK(d.st == varint::status::incomplete || !d.reason.empty());
    return;
  }
  FUZZ_CHECK(d.value <= bound);
  FUZZ_CHECK(d.size >= 1 && d.size <= varint::max_bytes && d.size <= in.size());
  FUZZ_CHECK(r->first == d.value && r->second == d.size);
  auto again = varint::encode(d.value);
  FUZZ_CHECK(again.size() == d.size);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
  FUZZ_CHECK(varint::encoded_size(d.value) == d.size);
}

void check_frame(bytes_view in, std::size_t max_len) {
  auto f = varint::read_frame(in, max_len);
  if (f.st != varint::status::ok) {
    FUZZ_CHECK(f.st == varint::status::incomplete || !f.reason.empty());
    return;
  }
  FUZZ_CHECK(f.body.size() <= max_len);
  FUZZ_CHECK(f.size <= in.size());
  FUZZ_CHECK(f.body.data() + f.body.size() == in.data() + f.size);
  bytes again;
  varint::write_frame(f.body, again);
  FUZZ_CHECK(again.size() == f.size);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto selector = in.byte();
  auto rest = in.rest();
  check_varint(rest, bound_of(selector));
  check_varint(rest, varint::max_value);
  // Frame bounds from 0 to 2^20 bytes, as the protocols above use.
  check_frame(rest, std::size_t{1} << (selector % 21));
  return 0;
}
