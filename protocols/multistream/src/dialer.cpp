#include "canswarm/multistream/negotiator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace canswarm::multistream {

dialer::dialer(std::vector<std::string> protocols, dialer_options options)
    : protocols_(std::move(protocols)), options_(options) {
  if (protocols_.empty()) {
    fail(make_error(errc::invalid_argument, "no protocol to propose"));
    return;
  }
  if (protocols_.size() > max_rounds) {
    fail(make_error(errc::too_large,
                    fmt::format("{} protocols to propose, limit is {}",
                                protocols_.size(), max_rounds)));
    return;
  }
  for (const auto& p : protocols_) {
    if (auto ok = check_protocol(p); !ok) {
      fail(ok.error());
      return;
    }
  }
  write_line(protocol_id, output());
  if (options_.lazy)
    write_line(protocols_.front(), output());
}

void dialer::handle_input(bytes_view data) {
  if (!begin_input(data))
    return;
  std::string text;
  while (state() == state::negotiating && next_line(text))
    on_line(text);
  end_input();
}

void dialer::on_line(const std::string& text) {
  if (!header_received_) {
    if (text != protocol_id) {
      fail(
        make_error(errc::protocol, fmt::format("expected header '{}', got '{}'",
                                               protocol_id, printable(text))));
      return;
    }
    header_received_ = true;
    if (!options_.lazy)
      write_line(protocols_.front(), output());
    return;
  }
  const auto& proposal = protocols_[index_];
  if (text == proposal) {
    succeed(proposal);
    return;
  }
  if (text != not_available) {
    fail(make_error(errc::protocol,
                    fmt::format("unexpected answer '{}' to proposal '{}'",
                                printable(text), proposal)));
    return;
  }
  if (++index_ == protocols_.size()) {
    fail(make_error(errc::unsupported,
                    fmt::format("remote refused every proposed protocol: {}",
                                fmt::join(protocols_, ", "))));
    return;
  }
  write_line(protocols_[index_], output());
}

} // namespace canswarm::multistream
