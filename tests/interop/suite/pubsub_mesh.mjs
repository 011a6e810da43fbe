// A mixed gossipsub mesh on loopback (issue #5): canswarm p2pd processes
// (-pubsub, driven through their p2pd control API) and in-process js-libp2p
// nodes (@libp2p/gossipsub, StrictSign) join one topic; every node
// publishes distinct messages and every node must receive every message
// published by every OTHER node exactly once, signed by its publisher,
// within a bounded time.
//
// Topology (one connected graph mixing both kinds): every js node dials
// every canswarm node; canswarm i connects to canswarm i-1 through its
// control API (CONNECT); js i dials js i-1.
//
// Prints one JSON line on stdout (the summary) and exits 0 only when no
// message is missing, duplicated, unsigned, attributed to the wrong origin
// or unknown. Progress goes to stderr. The canswarm children are always
// killed (SIGTERM, then SIGKILL), also on error, timeout or a signal.
//
// Environment:
//   CANSWARM_BINARY        the canswarm executable (required when
//                          PUBSUB_MESH_CANSWARM > 0)
//   PUBSUB_MESH_CANSWARM   canswarm nodes (default 3)
//   PUBSUB_MESH_JS         js-libp2p nodes (default 3)
//   PUBSUB_MESH_MESSAGES   messages each node publishes (default 20)
//   PUBSUB_MESH_TIMEOUT_MS how long delivery may take after the last
//                          publish (default 30000)
//   PUBSUB_MESH_DEADLINE_MS the whole run, setup included (default 120000)
//   CANSWARM_SHOW_LOGS     set: the canswarm logs go to stderr, each line
//                          prefixed with the node's name, at LOG_LEVEL
//                          (default DEBUG when set, WARNING otherwise)
//   PUBSUB_MESH_LOG_DIR    set: each canswarm's stderr also goes to
//                          <dir>/cs<i>.log
import './polyfill.mjs'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { createClient } from '@libp2p/daemon-client'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'

function intEnv (name, dflt, min) {
  const raw = process.env[name]
  if (raw == null || raw === '') return dflt
  const v = Number(raw)
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, not ${raw}`)
  return v
}

const nCanswarm = intEnv('PUBSUB_MESH_CANSWARM', 3, 0)
const nJs = intEnv('PUBSUB_MESH_JS', 3, 0)
const nMessages = intEnv('PUBSUB_MESH_MESSAGES', 20, 1)
const deliveryTimeout = intEnv('PUBSUB_MESH_TIMEOUT_MS', 30000, 1000)
const deadline = intEnv('PUBSUB_MESH_DEADLINE_MS', 120000, 10000)
const showLogs = process.env.CANSWARM_SHOW_LOGS != null && process.env.CANSWARM_SHOW_LOGS !== ''
const logDir = process.env.PUBSUB_MESH_LOG_DIR
const binary = process.env.CANSWARM_BINARY
const topic = 'canswarm-pubsub-mesh'
// How long after the last delivery we keep listening for duplicates.
const duplicateWindow = 2000

const t0 = Date.now()
function progress (msg) {
  process.stderr.write(`[pubsub_mesh +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`)
}

const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))

async function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/// Polls `check` (async, returns truthy when done) every `every` ms until
/// it succeeds or `limit` ms pass; then throws with `what()`.
async function waitFor (check, limit, what, every = 200) {
  const end = Date.now() + limit
  for (;;) {
    if (await check()) return
    if (Date.now() >= end) throw new Error(`timed out after ${limit} ms: ${what()}`)
    await sleep(every)
  }
}

// Every canswarm child, so that every exit path can kill it.
const children = new Set()

function killChildrenNow (sig) {
  for (const proc of children) {
    if (proc.exitCode == null && proc.signalCode == null) {
      try { proc.kill(sig) } catch {}
    }
  }
}

async function stopChild (proc) {
  if (proc.exitCode != null || proc.signalCode != null) { children.delete(proc); return }
  const exited = new Promise(resolve => proc.once('exit', resolve))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => { try { proc.kill('SIGKILL') } catch {} }, 5000)
  await exited
  clearTimeout(timer)
  children.delete(proc)
}

process.on('exit', () => killChildrenNow('SIGKILL'))
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    progress(`got ${sig}: killing ${children.size} canswarm process(es)`)
    killChildrenNow('SIGKILL')
    process.exit(1)
  })
}

async function startCanswarm (index) {
  if (!binary) throw new Error('CANSWARM_BINARY is not set')
  const name = `cs${index}`
  const control = `/ip4/127.0.0.1/tcp/${await freePort()}`
  const args = ['p2pd', `-listen=${control}`, '-hostAddrs=/ip4/127.0.0.1/tcp/0', '-pubsub']
  const proc = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? (showLogs ? 'DEBUG' : 'WARNING') }
  })
  children.add(proc)
  const logFile = logDir ? fs.createWriteStream(path.join(logDir, `${name}.log`)) : null
  let partial = ''
  proc.stderr.on('data', (buf) => {
    logFile?.write(buf)
    if (!showLogs) return
    partial += buf.toString()
    const lines = partial.split('\n')
    partial = lines.pop()
    for (const line of lines) process.stderr.write(`[${name}] ${line}\n`)
  })
  proc.on('exit', () => logFile?.end())
  await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${name}: canswarm p2pd did not start within 15 s: ${out}`)), 15000)
    const onExit = (code, sig) => { clearTimeout(timer); reject(new Error(`${name}: canswarm p2pd exited (${code ?? sig}) at start: ${out}`)) }
    proc.stdout.on('data', (buf) => {
      out += buf.toString()
      if (out.includes('Control socket:')) {
        clearTimeout(timer)
        proc.removeListener('exit', onExit)
        resolve()
      }
    })
    proc.once('exit', onExit)
  })
  proc.stdout.resume()
  proc.on('exit', (code, sig) => {
    if (!stopping) progress(`${name}: canswarm p2pd exited unexpectedly (${code ?? sig})`)
  })
  const client = createClient(multiaddr(control))
  // @libp2p/daemon-client 10 dials the control socket with
  // AbortSignal.timeout(10 s) and @libp2p/tcp hands that signal to
  // net.connect, which destroys the socket when it fires: every control
  // connection, the long-lived SUBSCRIBE one included, is cut 10 s after it
  // was opened ("The operation was aborted"). Give them the whole run.
  const connectDaemon = client.connectDaemon.bind(client)
  client.connectDaemon = (signal) => connectDaemon(signal ?? AbortSignal.timeout(deadline))
  const id = await client.identify()
  const addrs = id.addrs.filter(a => a.toString().startsWith('/ip4/127.0.0.1/tcp/'))
  if (addrs.length === 0) throw new Error(`${name}: no /ip4/127.0.0.1/tcp address in IDENTIFY: ${id.addrs.join(' ')}`)
  return { name, kind: 'canswarm', proc, client, peerId: id.peerId, addrs, subscription: null }
}

async function startJs (index) {
  const name = `js${index}`
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        emitSelf: false,
        allowPublishToZeroTopicPeers: false
      })
    }
  })
  return { name, kind: 'js', node, peerId: node.peerId, addrs: node.getMultiaddrs() }
}

let stopping = false
const nodes = []

async function stopAll () {
  stopping = true
  await Promise.all(nodes.map(async (n) => {
    try {
      if (n.kind === 'canswarm') {
        if (n.subscription != null) await n.subscription.cancel().catch(() => {})
        await stopChild(n.proc)
      } else {
        await n.node.stop()
      }
    } catch (err) {
      progress(`${n.name}: stop failed: ${err.message}`)
    }
  }))
  killChildrenNow('SIGKILL')
}

// Per receiving node: stats and message counts by payload.
function newStats (node) {
  return { node, counts: new Map(), self: 0, unknown: 0, wrongOrigin: 0, unsigned: 0, wrongTopic: 0, lastAt: 0 }
}

const published = new Map() // payload -> publisher name
const decoder = new TextDecoder()

function record (stats, payloadBytes, fromPeerId, signed, topics) {
  const payload = decoder.decode(payloadBytes)
  stats.lastAt = Date.now()
  const publisher = published.get(payload) ?? expectedPublisher(payload)
  if (publisher == null) { stats.unknown++; return }
  if (publisher === stats.node.name) { stats.self++; return }
  const origin = nodes.find(n => n.name === publisher)
  if (fromPeerId == null || !fromPeerId.equals(origin.peerId)) stats.wrongOrigin++
  if (!signed) stats.unsigned++
  if (!topics.includes(topic)) stats.wrongTopic++
  stats.counts.set(payload, (stats.counts.get(payload) ?? 0) + 1)
}

// Payloads are `<run>/<publisher>/<index>`: a message may arrive before its
// publish() call returned.
const runId = Math.random().toString(36).slice(2, 10)
function payloadOf (name, i) { return `${runId}/${name}/${i}` }
function expectedPublisher (payload) {
  const parts = payload.split('/')
  if (parts.length !== 3 || parts[0] !== runId) return null
  const n = nodes.find(x => x.name === parts[1])
  const i = Number(parts[2])
  if (n == null || !Number.isInteger(i) || i < 0 || i >= nMessages) return null
  return n.name
}

function neighbours () {
  // name -> Set of neighbour names (the dials below).
  const adj = new Map(nodes.map(n => [n.name, new Set()]))
  const link = (a, b) => { adj.get(a.name).add(b.name); adj.get(b.name).add(a.name) }
  const cs = nodes.filter(n => n.kind === 'canswarm')
  const js = nodes.filter(n => n.kind === 'js')
  for (const j of js) for (const c of cs) link(j, c)
  for (let i = 1; i < cs.length; i++) link(cs[i], cs[i - 1])
  for (let i = 1; i < js.length; i++) link(js[i], js[i - 1])
  return adj
}

async function topicPeersOf (n) {
  const ids = n.kind === 'js'
    ? n.node.services.pubsub.getSubscribers(topic)
    : await n.client.pubsub.getSubscribers(topic)
  return new Set(ids.map(id => id.toString()))
}

async function main () {
  if (nCanswarm + nJs < 2) throw new Error('the mesh needs at least 2 nodes')
  progress(`starting ${nCanswarm} canswarm p2pd and ${nJs} js-libp2p nodes`)
  for (let i = 0; i < nCanswarm; i++) nodes.push(await startCanswarm(i))
  for (let i = 0; i < nJs; i++) nodes.push(await startJs(i))
  for (const n of nodes) progress(`${n.name} (${n.kind}) ${n.peerId} ${n.addrs.map(String).join(' ')}`)

  const adj = neighbours()
  const byName = new Map(nodes.map(n => [n.name, n]))
  const cs = nodes.filter(n => n.kind === 'canswarm')
  const js = nodes.filter(n => n.kind === 'js')
  for (const j of js) {
    for (const c of cs) await j.node.dial(c.addrs[0].encapsulate(`/p2p/${c.peerId}`))
  }
  for (let i = 1; i < cs.length; i++) await cs[i].client.connect(cs[i - 1].peerId, cs[i - 1].addrs)
  for (let i = 1; i < js.length; i++) await js[i].node.dial(js[i - 1].addrs[0])
  progress('connected')

  // Subscribe everyone, with the receive side in place first.
  const stats = new Map(nodes.map(n => [n.name, newStats(n)]))
  const readers = []
  for (const n of nodes) {
    const st = stats.get(n.name)
    if (n.kind === 'js') {
      n.node.services.pubsub.addEventListener('message', (evt) => {
        const m = evt.detail
        record(st, m.data, m.type === 'signed' ? m.from : null,
          m.type === 'signed' && m.signature?.length > 0 && m.key != null, [m.topic])
      })
      n.node.services.pubsub.subscribe(topic)
    } else {
      n.subscription = await n.client.pubsub.subscribe(topic)
      readers.push((async () => {
        try {
          for await (const m of n.subscription.messages()) {
            let from = null
            try { if (m.from?.length > 0) from = peerIdFromMultihash(Digest.decode(m.from)) } catch {}
            record(st, m.data ?? new Uint8Array(), from,
              m.signature?.length > 0 && m.seqno?.length > 0, m.topicIDs ?? [])
          }
        } catch (err) {
          if (!stopping) { progress(`${n.name}: subscription ended: ${err.message}`); st.readerError = err.message }
        }
      })())
    }
  }
  progress(`subscribed to ${topic}`)

  // Every node must see each neighbour subscribed to the topic.
  const missingTopicPeers = async () => {
    const out = {}
    for (const n of nodes) {
      const seen = await topicPeersOf(n)
      const lacking = [...adj.get(n.name)].filter(m => !seen.has(byName.get(m).peerId.toString()))
      if (lacking.length > 0) out[n.name] = lacking
    }
    return out
  }
  let lastMissing = {}
  await waitFor(async () => {
    lastMissing = await missingTopicPeers()
    return Object.keys(lastMissing).length === 0
  }, 20000, () => `topic peers not seen: ${JSON.stringify(lastMissing)}`)
  progress('every node sees its neighbours on the topic')

  // js nodes: their mesh for the topic should hold at least
  // min(neighbours, D_lo = 4) neighbours (JOIN grafts up to D topic peers
  // it knows then; the heartbeat grafts more only below D_lo). canswarm's
  // mesh is not visible through the control API, so give its heartbeat
  // (1 s) two rounds.
  let meshes = {}
  await waitFor(async () => {
    meshes = {}
    for (const j of js) {
      const mesh = new Set(j.node.services.pubsub.getMeshPeers(topic))
      const near = [...adj.get(j.name)]
      const inMesh = near.filter(m => mesh.has(byName.get(m).peerId.toString()))
      if (inMesh.length < Math.min(near.length, 4)) {
        meshes[j.name] = near.filter(m => !inMesh.includes(m))
      }
    }
    return Object.keys(meshes).length === 0
  }, 15000, () => `js mesh lacks neighbours: ${JSON.stringify(meshes)}`)
  await sleep(2000)
  progress('meshes formed; publishing')

  // Publish: every node its nMessages, nodes in parallel.
  const publishErrors = []
  const tPublish = Date.now()
  await Promise.all(nodes.map(async (n) => {
    for (let i = 0; i < nMessages; i++) {
      const payload = payloadOf(n.name, i)
      published.set(payload, n.name)
      const data = new TextEncoder().encode(payload)
      try {
        if (n.kind === 'js') await n.node.services.pubsub.publish(topic, data)
        else await n.client.pubsub.publish(topic, data)
      } catch (err) {
        publishErrors.push(`${n.name}#${i}: ${err.message}`)
      }
    }
  }))
  const tPublished = Date.now()
  progress(`published ${published.size} messages in ${tPublished - tPublish} ms` +
    (publishErrors.length > 0 ? ` (${publishErrors.length} failed)` : ''))

  const expectedFor = (n) => [...published.entries()].filter(([, p]) => p !== n.name).map(([payload]) => payload)
  const complete = () => nodes.every(n => {
    const counts = stats.get(n.name).counts
    return expectedFor(n).every(p => counts.has(p))
  })
  const deliveryEnd = tPublished + deliveryTimeout
  while (!complete() && Date.now() < deliveryEnd) await sleep(100)
  const tComplete = complete() ? Date.now() : null
  progress(tComplete != null
    ? `all delivered ${tComplete - tPublished} ms after the last publish; watching ${duplicateWindow} ms for duplicates`
    : `delivery incomplete after ${deliveryTimeout} ms`)
  await sleep(duplicateWindow)

  const perNode = nodes.map(n => {
    const st = stats.get(n.name)
    const expected = expectedFor(n)
    const missing = expected.filter(p => !st.counts.has(p))
    let duplicates = 0
    let received = 0
    for (const [, c] of st.counts) { received += c; duplicates += c - 1 }
    const missingFrom = {}
    for (const p of missing) {
      const pub = published.get(p)
      missingFrom[pub] = (missingFrom[pub] ?? 0) + 1
    }
    return {
      name: n.name,
      kind: n.kind,
      expected: expected.length,
      received,
      missing: missing.length,
      duplicates,
      self: st.self,
      unknown: st.unknown,
      wrong_origin: st.wrongOrigin,
      unsigned: st.unsigned,
      wrong_topic: st.wrongTopic,
      ...(missing.length > 0 ? { missing_from: missingFrom } : {}),
      ...(st.readerError ? { reader_error: st.readerError } : {})
    }
  })
  const sum = (k) => perNode.reduce((a, x) => a + x[k], 0)
  const summary = {
    summary: 'pubsub_mesh',
    canswarm: nCanswarm,
    js: nJs,
    messages_per_node: nMessages,
    published: published.size,
    publish_errors: publishErrors.length,
    expected_total: sum('expected'),
    received_total: sum('received'),
    missing_total: sum('missing'),
    duplicates_total: sum('duplicates'),
    self_total: sum('self'),
    invalid_total: sum('unknown') + sum('wrong_origin') + sum('unsigned') + sum('wrong_topic'),
    delivery_ms: tComplete != null ? tComplete - tPublished : null,
    nodes: perNode
  }
  summary.ok = summary.publish_errors === 0 && summary.missing_total === 0 &&
    summary.duplicates_total === 0 && summary.invalid_total === 0 &&
    summary.received_total === summary.expected_total && tComplete != null
  if (publishErrors.length > 0) progress(`publish errors: ${publishErrors.slice(0, 10).join('; ')}`)
  process.stdout.write(JSON.stringify(summary) + '\n')
  await stopAll()
  await Promise.race([Promise.all(readers), sleep(2000)])
  return summary.ok
}

const watchdog = setTimeout(() => {
  progress(`deadline of ${deadline} ms passed: killing everything`)
  process.stdout.write(JSON.stringify({ summary: 'pubsub_mesh', ok: false, error: `deadline of ${deadline} ms passed` }) + '\n')
  killChildrenNow('SIGKILL')
  process.exit(1)
}, deadline)

let ok = false
try {
  ok = await main()
} catch (err) {
  progress(`failed: ${err.stack ?? err}`)
  process.stdout.write(JSON.stringify({ summary: 'pubsub_mesh', ok: false, error: String(err.message ?? err) }) + '\n')
  await Promise.race([stopAll(), sleep(10000)])
}
clearTimeout(watchdog)
killChildrenNow('SIGKILL')
progress(ok ? 'PASS' : 'FAIL')
// Leftover sockets of stopped js nodes must not keep us alive.
process.exit(ok ? 0 : 1)
