// Fuzz target: the noise-libp2p transport session (protocols/noise,
// session::decrypt / encrypt) with fixed keys and real ChaCha20-Poly1305.
//
// Input: byte 0 selects the mode, byte 1 a chunk size (0: all at once):
//   0  the rest is received bytes (forged frames: the fuzzer cannot pass
//      the AEAD, so this covers framing, partial frames and errors);
//   1  the rest is plaintexts (2-byte length each) that one session
//      encrypts and its peer decrypts; bit 7 of byte 0 flips one bit of the
//      wire at the position given by the next two bytes; bit 6 repeats the
//      first plaintext past 64 KiB, so it spans two frames.
// Properties:
//  - decryption gives the same plaintext and the same verdict whether the
//    wire arrives whole or in chunks; at most one partial frame is
//    buffered; errors are sticky;
//  - encrypt then decrypt returns the plaintext exactly; a flipped bit
//    never yields forged plaintext (what is returned is a prefix of the
//    truth, and the session fails unless the flip only truncated input).

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

#include "canswarm/noise/cipher_state.hpp"
#include "canswarm/noise/session.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::noise;

namespace {

constexpr key32 key_a{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
constexpr key32 key_b{11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

cipher_state keyed(const key32& k) {
  cipher_state c;
  c.initialize_key(k);
  return c;
}

// Sessions of the two ends: `a` sends with key_a, `b` receives with it.
session end_a() {
  return session{keyed(key_a), keyed(key_b)};
}
session end_b() {
  return session{keyed(key_b), keyed(key_a)};
}

struct received {
  bytes plaintext;
  bool ok = true;
  std::optional<errc> code;
};

received receive(session& s, bytes_view wire, std::size_t chunk) {
  received r;
  // At most ~512 calls: byte-wise feeding of a 64 KiB frame adds no
  // coverage, only time.
  if (chunk != 0)
    chunk = std::max(chunk, wire.size() / 512);
  fuzz::feed_chunks(wire, chunk, [&](bytes_view part) {
    auto res = s.decrypt(part, r.plaintext);
    FUZZ_CHECK(s.buffered() <= length_prefix_size + max_frame_size);
    if (!res.ok()) {
      FUZZ_CHECK(s.failure().has_value());
      if (r.ok)
        r.code = res.error().code;
      r.ok = false;
    }
  });
  if (!r.ok) {
    bytes more;
    FUZZ_CHECK(!s.decrypt(as_bytes("x"), more).ok() && more.empty());
  }
  return r;
}

void check_forged(bytes_view wire, std::size_t chunk) {
  auto whole = end_b();
  auto split = end_b();
  auto a = receive(whole, wire, 0);
  auto b = receive(split, wire, chunk);
  FUZZ_CHECK(a.plaintext == b.plaintext);
  FUZZ_CHECK(a.ok == b.ok && a.code == b.code);
  FUZZ_CHECK(whole.frames_received() == split.frames_received());
}

void check_round_trip(std::uint8_t mode, std::size_t chunk, fuzz::input& in) {
  bool tamper = (mode & 0x80) != 0;
  bool big = (mode & 0x40) != 0;
  std::size_t flip_at = in.u16();
  auto sender = end_a();
  bytes wire;
  bytes expected;
  bool first = true;
  while (!in.empty()) {
    auto piece = in.take_long();
    bytes plain = fuzz::copy(piece);
    // Doubling with memcpy: a byte loop over 64 KiB dominates the run.
    while (first && big && !plain.empty()
           && plain.size() <= max_frame_plaintext) {
      auto n = plain.size();
      plain.resize(2 * n);
      std::memcpy(plain.data() + n, plain.data(), n);
    }
    first = false;
    sender.encrypt(plain, wire);
    append(expected, plain);
  }
  FUZZ_CHECK(!sender.failure());
  tamper = tamper && !wire.empty();
  if (tamper) {
    // Spread the 16-bit position over the whole wire.
    auto pos = flip_at * wire.size() / 65536;
    wire[pos] ^= static_cast<std::uint8_t>(1u << (flip_at % 8));
  }
  auto receiver = end_b();
  auto got = receive(receiver, wire, chunk);
  FUZZ_CHECK(got.plaintext.size() <= expected.size());
  FUZZ_CHECK(
    std::equal(got.plaintext.begin(), got.plaintext.end(), expected.begin()));
  if (!tamper) {
    FUZZ_CHECK(got.ok && got.plaintext == expected);
    FUZZ_CHECK(receiver.buffered() == 0);
    FUZZ_CHECK(receiver.frames_received() == sender.frames_sent());
  } else if (got.ok) {
    // A flip that passed authentication can only have cut the stream
    // (a length prefix now asks for more bytes than were sent).
    FUZZ_CHECK(receiver.buffered() > 0);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  std::size_t chunk = in.byte();
  if (mode % 2 == 0)
    check_forged(in.rest(), chunk);
  else
    check_round_trip(mode, chunk, in);
  return 0;
}
