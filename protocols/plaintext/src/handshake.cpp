// /plaintext/2.0.0 handshake: one length-prefixed Exchange each way.

#include "canswarm/plaintext/handshake.hpp"

#include <utility>

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::plaintext {

handshake::handshake(identity::public_key local,
                     std::optional<peer_id> expected_remote)
    : local_key_(std::move(local)),
      local_peer_(peer_id::from_public_key(local_key_)),
      expected_remote_(std::move(expected_remote)) {}

void handshake::start() {
  if (started_ || state_ == status::failed)
    return;
  started_ = true;
  varint::write_frame(encode_exchange(exchange{local_peer_, local_key_}),
                      output_);
  if (received_)
    state_ = status::done;
}

bytes handshake::take_output() {
  return std::exchange(output_, {});
}

bytes handshake::take_remaining() {
  if (state_ != status::done)
    return {};
  return std::exchange(input_, {});
}

void handshake::fail(error err) {
  if (state_ == status::failed)
    return;
  state_ = status::failed;
  failure_ = std::move(err);
  input_.clear();
  remote_peer_.reset();
  remote_key_.reset();
}

void handshake::handle_input(bytes_view input) {
  if (state_ == status::failed)
    return;
  start();
  append(input_, input);
  if (received_)
    return;
  auto frame = varint::read_frame(input_, max_exchange_size);
  switch (frame.st) {
    case varint::status::incomplete: return;
    case varint::status::too_large:
      return fail(
        make_error(errc::too_large,
                   fmt::format("plaintext Exchange length: {}", frame.reason)));
    case varint::status::malformed:
      return fail(
        make_error(errc::malformed,
                   fmt::format("plaintext Exchange length: {}", frame.reason)));
    case varint::status::ok: break;
  }
  if (auto ok = accept(frame.body); !ok)
    return fail(ok.error());
  input_.erase(input_.begin(),
               input_.begin() + static_cast<std::ptrdiff_t>(frame.size));
  received_ = true;
  if (started_)
    state_ = status::done;
}

result<void> handshake::accept(bytes_view body) {
  auto msg = decode_exchange(body);
  if (!msg)
    return make_error(msg.error().code,
                      fmt::format("plaintext: {}", msg.error().message));
  auto derived = peer_id::from_public_key(msg->key);
  if (derived != msg->id)
    return make_error(errc::crypto,
                      fmt::format("peer id mismatch: remote claims {} but its "
                                  "{} public key is {}",
                                  msg->id.to_string(),
                                  identity::to_string(msg->key.type()),
                                  derived.to_string()));
  if (expected_remote_ && *expected_remote_ != msg->id)
    return make_error(errc::crypto,
                      fmt::format("peer id mismatch: dialed {}, remote is {}",
                                  expected_remote_->to_string(),
                                  msg->id.to_string()));
  remote_peer_ = std::move(msg->id);
  remote_key_ = std::move(msg->key);
  return {};
}

} // namespace canswarm::plaintext
