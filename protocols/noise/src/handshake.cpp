// noise-libp2p handshake on top of the Noise XX HandshakeState.

#include "canswarm/noise/handshake.hpp"

#include <utility>

#include <fmt/format.h>

namespace canswarm::noise {

namespace {

std::size_t read_be16(const std::uint8_t* p) {
  return (std::size_t{p[0]} << 8) | p[1];
}

bytes signed_static_key(const key32& static_public) {
  auto out = to_bytes(static_key_prefix);
  append(out, static_public);
  return out;
}

} // namespace

handshake::handshake(role side, identity::private_key identity,
                     const key32& static_secret, const key32& ephemeral_secret,
                     std::optional<peer_id> expected_remote)
    : role_(side),
      identity_(std::move(identity)),
      static_(x25519_keypair::from_secret(static_secret)),
      noise_(side, {}, static_, x25519_keypair::from_secret(ephemeral_secret)),
      expected_remote_(std::move(expected_remote)) {}

void handshake::set_local_extensions(extensions ext) {
  local_extensions_ = std::move(ext);
}

void handshake::start() {
  if (started_)
    return;
  started_ = true;
  if (role_ == role::initiator)
    write_message(false);
}

bytes handshake::take_output() {
  return std::exchange(output_, {});
}

void handshake::fail(error err) {
  if (state_ == status::failed)
    return;
  state_ = status::failed;
  failure_ = std::move(err);
  input_.clear();
  ciphers_.reset();
}

void handshake::handle_input(bytes_view input) {
  if (state_ == status::failed)
    return;
  start();
  append(input_, input);
  std::size_t consumed = 0;
  while (state_ == status::in_progress) {
    auto avail = bytes_view{input_}.subspan(consumed);
    if (avail.size() < length_prefix_size)
      break;
    auto len = read_be16(avail.data());
    if (avail.size() < length_prefix_size + len)
      break;
    process_frame(avail.subspan(length_prefix_size, len));
    consumed += length_prefix_size + len;
  }
  if (state_ != status::failed)
    input_.erase(input_.begin(),
                 input_.begin() + static_cast<std::ptrdiff_t>(consumed));
}

void handshake::process_frame(bytes_view message) {
  bytes payload;
  if (auto ok = noise_.read_message(message, payload); !ok)
    return fail(ok.error());
  switch (noise_.message_index()) {
    case 1: // responder read "-> e"
      if (!payload.empty())
        return fail(make_error(errc::protocol,
                               fmt::format("noise handshake message 1 carries "
                                           "{} unexpected payload bytes "
                                           "after the ephemeral key",
                                           payload.size())));
      write_message(true);
      return;
    case 2: // initiator read "<- e, ee, s, es"
      if (auto ok = verify_remote(payload); !ok)
        return fail(ok.error());
      write_message(true);
      if (state_ == status::in_progress)
        complete();
      return;
    default: // responder read "-> s, se"
      if (auto ok = verify_remote(payload); !ok)
        return fail(ok.error());
      complete();
      return;
  }
}

void handshake::write_message(bool with_payload) {
  bytes payload;
  if (with_payload) {
    handshake_payload p;
    p.identity_key = identity_.public_key().to_protobuf();
    p.identity_sig = identity_.sign(signed_static_key(static_.public_key));
    if (!local_extensions_.empty())
      p.ext = local_extensions_;
    auto encoded = encode_payload(p);
    if (!encoded)
      return fail(encoded.error());
    payload = std::move(*encoded);
  }
  bytes message;
  if (auto ok = noise_.write_message(payload, message); !ok)
    return fail(ok.error());
  output_.push_back(static_cast<std::uint8_t>(message.size() >> 8));
  output_.push_back(static_cast<std::uint8_t>(message.size()));
  append(output_, message);
}

result<void> handshake::verify_remote(bytes_view payload) {
  auto decoded = decode_payload(payload);
  if (!decoded)
    return decoded.error();
  auto key = identity::public_key::from_protobuf(decoded->identity_key);
  if (!key)
    return make_error(key.error().code,
                      fmt::format("noise remote identity key: {}",
                                  key.error().message));
  auto& rs = noise_.remote_static();
  if (!rs)
    return make_error(errc::protocol, "noise remote static key missing");
  auto ok = key->check_verify(signed_static_key(*rs), decoded->identity_sig);
  if (!ok) {
    if (ok.error().code == errc::unsupported)
      return make_error(errc::unsupported,
                        fmt::format("noise remote identity key of type {} "
                                    "cannot be verified: {}",
                                    identity::to_string(key->type()),
                                    ok.error().message));
    return make_error(ok.error().code,
                      fmt::format("noise remote identity signature over the "
                                  "static key does not verify: {}",
                                  ok.error().message));
  }
  auto id = peer_id::from_public_key(*key);
  if (expected_remote_ && *expected_remote_ != id)
    return make_error(errc::crypto,
                      fmt::format("peer id mismatch: dialed {}, remote is {}",
                                  expected_remote_->to_string(),
                                  id.to_string()));
  remote_peer_ = std::move(id);
  remote_key_ = std::move(*key);
  remote_extensions_ = std::move(decoded->ext);
  return {};
}

void handshake::complete() {
  auto ciphers = noise_.split();
  if (!ciphers)
    return fail(ciphers.error());
  ciphers_ = std::move(*ciphers);
  state_ = status::done;
}

result<session> handshake::finish() {
  if (state_ == status::failed)
    return *failure_;
  if (state_ != status::done)
    return make_error(errc::invalid_argument,
                      "noise handshake is still in progress");
  if (!ciphers_)
    return make_error(errc::invalid_argument,
                      "noise handshake already finished");
  session s{std::move(ciphers_->first), std::move(ciphers_->second)};
  ciphers_.reset();
  return s;
}

bytes handshake::take_remaining() {
  if (state_ != status::done)
    return {};
  return std::exchange(input_, {});
}

} // namespace canswarm::noise
