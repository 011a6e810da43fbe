#!/usr/bin/env bash
# Fuzz smoke test: builds every libFuzzer target (tests/fuzz) with clang,
# ASan and UBSan in build-fuzz, runs each for FUZZ_SECONDS on its committed
# corpus, and prints a table of executions per target. Fails when any
# target crashes, leaks, times out or runs out of memory; the input is kept
# under the artifacts directory with the command to reproduce it.
#
# Usage: scripts/fuzz-smoke.sh [target ...]     (default: every target)
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   BUILD_DIR       build directory (default build-fuzz)
#   JOBS            build parallelism (default 2)
#   FUZZ_ARTIFACTS  crash / timeout inputs (default $BUILD_DIR/fuzz-artifacts)
# New corpus entries go to $BUILD_DIR/fuzz-scratch/<target>; the committed
# corpus is only read.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
scratch=$build/fuzz-scratch

if [[ -f $build/CMakeCache.txt ]] \
  && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  echo "fuzz-smoke: $build was configured without clang; remove it" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCANSWARM_FUZZ=ON -DCANSWARM_SANITIZE=ON >/dev/null
cmake --build "$build" --target fuzz_all -j"${JOBS:-2}"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < "$build/tests/fuzz/fuzz_targets.txt"
fi

mkdir -p "$artifacts" "$scratch"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Prints "<value>" of "stat::<name>: <value>" from a libFuzzer log.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

rows=()
failed=()
for t in "${targets[@]}"; do
  exe=$build/tests/fuzz/fuzz_$t
  corpus=tests/fuzz/corpus/$t
  log=$build/fuzz-$t.log
  mkdir -p "$scratch/$t"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -artifact_prefix="$artifacts/$t-")
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict="tests/fuzz/dict/$t.dict")
  echo "== fuzz_$t for ${seconds}s"
  status=ok
  if ! "$exe" "${args[@]}" "$scratch/$t" "$corpus" >"$log" 2>&1; then
    status=FAILED
    failed+=("$t")
    grep -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error|SUMMARY' \
      "$log" | head -5 || true
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [[ -n $artifact ]]; then
      echo "   input:     $artifact"
      echo "   reproduce: $exe $artifact"
      echo "   minimise:  $exe -minimize_crash=1 -runs=100000 $artifact"
    fi
    echo "   log:       $log"
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  rows+=("$(printf '%-20s %-7s %12s %10s %7s %6s' "$t" "$status" \
    "$(stat number_of_executed_units "$log")" \
    "$(stat average_exec_per_sec "$log")" "${cov:--}" \
    "$(stat new_units_added "$log")")")
done

echo
printf '%-20s %-7s %12s %10s %7s %6s\n' target status execs execs/s cov new
for r in "${rows[@]}"; do echo "$r"; done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz-smoke: FAILED: ${failed[*]} (logs in $root/$build)" >&2
  exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, ${seconds}s each, no crash"
