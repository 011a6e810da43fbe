#pragma once

// Starting real `canswarm node` processes in tests and reading their
// `Peer ID:` / `Peer Addrs:` banner.

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <regex>
#include <signal.h>
#include <sstream>
#include <string>
#include <vector>

#include "canswarm/multiformats/multiaddr.hpp"
#include "support/process.hpp"

namespace canswarm::test {

using namespace std::chrono_literals;

/// The environment of a node in `dir`: only what the test sets.
inline std::map<std::string, std::string> node_env(const temp_dir& dir) {
  return {{"P2P_LISTEN_ADDR", "/ip4/127.0.0.1/tcp/0"},
          {"P2P_KEY_FILE", dir.file("node.key")},
          {"LOG_LEVEL", "DEBUG"}};
}

inline process_options node_options(const temp_dir& dir,
                                    std::vector<std::string> args = {}) {
  args.insert(args.begin(), "node");
  return {canswarm_binary(), std::move(args), node_env(dir), false,
          dir.path().string()};
}

/// The `Peer ID:` and `Peer Addrs:` lines of a started node.
struct banner {
  std::string id;
  std::vector<std::string> addrs;
};

inline banner read_banner(child_process& node) {
  auto id_line = node.read_line(10s);
  REQUIRE_MESSAGE(id_line, node.stderr_text());
  std::smatch m;
  std::regex id_re{R"(^Peer ID: (12D3KooW[1-9A-HJ-NP-Za-km-z]{44})$)"};
  REQUIRE_MESSAGE(std::regex_match(*id_line, m, id_re), *id_line);
  banner result{m[1].str(), {}};
  auto addrs_line = node.read_line(5s);
  REQUIRE(addrs_line);
  REQUIRE(addrs_line->starts_with("Peer Addrs: "));
  std::istringstream in{addrs_line->substr(12)};
  for (std::string a; in >> a;)
    result.addrs.push_back(a);
  return result;
}

/// A running `canswarm node` with its control API on a free loopback port;
/// stopped with SIGTERM when destroyed. `extra` adds or overrides variables.
struct control_node {
  temp_dir dir;
  multiaddr control;
  std::unique_ptr<child_process> proc;
  banner b;

  explicit control_node(const std::map<std::string, std::string>& extra = {}) {
    control = *multiaddr::parse("/ip4/127.0.0.1/tcp/"
                                + std::to_string(free_tcp_port()));
    auto opts = node_options(dir);
    opts.env["P2P_CONTROL_ADDR"] = control.to_string();
    for (auto& [k, v] : extra)
      opts.env[k] = v;
    proc = std::make_unique<child_process>(opts);
    b = read_banner(*proc);
  }

  control_node(const control_node&) = delete;
  control_node& operator=(const control_node&) = delete;

  ~control_node() {
    if (proc) {
      proc->signal(SIGTERM);
      proc->wait(10s);
    }
  }
};

} // namespace canswarm::test
