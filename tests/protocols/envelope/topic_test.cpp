#include <doctest/doctest.h>

#include <algorithm>

#include "canswarm/envelope/topic.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;

TEST_CASE("a plain thread id maps to a topic and a subject unchanged") {
  CHECK(env::p2p_topic("t-42", env::kind::need).value()
        == "/swarm/thread/t-42/need");
  CHECK(env::nats_subject("t-42", env::kind::need).value()
        == "thread.t-42.need");
  CHECK(env::p2p_topic("t-42", env::kind::update_plan).value()
        == "/swarm/thread/t-42/update_plan");
  CHECK(
    env::nats_subject("550e8400-e29b-41d4-a716-446655440000", "propose").value()
    == "thread.550e8400-e29b-41d4-a716-446655440000.propose");
}

TEST_CASE("characters NATS or paths cannot carry are percent-escaped") {
  struct vector {
    const char* thread_id;
    const char* escaped;
  };
  vector vectors[] = {
    {"a.b", "a%2Eb"},
    {"a*b", "a%2Ab"},
    {"a>b", "a%3Eb"},
    {"a b", "a%20b"},
    {"100%", "100%25"},
    {"a/b", "a%2Fb"},
    {"tab\there", "tab%09here"},
    {"nl\n", "nl%0A"},
    {"del\x7f", "del%7F"},
    {"gr\xc3\xbc\xc3\x9f", "gr%C3%BC%C3%9F"}, // grüß
    {"\xe2\x9c\x93", "%E2%9C%93"}, // U+2713
    {"\xf0\x9f\x90\x9d", "%F0%9F%90%9D"}, // U+1F41D
    {"keep:-_~!$&+,;=@#?", "keep:-_~!$&+,;=@#?"},
  };
  for (auto& v : vectors) {
    CAPTURE(v.thread_id);
    CHECK(env::escape_thread_id(v.thread_id) == v.escaped);
    CHECK(env::unescape_thread_id(v.escaped).value() == v.thread_id);
    auto topic = env::p2p_topic(v.thread_id, env::kind::claim).value();
    CHECK(topic == std::string{"/swarm/thread/"} + v.escaped + "/claim");
    auto subject = env::nats_subject(v.thread_id, env::kind::claim).value();
    CHECK(subject == std::string{"thread."} + v.escaped + ".claim");
    env::thread_topic want{v.thread_id, "claim"};
    CHECK(env::parse_p2p_topic(topic).value() == want);
    CHECK(env::parse_nats_subject(subject).value() == want);
  }
}

TEST_CASE("every kind's topic and subject parse back to it") {
  std::string id = "mixed .*>% /id \xc3\xa9";
  for (auto k : env::all_kinds) {
    CAPTURE(env::to_string(k));
    auto topic = env::p2p_topic(id, k).value();
    auto subject = env::nats_subject(id, k).value();
    // One NATS token per part: exactly two dots, no spaces or wildcards.
    CHECK(std::count(subject.begin(), subject.end(), '.') == 2);
    CHECK(subject.find_first_of(" *>\t") == std::string::npos);
    CHECK(std::count(topic.begin(), topic.end(), '/') == 4);
    auto from_topic = env::parse_p2p_topic(topic).value();
    auto from_subject = env::parse_nats_subject(subject).value();
    CHECK(from_topic.thread_id == id);
    CHECK(from_subject == from_topic);
    CHECK(env::parse_kind(from_topic.verb).value() == k);
  }
}

TEST_CASE("the thread wildcard covers every verb of one thread only") {
  CHECK(env::nats_thread_wildcard("a.b").value() == "thread.a%2Eb.*");
  auto prefix = env::p2p_thread_prefix("a/b").value();
  CHECK(prefix == "/swarm/thread/a%2Fb/");
  for (auto k : env::all_kinds)
    CHECK(env::p2p_topic("a/b", k).value().starts_with(prefix));
  // Another thread whose id starts the same way never matches.
  CHECK_FALSE(env::p2p_topic("a/bc", "need").value().starts_with(prefix));
  CHECK_FALSE(env::p2p_topic("a", "need").value().starts_with(prefix));
  CHECK_FALSE(env::nats_thread_wildcard(""));
}

TEST_CASE("bad thread ids and verbs are refused when building") {
  auto r = env::p2p_topic("", "need");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message == "thread id is empty");
  r = env::nats_subject(std::string(env::max_thread_id_size + 1, 'x'), "need");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("max_thread_id_size") != std::string::npos);
  r = env::nats_subject("\xc3", "need");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "thread id is not UTF-8");
  for (auto verb : {"", "Need", "ne.ed", "ne ed", "a*", ">"}) {
    CAPTURE(verb);
    auto bad = env::nats_subject("t", verb);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::invalid_argument);
  }
  CHECK_FALSE(env::p2p_topic("t", std::string(env::max_verb_size + 1, 'a')));
  CHECK(env::p2p_topic("t", "custom-verb_2"));
}

TEST_CASE("malformed topics and subjects are refused with the reason") {
  struct bad_case {
    const char* text;
    const char* message;
  };
  bad_case topics[] = {
    {"/swarm/other/t/need", "does not start with /swarm/thread/"},
    {"/swarm/thread/t", "has no verb segment"},
    {"/swarm/thread/t/", "verb '' is not 1..32"},
    {"/swarm/thread//need", "thread id is empty"},
    {"/swarm/thread/a/b/need", "byte 0x2f at offset 1 must be escaped"},
    {"/swarm/thread/a b/need", "byte 0x20 at offset 1 must be escaped"},
    {"/swarm/thread/a%2/need", "escape at offset 1 is not %"},
    {"/swarm/thread/a%2e/need", "uppercase hex"},
    {"/swarm/thread/a%41/need", "encodes 'A', which is written unescaped"},
    {"/swarm/thread/%C3/need", "thread id is not UTF-8"},
    {"/swarm/thread/t/NEED", "outside [a-z0-9_-]"},
  };
  for (auto& c : topics) {
    CAPTURE(c.text);
    auto r = env::parse_p2p_topic(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK_MESSAGE(r.error().message.find(c.message) != std::string::npos,
                  r.error().message);
  }
  bad_case subjects[] = {
    {"threads.t.need", "does not start with thread."},
    {"thread.t", "has no verb token"},
    {"thread.t.need.more", "outside [a-z0-9_-]"},
    {"thread..need", "thread id is empty"},
    {"thread.t.*", "outside [a-z0-9_-]"},
    {"thread.a*b.need", "byte 0x2a at offset 1 must be escaped"},
  };
  for (auto& c : subjects) {
    CAPTURE(c.text);
    auto r = env::parse_nats_subject(c.text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK_MESSAGE(r.error().message.find(c.message) != std::string::npos,
                  r.error().message);
  }
}
