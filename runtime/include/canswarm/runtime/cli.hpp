#pragma once

// The `canswarm` command line:
//
//   canswarm [--help | --version]
//   canswarm node    [options]   run a node until SIGINT/SIGTERM
//   canswarm config  [options]   print the effective configuration
//   canswarm peer-id [options]   print the peer id of the key file
//   canswarm keygen  [options]   write a new Ed25519 key file
//   canswarm p2pd    [go p2pd flags]  a node driven through the p2pd
//                                     control API (libp2p interop runner)
//   canswarm publish   [options]  sign and publish one envelope through a
//                                 node's control API (agent tool)
//   canswarm subscribe [options]  print a thread's verified envelopes as
//                                 JSON lines (agent tool)
//   canswarm peers     [options]  list a node's connected peers
//   canswarm stats     [options]  print a node's counters (JSON)
//   canswarm inspect   [options]  print a node's live actor tree
//
// Options that set configuration variables become config flag overrides
// (precedence flag > environment > .env > default). Exit codes: 0 success,
// 1 runtime failure (key file, bind, escalation), 2 usage or configuration
// error (one line on stderr).

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "canswarm/error.hpp"

namespace canswarm::cli {

inline constexpr int exit_ok = 0; ///< Success / clean shutdown.
inline constexpr int exit_failure = 1; ///< Runtime failure.
inline constexpr int exit_usage = 2; ///< Bad usage or configuration.

/// The subcommands.
enum class command {
  none,
  node,
  config,
  peer_id,
  keygen,
  p2pd,
  publish,
  subscribe,
  peers,
  stats,
  inspect
};

/// Returns "node", "config", "peer-id", "keygen", "p2pd", "publish",
/// "subscribe", "peers", "stats", "inspect" ("" for none).
const char* to_string(command);

/// A parsed command line.
struct options {
  command cmd = command::none;
  bool help = false;
  bool version = false;
  /// --bootstrap: run as a bootstrap node (settings::bootstrap_mode).
  bool bootstrap = false;
  /// --force: keygen may overwrite an existing key file.
  bool force = false;
  /// --env-file PATH.
  std::optional<std::string> env_file;
  /// Configuration variable -> value from options (--listen, --set, ...).
  std::map<std::string, std::string> flags;
  /// p2pd: the arguments after the command, in go p2pd's syntax.
  std::vector<std::string> p2pd_args;
  /// Agent tools: option name (e.g. "--thread") -> value.
  std::map<std::string, std::string> tool_args;
};

/// Parses the arguments after argv[0]. Errors (unknown subcommand or
/// option, missing value) are usage errors with a one-line message.
result<options> parse(const std::vector<std::string>& args);

/// Returns the help text of `cmd` (command::none: the global usage).
std::string help_text(command cmd);

/// Where a command reads and writes.
struct context {
  std::ostream& out;
  std::ostream& err;
  /// The process environment (config input).
  std::map<std::string, std::string> environment;
  /// Standard input (`canswarm publish` reads its payload from it when
  /// --payload is absent); nullptr = none.
  std::istream* in = nullptr;
};

/// Runs the command line; returns the process exit code.
int run(const std::vector<std::string>& args, context& ctx);

} // namespace canswarm::cli
