// noise-libp2p transport framing: 2-byte big-endian length + ciphertext.

#include "canswarm/noise/session.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace canswarm::noise {

namespace {

std::size_t read_be16(const std::uint8_t* p) {
  return (std::size_t{p[0]} << 8) | p[1];
}

} // namespace

session::session(cipher_state send, cipher_state receive)
    : send_(std::move(send)), receive_(std::move(receive)) {}

result<void> session::fail(error err) {
  failure_ = err;
  return err;
}

void session::encrypt(bytes_view plaintext, bytes& out) {
  if (failure_ || plaintext.empty())
    return;
  constexpr std::size_t overhead = length_prefix_size + tag_size;
  auto frames = (plaintext.size() + max_frame_plaintext - 1)
                / max_frame_plaintext;
  auto offset = out.size();
  // One resize for the whole write; each frame is encrypted straight from
  // the caller's plaintext into its place in `out`.
  out.resize(offset + plaintext.size() + frames * overhead);
  auto* dst = out.data() + offset;
  auto* src = plaintext.data();
  auto remaining = plaintext.size();
  while (remaining > 0) {
    auto n = std::min(remaining, max_frame_plaintext);
    auto frame_len = n + tag_size;
    dst[0] = static_cast<std::uint8_t>(frame_len >> 8);
    dst[1] = static_cast<std::uint8_t>(frame_len);
    if (auto ok = send_.seal_to(src, n, dst + length_prefix_size); !ok) {
      out.resize(static_cast<std::size_t>(dst - out.data()));
      failure_ = ok.error();
      return;
    }
    dst += length_prefix_size + frame_len;
    src += n;
    remaining -= n;
  }
}

result<void> session::open_frame(bytes_view body, bytes& plaintext_out) {
  if (body.size() < tag_size)
    return fail(make_error(errc::malformed,
                           fmt::format("noise transport frame of {} bytes is "
                                       "shorter than its {}-byte tag",
                                       body.size(), tag_size)));
  auto len = body.size() - tag_size;
  auto offset = plaintext_out.size();
  plaintext_out.resize(offset + len);
  if (auto ok = receive_.open_to(body.data(), len,
                                 plaintext_out.data() + offset);
      !ok) {
    plaintext_out.resize(offset);
    return fail(ok.error());
  }
  return {};
}

result<void> session::decrypt(bytes_view input, bytes& plaintext_out) {
  if (failure_)
    return *failure_;
  auto in = input;
  auto top_up = [&](std::size_t want) {
    if (pending_.size() >= want)
      return true;
    auto n = std::min(want - pending_.size(), in.size());
    pending_.insert(pending_.end(), in.begin(), in.begin() + n);
    in = in.subspan(n);
    return pending_.size() == want;
  };
  if (!pending_.empty()) {
    if (!top_up(length_prefix_size))
      return {};
    auto want = length_prefix_size + read_be16(pending_.data());
    if (!top_up(want))
      return {};
    auto ok = open_frame(bytes_view{pending_}.subspan(length_prefix_size),
                         plaintext_out);
    pending_.clear();
    if (!ok)
      return ok;
  }
  // Whole frames are decrypted straight from the caller's input.
  while (in.size() >= length_prefix_size) {
    auto frame_len = read_be16(in.data());
    if (in.size() < length_prefix_size + frame_len)
      break;
    if (auto ok = open_frame(in.subspan(length_prefix_size, frame_len),
                             plaintext_out);
        !ok)
      return ok;
    in = in.subspan(length_prefix_size + frame_len);
  }
  // The rest is shorter than one frame, so pending_ stays bounded by
  // length_prefix_size + max_frame_size.
  append(pending_, in);
  return {};
}

} // namespace canswarm::noise
