#!/usr/bin/env bash
# Long local fuzzing campaign over the tests/fuzz targets (clang, ASan,
# UBSan, build dir build-fuzz). Each target runs for the given time on its
# committed corpus plus a scratch corpus that collects the new entries;
# crashes stop that target and are kept for triage. The committed corpus is
# only read, unless --merge is given: then inputs that add coverage are
# merged into tests/fuzz/corpus/<target>/ (libFuzzer -merge=1) at the end.
#
# Usage: scripts/fuzz-campaign.sh [-t seconds] [-j workers] [--merge]
#                                 [target[=seconds] ...]
#   -t seconds   time per target (default 600); target=seconds overrides it
#   -j workers   parallel libFuzzer workers per target (default 1)
#   --merge      merge coverage-increasing scratch entries into the corpus
# Environment: BUILD_DIR (build-fuzz), JOBS (build parallelism, 2),
#   FUZZ_SCRATCH (scratch root, default $BUILD_DIR/campaign).
# Triage a crash: reproduce with `<exe> <input>`, minimise with
# `<exe> -minimize_crash=1 -runs=100000 <input>`, then commit the minimised
# input as tests/fuzz/corpus/<target>/crash-<what> so fuzz_replay_<target>
# keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-fuzz}
seconds=600
workers=1
merge=0
specs=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -t) seconds=$2; shift 2 ;;
    -j) workers=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) specs+=("$1"); shift ;;
  esac
done
scratch=${FUZZ_SCRATCH:-$build/campaign}
artifacts=$scratch/artifacts/$(date +%Y%m%d-%H%M%S)

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja \
  -DCANSWARM_FUZZ=ON -DCANSWARM_SANITIZE=ON >/dev/null
cmake --build "$build" --target fuzz_all -j"${JOBS:-2}"
if [[ ${#specs[@]} -eq 0 ]]; then
  mapfile -t specs < "$build/tests/fuzz/fuzz_targets.txt"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

crashed=()
for spec in "${specs[@]}"; do
  t=${spec%%=*}
  time=$seconds
  [[ $spec == *=* ]] && time=${spec#*=}
  exe=$build/tests/fuzz/fuzz_$t
  corpus=tests/fuzz/corpus/$t
  mkdir -p "$scratch/$t" "$artifacts"
  args=(-max_total_time="$time" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -artifact_prefix="$artifacts/$t-")
  [[ -f tests/fuzz/dict/$t.dict ]] && args+=(-dict="tests/fuzz/dict/$t.dict")
  if [[ $workers -gt 1 ]]; then
    args+=(-fork="$workers" -ignore_crashes=1)
  fi
  echo "== fuzz_$t for ${time}s (log $scratch/$t.log)"
  if ! "$exe" "${args[@]}" "$scratch/$t" "$corpus" >"$scratch/$t.log" 2>&1
  then
    crashed+=("$t")
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
    "$scratch/$t.log" | tr '\n' ' '
  echo
  if [[ $merge -eq 1 ]]; then
    "$exe" -merge=1 "$corpus" "$scratch/$t" >"$scratch/$t.merge.log" 2>&1
    echo "   merged: $(grep -o 'MERGE-OUTER: [0-9]* new files' \
      "$scratch/$t.merge.log" || echo 'see merge log')"
  fi
done

shopt -s nullglob
found=("$artifacts"/*)
if [[ ${#crashed[@]} -gt 0 || ${#found[@]} -gt 0 ]]; then
  echo "fuzz-campaign: failing targets: ${crashed[*]:-none}" >&2
  printf '  %s\n' "${found[@]}" >&2
  exit 1
fi
echo "fuzz-campaign: no crash; new entries under $scratch"
