#include "canswarm/multistream/negotiator.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace canswarm::multistream {

listener::listener(std::vector<std::string> supported)
    : supported_(std::move(supported)) {
  if (supported_.size() > max_ls_protocols) {
    fail(make_error(errc::too_large,
                    fmt::format("{} supported protocols, ls limit is {}",
                                supported_.size(), max_ls_protocols)));
    return;
  }
  for (const auto& p : supported_) {
    if (auto ok = check_protocol(p); !ok) {
      fail(ok.error());
      return;
    }
  }
  bytes ls;
  write_ls_response(supported_, ls);
  auto body_size = ls.size() - varint::decode(ls).size;
  if (body_size > max_ls_response_size) {
    fail(make_error(errc::too_large,
                    fmt::format("ls answer of {} bytes over limit {}",
                                body_size, max_ls_response_size)));
    return;
  }
  write_line(protocol_id, output());
}

void listener::handle_input(bytes_view data) {
  if (!begin_input(data))
    return;
  std::string text;
  while (state() == state::negotiating && next_line(text))
    on_line(text);
  end_input();
}

void listener::on_line(const std::string& text) {
  if (!header_received_) {
    if (text != protocol_id) {
      fail(
        make_error(errc::protocol, fmt::format("expected header '{}', got '{}'",
                                               protocol_id, printable(text))));
      return;
    }
    header_received_ = true;
    return;
  }
  if (++rounds_ > max_rounds) {
    fail(make_error(errc::too_large,
                    fmt::format("remote sent more than {} proposals",
                                max_rounds)));
    return;
  }
  if (text == list_request) {
    write_ls_response(supported_, output());
    return;
  }
  auto i = std::find(supported_.begin(), supported_.end(), text);
  if (i == supported_.end()) {
    write_line(not_available, output());
    return;
  }
  write_line(text, output());
  succeed(text);
}

} // namespace canswarm::multistream
