// Fuzz target: the sans-IO yamux session (protocols/yamux, session) driven
// by a virtual clock, with API calls chosen by the input.
//
// Input: byte 0 selects the mode and the configuration:
//   bit 0   0: one session (client or server by bit 1) whose remote is the
//              fuzzer: "deliver" operations feed input bytes;
//           1: a client and a server joined by a link the fuzzer schedules:
//              "deliver" moves bytes the other side transmitted;
//   bit 2   small limits (4 streams, backlog 2, 4 KiB send buffers, 512-byte
//           frames, 8 control frames), to reach every bound quickly;
//   bit 3   manual consume (config::auto_consume off);
//   bit 4   keep-alive pings every second; bit 5: no RTT ping.
// The rest is a list of operations: one byte op, then its arguments.
// Properties (after every operation):
//  - the session stays within its configured bounds (streams, ACK backlog,
//    events, control frames, send buffers, receive windows);
//  - a failed session is closed and reports an error;
//  - with two honest sessions, no protocol or flow-control error ever
//    happens (only timeouts and a full control-frame queue, when the fuzzer
//    stalls the link), and every byte received on a stream is a prefix of
//    what the other side's write() accepted.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "canswarm/yamux/session.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::yamux;
using namespace std::chrono_literals;

namespace {

config make_config(std::uint8_t mode) {
  config cfg;
  if ((mode & 4) != 0) {
    cfg.max_concurrent_streams = 4;
    cfg.max_inbound_ack_backlog = 2;
    cfg.max_outbound_ack_backlog = 2;
    cfg.max_stream_send_buffer = 4096;
    cfg.max_session_send_buffer = 8192;
    cfg.max_frame_body = 512;
    cfg.max_pending_control_frames = 8;
    cfg.max_stream_window = initial_window * 2;
    cfg.max_session_receive_window = initial_window * 4;
  }
  cfg.auto_consume = (mode & 8) == 0;
  if ((mode & 16) != 0)
    cfg.keep_alive_interval = 1s;
  cfg.rtt_ping = (mode & 32) == 0;
  return cfg;
}

// One end: the session, the streams it knows and the bytes per stream.
struct end {
  explicit end(role r, const config& cfg) : s(r, cfg) {}
  session s;
  std::vector<stream_id> streams;
  std::map<std::uint64_t, bytes> sent; // Accepted by write().
  std::map<std::uint64_t, bytes> received; // From stream_data events.
  std::map<std::uint64_t, std::size_t> unconsumed;
  bytes link; // Transmitted, not yet delivered to the other end.

  stream_id pick(std::uint8_t selector) const {
    if (streams.empty())
      return stream_id{selector}; // Unknown ids must be handled too.
    return streams[selector % streams.size()];
  }
};

// Failures two honest sessions may see: the fuzzer stalls the link or
// never transmits, so pings time out and pong / RST queues fill up.
// One more: yamux cannot tell a peer our max_concurrent_streams, and each
// end's count of live streams lags the other's (closes and resets in
// flight), so an honest end can keep opening streams the other refuses for
// that bound, and be disconnected after max_refused_streams of them in a
// row (the rule that stops a flooding peer; corpus/yamux_session/
// regress-opens-past-remote-stream-limit). Refusals for the ACK backlog,
// which both ends count alike, stay dishonest.
bool honest_failure(const error& err, const config& cfg) {
  auto full = fmt::format("({} live streams,", cfg.max_concurrent_streams);
  auto honest = err.code == errc::timeout
                || (err.code == errc::too_large
                    && err.message.find("control frames pending")
                         != std::string::npos)
                || (err.code == errc::protocol
                    && err.message.find("max_refused_streams")
                         != std::string::npos
                    && err.message.find(full) != std::string::npos);
  if (!honest)
    std::fprintf(stderr, "yamux_session: an honest pair failed: %s\n",
                 err.describe().c_str());
  return honest;
}

void check_bounds(const end& e) {
  const auto& cfg = e.s.settings();
  auto st = e.s.stats();
  FUZZ_CHECK(st.streams <= cfg.max_concurrent_streams);
  FUZZ_CHECK(st.inbound_unacked <= cfg.max_inbound_ack_backlog);
  FUZZ_CHECK(st.outbound_unacked <= cfg.max_outbound_ack_backlog);
  FUZZ_CHECK(st.send_buffered <= cfg.max_session_send_buffer);
  FUZZ_CHECK(st.control_frames_pending <= cfg.max_pending_control_frames + 1);
  FUZZ_CHECK(st.events_pending <= max_pending_events);
  FUZZ_CHECK(st.total_recv_window <= cfg.max_session_receive_window);
  FUZZ_CHECK(st.largest_recv_window <= cfg.max_stream_window);
  if (e.s.failure())
    FUZZ_CHECK(e.s.closed());
}

// Drains events; checks stream data against what the peer accepted.
void drain(end& e, const end* peer, time_point now) {
  while (auto ev = e.s.poll_event()) {
    if (auto* o = std::get_if<stream_opened>(&*ev)) {
      e.streams.push_back(o->id);
    } else if (auto* d = std::get_if<stream_data>(&*ev)) {
      auto& got = e.received[d->id.value];
      append(got, d->data);
      e.unconsumed[d->id.value] += d->data.size();
      if (peer != nullptr) {
        auto it = peer->sent.find(d->id.value);
        FUZZ_CHECK(it != peer->sent.end());
        FUZZ_CHECK(got.size() <= it->second.size());
        FUZZ_CHECK(std::equal(got.begin(), got.end(), it->second.begin()));
      }
      e.s.recycle(std::move(d->data));
    } else if (auto* f = std::get_if<session_error>(&*ev)) {
      FUZZ_CHECK(e.s.failure().has_value());
      FUZZ_CHECK(!f->err.message.empty());
      if (peer != nullptr)
        FUZZ_CHECK(honest_failure(f->err, e.s.settings()));
    }
  }
  (void)now;
}

void write(end& e, stream_id id, std::size_t n, time_point now) {
  bytes data(n);
  auto& so_far = e.sent[id.value];
  for (std::size_t i = 0; i < n; ++i)
    data[i] = static_cast<std::uint8_t>((so_far.size() + i) * 31 + id.value);
  // Odd sizes go through the owning overload (it takes the buffer whole
  // when it fits, else falls back to the copying one).
  auto copy = data;
  auto accepted = n % 2 == 1 ? e.s.write(id, std::move(copy), now)
                             : e.s.write(id, data, now);
  if (!accepted)
    return;
  FUZZ_CHECK(*accepted <= n);
  so_far.insert(so_far.end(), data.begin(),
                data.begin() + static_cast<std::ptrdiff_t>(*accepted));
  // The per-stream view stays within the configured bounds.
  if (auto info = e.s.stream_info(id)) {
    const auto& cfg = e.s.settings();
    FUZZ_CHECK(info->id == id);
    FUZZ_CHECK(info->recv_window <= cfg.max_stream_window);
    FUZZ_CHECK(info->recv_avail + info->recv_buffered <= info->recv_window);
    FUZZ_CHECK(info->send_buffered <= cfg.max_stream_send_buffer);
  }
}

// Runs one operation on `e`. `peer` is the other end in pair mode, else
// null (then "deliver" feeds input bytes).
void step(end& e, end* peer, fuzz::input& in, time_point& now) {
  auto op = in.byte();
  switch (op % 11) {
    case 0:
      if (auto id = e.s.open_stream())
        e.streams.push_back(*id);
      break;
    case 1: write(e, e.pick(in.byte()), in.u16() % 20000, now); break;
    case 2: (void)e.s.close(e.pick(in.byte())); break;
    case 3: (void)e.s.reset(e.pick(in.byte())); break;
    case 4: {
      bytes out;
      e.s.poll_transmit(out, 1 + in.u16());
      if (peer != nullptr)
        append(e.link, out);
      break;
    }
    case 5:
      if (peer != nullptr) {
        // Deliver what the other end transmitted.
        auto n = std::min<std::size_t>(1 + in.u16(), peer->link.size());
        e.s.handle_input(bytes_view{peer->link}.first(n), now);
        peer->link.erase(peer->link.begin(),
                         peer->link.begin() + static_cast<std::ptrdiff_t>(n));
      } else {
        e.s.handle_input(in.take_long(), now);
      }
      break;
    case 6:
      now += std::chrono::milliseconds{in.u16()};
      if (e.s.poll_timeout() <= now)
        e.s.handle_timeout(now);
      if (peer != nullptr && peer->s.poll_timeout() <= now)
        peer->s.handle_timeout(now);
      break;
    case 7: drain(e, peer, now); break;
    case 8: e.s.ping(now); break;
    case 9: e.s.go_away(static_cast<go_away_code>(in.byte() % 3)); break;
    default: {
      auto id = e.pick(in.byte());
      auto& owed = e.unconsumed[id.value];
      auto n = std::min<std::size_t>(owed, 1 + in.u16());
      e.s.consume(id, n, now);
      owed -= n;
      break;
    }
  }
  check_bounds(e);
}

void run_single(std::uint8_t mode, fuzz::input& in) {
  auto r = (mode & 2) != 0 ? role::server : role::client;
  end e{r, make_config(mode)};
  time_point now = time_point{} + 1h;
  for (int i = 0; i < 4096 && !in.empty(); ++i)
    step(e, nullptr, in, now);
  drain(e, nullptr, now);
}

void run_pair(std::uint8_t mode, fuzz::input& in) {
  auto cfg = make_config(mode);
  end client{role::client, cfg};
  end server{role::server, cfg};
  time_point now = time_point{} + 1h;
  for (int i = 0; i < 4096 && !in.empty(); ++i) {
    auto side = in.byte();
    auto& e = (side & 1) != 0 ? server : client;
    auto& peer = (side & 1) != 0 ? client : server;
    step(e, &peer, in, now);
    if (e.s.failure())
      FUZZ_CHECK(honest_failure(*e.s.failure(), e.s.settings()));
  }
  drain(client, &server, now);
  drain(server, &client, now);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  if ((mode & 1) != 0)
    run_pair(mode, in);
  else
    run_single(mode, in);
  return 0;
}
