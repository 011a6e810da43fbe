// A js-libp2p peer driven over stdin/stdout, used by canswarm's interop tests
// and benchmarks as the independent implementation.
//
// Usage: node --import ./polyfill.mjs peer.mjs [--listen MA] [--key HEX]
//          [--encrypters noise,tls,plaintext] [--muxers yamux,mplex]
// Prints one JSON line {"event":"ready","peerId":...,"addrs":[...]} and then
// answers JSON commands read line by line on stdin, each {"id":N,"cmd":...}:
//   dial {addr}                 -> {peer}
//   ping {addr}                 -> {rtt_ms}
//   echo {addr, size}           -> {ok, ms}  (sends size bytes on /echo/1.0.0)
//   send {addr, size}           -> {ms, bytes} (bulk write to /canswarm/sink/1.0.0)
//   identify {peer}             -> {agentVersion, protocols, addrs}
//   peers                       -> {peers}
//   hangup {peer}               -> {}
//   stop                        -> exits 0
// Every answer is {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":...}.
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { mplex } from '@libp2p/mplex'
import { tls } from '@libp2p/tls'
import { plaintext } from '@libp2p/plaintext'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { createInterface } from 'node:readline'

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]])
  return acc
}, []))

const encrypters = (args.encrypters ?? 'noise').split(',').map(name => ({
  noise: noise(), tls: tls(), plaintext: plaintext()
})[name])
const muxers = (args.muxers ?? 'yamux').split(',').map(name => ({
  yamux: yamux(), mplex: mplex()
})[name])

const options = {
  addresses: { listen: [args.listen ?? '/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: encrypters,
  streamMuxers: muxers,
  services: { identify: identify(), ping: ping() },
  connectionManager: { maxConnections: 10000 }
}
if (args.key) {
  options.privateKey = privateKeyFromProtobuf(Buffer.from(args.key, 'hex'))
}
const node = await createLibp2p(options)

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

// Echo every byte back, then close.
await node.handle('/echo/1.0.0', async (stream) => {
  for await (const chunk of stream) {
    if (!stream.send(chunk.subarray ? chunk.subarray() : chunk)) {
      await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
  }
  await stream.close()
}, { runOnLimitedConnection: true })

// Count bytes until the writer closes, then answer with the count (8 bytes BE).
await node.handle('/canswarm/sink/1.0.0', async (stream) => {
  let total = 0n
  for await (const chunk of stream) total += BigInt(chunk.byteLength)
  const reply = new Uint8Array(8)
  new DataView(reply.buffer).setBigUint64(0, total)
  stream.send(reply)
  await stream.close()
})

node.addEventListener('connection:open', (evt) => {
  out({ event: 'connection:open', peer: evt.detail.remotePeer.toString(), addr: evt.detail.remoteAddr.toString() })
})
node.addEventListener('connection:close', (evt) => {
  out({ event: 'connection:close', peer: evt.detail.remotePeer.toString() })
})

function pattern (size) {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff
  return data
}

async function writeAll (stream, data, chunkSize = 65536) {
  for (let off = 0; off < data.length; off += chunkSize) {
    if (!stream.send(data.subarray(off, Math.min(off + chunkSize, data.length)))) {
      await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
  }
}

const commands = {
  async dial ({ addr }) {
    const conn = await node.dial(multiaddr(addr))
    return { peer: conn.remotePeer.toString() }
  },
  async ping ({ addr }) {
    return { rtt_ms: await node.services.ping.ping(multiaddr(addr)) }
  },
  async echo ({ addr, size }) {
    const data = pattern(size)
    const start = performance.now()
    const stream = await node.dialProtocol(multiaddr(addr), '/echo/1.0.0')
    const reading = (async () => {
      const parts = []
      let got = 0
      for await (const chunk of stream) {
        const bytes = chunk.subarray ? chunk.subarray() : chunk
        parts.push(bytes)
        got += bytes.byteLength
        if (got >= size) break
      }
      return Buffer.concat(parts)
    })()
    await writeAll(stream, data)
    await stream.close()
    const back = await reading
    const ms = performance.now() - start
    await stream.close().catch(() => {})
    return { ok: Buffer.compare(Buffer.from(data), back) === 0, received: back.length, ms }
  },
  async send ({ addr, size }) {
    const data = pattern(Math.min(size, 1 << 20))
    const stream = await node.dialProtocol(multiaddr(addr), '/canswarm/sink/1.0.0')
    const start = performance.now()
    let left = size
    while (left > 0) {
      const n = Math.min(left, data.length)
      await writeAll(stream, data.subarray(0, n))
      left -= n
    }
    await stream.close()
    let reply = null
    for await (const chunk of stream) {
      reply = Buffer.from(chunk.subarray ? chunk.subarray() : chunk)
      break
    }
    const ms = performance.now() - start
    return { ms, bytes: reply ? Number(reply.readBigUInt64BE(0)) : -1 }
  },
  async identify ({ peer }) {
    const p = await node.peerStore.get(peerIdFromString(peer))
    return {
      agentVersion: new TextDecoder().decode(p.metadata.get('AgentVersion') ?? new Uint8Array()),
      protocols: p.protocols,
      addrs: p.addresses.map(a => a.multiaddr.toString())
    }
  },
  async peers () {
    return { peers: node.getPeers().map(p => p.toString()) }
  },
  async hangup ({ peer }) {
    await node.hangUp(peerIdFromString(peer))
    return {}
  },
  async stop () {
    await node.stop()
    out({ event: 'stopped' })
    process.exit(0)
  }
}

out({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })

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
