#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/log/log.hpp"

#include "strict_json.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

struct capture {
  std::vector<std::string> lines;

  capture() {
    log::global().set_level(log::level::info);
    log::global().set_protocol_debug(false);
    log::global().set_format(log::format::text);
    log::global().set_peer_id({});
    log::global().set_sink(
      [this](std::string_view line) { lines.emplace_back(line); });
  }

  ~capture() {
    log::global().set_sink({});
    log::global().set_level(log::level::info);
    log::global().set_protocol_debug(false);
    log::global().set_format(log::format::text);
    log::global().set_peer_id({});
  }
};

// 2024-02-29T13:45:07.089Z
const auto when = std::chrono::system_clock::time_point{1709214307089ms};

constexpr auto peer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

/// Parses a JSON log line strictly; fails the test if it is not valid.
test::strict_json::members parse(const std::string& line) {
  std::string why;
  auto obj = test::strict_json::parse_object(line, &why);
  INFO("line: ", line);
  REQUIRE_MESSAGE(obj.has_value(), why);
  return *obj;
}

/// The `msg` of `message` logged as a JSON line, decoded.
std::string json_msg(std::string_view message) {
  auto line = log::format_json_line(when, log::level::info, "peer", message);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find('\0') == std::string::npos);
  return parse(line).at("msg");
}

} // namespace

TEST_CASE("a log line has an ISO UTC timestamp, the level, the component "
          "and the message") {
  CHECK(log::format_line(when, log::level::info, "supervisor:root",
                         "started 2 children")
        == "2024-02-29T13:45:07.089Z INFO    [supervisor:root] started 2 "
           "children");
  CHECK(log::format_line(when, log::level::warning, "transport", "x")
        == "2024-02-29T13:45:07.089Z WARNING [transport] x");
  CHECK(log::format_line(when, log::level::error, "node", "x")
        == "2024-02-29T13:45:07.089Z ERROR   [node] x");
}

TEST_CASE("protocol detail lines are DEBUG lines marked libp2p") {
  CHECK(
    log::format_line(when, log::level::debug, "yamux", "window update", true)
    == "2024-02-29T13:45:07.089Z DEBUG   [yamux] libp2p: window update");
}

TEST_CASE("control characters are escaped so an entry stays on one line") {
  auto line = log::format_line(when, log::level::info, "x", "a\nb\tc\x01\x7f");
  CHECK(line.ends_with("[x] a\\nb\\tc\\x01\\x7f"));
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("overlong messages are cut at max_message_size") {
  std::string big(log::max_message_size + 10, 'a');
  auto line = log::format_line(when, log::level::info, "x", big);
  CHECK(line.ends_with(" ...(truncated)"));
  CHECK(line.size() < log::max_message_size + 80);
}

TEST_CASE("entries below the threshold are dropped") {
  capture cap;
  log::global().set_level(log::level::warning);
  log::debug("c", "debug {}", 1);
  log::info("c", "info {}", 2);
  log::warning("c", "warning {}", 3);
  log::error("c", "error {}", 4);
  REQUIRE(cap.lines.size() == 2);
  CHECK(cap.lines[0].ends_with("WARNING [c] warning 3"));
  CHECK(cap.lines[1].ends_with("ERROR   [c] error 4"));
  log::global().set_level(log::level::debug);
  log::debug("c", "now {}", "visible");
  REQUIRE(cap.lines.size() == 3);
  CHECK(cap.lines[2].ends_with("DEBUG   [c] now visible"));
}

TEST_CASE("protocol detail is written only when LIBP2P_DEBUG is on, "
          "regardless of the level") {
  capture cap;
  log::global().set_level(log::level::error);
  log::debug_protocol("noise", "handshake step {}", 1);
  CHECK(cap.lines.empty());
  log::global().set_protocol_debug(true);
  log::debug_protocol("noise", "handshake step {}", 2);
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].ends_with("DEBUG   [noise] libp2p: handshake step 2"));
}

TEST_CASE("the logger is safe to use from several threads") {
  capture cap;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 250; ++i)
        log::info("thread", "t{} line {}", t, i);
    });
  for (auto& th : threads)
    th.join();
  REQUIRE(cap.lines.size() == 1000);
  std::regex shape{R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO    )"
                   R"(\[thread\] t\d line \d+$)"};
  for (auto& line : cap.lines)
    CHECK(std::regex_search(line, shape));
}

TEST_CASE("the strict JSON checker used below rejects what is not JSON") {
  using test::strict_json;
  CHECK(strict_json::parse_object(R"({"a":"b","n":-1.5e3,"t":[true,null]})"));
  for (const auto& bad :
       std::vector<std::string>{R"({"a":"b")", R"({"a":"b"} x)",
                                "{\"a\":\"line\nbreak\"}", R"({"a":"\x"})",
                                R"({"a":"\ud800"})", R"({"a":"\udc00"})",
                                "{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}",
                                "{\"a\":\"\xed\xa0\x80\"}", R"({"a":1,"a":2})",
                                R"({"a":01})", R"({'a':1})", R"(["a"])",
                                std::string{"{\"a\":\"\0\"}", 9}}) {
    CAPTURE(bad);
    CHECK_FALSE(strict_json::parse_object(bad));
  }
}

TEST_CASE("a JSON log line has ts, level, component, peer_id and msg") {
  CHECK(log::format_json_line(when, log::level::info, "supervisor:root",
                              "started 2 children", false, peer)
        == R"({"ts":"2024-02-29T13:45:07.089Z","level":"INFO",)"
           R"("component":"supervisor:root","peer_id":")"
             + std::string{peer} + R"(","msg":"started 2 children"})");
  // Without a known peer id the field is left out.
  auto obj = parse(
    log::format_json_line(when, log::level::warning, "transport", "x"));
  CHECK(obj.size() == 4);
  CHECK(obj.at("ts") == "2024-02-29T13:45:07.089Z");
  CHECK(obj.at("level") == "WARNING");
  CHECK(obj.at("component") == "transport");
  CHECK(obj.at("msg") == "x");
  CHECK(obj.count("peer_id") == 0);
}

TEST_CASE("protocol detail JSON lines are DEBUG lines on the libp2p channel") {
  auto obj = parse(log::format_json_line(when, log::level::debug, "yamux",
                                         "window update", true, peer));
  CHECK(obj.at("level") == "DEBUG");
  CHECK(obj.at("channel") == "libp2p");
  CHECK(obj.at("msg") == "window update");
  CHECK(obj.at("peer_id") == peer);
}

TEST_CASE("hostile strings from remote peers stay one valid JSON line") {
  // Newlines, quotes, backslashes, NUL, other controls and DEL round-trip.
  const char raw[] = "a\nb\r\"c\"\\d\0e\x01\x1f\x7f\tf\b\f/";
  std::string controls{raw, sizeof(raw) - 1};
  CHECK(json_msg(controls) == controls);
  CHECK(log::format_json_line(when, log::level::info, "x", controls)
          .ends_with(
            R"("msg":"a\nb\r\"c\"\\d\u0000e\u0001\u001f\u007f\tf\b\f/"})"));
  // A forged second entry stays inside the first one's msg.
  auto forged = std::string{"ok\n{\"ts\":\"x\",\"level\":\"ERROR\"}"};
  CHECK(json_msg(forged) == forged);
  // Well-formed UTF-8 is kept as is; U+2028/U+2029 are escaped.
  CHECK(json_msg("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac")
        == "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac");
  auto seps = log::format_json_line(when, log::level::info, "x",
                                    "a\xe2\x80\xa8z\xe2\x80\xa9");
  CHECK(seps.ends_with(R"("msg":"a\u2028z\u2029"})"));
  CHECK(parse(seps).at("msg") == "a\xe2\x80\xa8z\xe2\x80\xa9");
  // Each byte of ill-formed UTF-8 becomes U+FFFD.
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(json_msg("\x80") == fffd); // lone continuation
  CHECK(json_msg("a\xc3") == "a" + fffd); // cut at the end
  CHECK(json_msg("\xc0\xaf") == fffd + fffd); // overlong '/'
  CHECK(json_msg("\xe0\x80\xaf") == fffd + fffd + fffd); // overlong
  CHECK(json_msg("\xed\xa0\x80") == fffd + fffd + fffd); // surrogate
  CHECK(json_msg("\xf4\x90\x80\x80") == fffd + fffd + fffd + fffd); // >10FFFF
  CHECK(json_msg("\xf5\xff\xfe") == fffd + fffd + fffd);
  CHECK(json_msg("\xe2\x82x") == fffd + fffd + "x");
  // Component and peer id are escaped too.
  auto obj = parse(log::format_json_line(when, log::level::info, "a\"b\n", "m",
                                         false, "p\\\x01"));
  CHECK(obj.at("component") == "a\"b\n");
  CHECK(obj.at("peer_id") == "p\\\x01");
}

TEST_CASE("random bytes always give a valid JSON line") {
  std::mt19937 rng{42};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<int> length{0, 64};
  for (int i = 0; i < 5000; ++i) {
    std::string junk(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : junk)
      c = static_cast<char>(byte(rng));
    auto line = log::format_json_line(when, log::level::info, "fuzz", junk);
    std::string why;
    auto obj = test::strict_json::parse_object(line, &why);
    REQUIRE_MESSAGE(obj.has_value(), why, " for ", line);
    // Every input byte maps to at least one decoded byte.
    CHECK(obj->at("msg").size() >= junk.size());
  }
}

TEST_CASE("overlong JSON messages are cut on a character boundary and "
          "marked") {
  // A 4-byte character straddles max_message_size.
  std::string big(log::max_message_size - 2, 'a');
  big += "\xf0\x9f\x98\x80";
  big += std::string(100, 'b');
  auto line = log::format_json_line(when, log::level::info, "x", big);
  auto obj = parse(line);
  CHECK(obj.at("truncated") == "true");
  CHECK(obj.at("msg") == std::string(log::max_message_size - 2, 'a'));
  CHECK(line.size() < log::max_message_size + 200);
  // Worst case: every byte escaped as \u0000 still bounded.
  std::string nuls(log::max_message_size * 2, '\0');
  auto worst = log::format_json_line(when, log::level::info, "x", nuls);
  CHECK(parse(worst).at("msg").size() == log::max_message_size);
  CHECK(worst.size() < 6 * log::max_message_size + 200);
}

TEST_CASE("in JSON format the logger writes JSON lines with the peer id once "
          "known") {
  capture cap;
  log::global().set_format(log::format::json);
  log::global().set_level(log::level::debug);
  log::info("node", "starting");
  log::global().set_peer_id(peer);
  log::debug("swarm", "peer {} said {}", "x", "\"hi\"\n");
  log::global().set_protocol_debug(true);
  log::debug_protocol("noise", "handshake step {}", 2);
  REQUIRE(cap.lines.size() == 3);
  auto first = parse(cap.lines[0]);
  CHECK(first.count("peer_id") == 0);
  CHECK(first.at("msg") == "starting");
  auto second = parse(cap.lines[1]);
  CHECK(second.at("peer_id") == peer);
  CHECK(second.at("level") == "DEBUG");
  CHECK(second.at("component") == "swarm");
  CHECK(second.at("msg") == "peer x said \"hi\"\n");
  auto third = parse(cap.lines[2]);
  CHECK(third.at("channel") == "libp2p");
  CHECK(third.at("msg") == "handshake step 2");
  // Back to text.
  log::global().set_format(log::format::text);
  log::info("node", "plain");
  REQUIRE(cap.lines.size() == 4);
  CHECK(cap.lines[3].ends_with("INFO    [node] plain"));
}

TEST_CASE("the JSON logger is safe to use from several threads") {
  capture cap;
  log::global().set_format(log::format::json);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 250; ++i) {
        if (t == 0 && i % 50 == 0)
          log::global().set_peer_id(i % 100 == 0 ? peer : "");
        log::info("thread", "t{} line {} \"\xff\n", t, i);
      }
    });
  for (auto& th : threads)
    th.join();
  REQUIRE(cap.lines.size() == 1000);
  auto last_ts = std::string{};
  for (auto& line : cap.lines) {
    std::string why;
    auto obj = test::strict_json::parse_object(line, &why);
    REQUIRE_MESSAGE(obj.has_value(), why, " for ", line);
    CHECK(std::regex_match(obj->at("msg"),
                           std::regex{"t\\d line \\d+ \"\xef\xbf\xbd\n"}));
    // Timestamps are taken under the lock: output order is time order.
    CHECK(obj->at("ts") >= last_ts);
    last_ts = obj->at("ts");
  }
}
