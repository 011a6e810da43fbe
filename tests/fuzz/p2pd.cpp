// Fuzz target: the libp2p daemon control protocol codec and its frame
// reader (protocols/p2pd).
//
// Input: byte 0 selects the mode, byte 1 a chunk size / frame bound:
//   0..5  the rest is a body for decode_request, decode_response,
//         decode_stream_info, decode_ps_message, decode_dht_response, or
//         (5) every one of them;
//   6     the rest is a byte stream for a frame_reader whose frame bound is
//         16 << (byte 1 % 16) bytes, fed in chunks of byte 1 bytes.
// Properties:
//  - decode(encode(decode(body))) == decode(body) for every message type
//    (encoding writes every required field, so nothing is lost), and a
//    decoded request passes check_request;
//  - write_message frames the encoded body exactly;
//  - the frame reader never holds more than max_buffered() bytes, yields
//    bodies within its bound, and its frames plus take_rest() are exactly
//    the input's bodies and tail (nothing invented, nothing lost).

#include <cstdint>

#include "canswarm/p2pd/codec.hpp"
#include "canswarm/p2pd/frame_reader.hpp"
#include "canswarm/varint/varint.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::p2pd;

namespace {

template<class T, class Decode, class Encode>
void round_trip(bytes_view body, Decode decode, Encode encode) {
  auto first = decode(body);
  if (!first)
    return;
  T value = std::move(*first);
  auto encoded = encode(value);
  auto second = decode(encoded);
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(*second == value);
  FUZZ_CHECK(encode(*second) == encoded);
  bytes framed;
  write_message(value, framed);
  auto f = varint::read_frame(framed, max_message_size);
  FUZZ_CHECK(f.st == varint::status::ok && f.size == framed.size());
  FUZZ_CHECK(fuzz::copy(f.body) == encoded);
}

void check_codecs(unsigned which, bytes_view body) {
  if (which == 0 || which == 5) {
    round_trip<request>(body, decode_request, encode_request);
    if (auto r = decode_request(body))
      FUZZ_CHECK(check_request(*r).ok());
  }
  if (which == 1 || which == 5)
    round_trip<response>(body, decode_response, encode_response);
  if (which == 2 || which == 5)
    round_trip<stream_info>(body, decode_stream_info, encode_stream_info);
  if (which == 3 || which == 5)
    round_trip<ps_message>(body, decode_ps_message, encode_ps_message);
  if (which == 4 || which == 5)
    round_trip<dht_response>(body, decode_dht_response, encode_dht_response);
}

void check_reader(std::uint8_t selector, bytes_view stream) {
  frame_reader r{std::size_t{16} << (selector % 16)};
  bytes seen; // Frames re-framed, then the rest: must equal a prefix.
  bool failed = false;
  fuzz::feed_chunks(stream, selector, [&](bytes_view part) {
    if (failed)
      return;
    if (!r.feed(part)) {
      failed = true;
      return;
    }
    FUZZ_CHECK(r.buffered() <= r.max_buffered());
    while (true) {
      auto next = r.next();
      if (!next) {
        failed = true;
        return;
      }
      if (!*next)
        break;
      FUZZ_CHECK((*next)->size() <= r.max_frame());
      varint::write_frame(**next, seen);
    }
  });
  if (failed) {
    FUZZ_CHECK(!r.feed(as_bytes("x")).ok());
    return;
  }
  append(seen, r.take_rest());
  FUZZ_CHECK(r.buffered() == 0);
  // Every byte came from the input, in order, and all of it was kept.
  FUZZ_CHECK(seen == fuzz::copy(stream));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte() % 7;
  auto selector = in.byte();
  if (mode < 6)
    check_codecs(mode, in.rest());
  else
    check_reader(selector, in.rest());
  return 0;
}
