// Noise HandshakeState for the XX pattern (Noise spec rev. 34, 5.3 and 7.5).

#include "canswarm/noise/handshake_state.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "crypto.hpp"

namespace canswarm::noise {

x25519_keypair x25519_keypair::from_secret(const key32& secret) {
  return {secret, detail::x25519_public(secret)};
}

handshake_state::handshake_state(role side, bytes_view prologue,
                                 const x25519_keypair& s,
                                 const x25519_keypair& e)
    : role_(side), symmetric_(protocol_name), s_(s), e_(e) {
  symmetric_.mix_hash(prologue);
}

std::span<const handshake_state::token>
handshake_state::tokens_of(std::size_t message_index) {
  using enum token;
  // XX: "-> e", "<- e, ee, s, es", "-> s, se".
  static constexpr token msg0[] = {e};
  static constexpr token msg1[] = {e, ee, s, es};
  static constexpr token msg2[] = {s, se};
  static constexpr std::span<const token> pattern[xx_message_count] = {msg0,
                                                                       msg1,
                                                                       msg2};
  return pattern[message_index];
}

bool handshake_state::is_my_turn() const {
  if (is_complete())
    return false;
  bool initiator_sends = index_ % 2 == 0;
  return initiator_sends == (role_ == role::initiator);
}

result<void> handshake_state::mix_dh(token t) {
  const key32* secret = nullptr;
  const std::optional<key32>* remote = nullptr;
  bool initiator = role_ == role::initiator;
  switch (t) {
    case token::ee:
      secret = &e_.secret;
      remote = &re_;
      break;
    case token::es:
      secret = initiator ? &e_.secret : &s_.secret;
      remote = initiator ? &rs_ : &re_;
      break;
    case token::se:
      secret = initiator ? &s_.secret : &e_.secret;
      remote = initiator ? &re_ : &rs_;
      break;
    default: break;
  }
  if (secret == nullptr || !remote->has_value())
    return make_error(errc::invalid_argument, "noise DH token out of order");
  key32 shared;
  if (!detail::x25519(*secret, **remote, shared))
    return make_error(errc::crypto,
                      "noise X25519 produced the all-zero shared secret (the "
                      "remote key is a low-order point)");
  symmetric_.mix_key(shared);
  return {};
}

result<void> handshake_state::write_message(bytes_view payload, bytes& out) {
  if (failed_ || !is_my_turn())
    return make_error(errc::invalid_argument,
                      fmt::format("noise handshake message {} is not ours to "
                                  "write",
                                  index_ + 1));
  auto start = out.size();
  auto fail = [&](error err) -> result<void> {
    out.resize(start);
    failed_ = true;
    return err;
  };
  for (auto t : tokens_of(index_)) {
    switch (t) {
      case token::e:
        append(out, e_.public_key);
        symmetric_.mix_hash(e_.public_key);
        break;
      case token::s:
        if (auto ok = symmetric_.encrypt_and_hash(s_.public_key, out); !ok)
          return fail(ok.error());
        break;
      case token::ee:
      case token::es:
      case token::se:
        if (auto ok = mix_dh(t); !ok)
          return fail(ok.error());
        break;
    }
  }
  if (auto ok = symmetric_.encrypt_and_hash(payload, out); !ok)
    return fail(ok.error());
  if (out.size() - start > max_message_size)
    return fail(make_error(errc::invalid_argument,
                           fmt::format("noise handshake message {} would be "
                                       "{} bytes, over the {}-byte limit",
                                       index_ + 1, out.size() - start,
                                       max_message_size)));
  ++index_;
  return {};
}

result<void> handshake_state::read_message(bytes_view message,
                                           bytes& payload_out) {
  if (failed_ || is_complete() || is_my_turn())
    return make_error(errc::invalid_argument,
                      fmt::format("noise handshake message {} is not ours to "
                                  "read",
                                  index_ + 1));
  auto fail = [&](error err) -> result<void> {
    failed_ = true;
    return err;
  };
  if (message.size() > max_message_size)
    return fail(
      make_error(errc::too_large,
                 fmt::format("noise handshake message {} is {} "
                             "bytes, over the {}-byte limit",
                             index_ + 1, message.size(), max_message_size)));
  auto in_message = [&](const error& err, const char* what) {
    return make_error(err.code, fmt::format("noise handshake message {} {}: {}",
                                            index_ + 1, what, err.message));
  };
  auto rest = message;
  auto take = [&](std::size_t n, const char* what) -> result<bytes_view> {
    if (rest.size() < n)
      return make_error(errc::malformed,
                        fmt::format("noise handshake message {} is {} bytes, "
                                    "too short for its {}",
                                    index_ + 1, message.size(), what));
    auto head = rest.first(n);
    rest = rest.subspan(n);
    return head;
  };
  for (auto t : tokens_of(index_)) {
    switch (t) {
      case token::e: {
        auto field = take(dh_size, "ephemeral key");
        if (!field)
          return fail(field.error());
        key32 re{};
        std::copy(field->begin(), field->end(), re.begin());
        re_ = re;
        symmetric_.mix_hash(re);
        break;
      }
      case token::s: {
        auto len = dh_size + (symmetric_.has_key() ? tag_size : 0);
        auto field = take(len, "static key");
        if (!field)
          return fail(field.error());
        bytes rs;
        if (auto ok = symmetric_.decrypt_and_hash(*field, rs); !ok)
          return fail(in_message(ok.error(), "static key"));
        key32 key{};
        std::copy(rs.begin(), rs.end(), key.begin());
        rs_ = key;
        break;
      }
      case token::ee:
      case token::es:
      case token::se:
        if (auto ok = mix_dh(t); !ok)
          return fail(ok.error());
        break;
    }
  }
  if (symmetric_.has_key() && rest.size() < tag_size)
    return fail(make_error(errc::malformed,
                           fmt::format("noise handshake message {} is {} "
                                       "bytes, too short for its payload tag",
                                       index_ + 1, message.size())));
  if (auto ok = symmetric_.decrypt_and_hash(rest, payload_out); !ok)
    return fail(in_message(ok.error(), "payload"));
  ++index_;
  return {};
}

result<std::pair<cipher_state, cipher_state>> handshake_state::split() const {
  if (!is_complete() || failed_)
    return make_error(errc::invalid_argument,
                      "noise handshake is not complete; cannot split");
  auto [c1, c2] = symmetric_.split();
  if (role_ == role::initiator)
    return std::pair{std::move(c1), std::move(c2)};
  return std::pair{std::move(c2), std::move(c1)};
}

} // namespace canswarm::noise
