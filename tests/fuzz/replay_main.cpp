// Standalone driver for a fuzz target without libFuzzer: runs every file
// given on the command line (directories are walked recursively, in sorted
// order) through LLVMFuzzerTestOneInput once. ctest uses it as
// fuzz_replay_<name> over tests/fuzz/corpus/<name>/, so every seed and
// every crash regression runs in ordinary (gcc, non-sanitizer or ASan)
// builds too.
//
// Exit status: 0 when at least one input ran, 2 when there was nothing to
// run (a missing or empty corpus is a mistake), 3 when a file could not be
// read. A failing property traps (SIGILL) in the target itself.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace fs = std::filesystem;

namespace {

// Collects regular files under `p` (or `p` itself) into `out`.
void collect(const fs::path& p, std::vector<fs::path>& out) {
  if (fs::is_directory(p)) {
    for (auto& entry : fs::recursive_directory_iterator(p))
      if (entry.is_regular_file())
        out.push_back(entry.path());
  } else if (fs::is_regular_file(p)) {
    out.push_back(p);
  }
}

bool read_file(const fs::path& p, std::vector<std::uint8_t>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return false;
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  return !in.bad();
}

} // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i)
    collect(argv[i], files);
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no inputs to replay\n");
    return 2;
  }
  std::vector<std::uint8_t> buf;
  for (auto& f : files) {
    if (!read_file(f, buf)) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 3;
    }
    // Printed before the run, so a trap names its input.
    std::printf("replay %s (%zu bytes)\n", f.c_str(), buf.size());
    std::fflush(stdout);
    // A copy of exactly the input's size, so ASan catches reads past it.
    std::vector<std::uint8_t> exact(buf.begin(), buf.end());
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
  }
  std::printf("replayed %zu inputs\n", files.size());
  return 0;
}
