#!/usr/bin/env bash
# Runs test suites under valgrind memcheck (issue #9): configures and builds
# the selected test executables in a normal (non-sanitizer) build, runs each
# suite's ctest command under memcheck, and fails on any memcheck error or
# definitely / indirectly lost block. Prints one line per suite (errors,
# definite leaks, seconds) and a summary line.
#
# Usage: scripts/valgrind-tests.sh [ctest regex]
#   default regex: ^(protocols_[a-z0-9]*|regression_.*|config)$ (every
#   protocol unit suite; the *_sim simulations take many minutes under
#   memcheck and are left out)
# Environment: BUILD_DIR (build-valgrind), JOBS (nproc), VALGRIND_PARALLEL
#   (suites at once, default nproc), VALGRIND_ARGS (extra valgrind options).
# Logs: $BUILD_DIR/valgrind/<suite>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-valgrind}
regex=${1:-'^(protocols_[a-z0-9]*|regression_.*|config)$'}
jobs=${JOBS:-$(nproc)}
parallel=${VALGRIND_PARALLEL:-$(nproc)}
command -v valgrind >/dev/null \
  || { echo "valgrind-tests: valgrind not found (run scripts/setup.sh)" >&2
       exit 2; }
start=$(date +%s)

cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
if grep -q '^CANSWARM_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "valgrind-tests: $build is a sanitizer build; use another" >&2
  exit 2
fi
# ctest leaves a test's command out until its executable exists, so the
# executables are built first: every suite registered with canswarm_test
# runs its target test_<name>.
mapfile -t names < <(ctest --test-dir "$build" -R "$regex" --show-only=json-v1 \
  | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    print(t["name"])
')
if [[ ${#names[@]} -eq 0 ]]; then
  echo "valgrind-tests: no test matches '$regex'" >&2
  exit 2
fi
targets=$(ninja -C "$build" -t targets all | sed -n 's/^\(test_[^:]*\): .*/\1/p')
exes=()
for n in "${names[@]}"; do
  if grep -qx "test_$n" <<<"$targets"; then
    exes+=("test_$n")
  else
    echo "valgrind-tests: $n has no test_$n target (not a canswarm_test" \
      "suite); its executable may be missing" >&2
  fi
done
echo "valgrind-tests: building ${#exes[@]} test executables"
if [[ ${#exes[@]} -gt 0 ]]; then
  cmake --build "$build" -j"$jobs" --target "${exes[@]}"
fi
# One line per suite: name <TAB> working dir <TAB> env (;-separated)
# <TAB> command (unit-separator-separated).
list=$build/valgrind-suites.tsv
ctest --test-dir "$build" -R "$regex" --show-only=json-v1 | python3 -c '
import json, sys
missing = []
for t in json.load(sys.stdin)["tests"]:
    if "command" not in t:
        missing.append(t["name"])
        continue
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    env = ";".join(props.get("ENVIRONMENT", []))
    wd = props.get("WORKING_DIRECTORY", ".")
    print(t["name"], wd, env, "\x1f".join(t["command"]), sep="\t")
if missing:
    sys.exit("valgrind-tests: no executable for " + ", ".join(missing))
' >"$list"
built=$(date +%s)

logs=$build/valgrind
rm -rf "$logs"
mkdir -p "$logs"
# shellcheck disable=SC2206
vg=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --track-origins=no ${VALGRIND_ARGS:-})

# Runs suite line $1 of the list under valgrind; writes <suite>.result.
run_suite() {
  local name wd env cmd
  IFS=$'\t' read -r name wd env cmd <<<"$1"
  local -a argv envs
  IFS=$'\x1f' read -r -a argv <<<"$cmd"
  IFS=';' read -r -a envs <<<"$env"
  local t0 rc=0
  t0=$(date +%s)
  (cd "$wd" && env "${envs[@]}" "${vg[@]}" --log-file="$root/$logs/$name.vg" \
     "${argv[@]}" >"$root/$logs/$name.log" 2>&1) || rc=$?
  local errors definite
  errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
    "$logs/$name.vg" | tail -1)
  definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' \
    "$logs/$name.vg" | tail -1 | tr -d ,)
  printf '%-28s rc=%-3s errors=%-4s definitely_lost=%-8s %5ss\n' "$name" \
    "$rc" "${errors:-?}" "${definite:-0}" "$(($(date +%s) - t0))" \
    >"$logs/$name.result"
  [[ $rc -eq 0 ]] || touch "$logs/$name.failed"
}
root=$PWD

running=0
while IFS= read -r line; do
  run_suite "$line" &
  running=$((running + 1))
  if [[ $running -ge $parallel ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done <"$list"
wait

cat "$logs"/*.result
end=$(date +%s)
shopt -s nullglob
failed=("$logs"/*.failed)
total=$(wc -l <"$list")
echo "valgrind-tests: build $((built - start))s, memcheck $((end - built))s" \
  "(regex '$regex', logs in $logs)"
if [[ ${#failed[@]} -gt 0 ]]; then
  for f in "${failed[@]}"; do
    n=$(basename "$f" .failed)
    echo "valgrind-tests: FAILED $n (see $logs/$n.vg and $logs/$n.log)" >&2
  done
  exit 1
fi
echo "valgrind-tests: $total passed, 0 failed"
