#include "canswarm/identify/reader.hpp"

#include <fmt/format.h>

namespace canswarm::identify {

error reader::fail(error err) {
  failed_ = true;
  failure_ = err;
  pending_.clear();
  return err;
}

result<void> reader::handle_input(bytes_view data) {
  if (failed_)
    return failure_;
  append(pending_, data);
  std::size_t pos = 0;
  for (;;) {
    auto f = varint::read_frame(bytes_view{pending_}.subspan(pos),
                                max_message_size);
    if (f.st == varint::status::incomplete)
      break;
    if (f.st == varint::status::too_large)
      return fail(make_error(errc::too_large, fmt::format("identify frame: {} "
                                                          "(max_message_size)",
                                                          f.reason)));
    if (f.st == varint::status::malformed)
      return fail(make_error(errc::malformed,
                             fmt::format("identify frame: {}", f.reason)));
    if (frames_ == max_messages)
      return fail(
        make_error(errc::too_large, fmt::format("more than {} identify frames "
                                                "(max_messages)",
                                                max_messages)));
    auto m = decode(f.body);
    if (!m)
      return fail(m.error());
    if (auto ok = merge(merged_, *m); !ok)
      return fail(ok.error());
    ++frames_;
    pos += f.size;
  }
  pending_.erase(pending_.begin(),
                 pending_.begin() + static_cast<std::ptrdiff_t>(pos));
  // read_frame refuses longer frames, so this holds; checked regardless.
  if (pending_.size() > max_pending_input)
    return fail(make_error(errc::too_large,
                           fmt::format("{} unparsed bytes over limit {}",
                                       pending_.size(), max_pending_input)));
  return {};
}

result<message> reader::finish() {
  if (failed_)
    return failure_;
  if (!pending_.empty())
    return fail(make_error(errc::malformed,
                           fmt::format("stream closed inside an identify "
                                       "frame ({} bytes left)",
                                       pending_.size())));
  if (frames_ == 0)
    return fail(
      make_error(errc::malformed, "stream closed before an identify message"));
  return merged_;
}

} // namespace canswarm::identify
