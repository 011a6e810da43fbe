#!/usr/bin/env bash
# The hostile-input stage of CI (issue #9), after the normal build and test
# run: one clang build (build-fuzz) with AddressSanitizer, UBSan and the
# libFuzzer targets, in which
#   1. the selected test suites run under the sanitizers (scripts/
#      sanitize-tests.sh): every protocols_* suite, config, the advisory
#      regressions (regression_*), every fuzz corpus and crash regression
#      (fuzz_replay_*, libFuzzer -runs=0) and actors_connection_bad_input;
#   2. every fuzz target runs for FUZZ_SECONDS on its corpus
#      (scripts/fuzz-smoke.sh), FUZZ_PARALLEL of them at a time.
# Fails when a tool is missing (clang, the libFuzzer or sanitizer runtime),
# a suite fails, a sanitizer reports, or a fuzz target crashes, leaks, times
# out or runs out of memory. Prints the time of each step.
#
# Environment: BUILD_DIR (build-fuzz), JOBS (nproc), FUZZ_SECONDS (20),
#   FUZZ_PARALLEL (nproc), SANITIZE_REGEX (the ctest regex of step 1).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}
seconds=${FUZZ_SECONDS:-20}
parallel=${FUZZ_PARALLEL:-$(nproc)}
regex=${SANITIZE_REGEX:-'^(protocols_.*|config|regression_.*|fuzz_replay_.*|actors_connection_bad_input)$'}
start=$(date +%s)

fail() {
  echo "ci-hostile: $*" >&2
  exit 2
}
for tool in clang clang++ cmake ninja ctest; do
  command -v "$tool" >/dev/null || fail "$tool not found (run scripts/setup.sh)"
done
for rt in libclang_rt.fuzzer-x86_64.a libclang_rt.asan-x86_64.a \
          libclang_rt.ubsan_standalone-x86_64.a; do
  path=$(clang++ -print-file-name="$rt")
  [[ -f $path ]] || fail "clang runtime $rt missing (apt: libclang-rt-14-dev)"
done
if [[ -f $build/CMakeCache.txt ]] \
  && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  fail "$build was configured without clang; remove it"
fi

echo "ci-hostile: sanitizer suites in $build ($regex)"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCANSWARM_SANITIZE=ON \
  -DCANSWARM_FUZZ=ON >/dev/null
# The fuzz executables first: fuzz_replay_* runs them.
cmake --build "$build" --target fuzz_all -j"$jobs"
fuzz_built=$(date +%s)
BUILD_DIR=$build JOBS=$jobs bash scripts/sanitize-tests.sh "$regex"
sanitized=$(date +%s)

echo "ci-hostile: fuzz smoke, ${seconds}s per target, $parallel at a time"
BUILD_DIR=$build JOBS=$jobs FUZZ_SECONDS=$seconds FUZZ_PARALLEL=$parallel \
  bash scripts/fuzz-smoke.sh
end=$(date +%s)
suites=$(ctest --test-dir "$build" -N -R "$regex" | grep -c '^ *Test *#')
targets=$(grep -c . "$build/tests/fuzz/fuzz_targets.txt")
echo "ci-hostile: fuzz build $((fuzz_built - start))s, sanitizer suites" \
  "$((sanitized - fuzz_built))s, fuzz smoke $((end - sanitized))s," \
  "total $((end - start))s"
echo "ci-hostile: $suites sanitizer suites and $targets fuzz targets passed"
echo "ci-hostile: $((suites + targets)) passed, 0 failed"
