#!/usr/bin/env bash
# Installs what canswarm needs on Debian 12 and is missing, then installs the
# pinned js-libp2p test peers. Idempotent: a second run installs nothing.
# Runs as root (as on the project's machines) or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libcaf-dev libsodium-dev libssl-dev libnats-dev nats-server
  libprotobuf-dev protobuf-compiler libfmt-dev doctest-dev
  prometheus-cpp-dev
  iproute2 iptables procps psmisc python3 python3-yaml
  # Hostile-input checks (scripts/ci-hostile.sh, valgrind-tests.sh): clang
  # with its libFuzzer / sanitizer runtimes, llvm-cov, valgrind.
  clang libclang-rt-14-dev llvm valgrind
)
# Node.js runs the js-libp2p interop peers; keep an existing (newer) one.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

# js-libp2p peers and the official interop suite, pinned by package-lock.json.
for js in tests/interop/js tests/interop/suite; do
  if [ ! -d "$js/node_modules" ] \
     || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $js"
    (cd "$js" && npm ci --no-audit --no-fund --legacy-peer-deps --loglevel=error)
  fi
done
