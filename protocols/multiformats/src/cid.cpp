// CIDv1 libp2p-key text and the peer-ids spec's text decoding rule.

#include "canswarm/multiformats/cid.hpp"

#include <fmt/format.h>

#include "canswarm/multiformats/base32.hpp"
#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/multihash.hpp"
#include "canswarm/varint/varint.hpp"

namespace canswarm::cid {

namespace {

result<std::uint64_t> take_varint(bytes_view& in, const char* what) {
  auto r = varint::read(in);
  if (!r)
    return make_error(errc::malformed,
                      fmt::format("CID {}: {}", what, r.error().message));
  in = in.subspan(r->second);
  return r->first;
}

result<bytes> checked_multihash(bytes_view mh) {
  if (auto v = multihash::parse(mh); !v)
    return v.error();
  return bytes{mh.begin(), mh.end()};
}

} // namespace

result<bytes> decode_libp2p_key(std::string_view text) {
  if (text.empty())
    return make_error(errc::malformed, "CID text is empty");
  result<bytes> raw = bytes{};
  switch (text.front()) {
    case 'b': raw = base32_decode(text.substr(1)); break;
    case 'z': raw = base58btc_decode(text.substr(1)); break;
    default:
      return make_error(errc::malformed,
                        fmt::format("unsupported multibase prefix '{}' "
                                    "(expected 'b' or 'z')",
                                    text.front()));
  }
  if (!raw)
    return raw.error();
  bytes_view in{*raw};
  auto version = take_varint(in, "version");
  if (!version)
    return version.error();
  if (*version != version_1)
    return make_error(errc::malformed,
                      fmt::format("CID version {} is not 1", *version));
  auto codec = take_varint(in, "codec");
  if (!codec)
    return codec.error();
  if (*codec != libp2p_key)
    return make_error(errc::malformed,
                      fmt::format("CID codec 0x{:x} is not libp2p-key (0x72)",
                                  *codec));
  return checked_multihash(in);
}

std::string encode_libp2p_key(bytes_view multihash) {
  bytes raw;
  varint::encode(version_1, raw);
  varint::encode(libp2p_key, raw);
  append(raw, multihash);
  return "b" + base32_encode(raw);
}

result<bytes> peer_id_multihash_from_text(std::string_view text) {
  if (text.empty())
    return make_error(errc::malformed, "peer id text is empty");
  if (text.front() == '1' || text.front() == 'Q') {
    auto raw = base58btc_decode(text);
    if (!raw)
      return raw.error();
    return checked_multihash(*raw);
  }
  return decode_libp2p_key(text);
}

} // namespace canswarm::cid
