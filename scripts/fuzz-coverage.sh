#!/usr/bin/env bash
# Line coverage of the protocol sources reached by the fuzz corpora alone:
# builds the replay drivers (fuzz_replay_<name>, CANSWARM_FUZZ=OFF) with gcc
# --coverage in BUILD_DIR, clears old counters, replays every target over
# its committed corpus (plus the campaign corpus FUZZ_EXTRA/<name> when
# that directory exists), then prints gcov's "lines executed" for every
# source file under protocols/*/src (a markdown table on stdout; the raw
# gcov summary in $BUILD_DIR/fuzz-coverage.txt).
#
# Usage: scripts/fuzz-coverage.sh [target ...]   (default: every target)
# Environment: BUILD_DIR (build-coverage), JOBS (nproc),
#   FUZZ_EXTRA (extra corpus root, e.g. build-fuzz/campaign).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD_DIR:-build-coverage}
jobs=${JOBS:-$(nproc)}
extra=${FUZZ_EXTRA:-}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS=--coverage -DCMAKE_CXX_FLAGS=--coverage \
  -DCMAKE_EXE_LINKER_FLAGS=--coverage >/dev/null
if grep -q '^CANSWARM_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz-coverage: $build has CANSWARM_FUZZ=ON; use a gcc build" >&2
  exit 2
fi
cmake --build "$build" --target fuzz_all -j"$jobs"
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < "$build/tests/fuzz/fuzz_targets.txt"
fi

find "$build" -name '*.gcda' -delete
for t in "${targets[@]}"; do
  dirs=("tests/fuzz/corpus/$t")
  [[ -n $extra && -d $extra/$t ]] && dirs+=("$extra/$t")
  n=$(find "${dirs[@]}" -type f | wc -l)
  echo "fuzz-coverage: $t over $n inputs" >&2
  "$build/tests/fuzz/fuzz_replay_$t" "${dirs[@]}" >/dev/null
done

# gcov per object directory of the protocol libraries.
summary=$build/fuzz-coverage.txt
: >"$summary"
while IFS= read -r objdir; do
  (cd "$objdir" && gcov -n ./*.gcda 2>/dev/null) >>"$summary" || true
done < <(find "$build/protocols" -type d -path '*CMakeFiles/canswarm_*.dir/src')

echo "| file | lines | covered |"
echo "|---|---:|---:|"
awk -v root="$root/" '
  /^File / { f = $2; gsub(/\047/, "", f); next }
  /^Lines executed:/ {
    split($2, a, ":"); pct = a[2]; n = $4
    if (f ~ /\/protocols\/[^\/]+\/src\// && !(f in seen)) {
      seen[f] = 1; sub(root, "", f)
      printf "| %s | %d | %s |\n", f, n, pct
    }
  }' "$summary" | sort
