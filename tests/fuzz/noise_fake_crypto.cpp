// A deterministic, insecure stand-in for the Noise crypto interface
// (protocols/noise/src/crypto.hpp), for the noise_handshake fuzz target and
// the corpus generator only.
//
// Linked ahead of canswarm_noise, it defines every symbol of crypto.hpp, so
// the linker never pulls the archive member crypto.cpp.o (real X25519,
// SHA-256 and ChaCha20-Poly1305). With it a fuzzer can forge handshake
// messages that pass "decryption" and reach the payload decoder, the
// identity key parser, signature verification and the transport session:
//
//   x25519_public(s)   = s
//   x25519(s, r)       = s XOR r (symmetric, so both ends agree; all-zero
//                        when r == s, which keeps the low-order-point
//                        rejection reachable)
//   sha256 / hmac      = a 256-bit FNV-1a style mix (deterministic, not a
//                        hash anyone should rely on)
//   aead               = plaintext copied unchanged, tag = 16 zero bytes;
//                        open accepts exactly a zero tag.
//
// Never link this into anything but fuzz and corpus tools.

#include <algorithm>
#include <cstring>

// crypto.hpp gives aead an OpenSSL context, which the stand-in never uses.
#ifdef __clang__
#  pragma clang diagnostic ignored "-Wunused-private-field"
#endif
#include "crypto.hpp"

namespace canswarm::noise::detail {

namespace {

// Four FNV-1a lanes with different offsets, then cross-mixed.
struct mixer {
  std::uint64_t lane[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull,
                           0x9e3779b97f4a7c15ull, 0x2545f4914f6cdd1dull};

  void update(bytes_view data) {
    for (auto b : data)
      for (int i = 0; i < 4; ++i)
        lane[i] = (lane[i] ^ (b + i)) * 0x100000001b3ull;
  }

  digest finish() {
    digest out;
    for (int i = 0; i < 4; ++i) {
      auto v = lane[i] ^ (lane[(i + 1) % 4] >> 29);
      for (int j = 0; j < 8; ++j)
        out[i * 8 + j] = static_cast<std::uint8_t>(v >> (8 * j));
    }
    return out;
  }
};

} // namespace

key32 x25519_public(const key32& secret) {
  return secret;
}

bool x25519(const key32& secret, const key32& remote, key32& shared) {
  for (std::size_t i = 0; i < shared.size(); ++i)
    shared[i] = secret[i] ^ remote[i];
  return std::any_of(shared.begin(), shared.end(),
                     [](std::uint8_t b) { return b != 0; });
}

digest sha256(std::initializer_list<bytes_view> parts) {
  mixer m;
  for (auto part : parts)
    m.update(part);
  return m.finish();
}

digest hmac_sha256(bytes_view key, std::initializer_list<bytes_view> parts) {
  mixer m;
  m.update(key);
  std::uint8_t separator = 0x5c;
  m.update({&separator, 1});
  for (auto part : parts)
    m.update(part);
  return m.finish();
}

aead::aead(const key32&) : ctx_(nullptr) {}

aead::~aead() = default;

void aead::seal(std::uint64_t, bytes_view, const std::uint8_t* in,
                std::size_t len, std::uint8_t* out, std::uint8_t* tag) {
  if (len > 0)
    std::memmove(out, in, len);
  std::memset(tag, 0, aead_tag_size);
}

bool aead::open(std::uint64_t, bytes_view, const std::uint8_t* in,
                std::size_t len, std::uint8_t* out, const std::uint8_t* tag) {
  if (len > 0)
    std::memmove(out, in, len);
  return std::all_of(tag, tag + aead_tag_size,
                     [](std::uint8_t b) { return b == 0; });
}

} // namespace canswarm::noise::detail
