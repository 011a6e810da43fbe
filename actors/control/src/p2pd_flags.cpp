// Translation of go p2pd's command line (see p2pd_flags.hpp).

#include "canswarm/control/p2pd_flags.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "canswarm/multiformats/multiaddr.hpp"

namespace canswarm::control {

namespace {

/// How a flag takes its value.
enum class flag_kind { text, boolean };

/// One accepted flag.
struct flag_spec {
  std::string_view name;
  flag_kind kind;
  std::string_view help;
};

constexpr std::array<flag_spec, 14> known_flags{{
  {"listen", flag_kind::text, "control socket multiaddr (tcp or unix)"},
  {"hostAddrs", flag_kind::text, "comma-separated listen multiaddrs"},
  {"noListenAddrs", flag_kind::boolean, "listen on no address"},
  {"id", flag_kind::text, "private key file (libp2p PrivateKey protobuf)"},
  {"noise", flag_kind::boolean, "enable the Noise security transport"},
  {"tls", flag_kind::boolean, "enable the TLS security transport"},
  {"plaintext", flag_kind::boolean, "enable plaintext security (testing)"},
  {"muxer", flag_kind::text, "stream muxer: yamux or mplex"},
  {"dhtServer", flag_kind::boolean, "run the Kademlia DHT in server mode"},
  {"relay", flag_kind::boolean, "enable the circuit relay v2 hop service"},
  {"pubsub", flag_kind::boolean, "enable pubsub"},
  {"pubsubRouter", flag_kind::text, "pubsub router: gossipsub or floodsub"},
  {"h", flag_kind::boolean, "print this help"},
  {"help", flag_kind::boolean, "print this help"},
}};

/// How an unsupported feature is named in errors.
struct feature_text {
  p2pd_feature feature;
  std::string_view name;
  std::string_view flag;
  std::string_view what;
};

constexpr std::array<feature_text, 10> feature_texts{{
  {p2pd_feature::noise, "noise", "-noise", "Noise"},
  {p2pd_feature::tls, "tls", "-tls", "TLS"},
  {p2pd_feature::plaintext, "plaintext", "-plaintext", "plaintext security"},
  {p2pd_feature::yamux, "yamux", "-muxer=yamux", "yamux"},
  {p2pd_feature::mplex, "mplex", "-muxer=mplex", "mplex"},
  {p2pd_feature::dht_server, "dht_server", "-dhtServer", "the Kademlia DHT"},
  {p2pd_feature::relay, "relay", "-relay", "circuit relay v2"},
  {p2pd_feature::pubsub, "pubsub", "-pubsub", "pubsub"},
  {p2pd_feature::gossipsub, "gossipsub", "-pubsubRouter=gossipsub",
   "gossipsub"},
  {p2pd_feature::floodsub, "floodsub", "-pubsubRouter=floodsub", "floodsub"},
}};

const feature_text& text_of(p2pd_feature f) {
  for (auto& t : feature_texts)
    if (t.feature == f)
      return t;
  return feature_texts.front();
}

const flag_spec* find_flag(std::string_view name) {
  for (auto& f : known_flags)
    if (f.name == name)
      return &f;
  return nullptr;
}

error usage_error(std::string msg) {
  return make_error(errc::invalid_argument, std::move(msg));
}

/// Parses a boolean the way go's strconv.ParseBool does.
std::optional<bool> parse_bool(std::string_view x) {
  for (auto t : {"1", "t", "T", "true", "TRUE", "True"})
    if (x == t)
      return true;
  for (auto f : {"0", "f", "F", "false", "FALSE", "False"})
    if (x == f)
      return false;
  return std::nullopt;
}

/// The last value given for each flag (booleans as "true"/"false").
using flag_values = std::map<std::string, std::string, std::less<>>;

/// Splits the command line into flag values, go `flag` style.
result<flag_values> scan(const std::vector<std::string>& args) {
  if (args.size() > max_p2pd_args)
    return usage_error(
      fmt::format("{} arguments, at most {}", args.size(), max_p2pd_args));
  flag_values values;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      if (i + 1 < args.size())
        return usage_error("unexpected argument: " + args[i + 1]);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-')
      return usage_error("unexpected argument: " + args[i]);
    auto body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=')
      return usage_error(fmt::format("bad flag syntax: {}", arg));
    auto eq = body.find('=');
    auto name = body.substr(0, eq);
    auto spec = find_flag(name);
    if (spec == nullptr)
      return usage_error(
        fmt::format("flag provided but not defined: -{}", name));
    std::optional<std::string> value;
    if (eq != std::string_view::npos)
      value = std::string{body.substr(eq + 1)};
    if (spec->kind == flag_kind::boolean) {
      auto b = value ? parse_bool(*value) : std::optional<bool>{true};
      if (!b)
        return usage_error(
          fmt::format("invalid boolean value \"{}\" for flag -{}", *value,
                      name));
      values[std::string{name}] = *b ? "true" : "false";
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size())
        return usage_error(fmt::format("flag needs an argument: -{}", name));
      value = args[++i];
    }
    values[std::string{name}] = std::move(*value);
  }
  return values;
}

bool flag_true(const flag_values& v, std::string_view name) {
  auto i = v.find(name);
  return i != v.end() && i->second == "true";
}

bool flag_false(const flag_values& v, std::string_view name) {
  auto i = v.find(name);
  return i != v.end() && i->second == "false";
}

/// Trims ASCII spaces.
std::string_view trim(std::string_view x) {
  while (!x.empty() && x.front() == ' ')
    x.remove_prefix(1);
  while (!x.empty() && x.back() == ' ')
    x.remove_suffix(1);
  return x;
}

result<void> check_control_addr(std::string_view text) {
  auto addr = multiaddr::parse(text);
  if (!addr)
    return usage_error(fmt::format("-listen={}: not a valid multiaddr ({})",
                                   text, addr.error().message));
  if (!addr->value_of("tcp") && !addr->value_of("unix"))
    return usage_error(
      fmt::format("-listen={}: expected a tcp or unix multiaddr like "
                  "/ip4/127.0.0.1/tcp/5001",
                  text));
  return {};
}

/// Validates -hostAddrs and returns it re-joined without blanks.
result<std::string> host_addrs(std::string_view text) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = std::min(text.find(',', pos), text.size());
    auto item = trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty())
      continue;
    if (auto addr = multiaddr::parse(item); !addr)
      return usage_error(fmt::format("-hostAddrs: {}: not a valid multiaddr "
                                     "({})",
                                     item, addr.error().message));
    items.emplace_back(item);
  }
  if (items.empty())
    return usage_error("-hostAddrs: expected at least one multiaddr, e.g. "
                       "/ip4/127.0.0.1/tcp/0");
  return fmt::format("{}", fmt::join(items, ","));
}

error unsupported(p2pd_feature f) {
  auto& t = text_of(f);
  return make_error(errc::unsupported,
                    fmt::format("unsupported p2pd flag {}: {} is not "
                                "implemented yet",
                                t.flag, t.what));
}

/// Fills the security transports; errors when none is left.
result<void> choose_security(const flag_values& v, p2pd_options& out) {
  constexpr std::array<std::pair<std::string_view, p2pd_feature>, 3> order{{
    {"noise", p2pd_feature::noise},
    {"tls", p2pd_feature::tls},
    {"plaintext", p2pd_feature::plaintext},
  }};
  for (auto& [name, f] : order)
    if (flag_true(v, name))
      out.security.push_back(f);
  if (out.security.empty()) {
    if (flag_false(v, "noise"))
      return usage_error("-noise=false leaves no security transport: also "
                         "give -tls=true or -plaintext=true");
    out.security.push_back(p2pd_feature::noise);
  }
  for (auto f : out.security)
    if (!is_supported(f))
      return unsupported(f);
  return {};
}

/// Fills the muxer and the services; errors on unknown values.
result<void> choose_muxer_and_services(const flag_values& v,
                                       p2pd_options& out) {
  if (auto i = v.find("muxer"); i != v.end()) {
    if (i->second == "yamux")
      out.muxer = p2pd_feature::yamux;
    else if (i->second == "mplex")
      out.muxer = p2pd_feature::mplex;
    else
      return usage_error(
        fmt::format("-muxer={}: expected yamux or mplex", i->second));
  }
  if (!is_supported(out.muxer))
    return unsupported(out.muxer);
  auto router = p2pd_feature::gossipsub;
  if (auto i = v.find("pubsubRouter"); i != v.end()) {
    if (i->second == "floodsub")
      router = p2pd_feature::floodsub;
    else if (i->second != "gossipsub")
      return usage_error(
        fmt::format("-pubsubRouter={}: expected gossipsub or floodsub",
                    i->second));
  }
  if (flag_true(v, "dhtServer"))
    out.services.push_back(p2pd_feature::dht_server);
  if (flag_true(v, "relay"))
    out.services.push_back(p2pd_feature::relay);
  if (flag_true(v, "pubsub")) {
    out.services.push_back(p2pd_feature::pubsub);
    out.services.push_back(router);
  }
  for (auto f : out.services)
    if (!is_supported(f))
      return unsupported(f);
  return {};
}

} // namespace

const char* to_string(p2pd_feature f) {
  return text_of(f).name.data();
}

bool is_supported(p2pd_feature f) {
  return std::find(std::begin(supported_p2pd_features),
                   std::end(supported_p2pd_features), f)
         != std::end(supported_p2pd_features);
}

result<p2pd_options>
translate_p2pd_flags(const std::vector<std::string>& args) {
  auto scanned = scan(args);
  if (!scanned)
    return scanned.error();
  auto& v = *scanned;
  p2pd_options out;
  if (flag_true(v, "h") || flag_true(v, "help")) {
    out.help = true;
    return out;
  }
  auto& cfg = out.config_flags;
  auto control = v.contains("listen") ? v.at("listen")
                                      : std::string{default_p2pd_control_addr};
  if (auto ok = check_control_addr(control); !ok)
    return ok.error();
  cfg["P2P_CONTROL_ADDR"] = control;
  out.no_listen = flag_true(v, "noListenAddrs");
  if (!out.no_listen) {
    auto hosts = v.contains("hostAddrs")
                   ? host_addrs(v.at("hostAddrs"))
                   : result<std::string>{std::string{default_p2pd_host_addrs}};
    if (!hosts)
      return hosts.error();
    cfg["P2P_LISTEN_ADDR"] = *hosts;
  }
  if (auto i = v.find("id"); i != v.end()) {
    if (i->second.empty())
      return usage_error("-id: expected a key file path");
    cfg["P2P_KEY_FILE"] = i->second;
    out.ephemeral_identity = false;
  }
  // No automatic peers or discovery: a p2pd is driven by its client only.
  cfg["P2P_MDNS_ENABLED"] = "false";
  cfg["P2P_DHT_ENABLED"] = "false";
  cfg["P2P_CIRCUIT_RELAY_ENABLED"] = "false";
  cfg["P2P_BOOTSTRAP_NODES"] = "";
  cfg["P2P_ANNOUNCE_ADDRS"] = "";
  if (auto ok = choose_security(v, out); !ok)
    return ok.error();
  if (auto ok = choose_muxer_and_services(v, out); !ok)
    return ok.error();
  // go p2pd offers exactly the transports its flags name, in its order.
  std::vector<std::string_view> security;
  for (auto f : out.security)
    security.push_back(text_of(f).name);
  cfg["P2P_SECURITY"] = fmt::format("{}", fmt::join(security, ","));
  cfg["P2P_MUXERS"] = std::string{text_of(out.muxer).name};
  return out;
}

std::string p2pd_usage() {
  std::string text = "Usage: canswarm p2pd [flags]\n"
                     "Runs a node driven over the libp2p daemon control "
                     "protocol (go p2pd compatible).\n\nFlags:\n";
  for (auto& f : known_flags) {
    if (f.name == "h")
      continue;
    text += fmt::format("  -{:<14} {}{}\n", f.name, f.help,
                        f.kind == flag_kind::boolean ? " (boolean)" : "");
  }
  text += "\nImplemented: ";
  bool first = true;
  for (auto f : supported_p2pd_features) {
    text += fmt::format("{}{}", first ? "" : ", ", text_of(f).flag);
    first = false;
  }
  return text + "\n";
}

} // namespace canswarm::control
