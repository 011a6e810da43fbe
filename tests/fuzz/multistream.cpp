// Fuzz target: multistream-select 1.0 (protocols/multistream): the line
// codec, the ls answer parser, and the dialer and listener negotiators fed
// bytes from a hostile remote.
//
// Input: byte 0 selects the mode, byte 1 a chunk size (0: all at once):
//   0  a dialer (lazy or not, by bit 7 of byte 0) fed the rest;
//   1  a listener fed the rest;
//   2  the codec: read_line and parse_ls_response on the rest;
//   3  a dialer and a listener with protocol lists taken from the input
//      (count byte, then 1-byte-length ids), negotiating with each other.
// Properties:
//  - a negotiator ends in the same state, protocol, output and remaining
//    bytes whether the input arrives whole or in chunks;
//  - a dialer only agrees on a protocol it proposed, a listener only on one
//    it supports; a failure carries a message;
//  - a line read from the input re-encodes to the bytes consumed; an ls
//    answer parses back to the same list after re-encoding;
//  - two honest negotiators agree on the first dialer protocol the listener
//    supports, or both fail when there is none.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "canswarm/multistream/codec.hpp"
#include "canswarm/multistream/negotiator.hpp"
#include "canswarm/varint/varint.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::multistream;

namespace {

const std::vector<std::string> dialer_protocols{"/noise", "/yamux/1.0.0",
                                                "/mplex/6.7.0"};
const std::vector<std::string> listener_protocols{"/yamux/1.0.0",
                                                  "/ipfs/ping/1.0.0", "/noise"};

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

struct outcome {
  multistream::state st;
  std::string protocol;
  bytes output;
  bytes remaining;
  bool operator==(const outcome&) const = default;
};

template<class Negotiator>
outcome run(Negotiator& n, bytes_view data, std::size_t chunk) {
  outcome out;
  fuzz::feed_chunks(data, chunk, [&](bytes_view part) {
    n.handle_input(part);
    append(out.output, n.take_output());
    append(out.remaining, n.take_remaining());
  });
  out.st = n.state();
  out.protocol = n.protocol();
  if (n.state() == state::failed)
    FUZZ_CHECK(!n.failure().message.empty());
  if (n.state() != state::done)
    FUZZ_CHECK(n.protocol().empty() && out.remaining.empty());
  return out;
}

template<class Make>
void check_split_invariance(Make make, bytes_view data, std::size_t chunk,
                            const std::vector<std::string>& allowed) {
  auto whole = make();
  auto split = make();
  auto a = run(whole, data, 0);
  auto b = run(split, data, chunk);
  FUZZ_CHECK(a == b);
  if (a.st == state::done)
    FUZZ_CHECK(contains(allowed, a.protocol));
}

void check_codec(bytes_view data) {
  auto line = read_line(data);
  if (line && *line) {
    FUZZ_CHECK((*line)->size <= data.size());
    auto again = encode_line((*line)->text);
    FUZZ_CHECK(again == fuzz::copy(data.first((*line)->size)));
  }
  auto list = parse_ls_response(data);
  if (list) {
    FUZZ_CHECK(list->size() <= max_ls_protocols);
    bytes framed;
    write_ls_response(*list, framed);
    auto frame = varint::read_frame(framed, max_ls_response_size);
    FUZZ_CHECK(frame.st == varint::status::ok);
    auto again = parse_ls_response(frame.body);
    FUZZ_CHECK(again.ok() && *again == *list);
  }
}

std::vector<std::string> take_protocols(fuzz::input& in) {
  std::vector<std::string> out(in.byte() % 5);
  for (auto& p : out) {
    auto text = fuzz::as_text(in.take_short());
    p.assign(text.begin(), text.end());
  }
  return out;
}

void check_pair(fuzz::input& in) {
  auto lazy = (in.byte() & 1) != 0;
  auto proposals = take_protocols(in);
  auto supported = take_protocols(in);
  dialer d{proposals, dialer_options{lazy}};
  listener l{supported};
  if (d.state() == state::failed || l.state() == state::failed)
    return;
  // Each round trip moves at least one message or stops.
  for (int i = 0; i < 64; ++i) {
    auto to_listener = d.take_output();
    auto to_dialer = l.take_output();
    if (to_listener.empty() && to_dialer.empty())
      break;
    l.handle_input(to_listener);
    d.handle_input(to_dialer);
  }
  auto expected = std::find_if(proposals.begin(), proposals.end(),
                               [&](const std::string& p) {
                                 return contains(supported, p);
                               });
  if (expected == proposals.end()) {
    FUZZ_CHECK(d.state() == state::failed);
    FUZZ_CHECK(d.failure().code == errc::unsupported);
    FUZZ_CHECK(l.state() == state::negotiating);
    return;
  }
  FUZZ_CHECK(d.state() == state::done && l.state() == state::done);
  FUZZ_CHECK(d.protocol() == *expected && l.protocol() == *expected);
  FUZZ_CHECK(d.take_remaining().empty() && l.take_remaining().empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  std::size_t chunk = in.byte();
  switch (mode % 4) {
    case 0: {
      dialer_options opts{(mode & 0x80) != 0};
      check_split_invariance(
        [&] {
          return dialer{dialer_protocols, opts};
        },
        in.rest(), chunk, dialer_protocols);
      break;
    }
    case 1:
      check_split_invariance([&] { return listener{listener_protocols}; },
                             in.rest(), chunk, listener_protocols);
      break;
    case 2: check_codec(in.rest()); break;
    default: check_pair(in); break;
  }
  return 0;
}
