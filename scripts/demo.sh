#!/usr/bin/env bash
# The main job: starts a canswarm node on loopback, shows its identity and
# listen addresses, and stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD_DIR:-build}/runtime/canswarm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== canswarm $("$bin" --version) =="
echo "Starting a node on loopback (key file and .env in $work)"
(cd "$work" && P2P_LISTEN_ADDR=/ip4/127.0.0.1/tcp/0 P2P_MDNS_ENABLED=false \
   P2P_DHT_ENABLED=false "$OLDPWD/$bin" node) > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 50); do grep -q '^Peer Addrs:' "$work/out" 2>/dev/null && break; sleep 0.1; done
cat "$work/out"
kill -TERM "$pid"
wait "$pid" && echo "Node stopped cleanly (exit 0)."
echo "-- node log --"; cat "$work/log"
