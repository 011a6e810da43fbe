#include "bad_input_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

#include "canswarm/log/log.hpp"
#include "canswarm/multistream/negotiator.hpp"
#include "canswarm/noise/handshake.hpp"

namespace canswarm::test {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// Every protocol step of the attacker must finish within this.
constexpr auto step_timeout = 5s;

/// Most log lines kept by a capture (a test produces a few dozen).
constexpr std::size_t max_captured_lines = 100000;

noise::key32 random_key() {
  std::random_device rd;
  noise::key32 k;
  for (auto& b : k)
    b = static_cast<std::uint8_t>(rd());
  return k;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("raw peer: " + what);
}

} // namespace

std::uint16_t port_of(const std::string& listen_addr) {
  auto pos = listen_addr.rfind('/');
  if (pos == std::string::npos)
    fail("no port in " + listen_addr);
  return static_cast<std::uint16_t>(std::stoi(listen_addr.substr(pos + 1)));
}

// -- raw_peer: socket ---------------------------------------------------------

raw_peer::raw_peer(std::uint16_t port, int rcvbuf)
    : key_(identity::private_key::generate_ed25519()) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    fail(std::string{"socket: "} + std::strerror(errno));
  if (rcvbuf > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    fail(std::string{"connect: "} + std::strerror(errno));
}

raw_peer::~raw_peer() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::uint16_t raw_peer::local_port() const {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

void raw_peer::send(bytes_view data) {
  auto deadline = clock_type::now() + step_timeout;
  while (!data.empty()) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data = data.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      fail(std::string{"send: "} + std::strerror(errno));
    if (clock_type::now() >= deadline)
      fail("send blocked for 5 s");
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
}

bytes raw_peer::read_some(std::chrono::milliseconds wait) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0)
    return {};
  bytes buf(64 * 1024);
  auto n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n <= 0)
    return {};
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

bool raw_peer::wait_closed(std::chrono::milliseconds wait) {
  auto deadline = clock_type::now() + wait;
  bytes buf(256 * 1024);
  while (clock_type::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    auto n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n == 0)
      return true; // EOF
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return true; // ECONNRESET and friends
  }
  return false;
}

// -- raw_peer: protocols ------------------------------------------------------

void raw_peer::negotiate_plain(const std::string& protocol) {
  multistream::dialer d{{protocol}};
  send(d.take_output());
  auto deadline = clock_type::now() + step_timeout;
  while (d.state() == multistream::state::negotiating) {
    if (clock_type::now() >= deadline)
      fail("no multistream answer for " + protocol);
    auto in = read_some(100ms);
    if (!in.empty())
      d.handle_input(in);
    send(d.take_output());
  }
  if (d.state() == multistream::state::failed)
    fail("multistream: " + d.failure().describe());
  raw_rest_ = d.take_remaining();
}

void raw_peer::noise_handshake(const peer_id& remote) {
  noise::handshake hs{noise::role::initiator, key_, random_key(), random_key(),
                      remote};
  hs.start();
  send(hs.take_output());
  if (!raw_rest_.empty()) {
    hs.handle_input(raw_rest_);
    raw_rest_.clear();
  }
  auto deadline = clock_type::now() + step_timeout;
  while (hs.state() == noise::handshake::status::in_progress) {
    if (clock_type::now() >= deadline)
      fail("noise handshake timed out");
    auto in = read_some(100ms);
    if (!in.empty())
      hs.handle_input(in);
  }
  if (hs.state() == noise::handshake::status::failed)
    fail("noise: " + hs.failure()->describe());
  send(hs.take_output()); // Message 3.
  auto s = hs.finish();
  if (!s)
    fail("noise finish: " + s.error().describe());
  session_.emplace(std::move(*s));
  auto rest = hs.take_remaining();
  if (!rest.empty())
    if (auto ok = session_->decrypt(rest, plain_); !ok)
      fail("noise decrypt: " + ok.error().describe());
}

void raw_peer::send_secure(bytes_view plain) {
  bytes wire;
  session_->encrypt(plain, wire);
  send(wire);
}

bytes raw_peer::read_secure(std::chrono::milliseconds wait) {
  auto in = read_some(wait);
  bytes out;
  if (!in.empty())
    if (auto ok = session_->decrypt(in, out); !ok)
      fail("noise decrypt: " + ok.error().describe());
  return out;
}

void raw_peer::negotiate_secure(const std::string& protocol) {
  multistream::dialer d{{protocol}};
  send_secure(d.take_output());
  if (!plain_.empty()) {
    d.handle_input(plain_);
    plain_.clear();
  }
  auto deadline = clock_type::now() + step_timeout;
  while (d.state() == multistream::state::negotiating) {
    if (clock_type::now() >= deadline)
      fail("no multistream answer for " + protocol);
    auto in = read_secure(100ms);
    if (!in.empty())
      d.handle_input(in);
    send_secure(d.take_output());
  }
  if (d.state() == multistream::state::failed)
    fail("multistream: " + d.failure().describe());
  plain_ = d.take_remaining();
}

void raw_peer::upgrade(const peer_id& remote) {
  negotiate_plain(std::string{noise::protocol_id});
  noise_handshake(remote);
  negotiate_secure(yamux::protocol_id);
}

void raw_peer::send_frame(const yamux::header& h, bytes_view body) {
  bytes plain;
  yamux::encode_header(h, plain);
  append(plain, body);
  send_secure(plain);
}

std::vector<yamux::header> raw_peer::parse_frames() {
  std::vector<yamux::header> out;
  std::size_t pos = 0;
  for (;;) {
    if (body_left_ > 0) {
      auto n = std::min<std::size_t>(body_left_, plain_.size() - pos);
      pos += n;
      body_left_ -= static_cast<std::uint32_t>(n);
      if (body_left_ > 0)
        break;
    }
    if (plain_.size() - pos < yamux::header_size)
      break;
    auto h = yamux::decode_header(bytes_view{plain_}.subspan(pos));
    if (!h)
      fail("yamux from canswarm: " + h.error().describe());
    pos += yamux::header_size;
    if (h->type == yamux::frame_type::data)
      body_left_ = h->length;
    frames_.push_back(*h);
    out.push_back(*h);
  }
  plain_.erase(plain_.begin(),
               plain_.begin() + static_cast<std::ptrdiff_t>(pos));
  return out;
}

bool raw_peer::ping_alive(std::uint32_t opaque,
                          std::chrono::milliseconds wait) {
  send_frame(yamux::header{yamux::protocol_version, yamux::frame_type::ping,
                           yamux::flag_syn, 0, opaque});
  auto pong = read_frame_until(
    [&](const yamux::header& h) {
      return h.type == yamux::frame_type::ping && h.has(yamux::flag_ack)
             && h.length == opaque;
    },
    wait);
  return pong.has_value();
}

// -- log_capture --------------------------------------------------------------

log_capture::log_capture() : data_(std::make_shared<shared>()) {
  auto data = data_;
  log::global().set_sink([data](std::string_view line) {
    std::lock_guard<std::mutex> guard{data->mtx};
    if (data->lines.size() < max_captured_lines)
      data->lines.emplace_back(line);
  });
}

log_capture::~log_capture() {
  log::global().set_sink({});
}

std::string log_capture::wait_for(const std::vector<std::string>& needles,
                                  std::chrono::milliseconds wait) const {
  auto deadline = clock_type::now() + wait;
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{data_->mtx};
      for (const auto& line : data_->lines) {
        bool all = true;
        for (const auto& x : needles)
          all = all && line.find(x) != std::string::npos;
        if (all)
          return line;
      }
    }
    if (clock_type::now() >= deadline)
      return {};
    std::this_thread::sleep_for(20ms);
  }
}

std::string log_capture::dump() const {
  std::lock_guard<std::mutex> guard{data_->mtx};
  std::string out;
  for (const auto& line : data_->lines)
    out += line + "\n";
  return out;
}

} // namespace canswarm::test
