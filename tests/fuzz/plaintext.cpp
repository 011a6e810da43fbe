// Fuzz target: /plaintext/2.0.0 (protocols/plaintext): the Exchange codec
// and the handshake fed bytes from a hostile remote.
//
// Input: byte 0 selects the mode, byte 1 a chunk size (0: all at once):
//   0  the rest is one Exchange protobuf body;
//   1  the rest is what the remote sends to a listener's handshake;
//   2  the same for a dialer that expects a fixed remote peer id.
// Properties:
//  - a decoded Exchange re-encodes to a body that decodes to it;
//  - state, failure class, output, remote peer and leftover bytes of the
//    handshake do not depend on how the input was split; a finished
//    handshake names a remote whose peer id matches its key (and the
//    expected one, for the dialer).

#include <cstdint>
#include <optional>

#include "canswarm/identity/keys.hpp"
#include "canswarm/plaintext/exchange.hpp"
#include "canswarm/plaintext/handshake.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::plaintext;

namespace {

const identity::public_key& local_key() {
  static const auto key = identity::private_key::ed25519_from_seed(
                            bytes(32, 0x51))
                            ->public_key();
  return key;
}

const peer_id& expected_peer() {
  static const auto id = peer_id::from_public_key(
    identity::private_key::ed25519_from_seed(bytes(32, 0x52))->public_key());
  return id;
}

struct outcome {
  handshake::status st;
  std::optional<errc> code;
  bytes output;
  bytes remaining;
  std::optional<peer_id> remote;
  bool operator==(const outcome&) const = default;
};

outcome run(handshake& h, bytes_view wire, std::size_t chunk) {
  outcome out;
  h.start();
  fuzz::feed_chunks(wire, chunk, [&](bytes_view part) {
    h.handle_input(part);
    append(out.output, h.take_output());
  });
  append(out.output, h.take_output());
  out.st = h.state();
  if (h.failure())
    out.code = h.failure()->code;
  out.remote = h.remote_peer();
  out.remaining = h.take_remaining();
  return out;
}

void check_handshake(bool dialer, std::size_t chunk, bytes_view wire) {
  auto make = [&] {
    return dialer ? handshake{local_key(), expected_peer()}
                  : handshake{local_key()};
  };
  auto whole = make();
  auto split = make();
  auto a = run(whole, wire, 0);
  auto b = run(split, wire, chunk);
  FUZZ_CHECK(a == b);
  if (a.st != handshake::status::done)
    return;
  FUZZ_CHECK(whole.remote_peer() && whole.remote_public_key());
  FUZZ_CHECK(whole.remote_peer()->matches(*whole.remote_public_key()));
  if (dialer)
    FUZZ_CHECK(*whole.remote_peer() == expected_peer());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte() % 3;
  std::size_t chunk = in.byte();
  if (mode == 0) {
    if (auto x = decode_exchange(in.rest())) {
      auto again = decode_exchange(encode_exchange(*x));
      FUZZ_CHECK(again.ok() && *again == *x);
    }
    return 0;
  }
  check_handshake(mode == 2, chunk, in.rest());
  return 0;
}
