#include <doctest/doctest.h>

#include "canswarm/multistream/codec.hpp"
#include "canswarm/varint/varint.hpp"

using namespace canswarm;
namespace ms = canswarm::multistream;

namespace {

struct vec {
  const char* text;
  const char* wire; // annotated: length prefix, text, newline
};

// clang-format off
const vec line_vectors[] = {
  // 0x13 = 19 = 18 characters + '\n'
  {"/multistream/1.0.0", "13 2f6d756c746973747265616d2f312e302e30 0a"},
  // libp2p/specs connections/: "na" is sent as 0x036e610a
  {"na",                 "03 6e61 0a"},
  {"ls",                 "03 6c73 0a"},
  {"/noise",             "07 2f6e6f697365 0a"},
  {"/yamux/1.0.0",       "0d 2f79616d75782f312e302e30 0a"},
  {"/ipfs/ping/1.0.0",   "11 2f697066732f70696e672f312e302e30 0a"},
};
// clang-format on

} // namespace

TEST_CASE("multistream lines match golden vectors both ways") {
  for (const auto& v : line_vectors) {
    CAPTURE(v.text);
    CHECK(to_hex(ms::encode_line(v.text)) == to_hex(hex(v.wire)));
    auto wire = hex(v.wire);
    auto line = ms::read_line(wire);
    REQUIRE(line);
    REQUIRE(line->has_value());
    CHECK((*line)->text == v.text);
    CHECK((*line)->size == wire.size());
  }
}

TEST_CASE("a protocol id of 200 bytes gets a two-byte length prefix") {
  std::string id(200, 'a');
  auto wire = ms::encode_line(id);
  // 201 = 0xc9 0x01 as a uvarint
  CHECK(to_hex(bytes_view{wire}.first(2)) == "c901");
  CHECK(wire.size() == 2 + 201);
  auto line = ms::read_line(wire);
  REQUIRE(line);
  REQUIRE(line->has_value());
  CHECK((*line)->text == id);
}

TEST_CASE("a partial line asks for more bytes") {
  auto wire = hex("13 2f6d756c746973747265616d2f312e302e30 0a");
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto line = ms::read_line(bytes_view{wire}.first(n));
    REQUIRE(line);
    CHECK_FALSE(line->has_value());
  }
}

TEST_CASE("a line without its trailing newline is malformed") {
  // 0x03 "nax": right length, wrong last byte
  auto line = ms::read_line(hex("03 6e6178"));
  REQUIRE_FALSE(line);
  CHECK(line.error().code == errc::malformed);
  CHECK(line.error().message
        == "multistream message does not end with a newline");
}

TEST_CASE("an empty line is malformed") {
  auto line = ms::read_line(hex("00"));
  REQUIRE_FALSE(line);
  CHECK(line.error().code == errc::malformed);
  CHECK(line.error().message == "multistream message is empty");
}

TEST_CASE("a 1025-byte line is refused from its length prefix alone") {
  // 1025 = 0x81 0x08; no body byte has arrived yet
  auto line = ms::read_line(hex("8108"));
  REQUIRE_FALSE(line);
  CHECK(line.error().code == errc::too_large);
  CHECK(line.error().message.find("1025") != std::string::npos);
  // 1024 (0x80 0x08) is the largest accepted line.
  bytes ok = hex("8008");
  ok.resize(2 + 1023, 'x');
  ok.push_back('\n');
  auto accepted = ms::read_line(ok);
  REQUIRE(accepted);
  REQUIRE(accepted->has_value());
  CHECK((*accepted)->text.size() == 1023);
}

TEST_CASE("ls answers match a golden vector both ways") {
  // outer frame 0x17 = 23 bytes:
  //   07 "/noise" 0a          (8 bytes)
  //   0d "/yamux/1.0.0" 0a    (14 bytes)
  //   0a                      (final newline of the outer line)
  auto wire = hex("17"
                  "07 2f6e6f697365 0a"
                  "0d 2f79616d75782f312e302e30 0a"
                  "0a");
  bytes out;
  ms::write_ls_response({"/noise", "/yamux/1.0.0"}, out);
  CHECK(to_hex(out) == to_hex(wire));
  auto f = varint::read_frame(wire, ms::max_ls_response_size);
  REQUIRE(f.st == varint::status::ok);
  auto list = ms::parse_ls_response(f.body);
  REQUIRE(list);
  CHECK(*list == std::vector<std::string>{"/noise", "/yamux/1.0.0"});
}

TEST_CASE("an empty ls answer is a lone newline") {
  bytes out;
  ms::write_ls_response({}, out);
  CHECK(to_hex(out) == "010a");
  auto list = ms::parse_ls_response(hex("0a"));
  REQUIRE(list);
  CHECK(list->empty());
}

TEST_CASE("malformed ls answers name the broken entry") {
  // missing final newline
  auto a = ms::parse_ls_response(hex("07 2f6e6f697365 0a 07"));
  REQUIRE_FALSE(a);
  CHECK(a.error().message == "ls response does not end with a newline");
  // second entry claims 13 bytes but only 3 follow before the final newline
  auto b = ms::parse_ls_response(hex("07 2f6e6f697365 0a 0d 2f7961 0a"));
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::malformed);
  CHECK(b.error().message == "ls entry 1 is truncated");
  // an entry without its own newline
  auto c = ms::parse_ls_response(hex("03 6e6178 0a"));
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "ls entry 0 does not end with a newline");
}

TEST_CASE("an ls answer listing too many protocols is refused") {
  bytes body;
  for (std::size_t i = 0; i <= ms::max_ls_protocols; ++i)
    ms::write_line("/a", body);
  body.push_back('\n');
  REQUIRE(body.size() <= ms::max_ls_response_size);
  auto list = ms::parse_ls_response(body);
  REQUIRE_FALSE(list);
  CHECK(list.error().code == errc::too_large);
  CHECK(list.error().message == "ls response lists more than 1000 protocols");
}

TEST_CASE("protocol ids are checked before they are sent") {
  CHECK(ms::check_protocol("/noise"));
  CHECK(ms::check_protocol("").error().code == errc::invalid_argument);
  CHECK(ms::check_protocol("/a\n/b").error().message
        == "protocol id contains a newline");
  CHECK(ms::check_protocol("na").error().message
        == "'na' is a reserved multistream message");
  CHECK(ms::check_protocol(std::string(ms::max_protocol_size, 'p')));
  CHECK(
    ms::check_protocol(std::string(ms::max_protocol_size + 1, 'p')).error().code
    == errc::too_large);
}

TEST_CASE("remote text in error messages is made printable and short") {
  CHECK(ms::printable("/ok") == "/ok");
  CHECK(ms::printable(std::string{"a\x1b[2Jb", 6}) == "a\\x1b[2Jb");
  CHECK(ms::printable(std::string(100, 'z')) == std::string(64, 'z') + "...");
}
