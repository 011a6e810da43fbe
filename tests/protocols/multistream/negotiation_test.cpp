#include <doctest/doctest.h>

#include "canswarm/multistream/negotiator.hpp"
#include "canswarm/varint/varint.hpp"

using namespace canswarm;
namespace ms = canswarm::multistream;

namespace {

/// Delivers `data` to `to`, whole or one byte at a time.
template<class Negotiator>
void deliver(Negotiator& to, const bytes& data, bool byte_at_a_time) {
  if (!byte_at_a_time) {
    to.handle_input(data);
    return;
  }
  for (auto b : data)
    to.handle_input(bytes_view{&b, 1});
}

/// An in-memory link: moves output between the two sides until both are
/// quiet. Returns the number of round trips (dialer writes) taken.
int run(ms::dialer& d, ms::listener& l, bool byte_at_a_time = false) {
  int writes = 0;
  for (int i = 0; i < 100; ++i) {
    auto to_listener = d.take_output();
    auto to_dialer = l.take_output();
    if (to_listener.empty() && to_dialer.empty())
      break;
    if (!to_listener.empty())
      ++writes;
    deliver(l, to_listener, byte_at_a_time);
    deliver(d, to_dialer, byte_at_a_time);
  }
  return writes;
}

const char* header_hex = "13 2f6d756c746973747265616d2f312e302e30 0a";

} // namespace

TEST_CASE("a lazy dialer sends header and first proposal in one write") {
  ms::dialer d{{"/noise"}};
  CHECK(d.state() == ms::state::negotiating);
  CHECK(to_hex(d.take_output())
        == to_hex(hex(std::string{header_hex} + "07 2f6e6f697365 0a")));
}

TEST_CASE("a listener answers the header and echoes a supported protocol") {
  ms::listener l{{"/yamux/1.0.0", "/noise"}};
  CHECK(to_hex(l.take_output()) == to_hex(hex(header_hex)));
  l.handle_input(hex(std::string{header_hex} + "07 2f6e6f697365 0a"));
  CHECK(l.state() == ms::state::done);
  CHECK(l.protocol() == "/noise");
  CHECK(to_hex(l.take_output()) == "072f6e6f6973650a");
}

TEST_CASE("dialer and listener agree over an in-memory link") {
  for (bool byte_at_a_time : {false, true}) {
    CAPTURE(byte_at_a_time);
    ms::dialer d{{"/noise"}};
    ms::listener l{{"/noise"}};
    run(d, l, byte_at_a_time);
    REQUIRE(d.state() == ms::state::done);
    REQUIRE(l.state() == ms::state::done);
    CHECK(d.protocol() == "/noise");
    CHECK(l.protocol() == "/noise");
    CHECK(d.take_remaining().empty());
    CHECK(l.take_remaining().empty());
  }
}

TEST_CASE("after na the dialer proposes its next protocol") {
  for (bool byte_at_a_time : {false, true}) {
    CAPTURE(byte_at_a_time);
    ms::dialer d{{"/tls/1.0.0", "/noise"}};
    ms::listener l{{"/noise"}};
    // write 1: header + /tls/1.0.0; write 2: /noise after the na
    CHECK(run(d, l, byte_at_a_time) == 2);
    CHECK(d.state() == ms::state::done);
    CHECK(d.protocol() == "/noise");
    CHECK(d.proposal_index() == 1);
    CHECK(l.protocol() == "/noise");
    CHECK(l.rounds() == 2);
  }
}

TEST_CASE("the dialer fails with a specific error when every protocol is "
          "refused") {
  ms::dialer d{{"/tls/1.0.0", "/noise"}};
  ms::listener l{{"/yamux/1.0.0"}};
  run(d, l);
  REQUIRE(d.state() == ms::state::failed);
  CHECK(d.failure().code == errc::unsupported);
  CHECK(d.failure().message
        == "remote refused every proposed protocol: /tls/1.0.0, /noise");
  // The listener keeps waiting for another proposal; the caller closes.
  CHECK(l.state() == ms::state::negotiating);
}

TEST_CASE("a non-lazy dialer waits for the header before proposing") {
  ms::dialer d{{"/noise"}, ms::dialer_options{.lazy = false}};
  CHECK(to_hex(d.take_output()) == to_hex(hex(header_hex)));
  d.handle_input(hex(header_hex));
  CHECK(to_hex(d.take_output()) == "072f6e6f6973650a");
  ms::dialer d2{{"/noise"}, ms::dialer_options{.lazy = false}};
  ms::listener l{{"/noise"}};
  CHECK(run(d2, l) == 2);
  CHECK(d2.protocol() == "/noise");
}

TEST_CASE("data pipelined after the proposal reaches the next layer") {
  for (bool byte_at_a_time : {false, true}) {
    CAPTURE(byte_at_a_time);
    ms::dialer d{{"/ipfs/ping/1.0.0"}};
    ms::listener l{{"/ipfs/ping/1.0.0"}};
    // The dialer writes optimistically: header, proposal and app data.
    auto first = d.take_output();
    append(first, as_bytes("PING"));
    deliver(l, first, byte_at_a_time);
    REQUIRE(l.state() == ms::state::done);
    CHECK(l.take_remaining() == to_bytes("PING"));
    // The listener answers with header + echo + its own app data.
    auto answer = l.take_output();
    append(answer, as_bytes("PONG"));
    deliver(d, answer, byte_at_a_time);
    REQUIRE(d.state() == ms::state::done);
    CHECK(d.take_remaining() == to_bytes("PONG"));
    // Bytes fed after the agreement also go to the next layer.
    d.handle_input(as_bytes("more"));
    CHECK(d.take_remaining() == to_bytes("more"));
    CHECK(d.take_remaining().empty());
  }
}

TEST_CASE("the listener answers ls with its list, then negotiates") {
  ms::listener l{{"/noise", "/yamux/1.0.0"}};
  l.take_output();
  l.handle_input(hex(std::string{header_hex} + "03 6c73 0a"));
  CHECK(l.state() == ms::state::negotiating);
  auto answer = l.take_output();
  CHECK(to_hex(answer)
        == to_hex(hex("17 07 2f6e6f697365 0a 0d 2f79616d75782f312e302e30 0a "
                      "0a")));
  auto f = varint::read_frame(answer, ms::max_ls_response_size);
  REQUIRE(f.st == varint::status::ok);
  auto list = ms::parse_ls_response(f.body);
  REQUIRE(list);
  CHECK(*list == std::vector<std::string>{"/noise", "/yamux/1.0.0"});
  // A dialer picks from the list and proposes it.
  ms::dialer d{{list->back()}};
  auto proposal = d.take_output();
  // skip the dialer's header: the listener already has one
  l.handle_input(bytes_view{proposal}.subspan(hex(header_hex).size()));
  CHECK(l.state() == ms::state::done);
  CHECK(l.protocol() == "/yamux/1.0.0");
}

TEST_CASE("a wrong header fails either side with the header it got") {
  ms::listener l{{"/noise"}};
  l.handle_input(ms::encode_line("/multistream/2.0.0"));
  REQUIRE(l.state() == ms::state::failed);
  CHECK(l.failure().code == errc::protocol);
  CHECK(l.failure().message
        == "expected header '/multistream/1.0.0', got '/multistream/2.0.0'");
  ms::dialer d{{"/noise"}};
  d.handle_input(ms::encode_line("na"));
  REQUIRE(d.state() == ms::state::failed);
  CHECK(d.failure().message
        == "expected header '/multistream/1.0.0', got 'na'");
}

TEST_CASE("an answer that is neither na nor the proposal fails the dialer") {
  ms::dialer d{{"/noise"}};
  d.handle_input(
    hex(std::string{header_hex} + "0d 2f79616d75782f312e302e30 0a"));
  REQUIRE(d.state() == ms::state::failed);
  CHECK(d.failure().code == errc::protocol);
  CHECK(d.failure().message
        == "unexpected answer '/yamux/1.0.0' to proposal '/noise'");
}

TEST_CASE("input after a failure is ignored") {
  ms::listener l{{"/noise"}};
  l.take_output();
  l.handle_input(hex("00"));
  REQUIRE(l.state() == ms::state::failed);
  l.handle_input(hex(std::string{header_hex} + "07 2f6e6f697365 0a"));
  CHECK(l.state() == ms::state::failed);
  CHECK(l.take_output().empty());
  CHECK(l.take_remaining().empty());
  CHECK(l.failure().message == "multistream message is empty");
}

TEST_CASE("bad local configuration fails the negotiator at once") {
  ms::dialer none{{}};
  CHECK(none.state() == ms::state::failed);
  CHECK(none.failure().message == "no protocol to propose");
  CHECK(none.take_output().empty());
  ms::dialer reserved{{"ls"}};
  CHECK(reserved.failure().code == errc::invalid_argument);
  ms::listener bad{{"/a\n"}};
  CHECK(bad.state() == ms::state::failed);
  CHECK(bad.failure().message == "protocol id contains a newline");
  CHECK(to_string(ms::state::failed) == std::string{"failed"});
}
