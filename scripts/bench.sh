#!/usr/bin/env bash
# Runs every benchmark program (bench_*) built in the build directory and
# prints their tables. Benchmarks report missed targets but do not fail on
# them; this script exits nonzero only if a benchmark failed to run.
#
# Usage: scripts/bench.sh [name-filter]   e.g. scripts/bench.sh connection
# Environment: BUILD_DIR (build). Build the programs first, e.g.
#   ninja -C build bench_connection bench_nats bench_pubsub
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
filter=${1:-}
export CANSWARM_SOURCE_DIR=${CANSWARM_SOURCE_DIR:-$PWD}

if [[ ! -d "$build" ]]; then
  echo "bench.sh: no build directory '$build' (set BUILD_DIR)" >&2
  exit 2
fi
mapfile -t programs < <(find "$build" -type f -executable -name 'bench_*' \
  -not -path '*/CMakeFiles/*' | sort)
if [[ -n "$filter" ]]; then
  mapfile -t programs < <(printf '%s\n' "${programs[@]}" | grep -- "$filter" || true)
fi
if [[ ${#programs[@]} -eq 0 || -z "${programs[0]}" ]]; then
  echo "bench.sh: no bench_* programs in '$build'; build them first" >&2
  exit 2
fi

failed=()
for prog in "${programs[@]}"; do
  echo "# $(basename "$prog")"
  echo
  start=$(date +%s)
  if "$prog"; then
    echo
    echo "($(basename "$prog"): $(( $(date +%s) - start )) s)"
  else
    rc=$?
    echo "bench.sh: $(basename "$prog") failed with status $rc" >&2
    failed+=("$(basename "$prog")")
  fi
  echo
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "bench.sh: failed: ${failed[*]}" >&2
  exit 1
fi
