// libp2p TLS handshake: drives SSL_do_handshake over memory BIOs.

#include "canswarm/tls/handshake.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "engine.hpp"

namespace canswarm::tls {

handshake::handshake(role side, const identity::private_key& identity,
                     std::optional<peer_id> expected_remote, unix_time now) {
  auto local = certificate::generate(identity);
  if (!local) {
    fail(local.error());
    return;
  }
  local_ = std::move(*local);
  auto engine = detail::engine::create(side, *local_,
                                       std::move(expected_remote), now);
  if (!engine) {
    fail(engine.error());
    return;
  }
  engine_ = std::move(*engine);
  role_ = side;
}

handshake::handshake(role side, certificate local,
                     std::optional<peer_id> expected_remote, unix_time now)
    : local_(std::move(local)) {
  auto engine = detail::engine::create(side, *local_,
                                       std::move(expected_remote), now);
  if (!engine) {
    fail(engine.error());
    return;
  }
  engine_ = std::move(*engine);
  role_ = side;
}

handshake::handshake(handshake&&) noexcept = default;
handshake& handshake::operator=(handshake&&) noexcept = default;
handshake::~handshake() = default;

void handshake::start() {
  if (started_ || state_ != status::in_progress)
    return;
  started_ = true;
  if (role_ == role::initiator)
    drive();
}

bytes handshake::take_output() {
  return std::exchange(output_, {});
}

void handshake::fail(error err) {
  if (state_ == status::failed)
    return;
  state_ = status::failed;
  failure_ = std::move(err);
  remaining_.clear();
}

void handshake::handle_input(bytes_view input) {
  if (state_ == status::failed)
    return;
  if (state_ == status::done) {
    append(remaining_, input);
    return;
  }
  start();
  std::size_t pos = 0;
  while (pos < input.size() && state_ == status::in_progress) {
    auto n = std::min(max_record_size, input.size() - pos);
    engine_->feed(input.subspan(pos, n));
    pos += n;
    input_total_ += n;
    drive();
    if (state_ == status::in_progress && input_total_ > max_handshake_input)
      fail(make_error(errc::too_large,
                      fmt::format("tls handshake: the remote sent {} bytes "
                                  "without completing, over the {}-byte "
                                  "bound",
                                  input_total_, max_handshake_input)));
  }
  if (state_ == status::done) {
    append(remaining_, engine_->take_unread());
    append(remaining_, input.subspan(pos));
  }
}

void handshake::drive() {
  ERR_clear_error();
  SSL* ssl = engine_->ssl.get();
  int rc = SSL_do_handshake(ssl);
  int code = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, rc);
  if (rc != 1 && code != SSL_ERROR_WANT_READ) {
    auto err = engine_->failure(rc, "handshake");
    engine_->drain(output_); // the alert telling the remote why
    return fail(std::move(err));
  }
  engine_->drain(output_);
  if (engine_->remote && !remote_peer_) {
    remote_peer_ = engine_->remote->peer;
    remote_key_ = engine_->remote->public_key;
  }
  if (rc != 1)
    return;
  if (!remote_peer_)
    return fail(make_error(errc::protocol,
                           "tls handshake completed without a verified "
                           "remote certificate"));
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn != nullptr)
    alpn_.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  state_ = status::done;
}

result<session> handshake::finish() {
  if (state_ == status::failed)
    return *failure_;
  if (state_ != status::done)
    return make_error(errc::invalid_argument,
                      "tls handshake is still in progress");
  if (!engine_)
    return make_error(errc::invalid_argument, "tls handshake already finished");
  return session{std::move(engine_)};
}

bytes handshake::take_remaining() {
  if (state_ != status::done)
    return {};
  return std::exchange(remaining_, {});
}

} // namespace canswarm::tls
