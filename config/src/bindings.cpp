#include "bindings.hpp"

#include "values.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace canswarm::config::detail {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view bool_expected = "expected a boolean (true/false, "
                                           "1/0, yes/no, on/off)";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string join(const std::vector<multiaddr>& addrs) {
  std::string out;
  for (const auto& addr : addrs)
    out += (out.empty() ? "" : ",") + addr.to_string();
  return out;
}

/// Returns `text` in lower case (ASCII).
std::string to_lower(std::string_view text) {
  std::string out{text};
  for (auto& c : out)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

/// Multiaddr error reasons are embedded in a one-line message.
std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text;
}

template<bool settings::*Field>
std::optional<std::string> parse_flag(std::string_view text, settings& out) {
  auto value = parse_bool(text);
  if (!value)
    return std::string{bool_expected};
  out.*Field = *value;
  return std::nullopt;
}

template<bool settings::*Field>
std::string format_flag(const settings& values) {
  return values.*Field ? "true" : "false";
}

template<std::uint32_t settings::*Field, std::uint32_t Min, std::uint32_t Max>
std::optional<std::string> parse_count(std::string_view text, settings& out) {
  auto expected = "expected an integer between " + std::to_string(Min) + " and "
                  + std::to_string(Max);
  switch (parse_uint(text, Min, Max, out.*Field)) {
    case number_status::ok: return std::nullopt;
    case number_status::out_of_range: return "out of range, " + expected;
    default: return expected;
  }
}

template<std::uint32_t settings::*Field>
std::string format_count(const settings& values) {
  return std::to_string(values.*Field);
}

template<milliseconds settings::*Field, std::int64_t MinMs, std::int64_t MaxMs>
std::optional<std::string>
parse_duration(std::string_view text, settings& out) {
  auto bounds = MinMs == 1 ? "greater than 0 and at most "
                               + format_seconds(milliseconds{MaxMs})
                           : "between " + format_seconds(milliseconds{MinMs})
                               + " and " + format_seconds(milliseconds{MaxMs});
  auto expected = "expected a number of seconds (fractional allowed, e.g. "
                  "0.5) "
                  + bounds;
  switch (
    parse_seconds(text, milliseconds{MinMs}, milliseconds{MaxMs}, out.*Field)) {
    case number_status::ok: return std::nullopt;
    case number_status::out_of_range: return "out of range, " + expected;
    case number_status::too_precise:
      return "finer than a millisecond, " + expected;
    default: return expected;
  }
}

template<milliseconds settings::*Field>
std::string format_duration(const settings& values) {
  return format_seconds(values.*Field);
}

enum class addr_rule { at_least_one, any, peer_required };

template<std::vector<multiaddr> settings::*Field, addr_rule Rule>
std::optional<std::string> parse_addrs(std::string_view text, settings& out) {
  auto items = split_list(text);
  if (items.empty() && Rule == addr_rule::at_least_one)
    return "expected at least one multiaddr, e.g. /ip4/0.0.0.0/tcp/4001";
  if (items.size() > max_list_items)
    return std::to_string(items.size()) + " addresses, expected at most "
           + std::to_string(max_list_items);
  constexpr std::string_view example = Rule == addr_rule::peer_required
                                         ? "/dns4/boot.example.com/tcp/4001/"
                                           "p2p/12D3KooW..."
                                         : "/ip4/203.0.113.7/tcp/4001";
  std::vector<multiaddr> addrs;
  for (const auto& item : items) {
    // Quote the bad item only when the value has several.
    auto subject = items.size() == 1 ? std::string{} : quote(item) + " ";
    auto addr = multiaddr::parse(item);
    if (!addr)
      return (subject.empty() ? "not" : subject + "is not")
             + " a valid multiaddr (" + one_line(addr.error().message)
             + "), expected comma-separated multiaddrs like "
             + std::string{example};
    if constexpr (Rule == addr_rule::peer_required) {
      auto parts = addr->components();
      if (parts.size() < 2 || parts.back().name != "p2p")
        return subject
               + "does not end in /p2p/<peer-id>, expected bootstrap "
                 "addresses like "
               + std::string{example};
    }
    addrs.push_back(std::move(*addr));
  }
  out.*Field = std::move(addrs);
  return std::nullopt;
}

template<std::vector<multiaddr> settings::*Field>
std::string format_addrs(const settings& values) {
  return join(values.*Field);
}

/// The short names P2P_SECURITY accepts (connection/upgrade.hpp's
/// security_kind; this library does not link the connection layer).
constexpr auto security_names = std::to_array<std::string_view>(
  {"noise", "tls", "plaintext"});

/// The short names P2P_MUXERS accepts (connection/upgrade.hpp's muxer_kind).
constexpr auto muxer_names = std::to_array<std::string_view>(
  {"yamux", "mplex"});

/// Parses a preference list of protocol short names: at least one, each one
/// of `names` (case-insensitive, stored in lower case), none twice.
std::optional<std::string>
parse_choices(std::string_view text, std::span<const std::string_view> names,
              std::string_view what, std::vector<std::string>& out) {
  std::string choices;
  for (auto name : names)
    choices += (choices.empty() ? "" : ", ") + std::string{name};
  auto items = split_list(text);
  if (items.empty())
    return "expected at least one of " + choices
           + " (comma-separated, in order of preference)";
  std::vector<std::string> chosen;
  for (const auto& item : items) {
    auto lower = to_lower(item);
    if (std::find(names.begin(), names.end(), lower) == names.end())
      return quote(item) + " is not a " + std::string{what}
             + ", expected a comma-separated list of " + choices;
    if (std::find(chosen.begin(), chosen.end(), lower) != chosen.end())
      return quote(item) + " is listed twice, expected each of " + choices
             + " at most once";
    chosen.push_back(std::move(lower));
  }
  out = std::move(chosen);
  return std::nullopt;
}

std::optional<std::string> parse_security(std::string_view text,
                                          settings& out) {
  return parse_choices(text, security_names, "security protocol", out.security);
}

std::string format_security(const settings& values) {
  return join(values.security);
}

std::optional<std::string> parse_muxers(std::string_view text, settings& out) {
  return parse_choices(text, muxer_names, "stream muxer", out.muxers);
}

std::string format_muxers(const settings& values) {
  return join(values.muxers);
}

/// Longest gossipsub topic (gossipsub/limits.hpp max_topic_size; this
/// library does not link the gossipsub one).
constexpr std::size_t max_topic_bytes = 256;

std::optional<std::string> parse_topics(std::string_view text, settings& out) {
  auto items = split_list(text);
  if (items.size() > max_list_items)
    return std::to_string(items.size()) + " topics, expected at most "
           + std::to_string(max_list_items);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].size() > max_topic_bytes)
      return quote(items[i]) + " is longer than "
             + std::to_string(max_topic_bytes)
             + " bytes, expected comma-separated gossipsub topics";
    if (std::find(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i),
                  items[i])
        != items.begin() + static_cast<std::ptrdiff_t>(i))
      return quote(items[i]) + " is listed twice, expected each topic once";
  }
  out.strict_no_sign_topics = std::move(items);
  return std::nullopt;
}

std::string format_topics(const settings& values) {
  return join(values.strict_no_sign_topics);
}

std::optional<std::string> parse_level(std::string_view text, settings& out) {
  auto level = parse_log_level(text);
  if (!level)
    return "expected one of DEBUG, INFO, WARNING (or WARN), ERROR";
  out.level = *level;
  return std::nullopt;
}

std::string format_level(const settings& values) {
  return to_string(values.level);
}

std::optional<std::string> parse_format(std::string_view text, settings& out) {
  auto word = to_lower(trim(text));
  if (word == "text")
    out.format = log_format::text;
  else if (word == "json")
    out.format = log_format::json;
  else
    return "expected text or json";
  return std::nullopt;
}

std::string format_format(const settings& values) {
  return to_string(values.format);
}

/// Empty is accepted here; load() requires a URL whenever NATS is used.
std::optional<std::string> parse_nats(std::string_view text, settings& out) {
  auto items = split_list(text);
  if (items.size() > max_list_items)
    return std::to_string(items.size()) + " URLs, expected at most "
           + std::to_string(max_list_items);
  for (const auto& item : items) {
    auto lower = item;
    for (auto& c : lower)
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    auto scheme_end = lower.starts_with("nats://")  ? 7
                      : lower.starts_with("tls://") ? 6
                                                    : 0;
    if (scheme_end == 0 || item.size() == static_cast<size_t>(scheme_end))
      return quote(item)
             + " is not a NATS URL, expected comma-separated "
               "nats://host:port or tls://host:port URLs";
  }
  out.nats_urls = std::move(items);
  return std::nullopt;
}

std::string format_nats(const settings& values) {
  return join(values.nats_urls);
}

std::optional<std::string> parse_stream(std::string_view text, settings& out) {
  auto name = trim(text);
  if (name.empty() || name.size() > 64)
    return quote(std::string{name})
           + " is not a stream name, expected 1 to 64 characters";
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return quote(std::string{name})
             + " is not a stream name, expected letters, digits, '_' and "
               "'-' only";
  out.nats_stream = std::string{name};
  return std::nullopt;
}

std::string format_stream(const settings& values) {
  return values.nats_stream;
}

std::optional<std::string> parse_key_file(std::string_view text,
                                          settings& out) {
  auto path = trim(text);
  if (path.empty())
    return "expected the path of the node's key file";
  out.key_file = std::string{path};
  return std::nullopt;
}

std::string format_key_file(const settings& values) {
  return values.key_file;
}

std::optional<std::string> parse_control(std::string_view text, settings& out) {
  constexpr std::string_view expected = "expected a tcp or unix multiaddr like "
                                        "/ip4/127.0.0.1/tcp/5001";
  if (trim(text).empty()) {
    out.control_addr = multiaddr{}; // no control API
    return std::nullopt;
  }
  auto addr = multiaddr::parse(trim(text));
  if (!addr)
    return "not a valid multiaddr (" + one_line(addr.error().message) + "), "
           + std::string{expected};
  if (!addr->value_of("tcp") && !addr->value_of("unix"))
    return "no tcp or unix component, " + std::string{expected};
  out.control_addr = std::move(*addr);
  return std::nullopt;
}

std::string format_control(const settings& values) {
  return values.control_addr.to_string();
}

std::optional<std::string> parse_metrics(std::string_view text, settings& out) {
  auto value = trim(text);
  out.metrics_addr.clear();
  if (value.empty())
    return std::nullopt; // no endpoint
  constexpr std::string_view expected = "expected host:port like "
                                        "127.0.0.1:9464";
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "no host:port, " + std::string{expected};
  auto port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5
      || port.find_first_not_of("0123456789") != std::string_view::npos
      || std::stoul(std::string{port}) > 65535)
    return "bad port '" + std::string{port} + "', " + std::string{expected};
  out.metrics_addr = std::string{value};
  return std::nullopt;
}

std::string format_metrics(const settings& values) {
  return values.metrics_addr;
}

using s = settings;

constexpr auto all_bindings = std::to_array<binding>({
  {"P2P_ENABLED", parse_flag<&s::p2p_enabled>, format_flag<&s::p2p_enabled>},
  {"P2P_PRIMARY", parse_flag<&s::p2p_primary>, format_flag<&s::p2p_primary>},
  {"NATS_FALLBACK", parse_flag<&s::nats_fallback>,
   format_flag<&s::nats_fallback>},
  {"P2P_LISTEN_ADDR", parse_addrs<&s::listen_addrs, addr_rule::at_least_one>,
   format_addrs<&s::listen_addrs>},
  {"P2P_BOOTSTRAP_NODES",
   parse_addrs<&s::bootstrap_nodes, addr_rule::peer_required>,
   format_addrs<&s::bootstrap_nodes>},
  {"P2P_MDNS_ENABLED", parse_flag<&s::mdns_enabled>,
   format_flag<&s::mdns_enabled>},
  {"P2P_DHT_ENABLED", parse_flag<&s::dht_enabled>,
   format_flag<&s::dht_enabled>},
  {"P2P_MAX_CONNECTIONS", parse_count<&s::max_connections, 1, 100000>,
   format_count<&s::max_connections>},
  {"P2P_CONNECTION_TIMEOUT",
   parse_duration<&s::connection_timeout, 1, 3'600'000>,
   format_duration<&s::connection_timeout>},
  {"P2P_CIRCUIT_RELAY_ENABLED", parse_flag<&s::circuit_relay_enabled>,
   format_flag<&s::circuit_relay_enabled>},
  {"P2P_ANNOUNCE_ADDRS", parse_addrs<&s::announce_addrs, addr_rule::any>,
   format_addrs<&s::announce_addrs>},
  {"P2P_SECURITY", parse_security, format_security},
  {"P2P_MUXERS", parse_muxers, format_muxers},
  {"GOSSIPSUB_HEARTBEAT_INTERVAL",
   parse_duration<&s::heartbeat_interval, 10, 60'000>,
   format_duration<&s::heartbeat_interval>},
  {"GOSSIPSUB_MESH_DEGREE_LOW", parse_count<&s::mesh_degree_low, 1, 1000>,
   format_count<&s::mesh_degree_low>},
  {"GOSSIPSUB_MESH_DEGREE", parse_count<&s::mesh_degree, 1, 1000>,
   format_count<&s::mesh_degree>},
  {"GOSSIPSUB_MESH_DEGREE_HIGH", parse_count<&s::mesh_degree_high, 1, 1000>,
   format_count<&s::mesh_degree_high>},
  {"GOSSIPSUB_STRICT_NO_SIGN_TOPICS", parse_topics, format_topics},
  {"LOG_LEVEL", parse_level, format_level},
  {"LIBP2P_DEBUG", parse_flag<&s::libp2p_debug>, format_flag<&s::libp2p_debug>},
  {"LOG_FORMAT", parse_format, format_format},
  {"NATS_URL", parse_nats, format_nats},
  {"NATS_JETSTREAM", parse_flag<&s::nats_jetstream>,
   format_flag<&s::nats_jetstream>},
  {"NATS_STREAM", parse_stream, format_stream},
  {"P2P_KEY_FILE", parse_key_file, format_key_file},
  {"P2P_CONTROL_ADDR", parse_control, format_control},
  {"P2P_METRICS_ADDR", parse_metrics, format_metrics},
});

} // namespace

std::span<const binding> bindings() {
  return all_bindings;
}

} // namespace canswarm::config::detail
