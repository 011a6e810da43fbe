// Seeds of the fuzz targets of protocols written later (gossipsub_rpc,
// plaintext, mplex, tls_signed_key); compiled into fuzz_corpus_gen only
// when all their libraries exist (CANSWARM_FUZZ_EXTRA_SEEDS).

#include <string>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/mplex/frame.hpp"
#include "canswarm/plaintext/exchange.hpp"
#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/signed_key.hpp"
#include "canswarm/varint/varint.hpp"
#include "corpus_gen.hpp"

namespace canswarm::fuzz {

namespace {

identity::private_key key_from(std::uint8_t fill) {
  return *identity::private_key::ed25519_from_seed(bytes(32, fill));
}

void gossipsub_seeds(seed_sink& sink) {
  using namespace gossipsub;
  rpc r;
  r.subscriptions = {{true, "blocks"}, {false, "old"}};
  message m;
  m.from = peer_id::from_public_key(key_from(1).public_key()).to_bytes();
  m.data = to_bytes("payload");
  m.seqno = bytes(8, 1);
  m.topic = "blocks";
  r.publish.push_back(m);
  control_message c;
  c.ihave.push_back({"blocks", {message_id{as_bytes("id-1")}}});
  c.iwant.push_back({{message_id{as_bytes("id-2")}}});
  c.graft.push_back({"blocks"});
  c.prune.push_back({"old", {peer_info{m.from, std::nullopt}}, 60});
  r.control = c;
  auto body = encode_rpc(r);
  sink.add("gossipsub_rpc", "rpc", {0, 0}, body);
  bytes frames;
  append_frame(body, frames);
  append_frame(encode_rpc(rpc{}), frames);
  sink.add("gossipsub_rpc", "frames", {1, 9}, frames);
}

void plaintext_seeds(seed_sink& sink) {
  // The fuzz target's dialer expects the peer of seed 0x52.
  auto remote = key_from(0x52).public_key();
  auto body = plaintext::encode_exchange(remote);
  sink.add("plaintext", "exchange", {0, 0}, body);
  bytes framed;
  varint::write_frame(body, framed);
  append(framed, as_bytes("application data"));
  sink.add("plaintext", "listener", {1, 0}, framed);
  sink.add("plaintext", "dialer-chunked", {2, 5}, framed);
}

void mplex_seeds(seed_sink& sink) {
  using namespace mplex;
  bytes frames;
  encode_frame(3, flag::new_stream, as_bytes("stream-3"), frames);
  encode_frame(3, flag::message_initiator, as_bytes("hello"), frames);
  encode_frame(3, flag::close_initiator, {}, frames);
  encode_frame(5, flag::new_stream, {}, frames);
  encode_frame(5, flag::reset_initiator, {}, frames);
  sink.add("mplex", "header", {0}, frames);
  // Session: deliver the frames, drain events, write, transmit, consume.
  bytes ops{3, 5};
  append_long(ops, frames);
  for (std::uint8_t op :
       {6, 0, 1, 0, 0, 100, 4, 0xff, 0xff, 7, 0, 0, 100, 2, 0, 8})
    ops.push_back(op);
  sink.add("mplex", "session", ops);
  ops[0] = 1 | 4 | 8; // client, small limits, manual consume
  sink.add("mplex", "session-small", ops);
}

void tls_seeds(seed_sink& sink) {
  auto host = key_from(0x61);
  auto cert = tls::certificate::generate(host);
  if (!cert)
    return;
  sink.add("tls_signed_key", "certificate", {1}, cert->der());
  auto signed_key = tls::sign_certificate_key(host, as_bytes("spki"));
  sink.add("tls_signed_key", "signed-key", {0},
           *tls::encode_signed_key(signed_key));
}

} // namespace

void add_extra_seeds(seed_sink& sink) {
  gossipsub_seeds(sink);
  plaintext_seeds(sink);
  mplex_seeds(sink);
  tls_seeds(sink);
}

} // namespace canswarm::fuzz
