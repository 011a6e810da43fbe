// NATS subject syntax, durable names and the validation of the client and
// bridge configurations (no server needed).

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "canswarm/nats/bridge.hpp"
#include "canswarm/nats/subject.hpp"

using namespace canswarm;
using namespace canswarm::nats;

TEST_CASE("publish subjects must be dot-separated non-empty tokens without "
          "wildcards") {
  CHECK(check_subject("thread.x.need").ok());
  CHECK(check_subject("thread.a%2Eb.need").ok());
  auto bad = [](std::string_view s, std::string_view needle) {
    auto r = check_subject(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::invalid_argument);
    CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos,
                  r.error().message);
  };
  bad("", "empty subject");
  bad("thread..need", "empty token at offset 7");
  bad(".thread", "empty token at offset 0");
  bad("thread.", "empty token at offset 7");
  bad("thread.x.*", "wildcard in publish subject");
  bad("thread.>", "wildcard in publish subject");
  bad("thread.a b.need", "space or control byte 0x20 at offset 8");
  bad("thread.\x01.need", "control byte 0x01");
  bad(std::string(max_subject_size + 1, 'a'), "longer than 1024");
}

TEST_CASE("patterns allow '*' as a whole token and '>' as the whole last "
          "token") {
  CHECK(check_pattern("thread.*.need").ok());
  CHECK(check_pattern("thread.>").ok());
  CHECK(check_pattern(">").ok());
  CHECK(check_pattern("*").ok());
  auto bad = [](std::string_view s, std::string_view needle) {
    auto r = check_pattern(s);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().message.find(needle) != std::string::npos,
                  r.error().message);
  };
  bad("thread.x*.need", "'*' must be a whole token");
  bad("thread.>.need", "'>' must be the whole last token");
  bad("thread.x>", "'>' must be the whole last token");
  bad("thread..>", "empty token");
}

TEST_CASE("subjects match patterns token by token") {
  CHECK(matches("thread.*.need", "thread.x.need"));
  CHECK_FALSE(matches("thread.*.need", "thread.x.propose"));
  CHECK_FALSE(matches("thread.*.need", "thread.x.need.more"));
  CHECK(matches("thread.>", "thread.x.need"));
  CHECK(matches("thread.>", "thread.x"));
  CHECK_FALSE(matches("thread.>", "thread"));
  CHECK(matches("thread.x.need", "thread.x.need"));
  CHECK_FALSE(matches("thread.x.need", "thread.x"));
}

TEST_CASE("a stream subject covers a pattern when every match of the "
          "pattern matches it") {
  CHECK(covers("thread.>", "thread.x.*"));
  CHECK(covers("thread.>", "thread.>"));
  CHECK(covers("thread.>", "thread.x.need"));
  CHECK(covers("thread.*.*", "thread.x.*"));
  CHECK_FALSE(covers("thread.*.*", "thread.>"));
  CHECK_FALSE(covers("thread.>", "thread"));
  CHECK_FALSE(covers("thread.>", ">"));
  CHECK_FALSE(covers("thread.x.*", "thread.*.need"));
  CHECK_FALSE(covers("other.>", "thread.x.need"));
}

TEST_CASE("durable names are readable, free of subject syntax and distinct "
          "per pattern") {
  // The hash part is FNV-1a-64 of the pattern, computed independently here.
  auto fnv = [](std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    return h;
  };
  auto name = durable_name("node1", "thread.x.*");
  CHECK(name == fmt::format("node1-thread_x__-{:016x}", fnv("thread.x.*")));
  CHECK(name.find_first_of(".*> ") == std::string::npos);
  // Same readable part, different hash.
  CHECK(durable_name("p", "thread.x.*") != durable_name("p", "thread_x_*"));
  // Long patterns are cut to 48 readable characters.
  auto long_name = durable_name("p", "thread." + std::string(100, 'a') + ".*");
  CHECK(long_name.size() == 2 + 48 + 1 + 16);
}

TEST_CASE("JetStream names accept only letters, digits, '_' and '-'") {
  CHECK(check_name("stream", "CANSWARM_THREADS").ok());
  CHECK(check_name("stream", "a-b_9").ok());
  auto r = check_name("durable prefix", "a.b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message
        == "durable prefix \"a.b\": only A-Z, a-z, 0-9, '_' and '-' are "
           "allowed");
  CHECK_FALSE(check_name("stream", "").ok());
  CHECK_FALSE(check_name("stream", std::string(65, 'a')).ok());
}

TEST_CASE("client options name the field that is wrong") {
  client_options o;
  o.urls = {"nats://127.0.0.1:4222", "tls://h:1"};
  CHECK(o.validate().ok());
  auto msg = [](const client_options& x) {
    auto r = x.validate();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == errc::invalid_argument);
    return r.error().message;
  };
  auto x = o;
  x.urls = {};
  CHECK(msg(x) == "nats urls: expected 1..32 URLs, got 0");
  x = o;
  x.urls = {"http://h:1"};
  CHECK(msg(x)
        == "nats url \"http://h:1\": expected nats://host:port or "
           "tls://host:port");
  x = o;
  x.urls = {"nats://"};
  CHECK(msg(x).starts_with("nats url \"nats://\""));
  x = o;
  x.max_reconnect = -2;
  CHECK(msg(x) == "nats max_reconnect -2: expected -1 (forever) or >= 0");
  x = o;
  x.reconnect_buffer_bytes = max_reconnect_buffer_bytes + 1;
  CHECK(msg(x).starts_with("nats reconnect buffer of 67108865 bytes"));
  x = o;
  x.connect_timeout = std::chrono::milliseconds{0};
  CHECK(msg(x).find("timeouts") != std::string::npos);
  x = o;
  x.tls.cert_file = "cert.pem";
  CHECK(msg(x) == "nats tls: cert_file and key_file go together");
}

TEST_CASE("the bridge configuration checks its stream, prefix and bounds") {
  nats_bridge_config c;
  c.client.urls = {"nats://127.0.0.1:4222"};
  CHECK(c.validate().ok());
  auto msg = [](const nats_bridge_config& x) {
    auto r = x.validate();
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  auto x = c;
  x.max_in_flight = 0;
  CHECK(msg(x) == "nats max in flight 0: expected 1..65536");
  x = c;
  x.max_backlog = max_nats_backlog + 1;
  CHECK(msg(x) == "nats max backlog 65537: expected 1..65536");
  x = c;
  x.stream.name = "bad name";
  CHECK(msg(x).starts_with("jetstream stream name \"bad name\""));
  x = c;
  x.stream.subjects = {"thread..>"};
  CHECK(msg(x).starts_with("jetstream stream subject: pattern"));
  x = c;
  x.stream.duplicate_window = std::chrono::nanoseconds{0};
  CHECK(msg(x) == "jetstream duplicate window must be > 0");
  x = c;
  x.durable_prefix = "a.b";
  CHECK(msg(x).starts_with("nats durable prefix \"a.b\""));
  x = c;
  x.publish_timeout = caf::timespan::zero();
  CHECK(msg(x) == "nats publish timeout must be > 0");
  x = c;
  x.client.urls.clear();
  CHECK(msg(x).starts_with("nats urls"));
}

TEST_CASE("the bridge configuration from node settings uses NATS_URL") {
  config::settings s;
  s.nats_urls = {"nats://10.0.0.1:4222", "nats://10.0.0.2:4222"};
  auto c = make_nats_bridge_config(s);
  CHECK(c.client.urls == s.nats_urls);
  CHECK(c.client.retry_on_failed_connect);
  CHECK_FALSE(c.jetstream);
  CHECK(c.stream.name == "CANSWARM_THREADS");
  CHECK(c.stream.subjects == std::vector<std::string>{"thread.>"});
  CHECK(c.stream.duplicate_window == std::chrono::minutes{2});
  CHECK(c.validate().ok());
}
