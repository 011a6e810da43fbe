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
#   FUZZ_PARALLEL   targets fuzzed at the same time (default 1)
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

parallel=${FUZZ_PARALLEL:-1}
results=$build/fuzz-smoke-results
rm -rf "$results"
mkdir -p "$results"

# Fuzzes target $1; writes its table row to $results/<target>.row and, on
# failure, the triage lines to $results/<target>.failed.
fuzz_one() {
  local t=$1
  local exe=$build/tests/fuzz/fuzz_$t
  local corpus=tests/fuzz/corpus/$t
  local log=$build/fuzz-$t.log
  local status=ok
  mkdir -p "$scratch/$t"
  local args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
              -rss_limit_mb=2048 -artifact_prefix="$artifacts/$t-")
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict="tests/fuzz/dict/$t.dict")
  if [[ ! -x $exe ]]; then
    echo "   $exe was not built" >"$results/$t.failed"
    printf '%-20s %-7s\n' "$t" MISSING >"$results/$t.row"
    return
  fi
  if ! "$exe" "${args[@]}" "$scratch/$t" "$corpus" >"$log" 2>&1; then
    status=FAILED
    {
      grep -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error|SUMMARY' \
        "$log" | head -5 || true
      local artifact
      artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
      if [[ -n $artifact ]]; then
        echo "   input:     $artifact"
        echo "   reproduce: $exe $artifact"
        echo "   minimise:  $exe -minimize_crash=1 -runs=100000 $artifact"
      fi
      echo "   log:       $log"
    } >"$results/$t.failed"
  fi
  local done_line cov
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  printf '%-20s %-7s %12s %10s %7s %6s\n' "$t" "$status" \
    "$(stat number_of_executed_units "$log")" \
    "$(stat average_exec_per_sec "$log")" "${cov:--}" \
    "$(stat new_units_added "$log")" >"$results/$t.row"
}

running=0
for t in "${targets[@]}"; do
  echo "== fuzz_$t for ${seconds}s"
  fuzz_one "$t" &
  running=$((running + 1))
  if [[ $running -ge $parallel ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=()
for t in "${targets[@]}"; do
  if [[ -f $results/$t.failed || ! -f $results/$t.row ]]; then
    failed+=("$t")
    echo "fuzz_$t FAILED"
    cat "$results/$t.failed" 2>/dev/null || echo "   no result"
  fi
done

echo
printf '%-20s %-7s %12s %10s %7s %6s\n' target status execs execs/s cov new
for t in "${targets[@]}"; do cat "$results/$t.row" 2>/dev/null || true; done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz-smoke: FAILED: ${failed[*]} (logs in $root/$build)" >&2
  exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, ${seconds}s each ($parallel at a time), no crash"
