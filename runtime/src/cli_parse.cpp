// Command-line parsing and help texts of `canswarm`.

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "canswarm/runtime/cli.hpp"

namespace canswarm::cli {

namespace {

/// Bit per command, for which commands accept an option.
constexpr unsigned bit(command c) {
  return 1u << static_cast<unsigned>(c);
}

constexpr unsigned config_cmds = bit(command::node) | bit(command::config);
constexpr unsigned key_cmds = bit(command::peer_id) | bit(command::keygen);
constexpr unsigned all_cmds = config_cmds | key_cmds;
constexpr unsigned tool_cmds = bit(command::publish) | bit(command::subscribe)
                               | bit(command::peers) | bit(command::stats)
                               | bit(command::inspect);
constexpr unsigned thread_cmds = bit(command::publish)
                                 | bit(command::subscribe);

/// Every command word.
constexpr std::array<command, 10>
  every_command = {command::node,      command::config, command::peer_id,
                   command::keygen,    command::p2pd,   command::publish,
                   command::subscribe, command::peers,  command::stats,
                   command::inspect};

/// One option: its name, value placeholder ("" = a switch), the
/// configuration variable it sets ("" = none), whether repeats append
/// (comma-joined lists), the commands that accept it and a description.
struct option_spec {
  std::string_view name;
  std::string_view value;
  std::string_view variable;
  bool list;
  unsigned commands;
  std::string_view help;
};

constexpr std::array<option_spec, 24> specs{{
  {"--env-file", "PATH", "", false, all_cmds,
   "read variables from PATH instead of ./.env (must exist)"},
  {"--key-file", "PATH", "P2P_KEY_FILE", false, all_cmds,
   "node key file (P2P_KEY_FILE)"},
  {"--listen", "ADDR", "P2P_LISTEN_ADDR", true, config_cmds,
   "listen multiaddr, repeatable (P2P_LISTEN_ADDR)"},
  {"--announce", "ADDR", "P2P_ANNOUNCE_ADDRS", true, config_cmds,
   "advertised multiaddr, repeatable (P2P_ANNOUNCE_ADDRS)"},
  {"--bootstrap-node", "ADDR", "P2P_BOOTSTRAP_NODES", true, config_cmds,
   "bootstrap peer .../p2p/<id>, repeatable (P2P_BOOTSTRAP_NODES)"},
  {"--max-connections", "N", "P2P_MAX_CONNECTIONS", false, config_cmds,
   "connection limit (P2P_MAX_CONNECTIONS)"},
  {"--log-level", "LEVEL", "LOG_LEVEL", false, all_cmds,
   "DEBUG, INFO, WARNING or ERROR (LOG_LEVEL)"},
  {"--libp2p-debug", "", "LIBP2P_DEBUG", false, config_cmds,
   "log protocol-level detail (LIBP2P_DEBUG=true)"},
  {"--set", "NAME=VALUE", "", false, config_cmds,
   "set any configuration variable, repeatable"},
  {"--bootstrap", "", "", false, config_cmds,
   "run as a bootstrap node for other peers"},
  {"--force", "", "", false, bit(command::keygen),
   "overwrite an existing key file"},
  {"--control", "ADDR", "", false, tool_cmds,
   "the node's control API address (P2P_CONTROL_ADDR)"},
  {"--key", "PATH", "", false, bit(command::publish),
   "the agent's Ed25519 key file (canswarm keygen)"},
  {"--thread", "ID", "", false, thread_cmds, "the coordination thread id"},
  {"--kind", "KIND", "", false, thread_cmds,
   "envelope kind: NEED, PROPOSE, CLAIM, ... (see below)"},
  {"--payload", "JSON", "", false, bit(command::publish),
   "the payload (default: read from stdin)"},
  {"--lamport", "N", "", false, bit(command::publish),
   "the sender's Lamport time, >= 1 (default 1)"},
  {"--forge", "WHAT", "", false, bit(command::publish),
   "test tool: tamper after signing (signature or payload), skip preflight"},
  {"--count", "N", "", false, bit(command::subscribe),
   "stop after N envelopes"},
  {"--timeout", "SECONDS", "", false, bit(command::subscribe),
   "stop after SECONDS (exit 1 if --count was not reached)"},
  {"--json", "", "", false, bit(command::inspect),
   "print the tree as JSON (default: text)"},
  {"--watch", "SECONDS", "", false, bit(command::inspect),
   "print the tree again every SECONDS until interrupted"},
  {"--kill", "ACTOR", "", false, bit(command::inspect),
   "fault injection: kill a component (e.g. bus, nats, pubsub), "
   "topic:<topic> or peer:<peer id> first; its supervisor restarts it"},
  {"--help", "", "", false, all_cmds | tool_cmds, "show this help"},
}};

const option_spec* find_spec(std::string_view name) {
  for (auto& s : specs)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::optional<command> command_of(std::string_view word) {
  for (auto c : every_command)
    if (word == to_string(c))
      return c;
  return std::nullopt;
}

error usage(std::string message) {
  return make_error(errc::invalid_argument, std::move(message));
}

/// Applies one option of a subcommand.
result<void> apply(options& opts, const option_spec& spec,
                   const std::string& value) {
  auto name = spec.name;
  if (name == "--help")
    opts.help = true;
  else if (name == "--bootstrap")
    opts.bootstrap = true;
  else if (name == "--force")
    opts.force = true;
  else if (name == "--env-file")
    opts.env_file = value;
  else if (name == "--libp2p-debug")
    opts.flags[std::string{spec.variable}] = "true";
  else if (name == "--set") {
    auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0)
      return usage("--set expects NAME=VALUE, got '" + value + "'");
    opts.flags[value.substr(0, eq)] = value.substr(eq + 1);
  } else if (spec.variable.empty()) {
    opts.tool_args[std::string{name}] = value;
  } else {
    auto& slot = opts.flags[std::string{spec.variable}];
    slot = spec.list && !slot.empty() ? slot + "," + value : value;
  }
  return {};
}

/// Parses the options after the subcommand word.
result<void> parse_command_options(options& opts,
                                   const std::vector<std::string>& args,
                                   std::size_t pos) {
  auto cmd_name = to_string(opts.cmd);
  while (pos < args.size()) {
    std::string arg = args[pos++];
    if (arg == "-h")
      arg = "--help";
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != arg.npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto spec = find_spec(arg);
    if (spec == nullptr || (spec->commands & bit(opts.cmd)) == 0)
      return usage(
        arg.starts_with("-")
          ? fmt::format("unknown option '{}' for '{}'", arg, cmd_name)
          : fmt::format("unexpected argument '{}' for '{}'", arg, cmd_name));
    std::string value;
    if (!spec->value.empty()) {
      if (inline_value)
        value = *inline_value;
      else if (pos < args.size())
        value = args[pos++];
      else
        return usage(
          fmt::format("option '{}' needs a value ({})", arg, spec->value));
    } else if (inline_value) {
      return usage(fmt::format("option '{}' takes no value", arg));
    }
    if (auto ok = apply(opts, *spec, value); !ok)
      return ok;
  }
  return {};
}

} // namespace

const char* to_string(command c) {
  switch (c) {
    case command::none: return "";
    case command::node: return "node";
    case command::config: return "config";
    case command::peer_id: return "peer-id";
    case command::keygen: return "keygen";
    case command::p2pd: return "p2pd";
    case command::publish: return "publish";
    case command::subscribe: return "subscribe";
    case command::peers: return "peers";
    case command::stats: return "stats";
    case command::inspect: return "inspect";
  }
  return "";
}

result<options> parse(const std::vector<std::string>& args) {
  options opts;
  std::size_t pos = 0;
  for (; pos < args.size(); ++pos) {
    auto& arg = args[pos];
    if (arg == "--help" || arg == "-h")
      opts.help = true;
    else if (arg == "--version")
      opts.version = true;
    else if (arg.starts_with("-"))
      return usage(fmt::format("unknown option '{}'", arg));
    else
      break;
  }
  if (pos == args.size())
    return opts;
  auto cmd = command_of(args[pos]);
  if (!cmd)
    return usage(fmt::format("unknown command '{}'", args[pos]));
  if (opts.help || opts.version)
    return usage(fmt::format("'{}' must come after the command",
                             opts.help ? "--help" : "--version"));
  opts.cmd = *cmd;
  if (opts.cmd == command::p2pd) {
    // go p2pd's flag syntax, translated by the control library.
    opts.p2pd_args.assign(args.begin() + static_cast<std::ptrdiff_t>(pos + 1),
                          args.end());
    return opts;
  }
  if (auto ok = parse_command_options(opts, args, pos + 1); !ok)
    return ok.error();
  return opts;
}

std::string help_text(command cmd) {
  if (cmd == command::none)
    return "usage: canswarm <command> [options]\n"
           "       canswarm --help | --version\n"
           "\n"
           "commands:\n"
           "  node      run a node until SIGINT/SIGTERM\n"
           "  config    print the effective configuration and its sources\n"
           "  peer-id   print the peer id of the node key file\n"
           "  keygen    write a new Ed25519 node key file\n"
           "  p2pd      run a node driven by the p2pd control API (takes go\n"
           "            p2pd's flags; 'canswarm p2pd -h' lists them)\n"
           "\n"
           "agent tools (talk to a running node's control API):\n"
           "  publish   sign and publish one CAN Swarm envelope\n"
           "  subscribe print a thread's verified envelopes as JSON lines\n"
           "  peers     list the node's connected peers\n"
           "  stats     print the node's counters as one JSON document\n"
           "  inspect   print the node's live actor tree (supervisors, "
           "restarts, state)\n"
           "\n"
           "Configuration comes from options, the environment and a .env\n"
           "file, in that order of precedence. Run 'canswarm <command> "
           "--help'\n"
           "for the options of a command.\n";
  std::string text = fmt::format("usage: canswarm {} [options]\n\n",
                                 to_string(cmd));
  switch (cmd) {
    case command::node:
      text += "Runs a node: prints 'Peer ID: <id>' and 'Peer Addrs: ...' on "
              "stdout,\nlogs to stderr, shuts down in order on "
              "SIGINT/SIGTERM (a second\nsignal forces exit).\n\n";
      break;
    case command::config:
      text += "Prints every configuration variable, its effective value and "
              "its source.\n\n";
      break;
    case command::peer_id:
      text += "Prints the peer id of the key file (which must exist).\n\n";
      break;
    case command::keygen:
      text += "Writes a new Ed25519 key file (mode 0600) and prints its peer "
              "id.\n\n";
      break;
    case command::p2pd:
      text += "Takes go p2pd's flags: see 'canswarm p2pd -h'.\n";
      return text;
    case command::publish:
      text += "Builds a CAN Swarm envelope (random id and nonce, timestamp "
              "now), signs it\nwith the agent key, checks it with the "
              "policy gate's preflight (a refusal\nexits 2 with the reason) "
              "and publishes it on /swarm/thread/<id>/<verb>\nthrough the "
              "node's control API. Prints one JSON line:\n"
              "{\"id\":<hex>,\"thread\":..,\"kind\":..,\"topic\":..}\n"
              "Required: --control, --key, --thread, --kind.\n\n";
      break;
    case command::subscribe:
      text += "Subscribes to the thread's topic of --kind, or to all 15 kinds "
              "(one control\nconnection each), verifies every envelope with "
              "the policy gate (rejected\nones are reported on stderr) and "
              "prints one JSON line per envelope:\n"
              "{\"id\",\"thread\",\"kind\",\"lamport\",\"ts_ns\","
              "\"sender\",\"payload\"} (payload as a\nJSON string). "
              "Required: --control, --thread.\n\n";
      break;
    case command::peers:
      text += "Prints one line per connected peer: '<peer id> <addr>...'.\n"
              "Required: --control.\n\n";
      break;
    case command::stats:
      text += "Prints the node's counters as one JSON line (control request "
              "CANSWARM_STATS,\na canswarm extension): peer_id, "
              "connected_peers, connections, pubsub\n{topics, published, "
              "received, delivered, duplicates, ignored, graylisted,\n"
              "outbound_dropped, rejected{reason: n}, peers[{peer, score, "
              "mesh}]} and\nenvelopes {accepted, rejected_total, "
              "rejected{reason: n}} (the ingress gate).\n"
              "Required: --control.\n\n";
      break;
    case command::inspect:
      text += "Prints the node's live actor tree (control request "
              "CANSWARM_INSPECT, a canswarm\nextension): the root supervisor "
              "and each component with its state, restart\ncount, CAF "
              "actor id and state summary; the pub/sub service's topic "
              "actors\n(mesh, fanout, subscribers) and the swarm's peer "
              "connections below them.\n--kill (loopback control API only) "
              "kills one actor first, so the restart\nshows: a root "
              "component by name, a topic actor (topic:<topic>) or a\npeer's "
              "connection actors (peer:<peer id>; the swarm redials a peer it "
              "had\ndialled, each peer line shows its restart count). "
              "Required: --control.\n\n";
      break;
    case command::none: break;
  }
  text += "options:\n";
  for (auto& s : specs)
    if ((s.commands & bit(cmd)) != 0) {
      auto head = s.value.empty() ? std::string{s.name}
                                  : fmt::format("{} {}", s.name, s.value);
      text += fmt::format("  {:<24} {}\n", head, s.help);
    }
  if ((bit(cmd) & thread_cmds) != 0)
    text += "\nkinds: NEED PROPOSE CLAIM COMMIT ATTEST DECIDE FINALIZE YIELD "
            "RELEASE\n       UPDATE_PLAN ATTEST_PLAN CHALLENGE INVALIDATE "
            "RECONCILE CHECKPOINT\n";
  return text;
}

} // namespace canswarm::cli
