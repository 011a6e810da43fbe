#pragma once

// Test helpers that build DER elements and key protobufs by hand, for
// synthetic keys (oversize RSA moduli, keys on other curves).

#include <cstdint>

#include "canswarm/bytes.hpp"
#include "canswarm/varint/varint.hpp"

namespace test_der {

/// One DER element: `tag`, minimal definite length, then the concatenated
/// `parts`.
template<class... Parts>
canswarm::bytes der(std::uint8_t tag, const Parts&... parts) {
  canswarm::bytes content;
  (canswarm::append(content, parts), ...);
  canswarm::bytes out{tag};
  auto n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    canswarm::bytes len;
    for (; n > 0; n >>= 8)
      len.insert(len.begin(), static_cast<std::uint8_t>(n & 0xff));
    out.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    canswarm::append(out, len);
  }
  canswarm::append(out, content);
  return out;
}

/// A libp2p key protobuf: 08 <type> 12 <varint length> <data>.
inline canswarm::bytes key_protobuf(std::uint8_t type,
                                    const canswarm::bytes& data) {
  canswarm::bytes out{0x08, type, 0x12};
  canswarm::varint::write_frame(data, out);
  return out;
}

} // namespace test_der
