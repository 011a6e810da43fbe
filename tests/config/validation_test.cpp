#include "canswarm/config/config.hpp"

#include "scratch.hpp"

#include <doctest/doctest.h>

using namespace canswarm::config;
using namespace std::chrono_literals;
using test::load_error;
using test::scratch_dir;

namespace {

constexpr auto peer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

} // namespace

TEST_CASE("a value that is not a number names the variable, value and range") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_MAX_CONNECTIONS", "abc"}})
    == R"(P2P_MAX_CONNECTIONS="abc": expected an integer between 1 and 100000 (from environment))");
  CHECK(
    load_error(dir, {{"GOSSIPSUB_MESH_DEGREE", "6.5"}})
    == R"(GOSSIPSUB_MESH_DEGREE="6.5": expected an integer between 1 and 1000 (from environment))");
}

TEST_CASE("an integer out of range says so") {
  scratch_dir dir;
  for (auto text : {"0", "100001", "-1", "99999999999999999999999"}) {
    CAPTURE(text);
    CHECK(load_error(dir, {{"P2P_MAX_CONNECTIONS", text}})
          == "P2P_MAX_CONNECTIONS=\"" + std::string{text}
               + "\": out of range, expected an integer between 1 and 100000 "
                 "(from environment)");
  }
  CHECK(
    load_error(dir, {{"GOSSIPSUB_MESH_DEGREE_HIGH", "1001"}})
    == R"(GOSSIPSUB_MESH_DEGREE_HIGH="1001": out of range, expected an integer between 1 and 1000 (from environment))");
}

TEST_CASE("seconds may be fractional with millisecond resolution") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  for (auto [text, expected] : std::vector<
         std::pair<std::string, std::chrono::milliseconds>>{{"30", 30s},
                                                            {"0.5", 500ms},
                                                            {".25", 250ms},
                                                            {"2.", 2s},
                                                            {"0.001", 1ms},
                                                            {"1.5000", 1500ms},
                                                            {"3600", 3600s},
                                                            {"007", 7s}}) {
    CAPTURE(text);
    options.environment = {{"P2P_CONNECTION_TIMEOUT", text}};
    auto result = load(options);
    REQUIRE(result.ok());
    CHECK(result->values.connection_timeout == expected);
  }
  options.environment = {{"GOSSIPSUB_HEARTBEAT_INTERVAL", "0.01"}};
  CHECK(load(options)->values.heartbeat_interval == 10ms);
}

TEST_CASE("bad fractional seconds name the variable, value and range") {
  scratch_dir dir;
  const std::string timeout_expected
    = "expected a number of seconds (fractional allowed, e.g. 0.5) greater "
      "than 0 and at most 3600 (from environment)";
  for (auto text : {"abc", "1.5.2", "1e3", "30s", ".", "", "1,5"}) {
    CAPTURE(text);
    CHECK(load_error(dir, {{"P2P_CONNECTION_TIMEOUT", text}})
          == "P2P_CONNECTION_TIMEOUT=\"" + std::string{text}
               + "\": " + timeout_expected);
  }
  for (auto text : {"0", "0.0", "-1", "3600.001"}) {
    CAPTURE(text);
    CHECK(load_error(dir, {{"P2P_CONNECTION_TIMEOUT", text}})
          == "P2P_CONNECTION_TIMEOUT=\"" + std::string{text}
               + "\": out of range, " + timeout_expected);
  }
  CHECK(load_error(dir, {{"P2P_CONNECTION_TIMEOUT", "0.0005"}})
        == R"(P2P_CONNECTION_TIMEOUT="0.0005": finer than a millisecond, )"
             + timeout_expected);
  CHECK(
    load_error(dir, {{"GOSSIPSUB_HEARTBEAT_INTERVAL", "0.005"}})
    == R"(GOSSIPSUB_HEARTBEAT_INTERVAL="0.005": out of range, expected a number of seconds (fractional allowed, e.g. 0.5) between 0.01 and 60 (from environment))");
}

TEST_CASE("a bad boolean names the variable, value and accepted words") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_MDNS_ENABLED", "maybe"}})
    == R"(P2P_MDNS_ENABLED="maybe": expected a boolean (true/false, 1/0, yes/no, on/off) (from environment))");
  CHECK(load_error(dir, {{"P2P_ENABLED", "2"}})
          .starts_with(R"(P2P_ENABLED="2": expected a boolean)"));
}

TEST_CASE("a bad log level lists the accepted ones") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"LOG_LEVEL", "TRACE"}})
    == R"(LOG_LEVEL="TRACE": expected one of DEBUG, INFO, WARNING (or WARN), ERROR (from environment))");
}

TEST_CASE("a bad log format names the accepted ones") {
  scratch_dir dir;
  CHECK(load_error(dir, {{"LOG_FORMAT", "logfmt"}})
        == R"(LOG_FORMAT="logfmt": expected text or json (from environment))");
  CHECK(load_error(dir, {{"LOG_FORMAT", ""}})
        == R"(LOG_FORMAT="": expected text or json (from environment))");
}

TEST_CASE("a malformed multiaddr names the variable and the bad address") {
  scratch_dir dir;
  auto message = load_error(dir,
                            {{"P2P_LISTEN_ADDR",
                              "/ip4/0.0.0.0/tcp/4001,/ip4/1.2.3/tcp/4001"}});
  CHECK(message.starts_with(
    R"(P2P_LISTEN_ADDR="/ip4/0.0.0.0/tcp/4001,/ip4/1.2.3/tcp/4001": "/ip4/1.2.3/tcp/4001" is not a valid multiaddr ()"));
  CHECK(message.ends_with(
    "), expected comma-separated multiaddrs like /ip4/203.0.113.7/tcp/4001 "
    "(from environment)"));
  CHECK(
    load_error(dir, {{"P2P_ANNOUNCE_ADDRS", "203.0.113.42:4001"}})
      .starts_with(
        R"(P2P_ANNOUNCE_ADDRS="203.0.113.42:4001": not a valid multiaddr ()"));
  // The guide's own example puts a host name in /ip4/: rejected.
  CHECK(load_error(dir, {{"P2P_BOOTSTRAP_NODES",
                          "/ip4/bootstrap1.canswarm.network/tcp/4001/p2p/"
                            + std::string{peer}}})
          .find("not a valid multiaddr (")
        != std::string::npos);
  CHECK(
    load_error(dir, {{"P2P_LISTEN_ADDR", " , "}})
    == R"(P2P_LISTEN_ADDR=" , ": expected at least one multiaddr, e.g. /ip4/0.0.0.0/tcp/4001 (from environment))");
}

TEST_CASE("a bootstrap address without /p2p/ is rejected") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_BOOTSTRAP_NODES", "/ip4/203.0.113.1/tcp/4001"}})
    == R"(P2P_BOOTSTRAP_NODES="/ip4/203.0.113.1/tcp/4001": does not end in /p2p/<peer-id>, expected bootstrap addresses like /dns4/boot.example.com/tcp/4001/p2p/12D3KooW... (from environment))");
  // With several addresses the message quotes the bad one.
  auto good = "/ip4/203.0.113.1/tcp/4001/p2p/" + std::string{peer};
  CHECK(load_error(dir, {{"P2P_BOOTSTRAP_NODES",
                          good + ",/dns4/boot.example.com/tcp/4001"}})
        == "P2P_BOOTSTRAP_NODES=\"" + good
             + ",/dns4/boot.example.com/tcp/4001\": "
               "\"/dns4/boot.example.com/tcp/4001\" does not end in "
               "/p2p/<peer-id>, expected bootstrap addresses like "
               "/dns4/boot.example.com/tcp/4001/p2p/12D3KooW... (from "
               "environment)");
  // A bare /p2p/<id> has nothing to dial.
  CHECK(load_error(dir, {{"P2P_BOOTSTRAP_NODES", "/p2p/" + std::string{peer}}})
          .find("does not end in /p2p/<peer-id>")
        != std::string::npos);
}

TEST_CASE("mesh degrees must be ordered low <= D <= high") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"GOSSIPSUB_MESH_DEGREE_LOW", "8"}})
    == R"(GOSSIPSUB_MESH_DEGREE_LOW="8": GOSSIPSUB_MESH_DEGREE_LOW (8) is greater than GOSSIPSUB_MESH_DEGREE (6), expected GOSSIPSUB_MESH_DEGREE_LOW <= GOSSIPSUB_MESH_DEGREE <= GOSSIPSUB_MESH_DEGREE_HIGH (from environment))");
  CHECK(
    load_error(dir, {{"GOSSIPSUB_MESH_DEGREE", "3"}})
    == R"(GOSSIPSUB_MESH_DEGREE="3": GOSSIPSUB_MESH_DEGREE_LOW (4) is greater than GOSSIPSUB_MESH_DEGREE (3), expected GOSSIPSUB_MESH_DEGREE_LOW <= GOSSIPSUB_MESH_DEGREE <= GOSSIPSUB_MESH_DEGREE_HIGH (from environment))");
  CHECK(
    load_error(dir, {{"GOSSIPSUB_MESH_DEGREE_HIGH", "5"}})
    == R"(GOSSIPSUB_MESH_DEGREE_HIGH="5": GOSSIPSUB_MESH_DEGREE (6) is greater than GOSSIPSUB_MESH_DEGREE_HIGH (5), expected GOSSIPSUB_MESH_DEGREE_LOW <= GOSSIPSUB_MESH_DEGREE <= GOSSIPSUB_MESH_DEGREE_HIGH (from environment))");
  // Equal degrees are fine.
  CHECK(load_error(dir, {{"GOSSIPSUB_MESH_DEGREE_LOW", "6"},
                         {"GOSSIPSUB_MESH_DEGREE_HIGH", "6"}})
        == "(loaded)");
}

TEST_CASE("P2P as primary transport while P2P is disabled is an error") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_ENABLED", "false"}, {"P2P_PRIMARY", "true"}})
    == R"(P2P_PRIMARY="true": expected false (or unset) when P2P_ENABLED=false, P2P cannot be the primary transport while it is disabled (from environment))");
  // NATS fallback without P2P is plain NATS-only operation.
  CHECK(load_error(dir, {{"P2P_ENABLED", "false"}, {"NATS_FALLBACK", "true"}})
        == "(loaded)");
}

TEST_CASE("NATS needs a server URL whenever it is used") {
  scratch_dir dir;
  const std::string needs
    = R"(NATS_URL="": expected at least one nats:// or tls:// URL, NATS is used (P2P_ENABLED=false, P2P_PRIMARY=false or NATS_FALLBACK=true) (from environment))";
  CHECK(load_error(dir, {{"NATS_URL", ""}, {"P2P_PRIMARY", "false"}}) == needs);
  CHECK(load_error(dir, {{"NATS_URL", ""}, {"NATS_FALLBACK", "true"}})
        == needs);
  CHECK(load_error(dir, {{"NATS_URL", ""}, {"P2P_ENABLED", "false"}}) == needs);
  // P2P only: no NATS URL needed.
  CHECK(load_error(dir, {{"NATS_URL", ""}}) == "(loaded)");
  CHECK(
    load_error(dir, {{"NATS_URL", "http://nats.example.com"}})
    == R"(NATS_URL="http://nats.example.com": "http://nats.example.com" is not a NATS URL, expected comma-separated nats://host:port or tls://host:port URLs (from environment))");
}

TEST_CASE("the control address must be a tcp or unix multiaddr") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_CONTROL_ADDR", "/ip4/127.0.0.1/udp/5001"}})
    == R"(P2P_CONTROL_ADDR="/ip4/127.0.0.1/udp/5001": no tcp or unix component, expected a tcp or unix multiaddr like /ip4/127.0.0.1/tcp/5001 (from environment))");
  CHECK(load_error(dir, {{"P2P_CONTROL_ADDR", "localhost:5001"}})
          .starts_with(
            R"(P2P_CONTROL_ADDR="localhost:5001": not a valid multiaddr ()"));
  CHECK(
    load_error(dir, {{"P2P_METRICS_ADDR", "9464"}})
    == R"(P2P_METRICS_ADDR="9464": no host:port, expected host:port like 127.0.0.1:9464 (from environment))");
  CHECK(
    load_error(dir, {{"P2P_METRICS_ADDR", "127.0.0.1:99999"}})
    == R"(P2P_METRICS_ADDR="127.0.0.1:99999": bad port '99999', expected host:port like 127.0.0.1:9464 (from environment))");
  CHECK(
    load_error(dir, {{"P2P_KEY_FILE", "  "}})
    == R"(P2P_KEY_FILE="  ": expected the path of the node's key file (from environment))");
}

TEST_CASE("security protocols must be known, listed once, at least one") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_SECURITY", "noise,quic"}})
    == R"(P2P_SECURITY="noise,quic": "quic" is not a security protocol, expected a comma-separated list of noise, tls, plaintext (from environment))");
  CHECK(
    load_error(dir, {{"P2P_SECURITY", "yamux"}})
    == R"(P2P_SECURITY="yamux": "yamux" is not a security protocol, expected a comma-separated list of noise, tls, plaintext (from environment))");
  CHECK(
    load_error(dir, {{"P2P_SECURITY", ""}})
    == R"(P2P_SECURITY="": expected at least one of noise, tls, plaintext (comma-separated, in order of preference) (from environment))");
  CHECK(
    load_error(dir, {{"P2P_SECURITY", " , "}})
    == R"(P2P_SECURITY=" , ": expected at least one of noise, tls, plaintext (comma-separated, in order of preference) (from environment))");
  CHECK(
    load_error(dir, {{"P2P_SECURITY", "noise,tls,Noise"}})
    == R"(P2P_SECURITY="noise,tls,Noise": "Noise" is listed twice, expected each of noise, tls, plaintext at most once (from environment))");
}

TEST_CASE("muxers must be known, listed once, at least one") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"P2P_MUXERS", "yamux,spdy"}})
    == R"(P2P_MUXERS="yamux,spdy": "spdy" is not a stream muxer, expected a comma-separated list of yamux, mplex (from environment))");
  CHECK(
    load_error(dir, {{"P2P_MUXERS", ""}})
    == R"(P2P_MUXERS="": expected at least one of yamux, mplex (comma-separated, in order of preference) (from environment))");
  CHECK(
    load_error(dir, {{"P2P_MUXERS", "mplex,yamux,mplex"}})
    == R"(P2P_MUXERS="mplex,yamux,mplex": "mplex" is listed twice, expected each of yamux, mplex at most once (from environment))");
  CHECK(load_error(dir, {{"P2P_MUXERS", "mplex"}, {"P2P_SECURITY", "tls"}})
        == "(loaded)");
}

TEST_CASE("errors name where the bad value came from and stay on one line") {
  scratch_dir dir;
  load_options options;
  options.env_file = dir.write("bad.env",
                               "P2P_MAX_CONNECTIONS=\"ten\nthousand\"\n");
  auto result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(
    result.error().message
    == R"(P2P_MAX_CONNECTIONS="ten\nthousand": expected an integer between 1 and 100000 (from )"
         + *options.env_file + ")");
  CHECK(result.error().message.find('\n') == std::string::npos);
  options.flags = {{"P2P_MAX_CONNECTIONS", "x"}};
  result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.ends_with("(from flag)"));
  // A very long value is elided.
  options.flags = {{"P2P_MAX_CONNECTIONS", std::string(5000, '9')}};
  result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.size() < 400);
  CHECK(result.error().message.find("...\"") != std::string::npos);
}

TEST_CASE("StrictNoSign topics: each at most 256 bytes, none twice") {
  scratch_dir dir;
  CHECK(
    load_error(dir, {{"GOSSIPSUB_STRICT_NO_SIGN_TOPICS", "a,b, a"}})
    == R"(GOSSIPSUB_STRICT_NO_SIGN_TOPICS="a,b, a": "a" is listed twice, expected each topic once (from environment))");
  // Long values are shortened in the message.
  auto error = load_error(dir, {{"GOSSIPSUB_STRICT_NO_SIGN_TOPICS",
                                 "ok," + std::string(257, 't')}});
  CHECK(error.starts_with("GOSSIPSUB_STRICT_NO_SIGN_TOPICS=\"ok,ttt"));
  CHECK(error.ends_with("...\" is longer than 256 bytes, expected "
                        "comma-separated gossipsub topics (from environment)"));
}

TEST_CASE("a bad JetStream stream name says what a name may hold") {
  scratch_dir dir;
  CHECK(load_error(dir, {{"NATS_STREAM", "thread.>"}})
        == R"(NATS_STREAM="thread.>": "thread.>" is not a stream name, )"
           R"(expected letters, digits, '_' and '-' only (from environment))");
  CHECK(load_error(dir, {{"NATS_STREAM", " "}})
          .find("expected 1 to 64 "
                "characters")
        != std::string::npos);
  CHECK(load_error(dir, {{"NATS_JETSTREAM", "maybe"}})
          .starts_with("NATS_JETSTREAM=\"maybe\": expected a boolean"));
}
