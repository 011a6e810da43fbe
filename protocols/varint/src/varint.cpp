#include "canswarm/varint/varint.hpp"

#include <fmt/format.h>

namespace canswarm::varint {

void encode(std::uint64_t value, bytes& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

bytes encode(std::uint64_t value) {
  bytes out;
  encode(value, out);
  return out;
}

std::size_t encoded_size(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

decoded decode(bytes_view in, std::uint64_t bound) {
  decoded result;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i == max_bytes) {
      result.st = status::malformed;
      result.reason = "varint longer than 9 bytes";
      return result;
    }
    auto b = in[i];
    value |= std::uint64_t{static_cast<std::uint8_t>(b & 0x7f)} << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) {
        result.st = status::malformed;
        result.reason = "varint not minimally encoded";
        return result;
      }
      if (value > bound) {
        result.st = status::too_large;
        result.value = value;
        result.reason = fmt::format("varint value {} exceeds bound {}", value,
                                    bound);
        return result;
      }
      result.st = status::ok;
      result.value = value;
      result.size = i + 1;
      return result;
    }
  }
  if (in.size() >= max_bytes) {
    result.st = status::malformed;
    result.reason = "varint longer than 9 bytes";
  }
  return result;
}

result<std::pair<std::uint64_t, std::size_t>> read(bytes_view in,
                                                   std::uint64_t bound) {
  auto d = decode(in, bound);
  switch (d.st) {
    case status::ok: return std::pair{d.value, d.size};
    case status::incomplete:
      return make_error(errc::malformed, "truncated varint");
    case status::malformed: return make_error(errc::malformed, d.reason);
    case status::too_large: break;
  }
  return make_error(errc::too_large, d.reason);
}

void write_frame(bytes_view body, bytes& out) {
  encode(body.size(), out);
  append(out, body);
}

frame read_frame(bytes_view in, std::size_t max_len) {
  frame result;
  auto d = decode(in, max_len);
  if (d.st != status::ok) {
    result.st = d.st;
    result.reason = d.st == status::too_large
                      ? fmt::format("frame length {} over limit {}", d.value,
                                    max_len)
                      : d.reason;
    return result;
  }
  if (in.size() - d.size < d.value)
    return result; // incomplete
  result.st = status::ok;
  result.body = in.subspan(d.size, d.value);
  result.size = d.size + d.value;
  return result;
}

} // namespace canswarm::varint
