#include <doctest/doctest.h>

#include "canswarm/metrics/exposer.hpp"

using namespace canswarm;
using namespace canswarm::metrics;

TEST_CASE("bind addresses parse as host and port") {
  auto a = parse_bind_address("127.0.0.1:9464");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9464);
  auto b = parse_bind_address("[::1]:0");
  REQUIRE(b);
  CHECK(b->host == "[::1]");
  CHECK(b->port == 0);
  auto c = parse_bind_address("metrics.internal:65535");
  REQUIRE(c);
  CHECK(c->port == 65535);
  CHECK(parse_bind_address(default_bind_address));
}

TEST_CASE("malformed bind addresses fail with a reason") {
  auto check_bad = [](std::string_view text, std::string_view why) {
    auto r = parse_bind_address(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    CHECK_MESSAGE(r.error().message.find(why) != std::string::npos,
                  r.error().message);
  };
  check_bad("", "empty");
  check_bad("9464", "missing host");
  check_bad(":9464", "missing host");
  check_bad("127.0.0.1:", "port");
  check_bad("127.0.0.1:65536", "port");
  check_bad("127.0.0.1:80s", "port"); // civetweb TLS suffix
  check_bad("127.0.0.1:1,0.0.0.0:2", "one host:port"); // civetweb list
  check_bad("::1:9464", "brackets");
  check_bad("[::1:9464", "closing");
  check_bad("[::1]9464", "':port'");
  check_bad("[zz]:1", "IPv6");
  check_bad("a b:1", "host may only");
}

TEST_CASE("only loopback hosts count as loopback") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("LocalHost"));
  CHECK(is_loopback_host("[::1]"));
  CHECK(is_loopback_host("[::ffff:127.0.0.1]"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("[::]"));
  CHECK_FALSE(is_loopback_host("[fd00::2]"));
  CHECK_FALSE(is_loopback_host("metrics.example.com"));
}

TEST_CASE("a non-loopback bind address yields a warning, loopback none") {
  CHECK_FALSE(bind_warning({"127.0.0.1", 9464}));
  auto w = bind_warning({"0.0.0.0", 9464});
  REQUIRE(w);
  CHECK(w->find("0.0.0.0:9464") != std::string::npos);
  CHECK(w->find("not a loopback") != std::string::npos);
}

TEST_CASE("an exposer config with a bad thread count is refused") {
  exposer_config cfg;
  CHECK(cfg.validate());
  cfg.threads = 0;
  CHECK_FALSE(cfg.validate());
  cfg.threads = max_exposer_threads + 1;
  auto r = cfg.validate();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("threads") != std::string::npos);
}
