// `canswarm` subcommands: dispatch, configuration loading, config, peer-id
// and keygen. The node itself lives in node.cpp, the agent tools in
// agent_tools.cpp.

#include <algorithm>
#include <filesystem>
#include <ostream>

#include "canswarm/config/config.hpp"
#include "canswarm/control/p2pd_flags.hpp"
#include "canswarm/identity/key_file.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/runtime/cli.hpp"
#include "canswarm/runtime/node.hpp"

#include "agent_tools.hpp"

namespace canswarm::cli {

namespace {

constexpr std::string_view component = "cli";

log::level to_log_level(config::log_level x) {
  switch (x) {
    case config::log_level::debug: return log::level::debug;
    case config::log_level::info: return log::level::info;
    case config::log_level::warning: return log::level::warning;
    case config::log_level::error: return log::level::error;
  }
  return log::level::info;
}

/// Loads the configuration, configures the logger from it and logs its
/// warnings; prints a config error as one line.
std::optional<config::loaded> load_config(const options& opts, context& ctx) {
  config::load_options lo;
  lo.environment = ctx.environment;
  lo.env_file = opts.env_file;
  lo.flags = opts.flags;
  auto loaded = config::load(lo);
  if (!loaded) {
    ctx.err << "canswarm: " << loaded.error().message << '\n';
    return std::nullopt;
  }
  loaded->values.bootstrap_mode = opts.bootstrap;
  log::global().set_level(to_log_level(loaded->values.level));
  log::global().set_protocol_debug(loaded->values.libp2p_debug);
  log::global().set_format(loaded->values.format == config::log_format::json
                             ? log::format::json
                             : log::format::text);
  for (auto& w : loaded->warnings)
    log::warning(component, "{}", w);
  return std::move(*loaded);
}

int run_config(const options& opts, context& ctx) {
  auto cfg = load_config(opts, ctx);
  if (!cfg)
    return exit_usage;
  ctx.out << config::render(*cfg) << std::flush;
  return exit_ok;
}

int run_peer_id(const options& opts, context& ctx) {
  auto cfg = load_config(opts, ctx);
  if (!cfg)
    return exit_usage;
  auto& path = cfg->values.key_file;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    ctx.err << "canswarm: key file " << path
            << " does not exist; create one with 'canswarm keygen --key-file "
            << path << "'\n";
    return exit_failure;
  }
  auto key = identity::load_key_file(path);
  if (!key) {
    ctx.err << "canswarm: " << key.error().message << '\n';
    return exit_failure;
  }
  ctx.out << peer_id::from_public_key(key->public_key()).to_string() << '\n'
          << std::flush;
  return exit_ok;
}

int run_keygen(const options& opts, context& ctx) {
  auto cfg = load_config(opts, ctx);
  if (!cfg)
    return exit_usage;
  auto& path = cfg->values.key_file;
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !opts.force) {
    ctx.err << "canswarm: key file " << path
            << " already exists; use --force to overwrite it\n";
    return exit_failure;
  }
  auto key = identity::private_key::generate_ed25519();
  if (auto ok = identity::save_key_file(path, key); !ok) {
    ctx.err << "canswarm: " << ok.error().message << '\n';
    return exit_failure;
  }
  auto id = peer_id::from_public_key(key.public_key()).to_string();
  log::info(component, "wrote a new Ed25519 key to {}", path);
  ctx.out << id << '\n' << std::flush;
  return exit_ok;
}

/// `canswarm p2pd`: go p2pd's command line on top of the usual
/// configuration sources (its flags win).
int run_p2pd(const options& opts, context& ctx) {
  auto p2pd = control::translate_p2pd_flags(opts.p2pd_args);
  if (!p2pd) {
    ctx.err << "canswarm p2pd: " << p2pd.error().message << '\n';
    return exit_usage;
  }
  if (p2pd->help) {
    ctx.out << control::p2pd_usage() << std::flush;
    return exit_ok;
  }
  options node_opts;
  node_opts.cmd = command::node;
  node_opts.flags = p2pd->config_flags;
  auto cfg = load_config(node_opts, ctx);
  if (!cfg)
    return exit_usage;
  runtime::node_options no;
  no.no_listen = p2pd->no_listen;
  no.ephemeral_identity = p2pd->ephemeral_identity;
  no.p2pd_banner = true;
  no.pubsub = std::find(p2pd->services.begin(), p2pd->services.end(),
                        control::p2pd_feature::pubsub)
              != p2pd->services.end();
  return runtime::run_node(*cfg, ctx.out, no);
}

/// Returns "<command> " if `args` name a known command, else "".
std::string help_hint(const std::vector<std::string>& args) {
  for (auto& arg : args)
    if (!arg.starts_with("-")) {
      for (auto c :
           {command::node, command::config, command::peer_id, command::keygen,
            command::p2pd, command::publish, command::subscribe, command::peers,
            command::stats, command::inspect})
        if (arg == to_string(c))
          return arg + " ";
      break;
    }
  return "";
}

} // namespace

int run(const std::vector<std::string>& args, context& ctx) {
  auto opts = parse(args);
  if (!opts) {
    ctx.err << "canswarm: " << opts.error().message << '\n'
            << "Try 'canswarm " << help_hint(args) << "--help'.\n";
    return exit_usage;
  }
  if (opts->version) {
    ctx.out << "canswarm " << CANSWARM_VERSION << '\n';
    return exit_ok;
  }
  if (opts->help) {
    ctx.out << help_text(opts->cmd);
    return exit_ok;
  }
  switch (opts->cmd) {
    case command::none: ctx.err << help_text(command::none); return exit_usage;
    case command::config: return run_config(*opts, ctx);
    case command::peer_id: return run_peer_id(*opts, ctx);
    case command::keygen: return run_keygen(*opts, ctx);
    case command::p2pd: return run_p2pd(*opts, ctx);
    case command::publish: return run_publish(*opts, ctx);
    case command::subscribe: return run_subscribe(*opts, ctx);
    case command::peers: return run_peers(*opts, ctx);
    case command::stats: return run_stats(*opts, ctx);
    case command::inspect: return run_inspect(*opts, ctx);
    case command::node: {
      auto cfg = load_config(*opts, ctx);
      if (!cfg)
        return exit_usage;
      return runtime::run_node(*cfg, ctx.out);
    }
  }
  return exit_usage;
}

} // namespace canswarm::cli
