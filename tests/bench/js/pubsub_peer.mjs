// One js-libp2p 3 gossipsub node (@libp2p/gossipsub 17, StrictSign; TCP +
// Noise + yamux) for canswarm's pub/sub benchmark
// (tests/bench/pubsub_bench.cpp), driven by JSON lines on stdin like
// bench_peer.mjs, whose node_modules (tests/interop/js) it imports.
//
// Usage: node --import ../../interop/js/polyfill.mjs pubsub_peer.mjs
// Prints {"event":"ready","peerId":...,"addrs":[...]} once listening on
// 127.0.0.1, then answers {"id":N,"cmd":...} lines:
//   dial {addr}                  -> {} (addr ends in /p2p/<id>)
//   subscribe {topic}            -> {}
//   peers {topic}                -> {subscribers: [id...], mesh: [id...]}
//   publish {topic, count, rate, size, tag, window, budget_ms}
//                                -> {sent, errors, first_error, ms}
//        `count` messages of `size` bytes (>= 24) in the benchmark's
//        payload layout; rate > 0: one every 1/rate s, each awaited
//        (latency runs); rate 0: as fast as publish() allows with up to
//        `window` publishes in flight, stopping after `budget_ms`
//   stats {tag, samples}         -> {count, dups, bad, first_ns, last_ns,
//                                    lat_us: [...] (when samples)}
//        the messages this node received with that tag
//   stop                         -> exits 0
// Every answer is {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":...}.
//
// Payload layout (shared with pubsub_bench.cpp), big-endian:
//   0..3 "CSPB", 4..7 tag (u32), 8..15 seq (u64), 16..23 send time (u64 ns
//   of CLOCK_MONOTONIC: process.hrtime.bigint() here, steady_clock in
//   C++, the same clock on Linux), then filler.
// Latency = receive time - send time, both on this machine's monotonic
// clock, so samples from different processes compare.
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const here = path.dirname(new URL(import.meta.url).pathname)
const modules = path.resolve(here, '../../interop/js/node_modules')
const load = async (name) => {
  const dir = path.join(modules, name)
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const dot = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.']
  const entry = typeof dot === 'string' ? dot : (dot?.import ?? dot?.default ?? pkg.main)
  if (typeof entry !== 'string') throw new Error(`cannot resolve ${name} in ${modules}`)
  return import(pathToFileURL(path.join(dir, entry)).href)
}

const { createLibp2p } = await load('libp2p')
const { tcp } = await load('@libp2p/tcp')
const { noise } = await load('@chainsafe/libp2p-noise')
const { yamux } = await load('@chainsafe/libp2p-yamux')
const { identify } = await load('@libp2p/identify')
const { gossipsub } = await load('@libp2p/gossipsub')
const { multiaddr } = await load('@multiformats/multiaddr')

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
const ps = node.services.pubsub

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
const now = () => process.hrtime.bigint()

// tag -> { seen: Set of seq, lat: [us], dups, first, last }
const received = new Map()
let bad = 0

ps.addEventListener('message', (evt) => {
  const at = now()
  const data = evt.detail.data
  if (data == null || data.length < 24) { bad++; return }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (view.getUint32(0) !== 0x43535042) { bad++; return } // "CSPB"
  const tag = view.getUint32(4)
  const seq = view.getBigUint64(8)
  const sent = view.getBigUint64(16)
  let st = received.get(tag)
  if (st == null) {
    st = { seen: new Set(), lat: [], dups: 0, first: at, last: at }
    received.set(tag, st)
  }
  if (st.seen.has(seq)) { st.dups++; return }
  st.seen.add(seq)
  st.last = at
  st.lat.push(Number(at - sent) / 1000)
})

function payload (size, tag, seq) {
  const data = new Uint8Array(Math.max(size, 24))
  for (let i = 24; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff
  const view = new DataView(data.buffer)
  view.setUint32(0, 0x43535042)
  view.setUint32(4, tag)
  view.setBigUint64(8, BigInt(seq))
  return { data, view }
}

const commands = {
  async dial ({ addr }) {
    await node.dial(multiaddr(addr))
    return {}
  },
  async subscribe ({ topic }) {
    ps.subscribe(topic)
    return {}
  },
  async peers ({ topic }) {
    return {
      subscribers: ps.getSubscribers(topic).map(String),
      mesh: ps.getMeshPeers(topic).map(String)
    }
  },
  async publish ({ topic, count, rate, size, tag, window, budget_ms: budget }) {
    let sent = 0
    let errors = 0
    let firstError = ''
    const start = now()
    const end = start + BigInt(Math.round((budget ?? 60000) * 1e6))
    const one = async (seq) => {
      const { data, view } = payload(size, tag, seq)
      view.setBigUint64(16, now())
      try {
        await ps.publish(topic, data)
        sent++
      } catch (err) {
        errors++
        if (firstError === '') firstError = String(err?.message ?? err)
      }
    }
    if (rate > 0) {
      const interval = 1e9 / rate
      for (let i = 0; i < count; i++) {
        const due = start + BigInt(Math.round(i * interval))
        const wait = Number(due - now()) / 1e6
        if (wait > 0) await sleep(wait)
        if (now() > end) break
        await one(i)
      }
    } else {
      const inFlight = new Set()
      for (let i = 0; i < count && now() < end; i++) {
        const p = one(i).finally(() => inFlight.delete(p))
        inFlight.add(p)
        if (inFlight.size >= Math.max(1, window ?? 1)) await Promise.race(inFlight)
      }
      await Promise.all(inFlight)
    }
    return { sent, errors, first_error: firstError, ms: Number(now() - start) / 1e6 }
  },
  async stats ({ tag, samples }) {
    const st = received.get(tag)
    if (st == null) return { count: 0, dups: 0, bad, first_ns: 0, last_ns: 0, lat_us: [] }
    return {
      count: st.seen.size,
      dups: st.dups,
      bad,
      first_ns: Number(st.first),
      last_ns: Number(st.last),
      lat_us: samples ? st.lat.map(x => Math.round(x)) : []
    }
  },
  async stop () {
    await node.stop()
    process.exit(0)
  }
}

out({
  event: 'ready',
  peerId: node.peerId.toString(),
  addrs: node.getMultiaddrs().map(a => a.toString())
})

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let req
  try { req = JSON.parse(line) } catch { return out({ ok: false, error: 'bad json' }) }
  const fn = commands[req.cmd]
  if (!fn) return out({ id: req.id, ok: false, error: `unknown command ${req.cmd}` })
  try {
    out({ id: req.id, ok: true, ...(await fn(req)) })
  } catch (err) {
    out({ id: req.id, ok: false, error: String(err?.message ?? err) })
  }
})
const quit = async () => {
  try { await Promise.race([node.stop(), sleep(3000)]) } catch {}
  process.exit(0)
}
rl.on('close', quit)
process.on('SIGTERM', quit)
