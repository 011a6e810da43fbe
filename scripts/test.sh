#!/usr/bin/env bash
# README command (2): set up, build, and run the whole test suite under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2 \
  --timeout 900 "$@"
# Hostile input (issue #9): ASan/UBSan suites and the fuzz smoke run
# (about 20 more minutes on 2 cores); always in CI.
if [[ ${CI:-} == true || -n ${CANSWARM_HOSTILE:-} ]]; then
  bash scripts/ci-hostile.sh
fi
