// DER codec of the libp2p TLS SignedKey structure (a SEQUENCE of two OCTET
// STRINGs), written by hand with bounds instead of through OpenSSL's ASN1
// templates so every rejection has a specific reason.

#include "canswarm/tls/signed_key.hpp"

#include <fmt/format.h>

namespace canswarm::tls {

namespace {

constexpr std::uint8_t tag_sequence = 0x30; // SEQUENCE, constructed
constexpr std::uint8_t tag_octet_string = 0x04; // OCTET STRING, primitive

/// Longest length encoding we read: 0x82 + two bytes covers every length
/// up to 65535, far above max_signed_key_size.
constexpr std::size_t max_length_octets = 2;

void put_header(bytes& out, std::uint8_t tag, std::size_t length) {
  out.push_back(tag);
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
  } else if (length <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(length));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
  }
}

std::size_t header_size(std::size_t length) {
  return length < 0x80 ? 2 : length <= 0xff ? 3 : 4;
}

/// A cursor over DER input.
class reader {
public:
  explicit reader(bytes_view in) : in_(in) {}

  bool empty() const {
    return pos_ == in_.size();
  }

  std::size_t remaining() const {
    return in_.size() - pos_;
  }

  /// Reads one tag-length header and returns the content length (checked
  /// against the input left and against `bound`).
  result<std::size_t> header(std::uint8_t tag, std::string_view what,
                             std::size_t bound) {
    if (remaining() < 2)
      return make_error(errc::malformed,
                        fmt::format("SignedKey {} truncated: header needs 2 "
                                    "bytes, {} left",
                                    what, remaining()));
    if (in_[pos_] != tag)
      return make_error(errc::malformed,
                        fmt::format("SignedKey {}: expected tag 0x{:02x}, "
                                    "got 0x{:02x}",
                                    what, tag, in_[pos_]));
    std::uint8_t first = in_[pos_ + 1];
    pos_ += 2;
    std::size_t length = first;
    if (first == 0x80)
      return make_error(errc::malformed,
                        fmt::format("SignedKey {}: indefinite length is not "
                                    "DER",
                                    what));
    if (first > 0x80) {
      std::size_t n = first & 0x7f;
      if (n > max_length_octets)
        return make_error(errc::too_large,
                          fmt::format("SignedKey {}: a {}-byte length field "
                                      "exceeds every length within the "
                                      "{}-byte bound",
                                      what, n, max_signed_key_size));
      if (remaining() < n)
        return make_error(errc::malformed,
                          fmt::format("SignedKey {} truncated inside the "
                                      "length field",
                                      what));
      length = 0;
      for (std::size_t i = 0; i < n; ++i)
        length = (length << 8) | in_[pos_ + i];
      pos_ += n;
      if (in_[pos_ - n] == 0 || length < 0x80)
        return make_error(errc::malformed,
                          fmt::format("SignedKey {}: length {} is not "
                                      "minimally encoded (not DER)",
                                      what, length));
    }
    if (length > bound)
      return make_error(errc::too_large,
                        fmt::format("SignedKey {} of {} bytes exceeds the "
                                    "{}-byte bound",
                                    what, length, bound));
    if (length > remaining())
      return make_error(errc::malformed,
                        fmt::format("SignedKey {} truncated: {} bytes "
                                    "declared, {} left",
                                    what, length, remaining()));
    return length;
  }

  bytes_view take(std::size_t n) {
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

private:
  bytes_view in_;
  std::size_t pos_ = 0;
};

} // namespace

bytes signing_message(bytes_view spki) {
  auto out = to_bytes(signing_prefix);
  append(out, spki);
  return out;
}

signed_key sign_certificate_key(const identity::private_key& host,
                                bytes_view spki) {
  return signed_key{host.public_key().to_protobuf(),
                    host.sign(signing_message(spki))};
}

result<bytes> encode_signed_key(const signed_key& key) {
  if (key.public_key.size() > identity::max_key_protobuf_size)
    return make_error(errc::too_large,
                      fmt::format("SignedKey publicKey of {} bytes exceeds "
                                  "the {}-byte bound",
                                  key.public_key.size(),
                                  identity::max_key_protobuf_size));
  if (key.signature.size() > max_signature_size)
    return make_error(errc::too_large,
                      fmt::format("SignedKey signature of {} bytes exceeds "
                                  "the {}-byte bound",
                                  key.signature.size(), max_signature_size));
  auto content = header_size(key.public_key.size()) + key.public_key.size()
                 + header_size(key.signature.size()) + key.signature.size();
  bytes out;
  out.reserve(header_size(content) + content);
  put_header(out, tag_sequence, content);
  put_header(out, tag_octet_string, key.public_key.size());
  append(out, key.public_key);
  put_header(out, tag_octet_string, key.signature.size());
  append(out, key.signature);
  return out;
}

result<signed_key> decode_signed_key(bytes_view der) {
  if (der.size() > max_signed_key_size)
    return make_error(errc::too_large,
                      fmt::format("SignedKey of {} bytes exceeds the "
                                  "{}-byte bound",
                                  der.size(), max_signed_key_size));
  reader outer{der};
  auto seq_len = outer.header(tag_sequence, "SEQUENCE", max_signed_key_size);
  if (!seq_len)
    return seq_len.error();
  if (outer.remaining() != *seq_len)
    return make_error(errc::malformed,
                      fmt::format("SignedKey has {} trailing bytes after the "
                                  "SEQUENCE",
                                  outer.remaining() - *seq_len));
  reader inner{outer.take(*seq_len)};
  signed_key out;
  auto key_len = inner.header(tag_octet_string, "publicKey",
                              identity::max_key_protobuf_size);
  if (!key_len)
    return key_len.error();
  auto key = inner.take(*key_len);
  auto sig_len = inner.header(tag_octet_string, "signature",
                              max_signature_size);
  if (!sig_len)
    return sig_len.error();
  auto sig = inner.take(*sig_len);
  if (!inner.empty())
    return make_error(errc::malformed,
                      fmt::format("SignedKey SEQUENCE has {} bytes after the "
                                  "signature (expected exactly two fields)",
                                  inner.remaining()));
  out.public_key.assign(key.begin(), key.end());
  out.signature.assign(sig.begin(), sig.end());
  return out;
}

} // namespace canswarm::tls
