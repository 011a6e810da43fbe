// Runs the real `canswarm` binary (CANSWARM_BINARY) on loopback.

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "node_harness.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

using test::banner;
using test::node_env;
using test::node_options;
using test::read_banner;

/// Runs the binary to completion with only `env` set.
test::run_result run_binary(std::vector<std::string> args,
                            std::map<std::string, std::string> env = {},
                            std::string working_dir = {}) {
  test::process_options opts;
  opts.path = test::canswarm_binary();
  opts.args = std::move(args);
  opts.env = std::move(env);
  opts.working_dir = std::move(working_dir);
  return test::run(opts);
}

} // namespace

TEST_CASE("a node prints its peer id and a listening address, and exits 0 "
          "on SIGTERM") {
  test::temp_dir dir;
  test::child_process node{node_options(dir)};
  auto b = read_banner(node);
  REQUIRE(b.addrs.size() == 1);
  std::regex addr_re{R"(^/ip4/127\.0\.0\.1/tcp/(\d+)/p2p/(\S+)$)"};
  std::smatch m;
  REQUIRE(std::regex_match(b.addrs[0], m, addr_re));
  auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  CHECK(port != 0);
  CHECK(m[2].str() == b.id);
  CHECK(test::can_connect("127.0.0.1", port));
  // The key file was created with mode 0600.
  struct stat st {};
  REQUIRE(stat(dir.file("node.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  node.signal(SIGTERM);
  auto code = node.wait(5s);
  REQUIRE_MESSAGE(code, "node did not exit within 5s");
  CHECK(*code == 0);
  auto& err = node.stderr_text();
  CHECK(err.find("accepted connection #1 from 127.0.0.1") != std::string::npos);
  // The connection stack took it (the probe sent no multistream header).
  CHECK(err.find("inbound connection, upgrading") != std::string::npos);
  CHECK(err.find("received SIGTERM, shutting down") != std::string::npos);
  CHECK(err.find("[node] stopped") != std::string::npos);
  CHECK_FALSE(test::can_connect("127.0.0.1", port, 500ms));
}

TEST_CASE("SIGINT also shuts a node down cleanly") {
  test::temp_dir dir;
  test::child_process node{node_options(dir)};
  read_banner(node);
  node.signal(SIGINT);
  auto code = node.wait(5s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("the node, keygen and peer-id agree on the peer id") {
  test::temp_dir dir;
  auto key = dir.file("node.key");
  auto gen = run_binary({"keygen", "--key-file", key});
  REQUIRE(gen.exit_code == 0);
  auto id = run_binary({"peer-id", "--key-file", key});
  CHECK(id.exit_code == 0);
  CHECK(id.out == gen.out);
  test::child_process node{node_options(dir)};
  auto b = read_banner(node);
  CHECK(b.id + "\n" == gen.out);
  node.signal(SIGTERM);
  CHECK(node.wait(5s) == 0);
}

TEST_CASE("P2P_ANNOUNCE_ADDRS replaces the advertised addresses") {
  test::temp_dir dir;
  auto opts = node_options(dir);
  opts.env["P2P_ANNOUNCE_ADDRS"] = "/dns4/node.example.com/tcp/4001,/ip4/"
                                   "203.0.113.7/tcp/4001";
  test::child_process node{opts};
  auto b = read_banner(node);
  CHECK(
    b.addrs
    == std::vector<std::string>{"/dns4/node.example.com/tcp/4001/p2p/" + b.id,
                                "/ip4/203.0.113.7/tcp/4001/p2p/" + b.id});
  node.signal(SIGTERM);
  CHECK(node.wait(5s) == 0);
}

TEST_CASE("a node whose listen port is taken exits 1 naming the address") {
  test::temp_dir dir;
  test::child_process first{node_options(dir)};
  auto b = read_banner(first);
  auto taken = b.addrs.at(0).substr(0, b.addrs[0].find("/p2p/"));
  auto opts = node_options(dir);
  opts.env["P2P_LISTEN_ADDR"] = taken;
  auto second = test::run(opts, 15s);
  CHECK(second.exit_code == 1);
  CHECK(second.out.empty());
  CHECK(second.err.find("P2P_LISTEN_ADDR " + taken + ": cannot bind")
        != std::string::npos);
  CHECK(second.err.find("restart_intensity_exceeded") != std::string::npos);
  first.signal(SIGTERM);
  CHECK(first.wait(5s) == 0);
}

TEST_CASE("a key file readable by others is used with a warning") {
  test::temp_dir dir;
  auto key = dir.file("node.key");
  REQUIRE(run_binary({"keygen", "--key-file", key}).exit_code == 0);
  std::filesystem::permissions(key, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  test::child_process node{node_options(dir)};
  read_banner(node);
  node.signal(SIGTERM);
  CHECK(node.wait(5s) == 0);
  CHECK(node.stderr_text().find("WARNING [node]") != std::string::npos);
}

TEST_CASE("the binary's config, usage and version exits") {
  auto bad = run_binary({"config"}, {{"GOSSIPSUB_MESH_DEGREE", "x"}});
  CHECK(bad.exit_code == 2);
  auto lines = test::split_lines(bad.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("canswarm: GOSSIPSUB_MESH_DEGREE=\"x\""));
  auto unknown = run_binary({"frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.starts_with("canswarm: unknown command 'frobnicate'"));
  auto version = run_binary({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out == std::string{"canswarm "} + CANSWARM_VERSION + "\n");
  test::temp_dir dir;
  auto warn = run_binary({"config"}, {{"P2P_LISTEN_ADRR", "x"}},
                         dir.path().string());
  CHECK(warn.exit_code == 0);
  CHECK(warn.err.find("WARNING") != std::string::npos);
  CHECK(warn.err.find("P2P_LISTEN_ADRR") != std::string::npos);
}
