#include "canswarm/config/config.hpp"

#include "scratch.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <unistd.h>

using namespace canswarm::config;
using namespace std::chrono_literals;
using canswarm::multiaddr;
using test::scratch_dir;

namespace {

loaded load_ok(const load_options& options) {
  auto result = load(options);
  REQUIRE_MESSAGE(result.ok(), (result ? "" : result.error().message));
  return *result;
}

const origin& origin_of(const loaded& config, std::string_view name) {
  for (const auto& entry : config.origins)
    if (entry.name == name)
      return entry;
  FAIL("no origin for " << name);
  throw std::logic_error("unreachable");
}

std::vector<multiaddr> addrs(std::initializer_list<std::string_view> texts) {
  std::vector<multiaddr> out;
  for (auto text : texts)
    out.push_back(*multiaddr::parse(text));
  return out;
}

/// The line of render() output for `name`.
std::string render_line(const loaded& config, std::string_view name) {
  std::istringstream lines{render(config)};
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(std::string{name} + "="))
      return line;
  return {};
}

constexpr auto peer_a = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
constexpr auto peer_b = "12D3KooWFQ9kxXwuoPxX4zKBHZUvHoa7DRvspR4myLr6rSLL2WRe";

} // namespace

TEST_CASE("the schema lists every variable of the deployment guide once") {
  std::vector<std::string_view> names;
  for (const auto& var : schema()) {
    names.push_back(var.name);
    CHECK_FALSE(var.description.empty());
  }
  CHECK(names
        == std::vector<std::string_view>{"P2P_ENABLED",
                                         "P2P_PRIMARY",
                                         "NATS_FALLBACK",
                                         "P2P_LISTEN_ADDR",
                                         "P2P_BOOTSTRAP_NODES",
                                         "P2P_MDNS_ENABLED",
                                         "P2P_DHT_ENABLED",
                                         "P2P_MAX_CONNECTIONS",
                                         "P2P_CONNECTION_TIMEOUT",
                                         "P2P_CIRCUIT_RELAY_ENABLED",
                                         "P2P_ANNOUNCE_ADDRS",
                                         "P2P_SECURITY",
                                         "P2P_MUXERS",
                                         "GOSSIPSUB_HEARTBEAT_INTERVAL",
                                         "GOSSIPSUB_MESH_DEGREE_LOW",
                                         "GOSSIPSUB_MESH_DEGREE",
                                         "GOSSIPSUB_MESH_DEGREE_HIGH",
                                         "GOSSIPSUB_STRICT_NO_SIGN_TOPICS",
                                         "LOG_LEVEL",
                                         "LIBP2P_DEBUG",
                                         "LOG_FORMAT",
                                         "NATS_URL",
                                         "NATS_JETSTREAM",
                                         "NATS_STREAM",
                                         "P2P_KEY_FILE",
                                         "P2P_CONTROL_ADDR",
                                         "P2P_METRICS_ADDR"});
  CHECK(std::string{to_string(source::default_value)} == "default");
  CHECK(std::string{to_string(source::env_file)} == ".env");
  CHECK(std::string{to_string(source::environment)} == "environment");
  CHECK(std::string{to_string(source::flag)} == "flag");
}

TEST_CASE("with nothing set every variable has its default") {
  scratch_dir dir;
  auto config = load_ok(test::isolated(dir));
  const auto& v = config.values;
  CHECK(v.p2p_enabled);
  CHECK(v.p2p_primary);
  CHECK_FALSE(v.nats_fallback);
  CHECK(v.listen_addrs == addrs({"/ip4/0.0.0.0/tcp/4001"}));
  CHECK(v.bootstrap_nodes.empty());
  CHECK(v.mdns_enabled);
  CHECK(v.dht_enabled);
  CHECK(v.max_connections == 100);
  CHECK(v.connection_timeout == 30s);
  CHECK(v.circuit_relay_enabled);
  CHECK(v.announce_addrs.empty());
  CHECK(v.security == std::vector<std::string>{"noise", "tls"});
  CHECK(v.muxers == std::vector<std::string>{"yamux", "mplex"});
  CHECK(v.heartbeat_interval == 1s);
  CHECK(v.mesh_degree_low == 4);
  CHECK(v.mesh_degree == 6);
  CHECK(v.mesh_degree_high == 12);
  CHECK(v.strict_no_sign_topics.empty());
  CHECK(v.level == log_level::info);
  CHECK_FALSE(v.libp2p_debug);
  CHECK(v.format == log_format::text);
  CHECK(v.nats_urls == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(v.key_file == "canswarm.key");
  CHECK(v.control_addr.empty()); // no control API by default
  CHECK_FALSE(v.bootstrap_mode);
  CHECK(config.warnings.empty());
  // Every origin is the default and prints as the schema's default text.
  REQUIRE(config.origins.size() == schema().size());
  for (std::size_t i = 0; i < schema().size(); ++i) {
    CAPTURE(schema()[i].name);
    CHECK(config.origins[i].name == schema()[i].name);
    CHECK(config.origins[i].from == source::default_value);
    CHECK(config.origins[i].value == schema()[i].default_value);
  }
}

TEST_CASE("every variable is read from the environment") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.environment = {
    {"P2P_ENABLED", "yes"},
    {"P2P_PRIMARY", "off"},
    {"NATS_FALLBACK", "TRUE"},
    {"P2P_LISTEN_ADDR", " /ip4/0.0.0.0/tcp/4001 , /ip4/0.0.0.0/udp/4001/quic "},
    {"P2P_BOOTSTRAP_NODES", std::string{"/ip4/203.0.113.1/tcp/4001/p2p/"}
                              + peer_a + ",/dns4/boot.example.com/tcp/4001/p2p/"
                              + peer_b},
    {"P2P_MDNS_ENABLED", "0"},
    {"P2P_DHT_ENABLED", "No"},
    {"P2P_MAX_CONNECTIONS", "150"},
    {"P2P_CONNECTION_TIMEOUT", "2.5"},
    {"P2P_CIRCUIT_RELAY_ENABLED", "false"},
    {"P2P_ANNOUNCE_ADDRS", "/ip4/203.0.113.42/tcp/4001"},
    {"P2P_SECURITY", "tls, noise"},
    {"P2P_MUXERS", "mplex"},
    {"GOSSIPSUB_HEARTBEAT_INTERVAL", "0.5"},
    {"GOSSIPSUB_MESH_DEGREE_LOW", "6"},
    {"GOSSIPSUB_MESH_DEGREE", "8"},
    {"GOSSIPSUB_MESH_DEGREE_HIGH", "12"},
    {"GOSSIPSUB_STRICT_NO_SIGN_TOPICS", " sensors/raw , telemetry "},
    {"LOG_LEVEL", "debug"},
    {"LIBP2P_DEBUG", "on"},
    {"LOG_FORMAT", "JSON"},
    {"NATS_URL", "nats://a.example.com:4222, tls://b.example.com:4443"},
    {"NATS_JETSTREAM", "yes"},
    {"NATS_STREAM", "SWARM_EU-1"},
    {"P2P_KEY_FILE", "/var/lib/canswarm/node.key"},
    {"P2P_CONTROL_ADDR", "/unix/run/canswarm.sock"},
    {"P2P_METRICS_ADDR", "127.0.0.1:9464"},
  };
  auto config = load_ok(options);
  const auto& v = config.values;
  CHECK(v.p2p_enabled);
  CHECK_FALSE(v.p2p_primary);
  CHECK(v.nats_fallback);
  CHECK(v.listen_addrs
        == addrs({"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic"}));
  CHECK(
    v.bootstrap_nodes
    == addrs({std::string{"/ip4/203.0.113.1/tcp/4001/p2p/"} + peer_a,
              std::string{"/dns4/boot.example.com/tcp/4001/p2p/"} + peer_b}));
  CHECK_FALSE(v.mdns_enabled);
  CHECK_FALSE(v.dht_enabled);
  CHECK(v.max_connections == 150);
  CHECK(v.connection_timeout == 2500ms);
  CHECK_FALSE(v.circuit_relay_enabled);
  CHECK(v.announce_addrs == addrs({"/ip4/203.0.113.42/tcp/4001"}));
  CHECK(v.security == std::vector<std::string>{"tls", "noise"});
  CHECK(v.muxers == std::vector<std::string>{"mplex"});
  CHECK(v.heartbeat_interval == 500ms);
  CHECK(v.mesh_degree_low == 6);
  CHECK(v.mesh_degree == 8);
  CHECK(v.mesh_degree_high == 12);
  CHECK(v.strict_no_sign_topics
        == std::vector<std::string>{"sensors/raw", "telemetry"});
  CHECK(v.level == log_level::debug);
  CHECK(v.libp2p_debug);
  CHECK(v.format == log_format::json);
  CHECK(v.nats_urls
        == std::vector<std::string>{"nats://a.example.com:4222",
                                    "tls://b.example.com:4443"});
  CHECK(v.nats_jetstream);
  CHECK(v.nats_stream == "SWARM_EU-1");
  CHECK(v.key_file == "/var/lib/canswarm/node.key");
  CHECK(v.control_addr == *multiaddr::parse("/unix/run/canswarm.sock"));
  CHECK(v.metrics_addr == "127.0.0.1:9464");
  for (const auto& entry : config.origins) {
    CAPTURE(entry.name);
    CHECK(entry.from == source::environment);
  }
  // Origins hold the normalised effective values.
  CHECK(origin_of(config, "P2P_ENABLED").value == "true");
  CHECK(origin_of(config, "P2P_LISTEN_ADDR").value
        == "/ip4/0.0.0.0/tcp/4001,/ip4/0.0.0.0/udp/4001/quic");
  CHECK(origin_of(config, "P2P_CONNECTION_TIMEOUT").value == "2.5");
  CHECK(origin_of(config, "GOSSIPSUB_HEARTBEAT_INTERVAL").value == "0.5");
  CHECK(origin_of(config, "LOG_LEVEL").value == "DEBUG");
  CHECK(origin_of(config, "GOSSIPSUB_STRICT_NO_SIGN_TOPICS").value
        == "sensors/raw,telemetry");
  CHECK(origin_of(config, "P2P_SECURITY").value == "tls,noise");
  CHECK(origin_of(config, "P2P_MUXERS").value == "mplex");
  CHECK(config.warnings.empty());
}

TEST_CASE("security and muxer lists keep the given order of preference") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.environment = {{"P2P_SECURITY", " TLS ,noise,"},
                         {"P2P_MUXERS", "mplex,Yamux"}};
  auto config = load_ok(options);
  CHECK(config.values.security == std::vector<std::string>{"tls", "noise"});
  CHECK(config.values.muxers == std::vector<std::string>{"mplex", "yamux"});
  CHECK(config.warnings.empty());
  CHECK(
    render_line(config, "P2P_SECURITY").starts_with("P2P_SECURITY=tls,noise "));
  CHECK(render_line(config, "P2P_SECURITY").ends_with("# environment"));
  CHECK(
    render_line(config, "P2P_MUXERS").starts_with("P2P_MUXERS=mplex,yamux "));
  options.environment.clear();
  auto defaults = load_ok(options);
  CHECK(render_line(defaults, "P2P_SECURITY")
          .starts_with("P2P_SECURITY=noise,tls "));
  CHECK(
    render_line(defaults, "P2P_MUXERS").starts_with("P2P_MUXERS=yamux,mplex "));
  CHECK(render_line(defaults, "P2P_MUXERS").ends_with("# default"));
}

TEST_CASE("plaintext security is accepted with a warning") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  const std::vector<std::string> warning{
    "P2P_SECURITY includes plaintext: connections that negotiate it are "
    "neither encrypted nor authenticated, use it only for tests and trusted "
    "networks"};
  options.environment = {{"P2P_SECURITY", "plaintext"}};
  auto config = load_ok(options);
  CHECK(config.values.security == std::vector<std::string>{"plaintext"});
  CHECK(config.warnings == warning);
  // Anywhere in the list: a listener accepts any protocol of its list.
  options.flags = {{"P2P_SECURITY", "noise,plaintext"}};
  config = load_ok(options);
  CHECK(config.values.security
        == std::vector<std::string>{"noise", "plaintext"});
  CHECK(origin_of(config, "P2P_SECURITY").from == source::flag);
  CHECK(config.warnings == warning);
}

TEST_CASE("booleans accept every documented spelling in any case") {
  scratch_dir dir;
  for (auto [text, expected] :
       std::vector<std::pair<std::string, bool>>{{"true", true},
                                                 {"True", true},
                                                 {"1", true},
                                                 {"yes", true},
                                                 {"YES", true},
                                                 {"on", true},
                                                 {"On", true},
                                                 {"false", false},
                                                 {"FALSE", false},
                                                 {"0", false},
                                                 {"no", false},
                                                 {"off", false},
                                                 {"OFF", false},
                                                 {" true ", true}}) {
    CAPTURE(text);
    auto options = test::isolated(dir);
    options.environment = {{"LIBP2P_DEBUG", text}};
    CHECK(load_ok(options).values.libp2p_debug == expected);
  }
}

TEST_CASE("log levels are case-insensitive and WARN means WARNING") {
  scratch_dir dir;
  for (auto [text, expected] : std::vector<
         std::pair<std::string, log_level>>{{"DEBUG", log_level::debug},
                                            {"Info", log_level::info},
                                            {"warning", log_level::warning},
                                            {"WARN", log_level::warning},
                                            {"error", log_level::error}}) {
    CAPTURE(text);
    auto options = test::isolated(dir);
    options.environment = {{"LOG_LEVEL", text}};
    CHECK(load_ok(options).values.level == expected);
  }
}

TEST_CASE("list variables may be empty and their items are trimmed") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.env_file = dir.write("lists.env", "P2P_BOOTSTRAP_NODES=\n"
                                            "P2P_ANNOUNCE_ADDRS=\n");
  auto config = load_ok(options);
  CHECK(config.values.bootstrap_nodes.empty());
  CHECK(config.values.announce_addrs.empty());
  CHECK(origin_of(config, "P2P_BOOTSTRAP_NODES").from == source::env_file);
  options.environment = {
    {"P2P_ANNOUNCE_ADDRS",
     "  /ip4/203.0.113.1/tcp/4001 ,\t/dns4/node.example.com/tcp/4001 ,"}};
  CHECK(
    load_ok(options).values.announce_addrs
    == addrs({"/ip4/203.0.113.1/tcp/4001", "/dns4/node.example.com/tcp/4001"}));
}

TEST_CASE("a flag beats the environment, which beats .env, which beats the "
          "default") {
  scratch_dir dir;
  load_options options;
  options.env_file = dir.write("prec.env", "P2P_MAX_CONNECTIONS=10\n"
                                           "P2P_CONNECTION_TIMEOUT=10\n"
                                           "GOSSIPSUB_MESH_DEGREE_HIGH=20\n");
  options.environment = {{"P2P_MAX_CONNECTIONS", "20"},
                         {"P2P_CONNECTION_TIMEOUT", "20"}};
  options.flags = {{"P2P_MAX_CONNECTIONS", "30"}};
  auto config = load_ok(options);
  CHECK(config.values.max_connections == 30);
  CHECK(config.values.connection_timeout == 20s);
  CHECK(config.values.mesh_degree_high == 20);
  CHECK(config.values.mesh_degree == 6);
  CHECK(origin_of(config, "P2P_MAX_CONNECTIONS").from == source::flag);
  CHECK(origin_of(config, "P2P_CONNECTION_TIMEOUT").from
        == source::environment);
  CHECK(origin_of(config, "GOSSIPSUB_MESH_DEGREE_HIGH").from
        == source::env_file);
  CHECK(origin_of(config, "GOSSIPSUB_MESH_DEGREE").from
        == source::default_value);
  CHECK(render_line(config, "P2P_MAX_CONNECTIONS").ends_with("# flag"));
  CHECK(render_line(config, "P2P_MAX_CONNECTIONS")
          .starts_with("P2P_MAX_CONNECTIONS=30 "));
  CHECK(
    render_line(config, "P2P_CONNECTION_TIMEOUT").ends_with("# environment"));
  CHECK(render_line(config, "GOSSIPSUB_MESH_DEGREE_HIGH").ends_with("# .env"));
  CHECK(render_line(config, "GOSSIPSUB_MESH_DEGREE").ends_with("# default"));
  // An empty environment value still beats .env (and is then validated).
  options.flags.clear();
  options.environment = {{"P2P_MAX_CONNECTIONS", ""}};
  auto result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(
    result.error().message
    == R"(P2P_MAX_CONNECTIONS="": expected an integer between 1 and 100000 (from environment))");
}

TEST_CASE("render prints one aligned line per variable that parses back as "
          ".env") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.environment = {{"P2P_KEY_FILE", "/keys/my node #1.key"},
                         {"LOG_LEVEL", "warn"}};
  auto config = load_ok(options);
  auto text = render(config);
  std::istringstream lines{text};
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);)
    all.push_back(line);
  REQUIRE(all.size() == schema().size());
  // The source comments of short lines start in the same column.
  auto column = all[0].find("  # ");
  REQUIRE(column != std::string::npos);
  for (const auto& line : all) {
    CAPTURE(line);
    CHECK(line.find("  # ") != std::string::npos);
    if (line.find("  # ") <= 60)
      CHECK(line.find("# ") == column + 2);
  }
  // Parsing the output as .env gives back every effective value.
  auto parsed = parse_dotenv(text);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == config.origins.size());
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    CHECK((*parsed)[i].first == config.origins[i].name);
    CHECK((*parsed)[i].second == config.origins[i].value);
  }
  CHECK(render_line(config, "P2P_KEY_FILE")
          .starts_with(R"(P2P_KEY_FILE="/keys/my node #1.key")"));
  CHECK(render_line(config, "LOG_LEVEL").starts_with("LOG_LEVEL=WARNING "));
}

TEST_CASE("P2P_ENABLED=false alone means NATS only") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.environment = {{"P2P_ENABLED", "false"}, {"NATS_FALLBACK", "true"}};
  auto config = load_ok(options);
  CHECK_FALSE(config.values.p2p_enabled);
  CHECK_FALSE(config.values.p2p_primary);
  CHECK(origin_of(config, "P2P_PRIMARY").value == "false");
  CHECK(render_line(config, "P2P_PRIMARY")
          .ends_with("# default (false because P2P_ENABLED=false)"));
  // An explicit P2P_PRIMARY=false is fine too.
  options.environment["P2P_PRIMARY"] = "false";
  CHECK(load(options).ok());
}

TEST_CASE("the default .env is ./.env and is optional") {
  scratch_dir dir;
  auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  load_options options; // env_file unset
  auto without = load(options);
  dir.write(".env", "P2P_MAX_CONNECTIONS=42\n");
  auto with = load(options);
  std::filesystem::current_path(previous);
  REQUIRE(without.ok());
  CHECK(without->values.max_connections == 100);
  REQUIRE(with.ok());
  CHECK(with->values.max_connections == 42);
  CHECK(origin_of(*with, "P2P_MAX_CONNECTIONS").from == source::env_file);
}

TEST_CASE("an explicit env file must exist and the error names its path") {
  scratch_dir dir;
  load_options options;
  auto missing = (dir.path() / "missing.env").string();
  options.env_file = missing;
  auto result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == canswarm::errc::not_found);
  CHECK(result.error().message
        == "env file \"" + missing + "\" does not exist");
  options.env_file = dir.path().string();
  result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message.ends_with("is a directory"));
}

TEST_CASE("a malformed .env line stops loading with the file and line") {
  scratch_dir dir;
  load_options options;
  options.env_file = dir.write("bad.env", "# ok\nP2P_ENABLED=true\noops\n");
  auto result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message
        == *options.env_file + R"(: line 3: expected KEY=value, got "oops")");
}

TEST_CASE("unknown P2P_ and GOSSIPSUB_ variables are warned about with a "
          "suggestion") {
  scratch_dir dir;
  load_options options;
  options.env_file = dir.write("typo.env", "GOSSIPSUB_MESH_DEGRE=6\n"
                                           "OTHER_APP_SETTING=1\n");
  options.environment = {{"P2P_MAX_CONECTIONS", "50"},
                         {"P2P_SOMETHING_ELSE", "1"},
                         {"p2p_enabled", "true"},
                         {"HOME", "/root"},
                         {"NATS_USER", "x"}};
  auto config = load_ok(options);
  CHECK(config.warnings
        == std::vector<std::string>{
          "unknown variable P2P_MAX_CONECTIONS (environment), did you mean "
          "P2P_MAX_CONNECTIONS?",
          "unknown variable P2P_SOMETHING_ELSE (environment), ignored",
          "unknown variable p2p_enabled (environment), did you mean "
          "P2P_ENABLED?",
          "unknown variable GOSSIPSUB_MESH_DEGRE (" + *options.env_file
            + "), did you mean GOSSIPSUB_MESH_DEGREE?"});
  // The misspelt variable is ignored: the default stays.
  CHECK(config.values.max_connections == 100);
}

TEST_CASE("an unknown flag name is an error") {
  scratch_dir dir;
  auto options = test::isolated(dir);
  options.flags = {{"P2P_MAX_CONECTIONS", "5"}};
  auto result = load(options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().message
        == "unknown configuration variable P2P_MAX_CONECTIONS given as a "
           "flag");
}

TEST_CASE("read_environment sees the process environment") {
  ::setenv("CANSWARM_CONFIG_TEST_VARIABLE", "a=b", 1);
  auto environment = read_environment();
  ::unsetenv("CANSWARM_CONFIG_TEST_VARIABLE");
  REQUIRE(environment.contains("CANSWARM_CONFIG_TEST_VARIABLE"));
  CHECK(environment.at("CANSWARM_CONFIG_TEST_VARIABLE") == "a=b");
}
