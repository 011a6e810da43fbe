// Multihash codec and the SHA-256 helper (OpenSSL EVP).

#include "canswarm/multiformats/multihash.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::multihash {

namespace {

error varint_error(const varint::decoded& d, const char* what) {
  if (d.st == varint::status::incomplete)
    return make_error(errc::malformed,
                      fmt::format("multihash truncated in its {}", what));
  return make_error(errc::malformed,
                    fmt::format("multihash {}: {}", what, d.reason));
}

} // namespace

result<view> parse(bytes_view data) {
  auto code = varint::decode(data);
  if (code.st != varint::status::ok)
    return varint_error(code, "hash code");
  auto rest = data.subspan(code.size);
  auto len = varint::decode(rest, max_digest_size);
  if (len.st == varint::status::too_large)
    return make_error(errc::too_large,
                      fmt::format("multihash digest length {} is over the "
                                  "{}-byte limit",
                                  len.value, max_digest_size));
  if (len.st != varint::status::ok)
    return varint_error(len, "digest length");
  rest = rest.subspan(len.size);
  if (rest.size() < len.value)
    return make_error(errc::malformed,
                      fmt::format("multihash digest truncated: length {}, "
                                  "{} bytes present",
                                  len.value, rest.size()));
  if (rest.size() > len.value)
    return make_error(errc::malformed,
                      fmt::format("multihash has {} trailing bytes after its "
                                  "{}-byte digest",
                                  rest.size() - len.value, len.value));
  return view{code.value, rest};
}

bytes make(std::uint64_t code, bytes_view digest) {
  bytes out;
  out.reserve(varint::encoded_size(code) + varint::encoded_size(digest.size())
              + digest.size());
  varint::encode(code, out);
  varint::encode(digest.size(), out);
  append(out, digest);
  return out;
}

bytes sha256(bytes_view data) {
  bytes out(32);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(),
                 nullptr)
        != 1
      || len != out.size())
    throw std::runtime_error("OpenSSL SHA-256 failed");
  return out;
}

} // namespace canswarm::multihash
