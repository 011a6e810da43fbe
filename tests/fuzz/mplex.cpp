// Fuzz target: mplex (protocols/mplex): the frame header codec and a
// session fed bytes from a hostile remote, with API calls chosen by the
// input.
//
// Input: byte 0 selects the mode:
//   bit 0 clear  the rest is a frame header (decode_header);
//   bit 0 set    a session (server when bit 1 is set; small limits when
//                bit 2 is set; manual consume when bit 3 is set) driven by
//                operations: one byte op, then its arguments.
// Properties:
//  - an accepted header re-encodes to exactly the bytes consumed and
//    respects the stream number and length bounds;
//  - the session stays within its configured bounds after every operation
//    (streams, send and receive buffers, control frames, events), and a
//    failed session is closed.

#include <chrono>
#include <cstdint>
#include <variant>
#include <vector>

#include "canswarm/mplex/frame.hpp"
#include "canswarm/mplex/session.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::mplex;

namespace {

void check_header(bytes_view in) {
  auto d = decode_header(in);
  if (d.st != decoded_header::status::ok)
    return;
  FUZZ_CHECK(d.value.stream <= max_stream_number);
  FUZZ_CHECK(d.value.length <= max_message_size);
  FUZZ_CHECK(d.size <= max_header_size && d.size <= in.size());
  bytes again;
  encode_header(d.value, again);
  FUZZ_CHECK(again == fuzz::copy(in.first(d.size)));
}

config make_config(std::uint8_t mode) {
  config cfg;
  if ((mode & 4) != 0) {
    cfg.max_inbound_streams = 3;
    cfg.max_outbound_streams = 3;
    cfg.max_stream_receive_buffer = 4096;
    cfg.max_session_receive_buffer = 8192;
    cfg.max_stream_send_buffer = 4096;
    cfg.max_session_send_buffer = 8192;
    cfg.max_frame_body = 512;
    cfg.max_pending_control_frames = 8;
  }
  cfg.auto_consume = (mode & 8) == 0;
  return cfg;
}

void check_bounds(const session& s) {
  const auto& cfg = s.settings();
  auto st = s.stats();
  FUZZ_CHECK(st.inbound_streams <= cfg.max_inbound_streams);
  FUZZ_CHECK(st.outbound_streams <= cfg.max_outbound_streams);
  FUZZ_CHECK(st.send_buffered <= cfg.max_session_send_buffer);
  FUZZ_CHECK(st.recv_buffered <= cfg.max_session_receive_buffer);
  FUZZ_CHECK(st.control_frames_pending <= cfg.max_pending_control_frames + 1);
  FUZZ_CHECK(st.events_pending <= max_pending_events);
  if (s.failure())
    FUZZ_CHECK(s.closed());
}

void run_session(std::uint8_t mode, fuzz::input& in) {
  session s{(mode & 2) != 0 ? role::server : role::client, make_config(mode)};
  std::vector<stream_id> streams;
  auto pick = [&](std::uint8_t sel) {
    return streams.empty() ? stream_id{sel} : streams[sel % streams.size()];
  };
  time_point now{};
  for (int i = 0; i < 4096 && !in.empty(); ++i) {
    switch (in.byte() % 9) {
      case 0:
        if (auto id = s.open_stream())
          streams.push_back(*id);
        break;
      case 1: {
        auto id = pick(in.byte());
        bytes data(in.u16() % 20000, 0x5a);
        if (auto n = s.write(id, data, now))
          FUZZ_CHECK(*n <= data.size());
        break;
      }
      case 2: (void)s.close(pick(in.byte())); break;
      case 3: (void)s.reset(pick(in.byte())); break;
      case 4: {
        bytes out;
        s.poll_transmit(out, 1 + in.u16());
        break;
      }
      case 5: s.handle_input(in.take_long(), now); break;
      case 6:
        while (auto ev = s.poll_event()) {
          if (auto* o = std::get_if<stream_opened>(&*ev))
            streams.push_back(o->id);
          if (std::holds_alternative<session_error>(*ev))
            FUZZ_CHECK(s.failure().has_value());
        }
        break;
      case 7: s.consume(pick(in.byte()), in.u16(), now); break;
      default: s.go_away(); break;
    }
    now += std::chrono::milliseconds{1};
    check_bounds(s);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  if ((mode & 1) == 0)
    check_header(in.rest());
  else
    run_session(mode, in);
  return 0;
}
