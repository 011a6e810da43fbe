#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/log/log.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

struct capture {
  std::vector<std::string> lines;

  capture() {
    log::global().set_level(log::level::info);
    log::global().set_protocol_debug(false);
    log::global().set_sink(
      [this](std::string_view line) { lines.emplace_back(line); });
  }

  ~capture() {
    log::global().set_sink({});
    log::global().set_level(log::level::info);
    log::global().set_protocol_debug(false);
  }
};

// 2024-02-29T13:45:07.089Z
const auto when = std::chrono::system_clock::time_point{1709214307089ms};

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
