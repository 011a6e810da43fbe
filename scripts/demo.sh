#!/usr/bin/env bash
# The main job: starts a canswarm node on loopback, shows its identity and
# listen addresses, and stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${BUILD_DIR:-build}/runtime/canswarm")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== $("$bin" --version) =="
echo "Starting a node on loopback (key file in $work)"
(cd "$work" && P2P_LISTEN_ADDR=/ip4/127.0.0.1/tcp/0 P2P_MDNS_ENABLED=false \
   P2P_DHT_ENABLED=false P2P_CONTROL_ADDR=/ip4/127.0.0.1/tcp/0 \
   exec "$bin" node) > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 100); do
  grep -q '^Peer Addrs:' "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
cat "$work/out"
if ! grep -q '^Peer Addrs:' "$work/out"; then
  echo "demo: the node did not start:" >&2
  cat "$work/log" >&2
  exit 1
fi
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
echo "-- node log (stderr) --"
cat "$work/log"
if [ "$status" -ne 0 ]; then
  echo "demo: the node exited with status $status" >&2
  exit 1
fi
echo "Node stopped cleanly (exit 0). Look above for the Peer ID and the"
echo "Peer Addrs another node can dial (P2P_BOOTSTRAP_NODES=<addr>)."
