#include <doctest/doctest.h>

#include <random>

#include "canswarm/multistream/negotiator.hpp"

using namespace canswarm;
namespace ms = canswarm::multistream;

namespace {

bytes header() {
  return ms::encode_line(ms::protocol_id);
}

/// A listener that has consumed the dialer's header.
ms::listener ready_listener() {
  ms::listener l{{"/noise"}};
  l.take_output();
  l.handle_input(header());
  return l;
}

} // namespace

TEST_CASE("a 1025-byte line is refused before its body arrives") {
  auto l = ready_listener();
  l.handle_input(hex("8108")); // length 1025, no body yet
  REQUIRE(l.state() == ms::state::failed);
  CHECK(l.failure().code == errc::too_large);
  CHECK(l.failure().message
        == "multistream message: frame length 1025 over limit 1024");
  ms::dialer d{{"/noise"}};
  d.handle_input(hex("8108"));
  CHECK(d.failure().code == errc::too_large);
}

TEST_CASE("a line without newline fails the listener") {
  auto l = ready_listener();
  l.handle_input(hex("07 2f6e6f69736521")); // "/noise!"
  REQUIRE(l.state() == ms::state::failed);
  CHECK(l.failure().code == errc::malformed);
  CHECK(l.failure().message
        == "multistream message does not end with a newline");
  CHECK(l.take_output().empty());
}

TEST_CASE("a longest line is buffered until complete, then answered") {
  auto l = ready_listener();
  bytes line = hex("8008"); // length 1024
  line.resize(2 + 1023, 'x');
  line.push_back('\n');
  l.handle_input(bytes_view{line}.first(1000));
  CHECK(l.state() == ms::state::negotiating);
  CHECK(l.take_output().empty());
  l.handle_input(bytes_view{line}.subspan(1000));
  CHECK(l.state() == ms::state::negotiating);
  CHECK(to_hex(l.take_output()) == "036e610a"); // na
}

TEST_CASE("an over-long varint prefix is malformed") {
  auto l = ready_listener();
  l.handle_input(hex("ffffffffffffffffff"));
  REQUIRE(l.state() == ms::state::failed);
  CHECK(l.failure().code == errc::malformed);
  CHECK(l.failure().message
        == "multistream message: varint longer than 9 bytes");
}

TEST_CASE("a dialer sending 10,000 proposals is cut off after max_rounds") {
  for (bool one_chunk : {true, false}) {
    CAPTURE(one_chunk);
    ms::listener l{{"/noise"}};
    auto expected = l.take_output(); // our header
    bytes flood = header();
    for (int i = 0; i < 10000; ++i)
      ms::write_line("/unknown/" + std::to_string(i), flood);
    if (one_chunk) {
      l.handle_input(flood);
    } else {
      l.handle_input(header());
      for (int i = 0; i < 10000; ++i)
        l.handle_input(ms::encode_line("/unknown/" + std::to_string(i)));
    }
    REQUIRE(l.state() == ms::state::failed);
    CHECK(l.failure().code == errc::too_large);
    CHECK(l.failure().message == "remote sent more than 32 proposals");
    CHECK(l.rounds() == ms::max_rounds + 1);
    bytes answers;
    for (std::size_t i = 0; i < ms::max_rounds; ++i)
      ms::write_line("na", answers);
    CHECK(l.take_output() == answers);
  }
}

TEST_CASE("repeated ls requests count as rounds too") {
  auto l = ready_listener();
  bytes flood;
  for (int i = 0; i < 10000; ++i)
    ms::write_line("ls", flood);
  l.handle_input(flood);
  REQUIRE(l.state() == ms::state::failed);
  CHECK(l.failure().code == errc::too_large);
  // 32 ls answers for {"/noise"}: 0x09, 07 "/noise" 0a, 0a
  CHECK(l.take_output().size() == ms::max_rounds * 10);
}

TEST_CASE("a dialer never proposes more than max_rounds protocols") {
  std::vector<std::string> many;
  for (int i = 0; i < 10000; ++i)
    many.push_back("/p/" + std::to_string(i));
  ms::dialer too_many{many};
  REQUIRE(too_many.state() == ms::state::failed);
  CHECK(too_many.failure().code == errc::too_large);
  CHECK(too_many.failure().message
        == "10000 protocols to propose, limit is 32");
  CHECK(too_many.take_output().empty());
  many.resize(ms::max_rounds);
  ms::dialer d{many};
  bytes sent = d.take_output();
  // A listener answering 10,000 na in one go: the dialer stops at its list.
  bytes nas = header();
  for (int i = 0; i < 10000; ++i)
    ms::write_line("na", nas);
  d.handle_input(nas);
  REQUIRE(d.state() == ms::state::failed);
  CHECK(d.failure().code == errc::unsupported);
  CHECK(d.proposal_index() == ms::max_rounds);
  append(sent, d.take_output());
  bytes expected = header();
  for (const auto& p : many)
    ms::write_line(p, expected);
  CHECK(sent == expected);
  CHECK(d.take_remaining().empty());
}

TEST_CASE("random garbage never completes a negotiation") {
  std::mt19937 rng{42};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<int> length{1, 3000};
  for (int round = 0; round < 300; ++round) {
    bytes garbage(static_cast<std::size_t>(length(rng)));
    for (auto& b : garbage)
      b = static_cast<std::uint8_t>(byte(rng));
    bool with_header = round % 2 == 1;
    bytes input = with_header ? header() : bytes{};
    append(input, garbage);
    ms::listener l{{"/noise"}};
    ms::dialer d{{"/noise"}};
    if (round % 3 == 0) {
      for (auto b : input) {
        l.handle_input(bytes_view{&b, 1});
        d.handle_input(bytes_view{&b, 1});
      }
    } else {
      l.handle_input(input);
      d.handle_input(input);
    }
    CHECK(l.state() != ms::state::done);
    CHECK(d.state() != ms::state::done);
    for (auto* n : {static_cast<ms::negotiation*>(&l),
                    static_cast<ms::negotiation*>(&d)}) {
      if (n->state() == ms::state::failed) {
        auto code = n->failure().code;
        CHECK((code == errc::malformed || code == errc::too_large
               || code == errc::protocol || code == errc::unsupported));
        CHECK_FALSE(n->failure().message.empty());
      }
    }
  }
}
