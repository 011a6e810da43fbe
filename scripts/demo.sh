#!/usr/bin/env bash
# The main job: a local swarm of three canswarm nodes on loopback (node 2
# dials node 1, node 3 dials both), one subscriber agent on node 3 and one
# publisher agent on node 2. The publisher signs CAN Swarm envelopes with
# its own key; the subscriber verifies them (policy gate) and prints one
# JSON line each. Then everything stops. Bounded: about 10 s, at most 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${BUILD_DIR:-build}/runtime/canswarm")
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "demo: $*" >&2
  for n in 1 2 3; do
    [ -f "$work/n$n/log" ] || continue
    echo "-- node $n log (stderr) --" >&2
    tail -n 20 "$work/n$n/log" >&2
  done
  exit 1
}

# start_node N [VAR=VALUE...]: runs node N in $work/nN, waits for its banner
# and its control socket (an OS-chosen port, read back from its log).
start_node() {
  local n=$1
  shift
  mkdir -p "$work/n$n"
  (cd "$work/n$n" && exec env P2P_LISTEN_ADDR=/ip4/127.0.0.1/tcp/0 \
     P2P_MDNS_ENABLED=false P2P_DHT_ENABLED=false \
     P2P_CONTROL_ADDR=/ip4/127.0.0.1/tcp/0 GOSSIPSUB_HEARTBEAT_INTERVAL=0.2 \
     "$@" "$bin" node) > "$work/n$n/out" 2> "$work/n$n/log" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q '^Peer Addrs:' "$work/n$n/out" 2>/dev/null \
      && grep -q 'control API listening on' "$work/n$n/log" 2>/dev/null \
      && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^Peer Addrs:' "$work/n$n/out" || fail "node $n did not start"
  addr[$n]=$(sed -n 's/^Peer Addrs: \([^ ]*\).*/\1/p' "$work/n$n/out")
  control[$n]=$(grep -o 'control API listening on [^ ]*' "$work/n$n/log" \
                | head -n 1 | awk '{print $NF}')
  [ -n "${control[$n]}" ] || fail "node $n has no control socket"
  echo "node $n: ${addr[$n]}  (control ${control[$n]})"
}

declare -a addr control
echo "== $("$bin" --version): a local swarm of 3 nodes =="
start_node 1
start_node 2 P2P_BOOTSTRAP_NODES="${addr[1]}"
start_node 3 P2P_BOOTSTRAP_NODES="${addr[1]},${addr[2]}"
for _ in $(seq 50); do
  [ "$("$bin" peers --control "${control[1]}" | wc -l)" -ge 2 ] && break
  sleep 0.1
done
echo "-- canswarm peers --control ${control[1]} --"
"$bin" peers --control "${control[1]}"

thread="demo-$(date +%s)"
count=3
"$bin" keygen --key-file "$work/agent.key" --log-level ERROR > /dev/null
echo "-- subscriber agent on node 3: thread $thread, every kind --"
"$bin" subscribe --control "${control[3]}" --thread "$thread" \
  --count "$count" --timeout 15 > "$work/received" 2> "$work/sub.err" &
sub=$!
pids+=("$sub")
for _ in $(seq 100); do
  grep -q 'subscribed to' "$work/sub.err" 2>/dev/null && break
  kill -0 "$sub" 2>/dev/null || break
  sleep 0.1
done
grep -q 'subscribed to' "$work/sub.err" || fail "the subscriber did not start"
# Let node 3's subscriptions reach node 2 (gossipsub SUBSCRIBE messages).
sleep 1

echo "-- publisher agent on node 2 --"
kinds=(NEED PROPOSE CLAIM)
for i in $(seq 1 "$count"); do
  kind=${kinds[$((i - 1))]}
  printf '{"step":%d,"text":"%s from the demo agent"}' "$i" "$kind" \
    | "$bin" publish --control "${control[2]}" --key "$work/agent.key" \
        --thread "$thread" --kind "$kind" --lamport "$i" \
    || fail "publish $i failed"
done

status=0
wait "$sub" || status=$?
echo "-- received by the subscriber on node 3 (verified envelopes) --"
cat "$work/received"
grep -v 'subscribed to' "$work/sub.err" >&2 || true
[ "$status" -eq 0 ] || fail "the subscriber exited with status $status"
[ "$(wc -l < "$work/received")" -eq "$count" ] \
  || fail "expected $count envelopes"

echo "-- stopping the swarm --"
for i in 1 2 3; do
  kill -TERM "${pids[$((i - 1))]}"
  rc=0
  wait "${pids[$((i - 1))]}" || rc=$?
  [ "$rc" -eq 0 ] || fail "node $i exited with status $rc"
  echo "node $i stopped cleanly (exit 0)"
done
pids=()
echo "Done: $count envelopes signed on node 2, gossiped, verified on node 3."
