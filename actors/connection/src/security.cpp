// The security phase behind one interface (security.hpp) and the names of
// the upgrade choices (upgrade.hpp).

#include "canswarm/connection/security.hpp"

#include <fmt/format.h>

#include "canswarm/plaintext/exchange.hpp"

namespace canswarm::connection {

// -- upgrade.hpp --------------------------------------------------------------

const char* to_string(security_kind k) {
  switch (k) {
    case security_kind::noise: return "noise";
    case security_kind::tls: return "tls";
    case security_kind::plaintext: return "plaintext";
  }
  return "?";
}

std::string_view protocol_id(security_kind k) {
  switch (k) {
    case security_kind::noise: return noise::protocol_id;
    case security_kind::tls: return tls::protocol_id;
    case security_kind::plaintext: return plaintext::protocol_id;
  }
  return {};
}

result<security_kind> parse_security(std::string_view name) {
  for (auto k :
       {security_kind::noise, security_kind::tls, security_kind::plaintext})
    if (name == to_string(k))
      return k;
  return make_error(errc::invalid_argument,
                    fmt::format("unknown security protocol \"{}\": expected "
                                "noise, tls or plaintext",
                                name));
}

// -- secure_channel -----------------------------------------------------------

void secure_channel::encrypt(bytes_view plaintext, bytes& out) {
  if (auto* n = std::get_if<noise::session>(&impl_))
    n->encrypt(plaintext, out);
  else if (auto* t = std::get_if<tls::session>(&impl_))
    t->encrypt(plaintext, out);
  else
    append(out, plaintext);
}

result<void> secure_channel::decrypt(bytes_view input, bytes& plaintext_out) {
  if (auto* n = std::get_if<noise::session>(&impl_)) {
    auto ok = n->decrypt(input, plaintext_out);
    if (!ok)
      return make_error(ok.error().code,
                        "noise transport: " + ok.error().message);
    return {};
  }
  if (auto* t = std::get_if<tls::session>(&impl_)) {
    auto ok = t->decrypt(input, plaintext_out);
    if (!ok)
      return make_error(ok.error().code,
                        "tls transport: " + ok.error().message);
    if (t->remote_closed())
      return make_error(errc::io, "tls transport: the remote sent "
                                  "close_notify");
    return {};
  }
  append(plaintext_out, input);
  return {};
}

void secure_channel::take_control_output(bytes& out) {
  if (auto* t = std::get_if<tls::session>(&impl_))
    append(out, t->take_output());
}

// -- security_handshake -------------------------------------------------------

namespace {

using impl_type = std::variant<noise::handshake, tls::handshake,
                               plaintext::handshake>;

impl_type make_impl(security_kind kind, const security_params& p) {
  switch (kind) {
    case security_kind::noise:
      return impl_type{std::in_place_type<noise::handshake>,
                       p.initiator ? noise::role::initiator
                                   : noise::role::responder,
                       *p.key,
                       p.static_secret,
                       p.ephemeral_secret,
                       p.expected_peer};
    case security_kind::tls:
      return impl_type{std::in_place_type<tls::handshake>,
                       p.initiator ? tls::role::initiator
                                   : tls::role::responder,
                       *p.key, p.expected_peer, p.wall_clock};
    case security_kind::plaintext: break;
  }
  return impl_type{std::in_place_type<plaintext::handshake>,
                   p.key->public_key(), p.expected_peer};
}

template<class Status>
security_handshake::status convert(Status s) {
  switch (s) {
    case Status::in_progress: return security_handshake::status::in_progress;
    case Status::done: return security_handshake::status::done;
    case Status::failed: break;
  }
  return security_handshake::status::failed;
}

} // namespace

security_handshake::security_handshake(security_kind kind,
                                       const security_params& params)
    : kind_(kind), impl_(make_impl(kind, params)) {}

void security_handshake::start() {
  std::visit([](auto& h) { h.start(); }, impl_);
}

bytes security_handshake::take_output() {
  return std::visit([](auto& h) { return h.take_output(); }, impl_);
}

void security_handshake::handle_input(bytes_view data) {
  std::visit([data](auto& h) { h.handle_input(data); }, impl_);
}

security_handshake::status security_handshake::state() const {
  return std::visit([](const auto& h) { return convert(h.state()); }, impl_);
}

std::optional<error> security_handshake::failure() const {
  const auto& f = std::visit([](const auto& h)
                               -> const std::optional<
                                 error>& { return h.failure(); },
                             impl_);
  if (!f)
    return std::nullopt;
  return make_error(f->code, fmt::format("{} handshake: {}", to_string(kind_),
                                         f->message));
}

std::optional<peer_id> security_handshake::remote_peer() const {
  return std::visit([](const auto& h) { return h.remote_peer(); }, impl_);
}

std::optional<identity::public_key>
security_handshake::remote_public_key() const {
  return std::visit([](const auto& h) { return h.remote_public_key(); }, impl_);
}

result<secure_channel> security_handshake::finish() {
  if (auto* n = std::get_if<noise::handshake>(&impl_)) {
    auto s = n->finish();
    if (!s)
      return s.error();
    return secure_channel{std::move(*s)};
  }
  if (auto* t = std::get_if<tls::handshake>(&impl_)) {
    auto s = t->finish();
    if (!s)
      return s.error();
    return secure_channel{std::move(*s)};
  }
  if (state() != status::done)
    return make_error(errc::invalid_argument,
                      "plaintext handshake: finish before completion");
  return secure_channel{secure_channel::plain{}};
}

bytes security_handshake::take_remaining() {
  return std::visit([](auto& h) { return h.take_remaining(); }, impl_);
}

} // namespace canswarm::connection
