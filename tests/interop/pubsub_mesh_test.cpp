// Issue #5: a mixed gossipsub mesh on loopback, 3 `canswarm p2pd -pubsub`
// processes (driven through their control API) and 3 js-libp2p nodes
// (@libp2p/gossipsub 17, StrictSign), run by suite/pubsub_mesh.mjs: every
// node publishes 20 messages and every node must receive every message
// published by every other node exactly once, signed by its publisher,
// within 30 s of the last publish. This wrapper runs the script, checks
// its exit code and the numbers of its one-line JSON summary.

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace canswarm::test;

namespace {

fs::path suite_dir() {
  const char* src = std::getenv("CANSWARM_SOURCE_DIR");
  fs::path root = src != nullptr ? src : CANSWARM_SOURCE_DIR_FALLBACK;
  return root / "tests" / "interop" / "suite";
}

/// Locates `node` in PATH, or fails the test loudly.
std::string find_node() {
  auto node = find_in_path("node");
  if (!node)
    FAIL("INTEROP TEST CANNOT RUN: no `node` in PATH; run scripts/setup.sh");
  return *node;
}

constexpr int canswarm_nodes = 3;
constexpr int js_nodes = 3;
constexpr int messages_per_node = 20;
constexpr int total_nodes = canswarm_nodes + js_nodes;
/// Every node receives the messages of every other node.
constexpr int expected_per_node = (total_nodes - 1) * messages_per_node;

/// The script's own deadline (setup, publishing, 30 s of delivery, 2 s of
/// watching for duplicates, shutdown); the wrapper allows a little more and
/// then sends SIGTERM, which makes the script kill its canswarm children.
constexpr auto script_deadline = std::chrono::seconds{120};
constexpr auto run_limit = std::chrono::seconds{140};

struct mesh_outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string summary; ///< The JSON line, empty when none was printed.
};

mesh_outcome run_mesh() {
  auto dir = suite_dir();
  for (const char* pkg :
       {"libp2p", "@libp2p/gossipsub", "@libp2p/daemon-client", "@libp2p/tcp",
        "@libp2p/identify", "@chainsafe/libp2p-noise",
        "@chainsafe/libp2p-yamux", "@multiformats/multiaddr"})
    if (!fs::exists(dir / "node_modules" / pkg))
      FAIL("INTEROP TEST CANNOT RUN: " << (dir / "node_modules").string()
                                       << " lacks " << pkg
                                       << "; run scripts/setup.sh (npm ci)");
  process_options opts;
  opts.path = find_node();
  opts.args = {"pubsub_mesh.mjs"};
  opts.working_dir = dir.string();
  opts.inherit_environment = true;
  opts.env["CANSWARM_BINARY"] = canswarm_binary();
  opts.env["PUBSUB_MESH_CANSWARM"] = std::to_string(canswarm_nodes);
  opts.env["PUBSUB_MESH_JS"] = std::to_string(js_nodes);
  opts.env["PUBSUB_MESH_MESSAGES"] = std::to_string(messages_per_node);
  opts.env["PUBSUB_MESH_TIMEOUT_MS"] = "30000";
  opts.env["PUBSUB_MESH_DEADLINE_MS"] = std::to_string(
    std::chrono::duration_cast<std::chrono::milliseconds>(script_deadline)
      .count());
  child_process child{opts};
  mesh_outcome result;
  result.out = child.read_rest(run_limit);
  auto code = child.wait(std::chrono::seconds{5});
  if (!code) {
    // The script's handler kills the canswarm processes on SIGTERM; the
    // child_process destructor sends SIGKILL if that does not end it.
    child.signal(SIGTERM);
    code = child.wait(std::chrono::seconds{10});
  }
  result.out += child.read_rest(std::chrono::milliseconds{0});
  result.err = child.stderr_text();
  result.exit_code = code ? *code : -1;
  for (const auto& line : split_lines(result.out))
    if (line.rfind(R"({"summary":"pubsub_mesh")", 0) == 0)
      result.summary = line;
  return result;
}

/// The value of a top-level number field of the summary (the first
/// occurrence: top-level fields come before the per-node objects), or -1.
long number_of(const std::string& summary, const std::string& key) {
  std::smatch m;
  std::regex re{"\"" + key + "\":(-?[0-9]+)"};
  if (std::regex_search(summary, m, re))
    return std::stol(m[1].str());
  return -1;
}

struct node_counts {
  std::string name;
  std::string kind;
  long expected = 0;
  long received = 0;
  long missing = 0;
  long duplicates = 0;
};

std::vector<node_counts> nodes_of(const std::string& summary) {
  std::vector<node_counts> out;
  std::regex re{
    R"re(\{"name":"([a-z0-9]+)","kind":"(js|canswarm)","expected":([0-9]+),"received":([0-9]+),"missing":([0-9]+),"duplicates":([0-9]+))re"};
  for (std::sregex_iterator it{summary.begin(), summary.end(), re}, end;
       it != end; ++it) {
    const auto& m = *it;
    out.push_back({m[1].str(), m[2].str(), std::stol(m[3].str()),
                   std::stol(m[4].str()), std::stol(m[5].str()),
                   std::stol(m[6].str())});
  }
  return out;
}

} // namespace

TEST_CASE("pubsub interop: in a mesh of 3 canswarm and 3 js-libp2p gossipsub "
          "nodes every message reaches every other node exactly once") {
  auto res = run_mesh();
  MESSAGE(res.err);
  MESSAGE(fmt::format("pubsub mesh: exit code {}, summary: {}", res.exit_code,
                      res.summary.empty() ? "(none)" : res.summary));
  REQUIRE_MESSAGE(!res.summary.empty(),
                  "no summary line on stdout: " << res.out);
  CHECK(res.exit_code == 0);
  CHECK(res.summary.find(R"("ok":true)") != std::string::npos);
  CHECK(number_of(res.summary, "published") == total_nodes * messages_per_node);
  CHECK(number_of(res.summary, "publish_errors") == 0);
  CHECK(number_of(res.summary, "expected_total")
        == total_nodes * expected_per_node);
  CHECK(number_of(res.summary, "received_total")
        == total_nodes * expected_per_node);
  CHECK(number_of(res.summary, "missing_total") == 0);
  CHECK(number_of(res.summary, "duplicates_total") == 0);
  // Unknown payloads, a wrong `from`, a missing signature or topic.
  CHECK(number_of(res.summary, "invalid_total") == 0);
  // Neither side delivers its own messages to its local subscribers.
  CHECK(number_of(res.summary, "self_total") == 0);
  auto nodes = nodes_of(res.summary);
  REQUIRE(nodes.size() == static_cast<std::size_t>(total_nodes));
  int canswarm = 0;
  for (const auto& n : nodes) {
    INFO("node " << n.name << " (" << n.kind << ")");
    canswarm += n.kind == "canswarm" ? 1 : 0;
    CHECK(n.expected == expected_per_node);
    CHECK(n.received == expected_per_node);
    CHECK(n.missing == 0);
    CHECK(n.duplicates == 0);
  }
  CHECK(canswarm == canswarm_nodes);
}
