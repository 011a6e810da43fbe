// Fuzz target: the binary multiaddr codec (protocols/multiformats,
// multiaddr::from_bytes) and the accessors that walk a parsed address.
//
// Input: one binary multiaddr.
// Properties:
//  - an accepted address keeps exactly its bytes;
//  - its text form parses back to the same address (binary -> text ->
//    binary is lossless), and rendering is stable;
//  - components() re-encode to the same bytes count-wise (one per code)
//    and value_of finds a value for every component's protocol;
//  - decapsulate_p2p returns a prefix, ending before the last /p2p.

#include <cstdint>

#include "canswarm/multiformats/multiaddr.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  bytes_view in{data, size};
  auto ma = multiaddr::from_bytes(in);
  if (!ma)
    return 0;
  FUZZ_CHECK(ma->to_bytes() == fuzz::copy(in));
  FUZZ_CHECK(!ma->empty());
  auto text = ma->to_string();
  auto back = multiaddr::parse(text);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == *ma);
  FUZZ_CHECK(back->to_string() == text);
  auto parts = ma->components();
  FUZZ_CHECK(!parts.empty());
  for (const auto& part : parts)
    FUZZ_CHECK(ma->value_of(part.name).has_value());
  auto bare = ma->decapsulate_p2p();
  const auto& all = ma->to_bytes();
  const auto& prefix = bare.to_bytes();
  FUZZ_CHECK(prefix.size() <= all.size());
  FUZZ_CHECK(std::equal(prefix.begin(), prefix.end(), all.begin()));
  if (prefix.size() < all.size())
    FUZZ_CHECK(parts.back().name == "p2p");
  if (parts.back().name == "p2p")
    FUZZ_CHECK(ma->peer_id_bytes() == parts.back().value);
  if (!bare.empty()) {
    // Re-attaching what was stripped gives the original address back.
    auto tail = multiaddr::from_bytes(bytes_view{all}.subspan(prefix.size()));
    if (tail)
      FUZZ_CHECK(bare.encapsulate(*tail) == *ma);
  }
  return 0;
}
