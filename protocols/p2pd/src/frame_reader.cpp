// Streaming frame reader for control connections (see frame_reader.hpp).

#include "canswarm/p2pd/frame_reader.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::p2pd {

frame_reader::frame_reader(std::size_t max_frame) : max_frame_(max_frame) {}

std::size_t frame_reader::max_buffered() const {
  // One complete frame the caller has not taken yet plus one partial frame.
  return 2 * (max_frame_ + varint::max_bytes);
}

result<void> frame_reader::check_prefix(bytes_view front) const {
  auto d = varint::decode(front, max_frame_);
  switch (d.st) {
    case varint::status::ok:
    case varint::status::incomplete: return {};
    case varint::status::too_large:
      return make_error(errc::too_large,
                        fmt::format("frame length {} over limit {}", d.value,
                                    max_frame_));
    case varint::status::malformed:
      return make_error(errc::malformed,
                        fmt::format("bad frame length prefix: {}", d.reason));
  }
  return {};
}

result<void> frame_reader::fail(error err) {
  failed_ = err;
  buf_.clear();
  buf_.shrink_to_fit();
  pos_ = 0;
  return err;
}

result<void> frame_reader::feed(bytes_view data) {
  if (failed_)
    return *failed_;
  if (data.empty())
    return {};
  // The front length prefix, from buffered bytes then new ones, is checked
  // before anything of `data` is kept.
  std::array<std::uint8_t, varint::max_bytes> head{};
  std::size_t n = std::min(buffered(), head.size());
  std::copy_n(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), n,
              head.begin());
  auto extra = std::min(head.size() - n, data.size());
  std::copy_n(data.begin(), extra,
              head.begin() + static_cast<std::ptrdiff_t>(n));
  if (auto ok = check_prefix({head.data(), n + extra}); !ok)
    return fail(ok.error());
  if (buffered() + data.size() > max_buffered())
    return fail(
      make_error(errc::too_large,
                 fmt::format("{} bytes buffered over limit {} (take frames "
                             "with next())",
                             buffered() + data.size(), max_buffered())));
  if (pos_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  append(buf_, data);
  return {};
}

result<std::optional<bytes>> frame_reader::next() {
  if (failed_)
    return *failed_;
  bytes_view rest{buf_.data() + pos_, buffered()};
  auto f = varint::read_frame(rest, max_frame_);
  switch (f.st) {
    case varint::status::ok: {
      bytes body(f.body.begin(), f.body.end());
      pos_ += f.size;
      if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
      }
      return std::optional<bytes>{std::move(body)};
    }
    case varint::status::incomplete: return std::optional<bytes>{};
    case varint::status::too_large:
      return fail(make_error(errc::too_large, f.reason)).error();
    case varint::status::malformed:
      return fail(
               make_error(errc::malformed,
                          fmt::format("bad frame length prefix: {}", f.reason)))
        .error();
  }
  return std::optional<bytes>{};
}

bytes frame_reader::take_rest() {
  bytes rest(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.end());
  buf_.clear();
  pos_ = 0;
  return rest;
}

} // namespace canswarm::p2pd
