#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "canswarm/runtime/cli.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace canswarm::cli;

namespace {

struct outcome {
  int code;
  std::string out;
  std::string err;
};

outcome run_cli(std::vector<std::string> args,
                std::map<std::string, std::string> env = {}) {
  std::ostringstream out;
  std::ostringstream err;
  context ctx{out, err, std::move(env)};
  auto code = run(args, ctx);
  return {code, out.str(), err.str()};
}

} // namespace

TEST_CASE("subcommands and their options are parsed") {
  auto opts = parse({"node", "--bootstrap", "--listen", "/ip4/1.2.3.4/tcp/1",
                     "--listen=/ip6/::1/tcp/2", "--key-file", "k.key",
                     "--log-level", "DEBUG", "--libp2p-debug", "--set",
                     "GOSSIPSUB_MESH_DEGREE=8", "--env-file", "x.env"});
  REQUIRE(opts.ok());
  CHECK(opts->cmd == command::node);
  CHECK(opts->bootstrap);
  CHECK(opts->env_file == "x.env");
  CHECK(opts->flags.at("P2P_LISTEN_ADDR")
        == "/ip4/1.2.3.4/tcp/1,/ip6/::1/tcp/2");
  CHECK(opts->flags.at("P2P_KEY_FILE") == "k.key");
  CHECK(opts->flags.at("LOG_LEVEL") == "DEBUG");
  CHECK(opts->flags.at("LIBP2P_DEBUG") == "true");
  CHECK(opts->flags.at("GOSSIPSUB_MESH_DEGREE") == "8");
  auto keygen = parse({"keygen", "--force", "--key-file", "a"});
  REQUIRE(keygen.ok());
  CHECK(keygen->force);
  CHECK(parse({"peer-id", "-h"})->help);
}

TEST_CASE("bad command lines are usage errors naming the problem") {
  auto check = [](std::vector<std::string> args, const std::string& msg) {
    auto r = parse(args);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == msg);
  };
  check({"launch"}, "unknown command 'launch'");
  check({"--verbose"}, "unknown option '--verbose'");
  check({"node", "--frobnicate"}, "unknown option '--frobnicate' for 'node'");
  check({"node", "--force"}, "unknown option '--force' for 'node'");
  check({"peer-id", "--listen", "x"},
        "unknown option '--listen' for 'peer-id'");
  check({"node", "--listen"}, "option '--listen' needs a value (ADDR)");
  check({"node", "--bootstrap=yes"}, "option '--bootstrap' takes no value");
  check({"config", "--set", "NOEQUALS"},
        "--set expects NAME=VALUE, got 'NOEQUALS'");
  check({"config", "extra"}, "unexpected argument 'extra' for 'config'");
  check({"--help", "node"}, "'--help' must come after the command");
}

TEST_CASE("usage errors exit 2 with a hint; no command prints the usage") {
  auto r = run_cli({"node", "--nope"});
  CHECK(r.code == exit_usage);
  CHECK(r.err
        == "canswarm: unknown option '--nope' for 'node'\n"
           "Try 'canswarm node --help'.\n");
  auto none = run_cli({});
  CHECK(none.code == exit_usage);
  CHECK(none.err.starts_with("usage: canswarm <command> [options]"));
  CHECK(run_cli({"what"}).err.ends_with("Try 'canswarm --help'.\n"));
}

TEST_CASE("--version and --help succeed on stdout") {
  auto v = run_cli({"--version"});
  CHECK(v.code == exit_ok);
  CHECK(v.out == std::string{"canswarm "} + CANSWARM_VERSION + "\n");
  auto h = run_cli({"--help"});
  CHECK(h.code == exit_ok);
  CHECK(h.out.find("keygen") != std::string::npos);
  auto nh = run_cli({"node", "--help"});
  CHECK(nh.code == exit_ok);
  CHECK(nh.out.starts_with("usage: canswarm node [options]"));
  CHECK(nh.out.find("--bootstrap") != std::string::npos);
  CHECK(nh.out.find("--force") == std::string::npos);
  CHECK(run_cli({"keygen", "--help"}).out.find("--force") != std::string::npos);
}

TEST_CASE("config prints the effective configuration with sources") {
  auto r = run_cli({"config", "--max-connections", "7"},
                   {{"GOSSIPSUB_MESH_DEGREE", "5"}});
  CHECK(r.code == exit_ok);
  CHECK(r.out.find("P2P_MAX_CONNECTIONS") != std::string::npos);
  CHECK(r.out.find("flag") != std::string::npos);
  CHECK(r.out.find("environment") != std::string::npos);
}

TEST_CASE("a bad configuration value exits 2 with one line naming the "
          "variable") {
  auto r = run_cli({"config"}, {{"P2P_MAX_CONNECTIONS", "abc"}});
  CHECK(r.code == exit_usage);
  CHECK(r.out.empty());
  CHECK(r.err.starts_with("canswarm: P2P_MAX_CONNECTIONS=\"abc\""));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto node = run_cli({"node", "--log-level", "LOUD"});
  CHECK(node.code == exit_usage);
  CHECK(node.err.find("LOG_LEVEL") != std::string::npos);
}

TEST_CASE("keygen writes a 0600 key whose peer id peer-id prints") {
  test::temp_dir dir;
  auto path = dir.file("node.key");
  auto gen = run_cli({"keygen", "--key-file", path});
  REQUIRE(gen.code == exit_ok);
  CHECK(gen.out.starts_with("12D3KooW"));
  auto perms = std::filesystem::status(path).permissions();
  CHECK(perms
        == (std::filesystem::perms::owner_read
            | std::filesystem::perms::owner_write));
  auto id = run_cli({"peer-id"}, {{"P2P_KEY_FILE", path}});
  CHECK(id.code == exit_ok);
  CHECK(id.out == gen.out);
}

TEST_CASE("keygen refuses to overwrite a key unless forced") {
  test::temp_dir dir;
  auto path = dir.file("node.key");
  auto first = run_cli({"keygen", "--key-file", path});
  REQUIRE(first.code == exit_ok);
  auto again = run_cli({"keygen", "--key-file", path});
  CHECK(again.code == exit_failure);
  CHECK(again.err.find("already exists; use --force") != std::string::npos);
  CHECK(run_cli({"peer-id", "--key-file", path}).out == first.out);
  auto forced = run_cli({"keygen", "--key-file", path, "--force"});
  CHECK(forced.code == exit_ok);
  CHECK(forced.out != first.out);
  CHECK(run_cli({"peer-id", "--key-file", path}).out == forced.out);
}

TEST_CASE("peer-id on a missing key file fails and says how to create one") {
  test::temp_dir dir;
  auto path = dir.file("absent.key");
  auto r = run_cli({"peer-id", "--key-file", path});
  CHECK(r.code == exit_failure);
  CHECK(r.err.find("does not exist; create one with 'canswarm keygen "
                   "--key-file "
                   + path + "'")
        != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
}
