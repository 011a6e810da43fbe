// A js-libp2p 3 peer (TCP + one security protocol + one muxer) for
// canswarm's connection benchmark (tests/bench/connection_bench.cpp), driven
// by JSON lines on stdin like tests/interop/js/peer.mjs, whose node_modules
// it imports (run it with cwd tests/interop/js, or NODE_PATH pointing there).
//
// Usage: node --expose-gc --import ../../interop/js/polyfill.mjs
//          bench_peer.mjs
// Environment (canswarm's variable names, but exactly one value each, so
// the benchmarked stack is the only one this peer can speak):
//   P2P_SECURITY  noise (default) | tls | plaintext
//   P2P_MUXERS    yamux (default) | mplex
// Prints {"event":"ready","peerId":...,"addrs":[...],"encryption":...,
// "multiplexer":...} once listening on 127.0.0.1, then answers
// {"id":N,"cmd":...} lines:
//   send {addr, size}           -> {ms, bytes, encryption, multiplexer}
//                                  bulk write of `size` bytes to
//                                  /canswarm/sink/1.0.0 (timed from the
//                                  open stream to the sink's 8-byte count;
//                                  the last two are the protocol ids the
//                                  connection negotiated)
//   dialbench {addr, n, budget_ms} -> {samples: [ms...], dial_samples:
//                                  [ms...]} sequential fresh connections:
//                                  dial (dial_samples: until upgraded) +
//                                  open /echo/1.0.0 + one byte echoed back
//                                  (samples), then hang up
//   gc                          -> {} (a full collection, for RSS readings)
//   stop                        -> exits 0
// Every answer is {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":...}.
// It serves /echo/1.0.0 and /canswarm/sink/1.0.0 (counts bytes, answers the
// count as 8 bytes big-endian, then closes), like peer.mjs.
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import path from 'node:path'

// Resolve the (ESM-only) packages from tests/interop/js/node_modules
// wherever we run: the entry point is package.json's exports["."].import.
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
const { tls } = await load('@libp2p/tls')
const { plaintext } = await load('@libp2p/plaintext')
const { mplex } = await load('@libp2p/mplex')
const { identify } = await load('@libp2p/identify')
const { ping } = await load('@libp2p/ping')
const { multiaddr } = await load('@multiformats/multiaddr')

const pick = (variable, choices, fallback) => {
  const name = (process.env[variable] ?? '').trim() || fallback
  if (!(name in choices)) {
    throw new Error(`${variable} must be one of ${Object.keys(choices).join(', ')}, not '${name}'`)
  }
  return { name, make: choices[name] }
}
const security = pick('P2P_SECURITY', { noise, tls, plaintext }, 'noise')
const muxer = pick('P2P_MUXERS', { yamux, mplex }, 'yamux')

// Same services as peer.mjs (identify + ping run on every connection, as
// they do in canswarm).
const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [security.make()],
  streamMuxers: [muxer.make()],
  services: { identify: identify(), ping: ping() },
  // Accept the benchmark's rapid sequential dials (the default allows 5
  // inbound connections per second per host).
  connectionManager: {
    maxConnections: 10000,
    inboundConnectionThreshold: 100000,
    maxIncomingPendingConnections: 1000
  }
})

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const bytesOf = (chunk) => (chunk.subarray ? chunk.subarray() : chunk)

async function writeAll (stream, data, chunkSize = 65536) {
  for (let off = 0; off < data.length; off += chunkSize) {
    if (!stream.send(data.subarray(off, Math.min(off + chunkSize, data.length)))) {
      await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
  }
}

await node.handle('/echo/1.0.0', async (stream) => {
  for await (const chunk of stream) {
    if (!stream.send(bytesOf(chunk))) {
      await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
  }
  await stream.close()
}, { maxInboundStreams: 1024 })

await node.handle('/canswarm/sink/1.0.0', async (stream) => {
  let total = 0n
  for await (const chunk of stream) total += BigInt(chunk.byteLength)
  const reply = new Uint8Array(8)
  new DataView(reply.buffer).setBigUint64(0, total)
  stream.send(reply)
  await stream.close()
})

function pattern (size) {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff
  return data
}

const block = pattern(1 << 20)

const commands = {
  async send ({ addr, size }) {
    const conn = await node.dial(multiaddr(addr))
    const stream = await conn.newStream('/canswarm/sink/1.0.0')
    const start = performance.now()
    let left = size
    while (left > 0) {
      const n = Math.min(left, block.length)
      await writeAll(stream, block.subarray(0, n))
      left -= n
    }
    await stream.close()
    let reply = null
    for await (const chunk of stream) {
      reply = Buffer.from(bytesOf(chunk))
      break
    }
    const ms = performance.now() - start
    return {
      ms,
      bytes: reply && reply.length >= 8 ? Number(reply.readBigUInt64BE(0)) : -1,
      encryption: conn.encryption ?? '',
      multiplexer: conn.multiplexer ?? ''
    }
  },
  async dialbench ({ addr, n, budget_ms: budget }) {
    const ma = multiaddr(addr)
    const samples = []
    const dialSamples = []
    const deadline = performance.now() + (budget ?? 60000)
    for (let i = 0; i < n && performance.now() < deadline; i++) {
      const start = performance.now()
      const conn = await node.dial(ma)
      dialSamples.push(performance.now() - start)
      const stream = await conn.newStream('/echo/1.0.0')
      stream.send(new Uint8Array([42]))
      for await (const chunk of stream) {
        if (chunk.byteLength > 0) break
      }
      samples.push(performance.now() - start)
      await node.hangUp(conn.remotePeer)
    }
    return { samples, dial_samples: dialSamples }
  },
  async gc () {
    if (typeof globalThis.gc === 'function') globalThis.gc()
    return {}
  },
  async stop () {
    await node.stop()
    process.exit(0)
  }
}

out({
  event: 'ready',
  peerId: node.peerId.toString(),
  addrs: node.getMultiaddrs().map(a => a.toString()),
  encryption: security.name,
  multiplexer: muxer.name
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
rl.on('close', async () => { await node.stop(); process.exit(0) })
process.on('SIGTERM', async () => { await node.stop(); process.exit(0) })
