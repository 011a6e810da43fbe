// Fuzz target: the text multiaddr parser (protocols/multiformats,
// multiaddr::parse).
//
// Input: one text multiaddr ("/ip4/1.2.3.4/tcp/80/p2p/12D3...").
// Properties:
//  - an accepted text yields valid binary bytes (from_bytes accepts them
//    and gives the same address);
//  - its canonical text form parses to the same address and renders to
//    itself again (alias "ipfs" and non-canonical IP text normalise once);
//  - the binary form respects max_multiaddr_size.

#include <cstdint>

#include "canswarm/multiformats/multiaddr.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto text = fuzz::as_text({data, size});
  auto ma = multiaddr::parse(text);
  if (!ma)
    return 0;
  FUZZ_CHECK(!ma->empty());
  FUZZ_CHECK(ma->to_bytes().size() <= max_multiaddr_size);
  auto binary = multiaddr::from_bytes(ma->to_bytes());
  FUZZ_CHECK(binary.ok());
  FUZZ_CHECK(*binary == *ma);
  auto canonical = ma->to_string();
  auto again = multiaddr::parse(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *ma);
  FUZZ_CHECK(again->to_string() == canonical);
  return 0;
}
