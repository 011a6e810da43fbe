#include "canswarm/config/config.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using canswarm::config::parse_dotenv;
using entries = std::vector<std::pair<std::string, std::string>>;

namespace {

entries parse_ok(std::string_view text) {
  auto result = parse_dotenv(text);
  REQUIRE_MESSAGE(result.ok(), (result ? "" : result.error().message));
  return *result;
}

std::string parse_fail(std::string_view text) {
  auto result = parse_dotenv(text);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == canswarm::errc::malformed);
  return result.error().message;
}

} // namespace

TEST_CASE("dotenv skips comment lines and blank lines") {
  auto text = "# a comment\n"
              "\n"
              "   # an indented comment\n"
              "\t\n"
              "A=1\n"
              "#B=2\n";
  CHECK(parse_ok(text) == entries{{"A", "1"}});
}

TEST_CASE("dotenv accepts an export prefix and blanks around the equal sign") {
  CHECK(parse_ok("export A=1\nexport\tB = 2\n  C  =3")
        == entries{{"A", "1"}, {"B", "2"}, {"C", "3"}});
  // A variable may itself be called "export".
  CHECK(parse_ok("export=x") == entries{{"export", "x"}});
}

TEST_CASE("dotenv keeps single-quoted values literally") {
  CHECK(parse_ok(R"(A='a\nb # not a comment "x" \\')")
        == entries{{"A", R"(a\nb # not a comment "x" \\)"}});
  CHECK(parse_ok("A='  padded  '  # comment") == entries{{"A", "  padded  "}});
}

TEST_CASE("dotenv decodes escapes in double-quoted values") {
  CHECK(parse_ok(R"(A="line1\nline2 \"q\" back\\slash\ttab")")
        == entries{{"A", "line1\nline2 \"q\" back\\slash\ttab"}});
  // An unknown escape is kept verbatim, as python-dotenv does.
  CHECK(parse_ok(R"(A="\d\$")") == entries{{"A", R"(\d\$)"}});
  CHECK(parse_ok(R"(A="# not a comment" # a comment)")
        == entries{{"A", "# not a comment"}});
}

TEST_CASE("dotenv strips inline comments and trailing blanks of unquoted "
          "values") {
  CHECK(parse_ok("A=value # comment\nB=value\t# tab comment\nC=value   \n")
        == entries{{"A", "value"}, {"B", "value"}, {"C", "value"}});
  // '#' without a blank before it belongs to the value.
  CHECK(parse_ok("A=abc#def\nB=#hash")
        == entries{{"A", "abc#def"}, {"B", "#hash"}});
  // Inner blanks are kept.
  CHECK(parse_ok("A=two words") == entries{{"A", "two words"}});
}

TEST_CASE("dotenv accepts empty values") {
  CHECK(parse_ok("A=\nB=''\nC=\"\"\nD= # only a comment\nE=")
        == entries{{"A", ""}, {"B", ""}, {"C", ""}, {"D", ""}, {"E", ""}});
}

TEST_CASE("dotenv handles CRLF line endings") {
  auto text = "# comment\r\n"
              "\r\n"
              "A=1\r\n"
              "B=two # c\r\n"
              "C=\"q\"\r\n"
              "D='s'   \r\n"
              "E=\r\n";
  CHECK(
    parse_ok(text)
    == entries{{"A", "1"}, {"B", "two"}, {"C", "q"}, {"D", "s"}, {"E", ""}});
  // Line numbers still count CRLF lines once.
  CHECK(parse_fail("A=1\r\nB=2\r\nbroken\r\n")
        == R"(line 3: expected KEY=value, got "broken")");
}

TEST_CASE("dotenv lets quoted values span lines") {
  CHECK(parse_ok("A=\"one\ntwo\"\nB='x\r\ny'\nC=3")
        == entries{{"A", "one\ntwo"}, {"B", "x\ny"}, {"C", "3"}});
  // Line numbers after a multi-line value stay right.
  CHECK(parse_fail("A=\"one\ntwo\"\nB")
        == R"(line 3: expected KEY=value, got "B")");
}

TEST_CASE("dotenv skips a UTF-8 byte order mark and returns repeated keys in "
          "order") {
  CHECK(parse_ok("\xEF\xBB\xBF"
                 "A=1\nA=2")
        == entries{{"A", "1"}, {"A", "2"}});
}

TEST_CASE("dotenv rejects a line without an equal sign, naming the line") {
  CHECK(parse_fail("A=1\n\nP2P_ENABLED true\n")
        == R"(line 3: expected KEY=value, got "P2P_ENABLED true")");
  CHECK(parse_fail("A=1\n= value")
        == R"(line 2: expected KEY=value, got "= value")");
  CHECK(parse_fail("export ONLY")
        == R"(line 1: expected KEY=value, got "export ONLY")");
}

TEST_CASE("dotenv rejects bad variable names, naming the line") {
  CHECK(parse_fail("1ABC=x")
        == "line 1: invalid variable name \"1ABC\" (expected letters, digits "
           "and '_', not starting with a digit)");
  CHECK(parse_fail("# c\nMY-VAR=x")
          .starts_with(R"(line 2: invalid variable name "MY-VAR")"));
}

TEST_CASE("dotenv rejects an unterminated quote, naming the line it opened "
          "on") {
  CHECK(parse_fail("A=1\nB=\"open\nC=2\n")
        == "line 2: unterminated double quote");
  CHECK(parse_fail("A='open") == "line 1: unterminated single quote");
}

TEST_CASE("dotenv rejects text after a closing quote") {
  CHECK(parse_fail("A=1\nB=\"x\"y")
        == R"(line 2: unexpected text after closing quote: "y")");
}
