#!/usr/bin/env bash
# Runs the pure protocol test suites under AddressSanitizer and UBSan:
# configures build-asan with -DCANSWARM_SANITIZE=ON (the default compiler,
# gcc, is fine), builds only the executables of the selected tests, runs
# them with ctest and prints the elapsed time.
#
# Usage: scripts/sanitize-tests.sh [ctest regex]
#   default regex: ^(protocols_|config|fuzz_replay_)  (protocol suites,
#   configuration, and every fuzz corpus / crash regression)
# Environment: BUILD_DIR (build-asan), JOBS (2), extra ctest arguments in
#   CTEST_ARGS (e.g. "-E slow_suite"), extra configure arguments in
#   CMAKE_ARGS. With CC=clang CXX=clang++ CMAKE_ARGS=-DCANSWARM_FUZZ=ON the
#   same build also holds the libFuzzer targets (scripts/ci-hostile.sh):
#   fuzz_replay_<name> then runs fuzz_<name> -runs=0 over the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-asan}
regex=${1:-'^(protocols_|config|fuzz_replay_)'}
jobs=${JOBS:-2}
start=$(date +%s)

# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCANSWARM_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" ${CMAKE_ARGS:-} >/dev/null
# The executables behind the selected tests: canswarm_test(<name>) builds
# test_<name>, canswarm_fuzz_target builds fuzz_replay_<name> (= the test
# name), or fuzz_<name> with CANSWARM_FUZZ=ON. Only targets ninja knows are
# kept.
mapfile -t names < <(ctest --test-dir "$build" -N -R "$regex" 2>/dev/null \
  | sed -n 's/^ *Test *#[0-9]*: *//p')
known=$(ninja -C "$build" -t targets all | sed 's/:.*//')
exes=()
for n in "${names[@]}"; do
  if grep -qx "test_$n" <<<"$known"; then
    exes+=("test_$n")
  elif grep -qx "$n" <<<"$known"; then
    exes+=("$n")
  elif grep -qx "fuzz_${n#fuzz_replay_}" <<<"$known"; then
    exes+=("fuzz_${n#fuzz_replay_}")
  fi
done
if [[ ${#exes[@]} -eq 0 ]]; then
  echo "sanitize-tests: no test matches '$regex'" >&2
  exit 2
fi
echo "sanitize-tests: building ${#exes[@]} test executables"
cmake --build "$build" -j"$jobs" --target "${exes[@]}"
built=$(date +%s)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# shellcheck disable=SC2086
ctest --test-dir "$build" -R "$regex" --output-on-failure -j"$jobs" \
  --timeout 900 ${CTEST_ARGS:-} || status=$?
end=$(date +%s)
echo "sanitize-tests: build $((built - start))s, tests $((end - built))s," \
  "total $((end - start))s (regex '$regex')"
exit $status
