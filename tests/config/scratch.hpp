#pragma once

// Test helpers: a temporary directory removed at scope exit, and load
// options that never touch the process environment or ./.env.

#include "canswarm/config/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace canswarm::config::test {

/// A fresh directory under the system temp dir, removed on destruction.
class scratch_dir {
public:
  scratch_dir() {
    auto pattern = (std::filesystem::temp_directory_path()
                    / "canswarm-config-XXXXXX")
                     .string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::filesystem::path& path() const {
    return path_;
  }

  /// Writes `text` verbatim to `name` inside the directory; returns its path.
  std::string write(std::string_view name, std::string_view text) const {
    auto file = path_ / name;
    std::ofstream out{file, std::ios::binary};
    out << text;
    return file.string();
  }

private:
  std::filesystem::path path_;
};

/// Options with an empty environment and an empty explicit .env file.
inline load_options isolated(const scratch_dir& dir) {
  load_options options;
  options.env_file = dir.write("empty.env", "");
  return options;
}

/// Loads with `environment` as the only source; the error message on failure.
inline std::string load_error(const scratch_dir& dir,
                              std::map<std::string, std::string> environment) {
  auto options = isolated(dir);
  options.environment = std::move(environment);
  auto result = load(options);
  return result ? std::string{"(loaded)"} : result.error().message;
}

} // namespace canswarm::config::test
