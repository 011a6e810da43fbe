// load(): gathers every variable's text from flags, the environment, the
// .env file and the schema defaults (in that order of precedence), parses
// and validates each one, then applies the cross-field rules:
//
//  - P2P_PRIMARY=true set explicitly while P2P_ENABLED=false is an error; an
//    unset P2P_PRIMARY then becomes false (NATS only);
//  - NATS_FALLBACK=true with P2P_ENABLED=false is allowed (NATS only);
//  - GOSSIPSUB_MESH_DEGREE_LOW <= GOSSIPSUB_MESH_DEGREE <=
//    GOSSIPSUB_MESH_DEGREE_HIGH;
//  - NATS_URL must name a server whenever NATS is used (P2P_ENABLED=false,
//    P2P_PRIMARY=false or NATS_FALLBACK=true).
//
// plaintext in P2P_SECURITY is valid but adds a warning.
//
// Only the first problem is reported, as one line naming the variable, its
// value, what was expected and where the value came from.

#include "canswarm/config/config.hpp"

#include "bindings.hpp"
#include "values.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>

extern char** environ;

namespace canswarm::config {

namespace {

/// Largest .env file read: hand-written files are a few KB; the bound stops
/// a wrong path (a log, a device) from being slurped.
constexpr std::size_t max_env_file_size = 1024 * 1024;

/// Edit distance up to which an unknown name gets "did you mean X?".
constexpr std::size_t max_suggestion_distance = 2;

/// One variable's chosen text and where it came from.
struct raw_value {
  std::optional<std::string> text; // nullopt = schema default
  source from = source::default_value;
};

/// The .env file's entries (last assignment wins) and its path.
struct env_file_values {
  std::string path;
  std::vector<std::pair<std::string, std::string>> entries;
  std::map<std::string, std::string> values;
};

result<std::optional<env_file_values>>
read_env_file(const std::optional<std::string>& explicit_path) {
  namespace fs = std::filesystem;
  const std::string path = explicit_path.value_or("./.env");
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (!fs::exists(status)) {
    if (!explicit_path)
      return std::optional<env_file_values>{};
    return make_error(errc::not_found,
                      "env file " + detail::quote(path) + " does not exist");
  }
  if (fs::is_directory(status))
    return make_error(errc::invalid_argument,
                      "env file " + detail::quote(path) + " is a directory");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(errc::io,
                      "env file " + detail::quote(path) + " cannot be read");
  std::string text(max_env_file_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_env_file_size)
    return make_error(errc::too_large,
                      "env file " + detail::quote(path) + " is larger than "
                        + std::to_string(max_env_file_size) + " bytes");
  auto entries = parse_dotenv(text);
  if (!entries)
    return make_error(entries.error().code,
                      path + ": " + entries.error().message);
  env_file_values file{path, std::move(*entries), {}};
  for (const auto& [key, value] : file.entries)
    file.values[key] = value;
  return std::optional<env_file_values>{std::move(file)};
}

const variable* find_variable(std::string_view name) {
  for (const auto& var : schema())
    if (var.name == name)
      return &var;
  return nullptr;
}

/// Warns about an unknown P2P_*/GOSSIPSUB_* name, suggesting a close one.
std::optional<std::string> unknown_warning(const std::string& name,
                                           const std::string& where) {
  auto upper = detail::to_upper(name);
  if (!upper.starts_with("P2P_") && !upper.starts_with("GOSSIPSUB_"))
    return std::nullopt;
  if (find_variable(name))
    return std::nullopt;
  std::string message = "unknown variable " + name + " (" + where + ")";
  std::size_t best = max_suggestion_distance + 1;
  std::string_view suggestion;
  for (const auto& var : schema()) {
    auto distance = detail::edit_distance(upper, var.name);
    if (distance < best) {
      best = distance;
      suggestion = var.name;
    }
  }
  if (!suggestion.empty())
    message += ", did you mean " + std::string{suggestion} + "?";
  else
    message += ", ignored";
  return message;
}

std::string where(const raw_value& raw, const env_file_values* file) {
  if (raw.from == source::env_file && file)
    return "from " + file->path;
  return std::string{"from "} + to_string(raw.from);
}

error invalid(std::string_view name, const raw_value& raw,
              const env_file_values* file, const std::string& problem) {
  std::string message = std::string{name} + "="
                        + detail::quote(raw.text.value_or("")) + ": " + problem;
  if (raw.from != source::default_value)
    message += " (" + where(raw, file) + ")";
  return make_error(errc::invalid_argument, std::move(message));
}

bool uses_nats(const settings& values) {
  return !values.p2p_enabled || !values.p2p_primary || values.nats_fallback;
}

} // namespace

std::map<std::string, std::string> read_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text{*entry};
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
      continue;
    out.emplace(std::string{text.substr(0, eq)},
                std::string{text.substr(eq + 1)});
  }
  return out;
}

result<loaded> load(const load_options& options) {
  auto file_result = read_env_file(options.env_file);
  if (!file_result)
    return file_result.error();
  const auto& file = *file_result;
  const env_file_values* file_ptr = file ? &*file : nullptr;
  for (const auto& [name, value] : options.flags)
    if (!find_variable(name))
      return make_error(errc::invalid_argument,
                        "unknown configuration variable " + name
                          + " given as a flag");
  loaded out;
  std::set<std::string> warned;
  for (const auto& [name, value] : options.environment)
    if (auto warning = unknown_warning(name, "environment"))
      if (warned.insert(name).second)
        out.warnings.push_back(std::move(*warning));
  if (file)
    for (const auto& [name, value] : file->entries)
      if (auto warning = unknown_warning(name, file->path))
        if (warned.insert(name).second)
          out.warnings.push_back(std::move(*warning));
  // Choose each variable's text by precedence, then parse it.
  auto vars = schema();
  auto binds = detail::bindings();
  std::vector<raw_value> raws(vars.size());
  settings& values = out.values;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::string name{vars[i].name};
    auto& raw = raws[i];
    if (auto it = options.flags.find(name); it != options.flags.end())
      raw = {it->second, source::flag};
    else if (auto env = options.environment.find(name);
             env != options.environment.end())
      raw = {env->second, source::environment};
    else if (file && file->values.contains(name))
      raw = {file->values.at(name), source::env_file};
    auto text = raw.text.value_or(std::string{vars[i].default_value});
    if (auto problem = binds[i].parse(text, values))
      return invalid(vars[i].name, raw, file_ptr, *problem);
  }
  auto raw_of = [&](std::string_view name) -> const raw_value& {
    for (std::size_t i = 0; i < vars.size(); ++i)
      if (vars[i].name == name)
        return raws[i];
    return raws.front();
  };
  // Cross-field rules (documented in the schema descriptions).
  if (!values.p2p_enabled && values.p2p_primary) {
    const auto& primary = raw_of("P2P_PRIMARY");
    if (primary.from != source::default_value)
      return invalid("P2P_PRIMARY", primary, file_ptr,
                     "expected false (or unset) when P2P_ENABLED=false, P2P "
                     "cannot be the primary transport while it is disabled");
    values.p2p_primary = false;
  }
  auto degree_error = [&](std::string_view lower, std::uint32_t lower_value,
                          std::string_view upper, std::uint32_t upper_value) {
    // Blame the variable that was set (the lower one if both were).
    auto blamed = raw_of(lower).from != source::default_value ? lower : upper;
    std::string problem = std::string{lower} + " ("
                          + std::to_string(lower_value) + ") is greater than "
                          + std::string{upper} + " ("
                          + std::to_string(upper_value)
                          + "), expected GOSSIPSUB_MESH_DEGREE_LOW <= "
                            "GOSSIPSUB_MESH_DEGREE <= "
                            "GOSSIPSUB_MESH_DEGREE_HIGH";
    return invalid(blamed, raw_of(blamed), file_ptr, problem);
  };
  if (values.mesh_degree_low > values.mesh_degree)
    return degree_error("GOSSIPSUB_MESH_DEGREE_LOW", values.mesh_degree_low,
                        "GOSSIPSUB_MESH_DEGREE", values.mesh_degree);
  if (values.mesh_degree > values.mesh_degree_high)
    return degree_error("GOSSIPSUB_MESH_DEGREE", values.mesh_degree,
                        "GOSSIPSUB_MESH_DEGREE_HIGH", values.mesh_degree_high);
  if (uses_nats(values) && values.nats_urls.empty())
    return invalid("NATS_URL", raw_of("NATS_URL"), file_ptr,
                   "expected at least one nats:// or tls:// URL, NATS is used "
                   "(P2P_ENABLED=false, P2P_PRIMARY=false or "
                   "NATS_FALLBACK=true)");
  if (std::find(values.security.begin(), values.security.end(), "plaintext")
      != values.security.end())
    out.warnings.push_back(
      "P2P_SECURITY includes plaintext: connections that negotiate it are "
      "neither encrypted nor authenticated, use it only for tests and "
      "trusted networks");
  for (std::size_t i = 0; i < vars.size(); ++i) {
    std::string value = binds[i].format(values);
    out.origins.push_back({std::string{vars[i].name}, value, raws[i].from});
  }
  return out;
}

} // namespace canswarm::config
