// fuzz_corpus_gen <corpus dir>: writes the seed corpus of every fuzz target
// to <corpus dir>/<target>/seed-<name>. Files that exist already are kept
// (crash regressions, merged campaign entries, and committed seeds: those
// built from freshly generated RSA / ECDSA keys or randomised signatures
// would change on every run). Delete a seed to regenerate it.

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "corpus_gen.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  canswarm::fuzz::seed_sink sink;
  canswarm::fuzz::add_codec_seeds(sink);
  canswarm::fuzz::add_session_seeds(sink);
#ifdef CANSWARM_FUZZ_EXTRA_SEEDS
  canswarm::fuzz::add_extra_seeds(sink);
#endif
  std::size_t files = 0;
  for (const auto& [target, seeds] : sink.seeds()) {
    auto dir = fs::path{argv[1]} / target;
    fs::create_directories(dir);
    for (const auto& [name, data] : seeds) {
      auto path = dir / ("seed-" + name);
      if (fs::exists(path))
        continue;
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(data.data()),
                static_cast<std::streamsize>(data.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s/seed-%s\n", dir.c_str(),
                     name.c_str());
        return 1;
      }
      ++files;
    }
    std::printf("%-20s %zu seeds\n", target.c_str(), seeds.size());
  }
  std::printf("wrote %zu files under %s\n", files, argv[1]);
  return 0;
}
