// libp2p TLS transport phase: SSL_write / SSL_read over memory BIOs.

#include "canswarm/tls/session.hpp"

#include <algorithm>
#include <array>

#include "engine.hpp"

namespace canswarm::tls {

session::session(std::unique_ptr<detail::engine> engine)
    : engine_(std::move(engine)) {}

session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

result<void> session::fail(error err) {
  if (!failure_)
    failure_ = std::move(err);
  return *failure_;
}

void session::encrypt(bytes_view plaintext, bytes& out) {
  if (failure_ || closed_)
    return;
  SSL* ssl = engine_->ssl.get();
  std::size_t pos = 0;
  while (pos < plaintext.size()) {
    auto n = std::min(max_record_plaintext, plaintext.size() - pos);
    ERR_clear_error();
    // Partial writes are off: a positive result means all n bytes.
    int rc = SSL_write(ssl, plaintext.data() + pos, static_cast<int>(n));
    if (rc <= 0) {
      fail(engine_->failure(rc, "write"));
      return;
    }
    pos += static_cast<std::size_t>(rc);
  }
  engine_->drain(out);
}

result<void> session::decrypt(bytes_view input, bytes& plaintext_out) {
  if (failure_)
    return *failure_;
  if (remote_closed_)
    return {};
  SSL* ssl = engine_->ssl.get();
  std::array<std::uint8_t, max_record_plaintext> buf;
  std::size_t pos = 0;
  do {
    auto n = std::min(max_record_size, input.size() - pos);
    engine_->feed(input.subspan(pos, n));
    pos += n;
    for (;;) {
      ERR_clear_error();
      int rc = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
      if (rc > 0) {
        plaintext_out.insert(plaintext_out.end(), buf.begin(),
                             buf.begin() + rc);
        continue;
      }
      int code = SSL_get_error(ssl, rc);
      if (code == SSL_ERROR_WANT_READ)
        break;
      if (code == SSL_ERROR_ZERO_RETURN) {
        remote_closed_ = true;
        return {};
      }
      return fail(engine_->failure(rc, "record"));
    }
  } while (pos < input.size());
  return {};
}

bytes session::take_output() {
  bytes out;
  engine_->drain(out);
  return out;
}

void session::close(bytes& out) {
  if (closed_)
    return;
  closed_ = true;
  ERR_clear_error();
  SSL_shutdown(engine_->ssl.get());
  ERR_clear_error();
  engine_->drain(out);
}

std::size_t session::buffered() const {
  return engine_->unread();
}

} // namespace canswarm::tls
