// Fuzz target: the noise-libp2p handshake (protocols/noise, handshake)
// fed bytes from a hostile remote, linked with the deterministic fake
// crypto of noise_fake_crypto.cpp, so forged messages can pass the AEAD and
// exercise the payload decoder, identity keys, signature checks and the
// transport session behind them.
//
// Input: byte 0 selects the mode, byte 1 a chunk size (0: all at once):
//   bit 0 of byte 0 clear  an initiator (expecting the responder's peer id
//                          when bit 1 is set) fed the rest as message 2
//                          and transport frames;
//   bit 0 set              a responder fed the rest as messages 1 and 3
//                          and transport frames;
//   bit 2 set              instead, an honest initiator and responder
//                          with extensions from the input (count byte,
//                          then 1-byte-length muxer names for each side).
// Seeds replay recorded messages of the honest peer (noise_fixture.hpp).
// Properties:
//  - state, failure class, output and leftover bytes do not depend on how
//    the input was split;
//  - a finished handshake names a verified remote whose peer id is derived
//    from its key (and is the expected one); finish() yields the session
//    once; leftover bytes decrypt in that session without crashing;
//  - an honest pair always completes, agrees on the handshake hash, sees
//    each other's identities and extensions and can exchange data.

#include <cstdint>
#include <string>

#include "canswarm/noise/handshake.hpp"
#include "fuzz_support.hpp"
#include "noise_fixture.hpp"

using namespace canswarm;
using namespace canswarm::noise;

namespace {

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
  append(out.output, h.take_output());
  fuzz::feed_chunks(wire, chunk, [&](bytes_view part) {
    h.handle_input(part);
    append(out.output, h.take_output());
  });
  out.st = h.state();
  if (h.failure())
    out.code = h.failure()->code;
  FUZZ_CHECK((h.state() == handshake::status::failed)
             == h.failure().has_value());
  out.remote = h.remote_peer();
  out.remaining = h.take_remaining();
  return out;
}

void check_finished(handshake& h, const outcome& o, bool check_remote) {
  FUZZ_CHECK(h.remote_peer() && h.remote_public_key());
  FUZZ_CHECK(*h.remote_peer()
             == peer_id::from_public_key(*h.remote_public_key()));
  if (check_remote)
    FUZZ_CHECK(
      *h.remote_peer()
      == peer_id::from_public_key(fuzz::responder_identity().public_key()));
  auto s = h.finish();
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(!h.finish().ok());
  bytes plain;
  (void)s->decrypt(o.remaining, plain);
  bytes wire;
  s->encrypt(as_bytes("after the handshake"), wire);
  FUZZ_CHECK(!wire.empty() || s->failure());
}

void check_remote_bytes(std::uint8_t mode, std::size_t chunk, bytes_view wire) {
  bool responder = (mode & 1) != 0;
  bool check_remote = !responder && (mode & 2) != 0;
  auto make = [&] {
    return responder ? fuzz::make_responder()
                     : fuzz::make_initiator(check_remote);
  };
  auto whole = make();
  auto split = make();
  auto a = run(whole, wire, 0);
  auto b = run(split, wire, chunk);
  FUZZ_CHECK(a == b);
  if (a.st == handshake::status::done)
    check_finished(whole, a, check_remote);
}

extensions take_extensions(fuzz::input& in) {
  extensions ext;
  auto n = in.byte() % 4;
  for (int i = 0; i < n; ++i) {
    auto name = fuzz::as_text(in.take_short());
    ext.stream_muxers.emplace_back(name.begin(), name.end());
  }
  return ext;
}

void check_honest_pair(fuzz::input& in) {
  auto ext_i = take_extensions(in);
  auto ext_r = take_extensions(in);
  auto init = fuzz::make_initiator(true);
  auto resp = fuzz::make_responder();
  init.set_local_extensions(ext_i);
  resp.set_local_extensions(ext_r);
  init.start();
  resp.start();
  for (int i = 0; i < 4; ++i) {
    resp.handle_input(init.take_output());
    init.handle_input(resp.take_output());
  }
  FUZZ_CHECK(init.state() == handshake::status::done);
  FUZZ_CHECK(resp.state() == handshake::status::done);
  FUZZ_CHECK(init.handshake_hash() == resp.handshake_hash());
  FUZZ_CHECK(
    *resp.remote_peer()
    == peer_id::from_public_key(fuzz::initiator_identity().public_key()));
  auto seen = [](const std::optional<extensions>& got, const extensions& sent) {
    return sent.empty() ? !got.has_value() : (got && *got == sent);
  };
  FUZZ_CHECK(seen(resp.remote_extensions(), ext_i));
  FUZZ_CHECK(seen(init.remote_extensions(), ext_r));
  auto si = init.finish();
  auto sr = resp.finish();
  FUZZ_CHECK(si.ok() && sr.ok());
  auto data = in.rest();
  bytes wire;
  si->encrypt(data, wire);
  bytes plain;
  FUZZ_CHECK(sr->decrypt(wire, plain).ok());
  FUZZ_CHECK(plain == fuzz::copy(data));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  auto mode = in.byte();
  std::size_t chunk = in.byte();
  if ((mode & 4) != 0)
    check_honest_pair(in);
  else
    check_remote_bytes(mode, chunk, in.rest());
  return 0;
}
