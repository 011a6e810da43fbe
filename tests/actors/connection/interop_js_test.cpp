// canswarm against a real js-libp2p 3 peer (tests/interop/js/peer.mjs):
// both dial directions, identify seen from both sides, ping both ways, echo
// streams both ways, and 1 MiB / 64 MiB transfers over one yamux stream.
// A missing node or node_modules fails these tests loudly.

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "js_peer.hpp"
#include "swarm_fixture.hpp"

using namespace canswarm;
using namespace canswarm::test;
using namespace std::chrono_literals;

namespace {

struct fixture : swarm_fixture {
  test_node a = start_node(sys, self);
  caf::actor echo = spawn_echo_handler(sys);
  caf::actor sink = spawn_sink_handler(sys);

  fixture() {
    set_handler(a, "/echo/1.0.0", echo);
    set_handler(a, "/canswarm/sink/1.0.0", sink);
  }

  ~fixture() {
    self->send_exit(echo, caf::exit_reason::user_shutdown);
    self->send_exit(sink, caf::exit_reason::user_shutdown);
    stop_node(self, a);
  }

  std::string addr_field() const {
    return "\"addr\":\"" + a.dial_addr().to_string() + "\"";
  }

  /// (received, mismatches, finished) of the sink.
  std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> sink_stats() {
    std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> out;
    self->request(sink, 5s, stats_atom::value)
      .receive(
        [&](std::uint64_t r, std::uint64_t m, std::uint64_t f) {
          out = {r, m, f};
        },
        [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// js sends `size` pattern bytes to our sink; checks count and content.
  void js_sends(js_peer& js, std::size_t size) {
    auto [before, bad_before, done_before] = sink_stats();
    auto answer = js.call("send",
                          addr_field() + ",\"size\":" + std::to_string(size),
                          120s);
    INFO(answer);
    REQUIRE(js_peer::ok(answer));
    CHECK(json_number(answer, "bytes") == static_cast<double>(size));
    auto [after, bad_after, done_after] = sink_stats();
    CHECK(after - before == size);
    CHECK(bad_after == bad_before);
    CHECK(done_after == done_before + 1);
    auto ms = json_number(answer, "ms").value_or(0);
    MESSAGE(fmt::format("js -> canswarm {} bytes in {:.1f} ms ({:.0f} MiB/s)",
                        size, ms, size / 1048576.0 / (ms / 1000.0)));
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "js-libp2p dials canswarm: identify, ping, "
                           "echo and bulk transfers") {
  js_peer js;
  auto js_id = peer_id::parse(js.id);
  REQUIRE(js_id.ok());

  auto dialed = js.call("dial", addr_field());
  INFO(dialed);
  REQUIRE(js_peer::ok(dialed));
  CHECK(json_string(dialed, "peer") == a.id.to_string());

  // canswarm's record of js-libp2p.
  auto seen = wait_info(a, *js_id);
  REQUIRE_MESSAGE(seen.ok(), seen.error().describe());
  CHECK(seen->agent_version.rfind("js-libp2p/", 0) == 0);
  CHECK(contains(seen->protocols, "/ipfs/id/1.0.0"));
  CHECK(contains(seen->protocols, "/ipfs/ping/1.0.0"));
  CHECK(contains(seen->protocols, "/echo/1.0.0"));
  CHECK_FALSE(seen->listen_addrs.empty());

  // js-libp2p's record of canswarm (identify may land just after the dial).
  std::string ident;
  for (int i = 0; i < 50; ++i) {
    ident = js.call("identify", "\"peer\":\"" + a.id.to_string() + "\"");
    if (json_string(ident, "agentVersion").value_or("") != "")
      break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(ident);
  if (std::getenv("CANSWARM_TEST_DEBUG") != nullptr)
    MESSAGE(js.stderr_text());
  CHECK(json_string(ident, "agentVersion") == "canswarm/" CANSWARM_VERSION);
  auto protocols = json_string_array(ident, "protocols")
                     .value_or(std::vector<std::string>{});
  CHECK(contains(protocols, "/ipfs/id/1.0.0"));
  CHECK(contains(protocols, "/ipfs/ping/1.0.0"));
  CHECK(contains(protocols, "/echo/1.0.0"));
  CHECK(contains(protocols, "/canswarm/sink/1.0.0"));
  auto addrs = json_string_array(ident, "addrs")
                 .value_or(std::vector<std::string>{});
  CHECK(contains(addrs, a.listen[0]));

  // Ping both ways.
  auto js_ping = js.call("ping", addr_field());
  INFO(js_ping);
  REQUIRE(js_peer::ok(js_ping));
  CHECK(json_number(js_ping, "rtt_ms").value_or(-1) >= 0);
  auto our_ping = ping(a, *js_id);
  REQUIRE_MESSAGE(our_ping.ok(), our_ping.error().describe());
  CHECK(*our_ping > caf::timespan::zero());
  MESSAGE(fmt::format("ping rtt: js -> canswarm {} ms, canswarm -> js {} us",
                      json_number(js_ping, "rtt_ms").value_or(-1),
                      our_ping->count() / 1000));

  // js opens /echo/1.0.0 on canswarm.
  for (std::size_t size : {std::size_t{1000}, std::size_t{1} << 20}) {
    auto echoed = js.call("echo",
                          addr_field() + ",\"size\":" + std::to_string(size));
    INFO(echoed);
    // The answer's "ok" is js's byte-for-byte comparison of what came back
    // (it overrides the command's own "ok"); an error has no "received".
    CHECK(js_peer::ok(echoed));
    CHECK(json_number(echoed, "received") == static_cast<double>(size));
  }

  // Bulk js -> canswarm over one yamux stream, pattern checked per byte.
  js_sends(js, std::size_t{1} << 20);
  js_sends(js, std::size_t{64} << 20);

  if (std::getenv("CANSWARM_TEST_DEBUG") != nullptr)
    MESSAGE(js.stderr_text());
  auto peers_js = js.call("peers", "");
  CHECK(peers_js.find(a.id.to_string()) != std::string::npos);
  auto listed = peers(a);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].peer == *js_id);
  CHECK(listed[0].dir == connection::direction::inbound);
}

TEST_CASE_FIXTURE(fixture, "canswarm dials js-libp2p: identify, ping, echo "
                           "and bulk transfers") {
  js_peer js;
  REQUIRE_FALSE(js.addrs.empty());
  auto js_id = peer_id::parse(js.id);
  REQUIRE(js_id.ok());
  auto addr = multiaddr::parse(js.addrs[0]);
  REQUIRE(addr.ok());

  auto id = dial(a, dial_request{{}, {*addr}, 10s});
  REQUIRE_MESSAGE(id.ok(), id.error().describe());
  CHECK(*id == *js_id);
  auto listed = peers(a);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].dir == connection::direction::outbound);

  auto seen = wait_info(a, *js_id);
  REQUIRE_MESSAGE(seen.ok(), seen.error().describe());
  CHECK(seen->agent_version.rfind("js-libp2p/", 0) == 0);
  CHECK(contains(seen->protocols, "/echo/1.0.0"));

  std::string ident;
  for (int i = 0; i < 50; ++i) {
    ident = js.call("identify", "\"peer\":\"" + a.id.to_string() + "\"");
    if (json_string(ident, "agentVersion").value_or("") != "")
      break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(ident);
  CHECK(json_string(ident, "agentVersion") == "canswarm/" CANSWARM_VERSION);

  auto our_ping = ping(a, *js_id);
  REQUIRE_MESSAGE(our_ping.ok(), our_ping.error().describe());
  auto js_ping = js.call("ping", addr_field());
  INFO(js_ping);
  CHECK(js_peer::ok(js_ping));

  // canswarm opens /echo/1.0.0 on js-libp2p.
  auto small = transfer(a, *js_id, "/echo/1.0.0", pattern(1000), 1000);
  REQUIRE_MESSAGE(small.ok(), small.error().describe());
  CHECK(*small == pattern(1000));
  for (std::size_t size : {std::size_t{1} << 20, std::size_t{64} << 20}) {
    auto data = pattern(size);
    auto start = std::chrono::steady_clock::now();
    auto back = transfer(a, *js_id, "/echo/1.0.0", data, size);
    auto ms = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - start)
                .count();
    if (!back.ok() && std::getenv("CANSWARM_TEST_DEBUG") != nullptr)
      MESSAGE(js.stderr_text());
    REQUIRE_MESSAGE(back.ok(), back.error().describe());
    CHECK(back->size() == size);
    CHECK(*back == data);
    MESSAGE(fmt::format("canswarm -> js -> canswarm echo of {} bytes in "
                        "{:.1f} ms",
                        size, ms));
  }

  if (std::getenv("CANSWARM_TEST_DEBUG") != nullptr)
    MESSAGE(js.stderr_text());
  // And js writes into our sink over the connection we dialed.
  js_sends(js, std::size_t{1} << 20);
}
