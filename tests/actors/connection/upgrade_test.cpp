// The connection upgrade matrix in memory: every security protocol (Noise,
// TLS 1.3, plaintext) with every muxer (yamux, mplex) and every identity key
// type; the preference lists; and hostile upgrades refused with a specific
// reason (issue #4: a certificate without the libp2p extension, with a wrong
// signature or a key-type mismatch, an RSA key over 8192 bits, an mplex
// frame over 1 MiB, a plaintext exchange claiming a peer id that does not
// match its key).

#include <doctest/doctest.h>

#include "../../protocols/identity/der_builder.hpp"
#include "../../protocols/tls/tls_fixtures.hpp"
#include "canswarm/mplex/frame.hpp"
#include "canswarm/multistream/codec.hpp"
#include "canswarm/plaintext/exchange.hpp"
#include "canswarm/varint/varint.hpp"
#include "core_link.hpp"

using namespace canswarm;
using namespace canswarm::connection;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

using key_ptr = std::shared_ptr<const identity::private_key>;

key_ptr share(identity::private_key k) {
  return std::make_shared<const identity::private_key>(std::move(k));
}

/// One key of every libp2p type (RSA generated once: it takes a while).
const std::vector<std::pair<std::string, key_ptr>>& keys_of_every_type() {
  static auto keys = [] {
    auto rsa = identity::private_key::generate_rsa(2048);
    REQUIRE(rsa);
    return std::vector<std::pair<std::string, key_ptr>>{
      {"ed25519", share(identity::private_key::generate_ed25519())},
      {"rsa", share(std::move(*rsa))},
      {"secp256k1", share(identity::private_key::generate_secp256k1())},
      {"ecdsa", share(identity::private_key::generate_ecdsa())},
    };
  }();
  return keys;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// The reason `s` closed with (exactly one `closed` event required).
error closed_reason(const side& s) {
  auto cl = s.all<closed>();
  REQUIRE(cl.size() == 1);
  return cl[0].reason;
}

/// Opens /echo/1.0.0 from a to b and sends `n` bytes; returns what b got.
bytes send_over_stream(mem_link& l, std::size_t n) {
  REQUIRE(
    l.a.c->open_stream(request_id{7}, {"/echo/1.0.0"}, l.now + 5s, l.now).ok());
  l.run();
  auto ready = l.a.all<stream_ready>();
  REQUIRE(ready.size() == 1);
  bytes data(n);
  for (std::size_t i = 0; i < n; ++i)
    data[i] = static_cast<std::uint8_t>(i * 13 + 1);
  std::size_t offset = 0;
  bytes received;
  for (int round = 0; round < 200 && received.size() < n; ++round) {
    if (offset < n) {
      auto w = l.a.c->write(ready[0].id,
                            bytes_view{data}
                              .subspan(offset, std::min<std::size_t>(n - offset,
                                                                     65536)),
                            l.now);
      REQUIRE(w.ok());
      offset += *w;
    }
    l.run();
    for (auto& ev : l.b.events)
      if (auto* d = std::get_if<stream_data>(&ev)) {
        append(received, d->data);
        l.b.c->consume(d->id, d->data.size(), l.now);
      }
    l.b.events.clear();
  }
  CHECK(received == data);
  return received;
}

/// A listener core driven by a hand-written dialer: the test speaks
/// multistream-select for `protocol` itself, then feeds raw bytes.
struct scripted_dialer {
  mem_link link; // Only its listener side `b` is used.
  bytes from_b; // Everything b sent after the multistream answer.

  explicit scripted_dialer(std::vector<security_kind> security)
      : link(std::nullopt, {"/echo/1.0.0"}, side_options{},
             side_options{nullptr, std::move(security), default_muxers}) {}

  core& b() {
    return *link.b.c;
  }

  /// Sends the multistream header and proposal; checks b's answer.
  void select(std::string_view protocol) {
    bytes out;
    multistream::write_line("/multistream/1.0.0", out);
    multistream::write_line(protocol, out);
    b().handle_input(out, link.now);
    bytes answer;
    b().poll_transmit(answer, 1 << 20);
    bytes expected;
    multistream::write_line("/multistream/1.0.0", expected);
    multistream::write_line(protocol, expected);
    REQUIRE(answer.size() >= expected.size());
    CHECK(bytes(answer.begin(),
                answer.begin() + static_cast<std::ptrdiff_t>(expected.size()))
          == expected);
    from_b.assign(answer.begin() + static_cast<std::ptrdiff_t>(expected.size()),
                  answer.end());
  }

  /// Feeds `data` to b and collects what it sends and reports.
  void feed(bytes_view data) {
    b().handle_input(data, link.now);
    b().poll_transmit(from_b, 1 << 20);
    while (auto ev = b().poll_event())
      link.b.events.push_back(std::move(*ev));
  }
};

/// Runs a foreign TLS initiator presenting `cert` against a core listener;
/// returns the listener's reason for closing.
error tls_refusal(const tls::certificate& cert) {
  scripted_dialer d{{security_kind::tls}};
  d.select(tls::protocol_id);
  tls::handshake client{tls::role::initiator, cert, std::nullopt,
                        tls_test::test_now};
  client.start();
  for (int round = 0; round < 20 && d.link.b.all<closed>().empty(); ++round) {
    auto out = client.take_output();
    if (out.empty() && d.from_b.empty())
      break;
    if (!out.empty())
      d.feed(out);
    if (!d.from_b.empty()) {
      client.handle_input(d.from_b);
      d.from_b.clear();
    }
  }
  return closed_reason(d.link.b);
}

} // namespace

TEST_CASE("every security protocol works with every muxer and key type") {
  for (auto sec :
       {security_kind::noise, security_kind::tls, security_kind::plaintext})
    for (auto mux : {muxer_kind::yamux, muxer_kind::mplex})
      for (const auto& [name, key] : keys_of_every_type()) {
        CAPTURE(to_string(sec));
        CAPTURE(to_string(mux));
        CAPTURE(name);
        mem_link l{std::nullopt,
                   {"/echo/1.0.0"},
                   side_options{key, {sec}, {mux}},
                   side_options{nullptr, {sec}, {mux}}};
        l.run();
        l.wait(early_fin_delay);
        REQUIRE(l.a.c->current_phase() == phase::open);
        REQUIRE(l.b.c->current_phase() == phase::open);
        auto est = l.b.all<established>();
        REQUIRE(est.size() == 1);
        CHECK(est[0].peer == l.a.id);
        CHECK(est[0].security == sec);
        CHECK(est[0].muxer == mux);
        CHECK(l.a.c->security() == sec);
        CHECK(l.a.c->muxer_type() == mux);
        // Identify both ways, over the chosen muxer.
        CHECK(l.a.all<identified>().size() == 1);
        CHECK(l.b.all<identified>().size() == 1);
        // 300 KiB: more than one yamux window, several mplex frames and
        // TLS records.
        send_over_stream(l, 300 * 1024);
        bytes payload(32, 9);
        REQUIRE(l.a.c->ping(request_id{3}, payload, l.now).ok());
        l.run();
        auto pings = l.a.all<ping_done>();
        REQUIRE(pings.size() == 1);
        CHECK(pings[0].rtt);
      }
}

TEST_CASE("the dialer's order wins among what the listener accepts") {
  SUBCASE("security") {
    mem_link l{std::nullopt,
               {"/echo/1.0.0"},
               side_options{nullptr,
                            {security_kind::tls, security_kind::noise},
                            default_muxers},
               side_options{}};
    l.run();
    REQUIRE(l.a.all<established>().size() == 1);
    CHECK(l.a.all<established>()[0].security == security_kind::tls);
  }
  SUBCASE("a protocol the listener does not list is skipped") {
    mem_link l{std::nullopt,
               {"/echo/1.0.0"},
               side_options{nullptr,
                            {security_kind::plaintext, security_kind::noise},
                            {muxer_kind::mplex, muxer_kind::yamux}},
               side_options{nullptr,
                            {security_kind::noise},
                            {muxer_kind::yamux}}};
    l.run();
    REQUIRE(l.a.all<established>().size() == 1);
    CHECK(l.a.all<established>()[0].security == security_kind::noise);
    CHECK(l.a.all<established>()[0].muxer == muxer_kind::yamux);
  }
  SUBCASE("no common security protocol closes with the reason") {
    mem_link l{std::nullopt,
               {"/echo/1.0.0"},
               side_options{nullptr,
                            {security_kind::plaintext},
                            default_muxers},
               side_options{}};
    l.run();
    auto reason = closed_reason(l.a);
    CHECK(reason.code == errc::unsupported);
    CHECK(contains(reason.message, "security negotiation"));
    CHECK(contains(reason.message, "/plaintext/2.0.0"));
  }
  SUBCASE("no common muxer closes with the reason") {
    mem_link l{std::nullopt,
               {"/echo/1.0.0"},
               side_options{nullptr, default_security, {muxer_kind::mplex}},
               side_options{nullptr, default_security, {muxer_kind::yamux}}};
    l.run();
    auto reason = closed_reason(l.a);
    CHECK(contains(reason.message, "muxer negotiation"));
  }
  SUBCASE("bad preference lists are refused when the core is made") {
    core_config cfg;
    cfg.key = share(identity::private_key::generate_ed25519());
    cfg.security = {};
    CHECK_THROWS_WITH_AS(core{cfg},
                         "invalid_argument: connection core "
                         "without a security protocol",
                         std::invalid_argument);
    cfg.security = {security_kind::noise, security_kind::noise};
    CHECK_THROWS_AS(core{cfg}, std::invalid_argument);
  }
}

TEST_CASE("a TLS certificate without the libp2p extension is refused") {
  auto key = tls_test::fresh_key();
  auto reason = tls_refusal(tls_test::make_cert(key, {}));
  CHECK(reason.code == errc::protocol);
  CHECK(contains(reason.message, "tls handshake"));
  CHECK(contains(reason.message, "certificate without libp2p extension"));
}

TEST_CASE("a TLS extension signed by another key is refused") {
  auto host = tls_test::identity_from(0x01);
  auto impostor = tls_test::identity_from(0x02);
  auto key = tls_test::fresh_key();
  auto signed_key = tls::sign_certificate_key(impostor, key.spki());
  signed_key.public_key = host.public_key().to_protobuf();
  tls::certificate_fields fields;
  fields.libp2p_extension = *tls::encode_signed_key(signed_key);
  auto reason = tls_refusal(tls_test::make_cert(key, fields));
  CHECK(reason.code == errc::crypto);
  CHECK(contains(reason.message, "libp2p extension signature invalid"));
}

TEST_CASE("a TLS extension whose key data does not match its type is refused") {
  auto host = tls_test::identity_from(0x01);
  auto key = tls_test::fresh_key();
  auto signed_key = tls::sign_certificate_key(host, key.spki());
  // Type Ed25519 (1) carrying 65 bytes of a P-256 point.
  signed_key.public_key = hex("08011241");
  auto spki = key.spki();
  append(signed_key.public_key, bytes_view{spki}.last(65));
  tls::certificate_fields fields;
  fields.libp2p_extension = *tls::encode_signed_key(signed_key);
  auto reason = tls_refusal(tls_test::make_cert(key, fields));
  CHECK(reason.code == errc::malformed);
  CHECK(contains(reason.message, "not a valid Ed25519 key"));
}

TEST_CASE("a plaintext exchange claiming another peer id is refused") {
  scripted_dialer d{{security_kind::plaintext}};
  d.select(plaintext::protocol_id);
  auto mine = identity::private_key::generate_ed25519();
  auto claimed = peer_id::from_public_key(
    identity::private_key::generate_ed25519().public_key());
  bytes frame;
  varint::write_frame(plaintext::encode_exchange({claimed, mine.public_key()}),
                      frame);
  d.feed(frame);
  auto reason = closed_reason(d.link.b);
  CHECK(reason.code == errc::crypto);
  CHECK(contains(reason.message, "plaintext handshake"));
  CHECK(contains(reason.message, "peer id mismatch"));
  CHECK(contains(reason.message, claimed.to_string()));
}

TEST_CASE("an RSA identity key over 8192 bits is refused before any math") {
  // A synthetic 9216-bit modulus: only its size is looked at.
  bytes modulus(9216 / 8 + 1, 0xff);
  modulus[0] = 0x00;
  using test_der::der;
  bytes rsa_key = der(0x30, der(0x02, modulus), der(0x02, bytes{1, 0, 1}));
  bytes bit_string{0x00};
  append(bit_string, rsa_key);
  auto spki = der(0x30, hex("300d06092a864886f70d0101010500"),
                  der(0x03, bit_string));
  auto key_pb = test_der::key_protobuf(0, spki);
  // Plaintext carries the key as is: id = sha256 multihash of the key.
  bytes body{0x0a};
  bytes id = hex("1220");
  id.resize(34, 0x11);
  varint::write_frame(id, body);
  body.push_back(0x12);
  varint::write_frame(key_pb, body);
  scripted_dialer d{{security_kind::plaintext}};
  d.select(plaintext::protocol_id);
  bytes frame;
  varint::write_frame(body, frame);
  auto started = std::chrono::steady_clock::now();
  d.feed(frame);
  auto took = std::chrono::steady_clock::now() - started;
  auto reason = closed_reason(d.link.b);
  CHECK(contains(reason.message, "9216-bit modulus, over the 8192-bit limit"));
  CHECK(took < 1s);
}

TEST_CASE("an mplex frame over 1 MiB closes the connection") {
  mem_link
    l{std::nullopt,
      {"/echo/1.0.0"},
      side_options{nullptr, {security_kind::plaintext}, {muxer_kind::mplex}},
      side_options{nullptr, {security_kind::plaintext}, {muxer_kind::mplex}}};
  l.run();
  REQUIRE(l.b.c->current_phase() == phase::open);
  // Plaintext: the header goes to b's mplex session unchanged.
  bytes header;
  // (Stream 0 is a's identify stream: open a fresh number.)
  mplex::encode_header({1000, mplex::flag::new_stream, 0}, header);
  mplex::encode_header({1000, mplex::flag::message_initiator,
                        mplex::max_message_size + 1},
                       header);
  l.b.c->handle_input(header, l.now);
  while (auto ev = l.b.c->poll_event())
    l.b.events.push_back(std::move(*ev));
  auto reason = closed_reason(l.b);
  CAPTURE(reason.message);
  CHECK(reason.code == errc::too_large);
  CHECK(contains(reason.message, "mplex"));
}
