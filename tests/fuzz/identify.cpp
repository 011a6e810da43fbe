// Fuzz target: the identify codec, the multi-frame reader and the per-peer
// record (protocols/identify).
//
// Input: byte 0 selects the mode, byte 1 a chunk size (0: all at once):
//   0  the rest is one Identify protobuf body (decode);
//   1  the rest is a stream of length-prefixed frames for the reader, which
//      is finished afterwards; the merged message is applied to a record.
// Properties:
//  - a decoded message is within every cap; when it also fits our send
//    limit it re-encodes to a body that decodes to the same message, and
//    encode_frame frames exactly that body;
//  - the reader's verdict and merged message do not depend on how the
//    stream was split; it never accepts more than max_messages frames;
//  - a record stays within the caps and without duplicates after applying
//    any accepted message (twice: pushes replace, never accumulate).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>

#include "canswarm/identify/message.hpp"
#include "canswarm/identify/peer_record.hpp"
#include "canswarm/identify/reader.hpp"
#include "canswarm/varint/varint.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::identify;

namespace {

void check_message(const message& m) {
  FUZZ_CHECK(check_limits(m).ok());
  auto body = encode(m);
  if (!body) {
    // Only our stricter send limit may refuse a decoded message.
    FUZZ_CHECK(body.error().code == errc::too_large);
    return;
  }
  FUZZ_CHECK(body->size() <= max_own_message_size);
  auto again = decode(*body);
  FUZZ_CHECK(again.ok() && *again == m);
  auto frame = encode_frame(m);
  FUZZ_CHECK(frame.ok());
  auto f = varint::read_frame(*frame, max_message_size);
  FUZZ_CHECK(f.st == varint::status::ok && f.size == frame->size());
  FUZZ_CHECK(fuzz::copy(f.body) == *body);
}

template<class T>
bool unique(const std::vector<T>& v) {
  return std::set<T>(v.begin(), v.end()).size() == v.size();
}

void check_record(const message& m) {
  peer_record rec;
  rec.apply(m);
  rec.apply(m);
  FUZZ_CHECK(rec.updates == 2);
  FUZZ_CHECK(rec.listen_addrs.size() <= max_listen_addrs);
  FUZZ_CHECK(rec.protocols.size() <= max_protocols);
  FUZZ_CHECK(unique(rec.listen_addrs) && unique(rec.protocols));
  for (const auto& p : rec.protocols)
    FUZZ_CHECK(rec.supports(p));
  FUZZ_CHECK(rec.protocol_version == m.protocol_version);
}

struct read_outcome {
  bool ok = true;
  std::size_t frames = 0;
  std::optional<message> merged;
  bool operator==(const read_outcome&) const = default;
};

read_outcome read_stream(bytes_view data, std::size_t chunk) {
  reader r;
  read_outcome out;
  fuzz::feed_chunks(data, chunk, [&](bytes_view part) {
    if (out.ok && !r.handle_input(part))
      out.ok = false;
  });
  out.frames = r.frames();
  FUZZ_CHECK(out.frames <= max_messages);
  if (auto m = r.finish())
    out.merged = std::move(*m);
  if (!out.ok)
    FUZZ_CHECK(!out.merged.has_value());
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  std::size_t chunk = in.byte();
  if (mode % 2 == 0) {
    if (auto m = decode(in.rest())) {
      check_message(*m);
      check_record(*m);
    }
    return 0;
  }
  auto stream = in.rest();
  auto whole = read_stream(stream, 0);
  auto split = read_stream(stream, chunk);
  FUZZ_CHECK(whole == split);
  if (whole.merged) {
    FUZZ_CHECK(check_limits(*whole.merged).ok());
    check_record(*whole.merged);
  }
  return 0;
}
