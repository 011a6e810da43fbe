#!/usr/bin/env bash
# The main job: a local swarm of three canswarm nodes on loopback (node 2
# dials node 1, node 3 dials both; no NATS). Three agents, each with its own
# Ed25519 key and attached to its own node, run one coordination thread
# NEED -> PROPOSE -> CLAIM -> COMMIT -> ATTEST -> DECIDE -> FINALIZE: each
# waits until the previous step arrived, verified, at its node, then signs
# and publishes the next one with its Lamport clock one past what it saw.
# Then a forged envelope (signature tampered after signing) is published and
# shown rejected by the other nodes' ingress gates with its reason, each
# node prints its stats, and everything stops. Bounded: about 10 s, at most
# 30 s; exit status 0 only if every check held.
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
# The thread: step -> (agent, kind). Agent a (requester) is on node 1, b
# (worker) on node 2, c (verifier) on node 3.
steps=(a:NEED b:PROPOSE b:CLAIM b:COMMIT c:ATTEST a:DECIDE a:FINALIZE)
declare -A node_of=([a]=1 [b]=2 [c]=3) role=([a]=requester [b]=worker [c]=verifier)
for agent in a b c; do
  "$bin" keygen --key-file "$work/agent-$agent.key" --log-level ERROR > /dev/null
done
# Every node's subscriber sees every step: those of the other nodes, and
# those its own node's agents published (the bus delivers them locally).
declare -a expect=(0 ${#steps[@]} ${#steps[@]} ${#steps[@]})

echo "-- one subscriber per node on thread $thread (every kind, verified) --"
subs=()
for n in 1 2 3; do
  "$bin" subscribe --control "${control[$n]}" --thread "$thread" \
    --count "${expect[$n]}" --timeout 20 > "$work/received$n" \
    2> "$work/sub$n.err" &
  subs+=($!)
  pids+=($!)
done
for n in 1 2 3; do
  for _ in $(seq 100); do
    grep -q 'subscribed to' "$work/sub$n.err" 2>/dev/null && break
    sleep 0.1
  done
  grep -q 'subscribed to' "$work/sub$n.err" \
    || fail "the subscriber on node $n did not start"
done
# Let the subscriptions reach the other nodes (gossipsub SUBSCRIBE).
sleep 1

# wait_for N KIND: until node N's subscriber printed an envelope of KIND.
wait_for() {
  for _ in $(seq 100); do
    grep -q "\"kind\":\"$2\"" "$work/received$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "node $1 never received the $2 envelope"
}

echo "-- the thread: each agent reacts to the previous step --"
lamport=0
prev_node=0
prev_kind=""
for step in "${steps[@]}"; do
  agent=${step%%:*}
  kind=${step#*:}
  n=${node_of[$agent]}
  if [ -n "$prev_kind" ] && [ "$prev_node" -ne "$n" ]; then
    wait_for "$n" "$prev_kind"
  fi
  lamport=$((lamport + 1)) # observe (max seen) then tick
  printf '{"step":"%s","by":"%s"}' "$kind" "${role[$agent]}" \
    | "$bin" publish --control "${control[$n]}" --key "$work/agent-$agent.key" \
        --thread "$thread" --kind "$kind" --lamport "$lamport" \
        > "$work/published" || fail "publish of $kind failed"
  echo "  agent $agent (${role[$agent]}, node $n) published $kind, lamport $lamport:" \
       "$(cat "$work/published")"
  prev_node=$n
  prev_kind=$kind
done

status=0
for i in 0 1 2; do
  n=$((i + 1))
  rc=0
  wait "${subs[$i]}" || rc=$?
  [ "$rc" -eq 0 ] || { status=$rc; echo "subscriber on node $n exited $rc" >&2; }
  got=$(wc -l < "$work/received$n")
  echo "-- node $n's subscriber: $got verified envelopes (expected ${expect[$n]}) --"
  cat "$work/received$n"
  [ "$got" -eq "${expect[$n]}" ] || fail "node $n: expected ${expect[$n]} envelopes"
done
[ "$status" -eq 0 ] || fail "a subscriber failed"

echo "-- a forged envelope: agent c signs a CHALLENGE, then its signature is tampered with --"
# Watchers on nodes 1 and 2 keep the CHALLENGE topic joined (its score
# counters live as long as the node is in the topic) and must print nothing.
watchers=()
for n in 1 2; do
  "$bin" subscribe --control "${control[$n]}" --thread "$thread" \
    --kind CHALLENGE --timeout 8 > "$work/forged$n" 2> "$work/forged$n.err" &
  watchers+=($!)
  pids+=($!)
done
for n in 1 2; do
  for _ in $(seq 100); do
    grep -q 'subscribed to' "$work/forged$n.err" 2>/dev/null && break
    sleep 0.05
  done
done
sleep 0.5
echo '{"claim":"the work is wrong"}' \
  | "$bin" publish --control "${control[3]}" --key "$work/agent-c.key" \
      --thread "$thread" --kind CHALLENGE --lamport $((lamport + 1)) \
      --forge signature > /dev/null 2> "$work/forge.err" \
  || fail "the forged publish failed"
cat "$work/forge.err"
for n in 1 2; do
  line=""
  for _ in $(seq 60); do
    line=$(grep -m1 'rejected: bad_signature' "$work/n$n/log") && break
    sleep 0.05
  done
  [ -n "$line" ] || fail "node $n did not log the rejection"
  echo "  node $n rejected it:${line#*WARNING}"
done

echo "-- stats of each node (canswarm stats --control ...) --"
for n in 1 2 3; do
  "$bin" stats --control "${control[$n]}" > "$work/stats$n" \
    || fail "canswarm stats failed on node $n"
  python3 - "$n" "$work/stats$n" <<'PY' || fail "node $n: bad stats"
import json, sys
n, doc = sys.argv[1], json.load(open(sys.argv[2]))
ps, env = doc["pubsub"], doc["envelopes"]
rej = ", ".join(f"{k}: {v}" for k, v in env["rejected"].items()) or "none"
scores = ", ".join(f"..{p['peer'][-6:]} {p['score']:+.1f}" for p in ps["peers"])
print(f"  node {n} (..{doc['peer_id'][-6:]}): {doc['connected_peers']} peers |"
      f" envelopes out {ps['published']}, in {env['accepted']} |"
      f" rejected {env['rejected_total']} ({rej}) | peer scores {scores}")
PY
done
python3 - "$work" <<'PY' || fail "the stats do not add up"
import json, sys
docs = [json.load(open(f"{sys.argv[1]}/stats{n}")) for n in (1, 2, 3)]
assert all(d["connected_peers"] == 2 for d in docs), "every node has 2 peers"
assert docs[2]["pubsub"]["published"] == 2, "node 3 published ATTEST + forged"
for d in docs[:2]:
    assert d["envelopes"]["rejected"].get("bad_signature") == 1, d["envelopes"]
    forger = next(p for p in d["pubsub"]["peers"] if p["peer"] == docs[2]["peer_id"])
    assert forger["score"] < 0, f"node 3's score did not drop: {forger}"
PY
echo "  (nodes 1 and 2 scored node 3 down for forwarding the forged envelope)"
for w in "${watchers[@]}"; do kill -TERM "$w" 2>/dev/null || true; done
for w in "${watchers[@]}"; do wait "$w" 2>/dev/null || true; done
for n in 1 2; do
  [ ! -s "$work/forged$n" ] || fail "node $n delivered the forged envelope"
done
echo "  no subscriber received the forged envelope"

echo "-- stopping the swarm --"
for i in 1 2 3; do
  kill -TERM "${pids[$((i - 1))]}"
  rc=0
  wait "${pids[$((i - 1))]}" || rc=$?
  [ "$rc" -eq 0 ] || fail "node $i exited with status $rc"
  echo "node $i stopped cleanly (exit 0)"
done
pids=()
echo "Done: ${#steps[@]} envelopes from 3 agents on 3 nodes, each verified where it"
echo "arrived; the forged one rejected (bad_signature) and never delivered."
echo "Look at: the lamport order of the thread above, the rejection lines, and"
echo "each node's stats (envelopes in/out, rejections by reason, peer scores)."
