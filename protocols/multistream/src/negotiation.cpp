#include "canswarm/multistream/negotiator.hpp"

#include <utility>

#include <fmt/format.h>

namespace canswarm::multistream {

const char* to_string(state st) {
  switch (st) {
    case state::negotiating: return "negotiating";
    case state::done: return "done";
    case state::failed: return "failed";
  }
  return "unknown";
}

bytes negotiation::take_output() {
  return std::exchange(out_, bytes{});
}

bytes negotiation::take_remaining() {
  return std::exchange(remaining_, bytes{});
}

bool negotiation::begin_input(bytes_view data) {
  switch (state_) {
    case state::done: append(remaining_, data); return false;
    case state::failed: return false;
    case state::negotiating: break;
  }
  append(buffer_, data);
  pos_ = 0;
  return true;
}

bool negotiation::next_line(std::string& text) {
  auto in = bytes_view{buffer_}.subspan(pos_);
  auto line = read_line(in);
  if (!line) {
    fail(line.error());
    return false;
  }
  if (!*line)
    return false;
  text = std::move((*line)->text);
  pos_ += (*line)->size;
  return true;
}

void negotiation::end_input() {
  switch (state_) {
    case state::done:
      append(remaining_, bytes_view{buffer_}.subspan(pos_));
      buffer_.clear();
      break;
    case state::failed: buffer_.clear(); break;
    case state::negotiating:
      buffer_.erase(buffer_.begin(),
                    buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
      // read_line refuses longer lines, so this holds; checked regardless.
      if (buffer_.size() > max_pending_input)
        fail(make_error(errc::too_large,
                        fmt::format("{} unparsed bytes over limit {}",
                                    buffer_.size(), max_pending_input)));
      break;
  }
  pos_ = 0;
}

void negotiation::succeed(std::string protocol) {
  protocol_ = std::move(protocol);
  state_ = state::done;
}

void negotiation::fail(error err) {
  if (state_ == state::failed)
    return;
  failure_ = std::move(err);
  state_ = state::failed;
}

} // namespace canswarm::multistream
