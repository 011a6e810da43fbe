// LOG_FORMAT=json on real `canswarm node` processes (issue #8): every stderr
// line is one strict JSON object, and LOG_LEVEL=DEBUG with LIBP2P_DEBUG=true
// shows the guide's debug content: a peer connection naming the peer, pub/sub
// events, and the disconnection with its reason when the peer stops.

#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "canswarm/runtime/control_client.hpp"
#include "node_harness.hpp"
#include "strict_json.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

using members = test::strict_json::members;

std::map<std::string, std::string> json_env() {
  return {{"LOG_FORMAT", "json"},
          {"LOG_LEVEL", "DEBUG"},
          {"LIBP2P_DEBUG", "true"},
          {"P2P_MDNS_ENABLED", "false"},
          {"GOSSIPSUB_HEARTBEAT_INTERVAL", "0.2"}};
}

/// The complete lines of `text` (a partial last line is left out).
std::vector<std::string> complete_lines(const std::string& text) {
  auto end = text.rfind('\n');
  if (end == std::string::npos)
    return {};
  return test::split_lines(text.substr(0, end + 1));
}

/// Parses every complete stderr line strictly; fails on the first one that
/// is not a JSON object with ts, level, component and msg.
std::vector<members> json_lines(const std::string& text) {
  std::vector<members> out;
  for (auto& line : complete_lines(text)) {
    std::string why;
    auto obj = test::strict_json::parse_object(line, &why);
    INFO("stderr line: ", line);
    REQUIRE_MESSAGE(obj.has_value(), why);
    for (auto* key : {"ts", "level", "component", "msg"})
      REQUIRE_MESSAGE(obj->count(key) == 1, "no ", key);
    out.push_back(std::move(*obj));
  }
  return out;
}

/// Polls `node`'s stderr until a JSON line satisfies `pred` (or `timeout`
/// passes); returns that line.
std::optional<members>
await_line(test::child_process& node,
           const std::function<bool(const members&)>& pred,
           std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto& obj : json_lines(node.stderr_text()))
      if (pred(obj))
        return obj;
    if (std::chrono::steady_clock::now() > deadline)
      return std::nullopt;
    std::this_thread::sleep_for(50ms);
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

runtime::subscription subscribe(const test::control_node& n,
                                const std::string& topic) {
  auto client = runtime::control_client::connect(n.control);
  REQUIRE_MESSAGE(client, (client ? "" : client.error().message));
  auto sub = client->subscribe(topic);
  REQUIRE_MESSAGE(sub, (sub ? "" : sub.error().message));
  return std::move(*sub);
}

} // namespace

TEST_CASE("with LOG_FORMAT=json and LIBP2P_DEBUG every stderr line is JSON "
          "and shows connections, pub/sub and disconnections with a "
          "reason") {
  test::control_node a{json_env()};
  auto b_env = json_env();
  b_env["P2P_BOOTSTRAP_NODES"] = a.b.addrs.at(0);
  test::control_node b{b_env};
  const std::string topic = "log-test";
  auto sub_a = subscribe(a, topic);
  auto sub_b = subscribe(b, topic);

  // A logs the connection up, naming B.
  auto up = await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "connection" && contains(x.at("msg"), " up (")
           && contains(x.at("msg"), b.b.id);
  });
  REQUIRE_MESSAGE(up, a.proc->stderr_text());
  CHECK(up->at("level") == "INFO");
  CHECK(up->at("peer_id") == a.b.id); // the node's own id on every line
  // Pub/sub events: B speaks gossipsub, A joined the topic, B entered its
  // mesh.
  auto speaks = await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "pubsub" && contains(x.at("msg"), b.b.id)
           && contains(x.at("msg"), " speaks /meshsub/");
  });
  CHECK_MESSAGE(speaks, a.proc->stderr_text());
  CHECK(await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "pubsub"
           && x.at("msg") == "joined topic " + topic;
  }));
  auto graft = await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "pubsub"
           && x.at("msg") == "mesh " + topic + ": + " + b.b.id;
  });
  CHECK_MESSAGE(graft, a.proc->stderr_text());
  if (graft)
    CHECK(graft->at("level") == "DEBUG");
  // LIBP2P_DEBUG: protocol detail on the libp2p channel.
  auto detail = await_line(*a.proc, [](const members& x) {
    return x.count("channel") == 1 && x.at("channel") == "libp2p";
  });
  REQUIRE(detail);
  CHECK(detail->at("level") == "DEBUG");

  // B stops: A logs the disconnection of B with a reason.
  b.proc->signal(SIGTERM);
  auto code = b.proc->wait(10s);
  REQUIRE(code);
  CHECK(*code == 0);
  auto closed = await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "connection" && contains(x.at("msg"), b.b.id)
           && contains(x.at("msg"), " closed: ");
  });
  REQUIRE_MESSAGE(closed, a.proc->stderr_text());
  auto& msg = closed->at("msg");
  auto reason = msg.substr(msg.find(" closed: ") + 9);
  MESSAGE("A logged: ", msg);
  CHECK_FALSE(reason.empty());
  auto left = await_line(*a.proc, [&](const members& x) {
    return x.at("component") == "pubsub"
           && contains(x.at("msg"), "peer " + b.b.id + " left pub/sub: ");
  });
  CHECK_MESSAGE(left, a.proc->stderr_text());

  // Every line either node wrote (B's up to its exit) is JSON; after the
  // identity is known each line names the node.
  for (auto* n : {&a, &b}) {
    auto lines = json_lines(n->proc->stderr_text());
    CHECK(lines.size() > 10);
    bool started = false;
    for (auto& x : lines) {
      if (contains(x.at("msg"), "starting, peer id "))
        started = true;
      if (started) {
        CAPTURE(x.at("msg"));
        CHECK(x.count("peer_id") == 1);
        CHECK(x.at("peer_id") == n->b.id);
      }
    }
    CHECK(started);
  }
  // B's stderr ended with a complete line: no partial JSON object.
  auto& b_err = b.proc->stderr_text();
  REQUIRE_FALSE(b_err.empty());
  CHECK(b_err.back() == '\n');
  b.proc.reset(); // already exited; nothing left to stop
}

TEST_CASE("a bad LOG_FORMAT stops the node with a one-line config error") {
  test::temp_dir dir;
  auto opts = test::node_options(dir);
  opts.env["LOG_FORMAT"] = "yaml";
  auto r = test::run(opts, 10s);
  CHECK(r.exit_code == 2);
  CHECK(r.err
        == "canswarm: LOG_FORMAT=\"yaml\": expected text or json (from "
           "environment)\n");
  CHECK(r.out.empty());
}
