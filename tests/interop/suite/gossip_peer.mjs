// A js-libp2p gossipsub peer (@libp2p/gossipsub, StrictSign) driven over
// stdin/stdout, for canswarm's process tests: it publishes whatever bytes
// the test hands it, so a test can inject envelopes (valid or forged) into
// a canswarm mesh through an independent implementation.
//
// Usage: node gossip_peer.mjs
// Prints {"event":"ready","peerId":...,"addrs":[...]} and then answers JSON
// commands read line by line on stdin, each {"id":N,"cmd":...}:
//   dial {addr}                -> {peer}
//   subscribe {topic}          -> {}
//   topic_peers {topic}        -> {peers}   (peers known on the topic)
//   mesh_peers {topic}         -> {peers}
//   publish {topic, hex}       -> {recipients} (the data as hex)
//   received                   -> {messages: [{topic, hex, from}]}
//   stop                       -> exits 0
// Every answer is {"id":N,"ok":true,...} or {"id":N,"ok":false,"error":...}.
// Exits by itself after GOSSIP_PEER_LIFETIME_MS (default 120000).
import './polyfill.mjs'
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'

const lifetime = Number(process.env.GOSSIP_PEER_LIFETIME_MS ?? 120000)
const maxReceived = 10000

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
      allowPublishToZeroTopicPeers: true,
      heartbeatInterval: 200
    })
  }
})

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const received = []
node.services.pubsub.addEventListener('message', (evt) => {
  if (received.length >= maxReceived) return
  const m = evt.detail
  received.push({
    topic: m.topic,
    hex: Buffer.from(m.data).toString('hex'),
    from: m.from?.toString() ?? null
  })
})

const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'))
const commands = {
  dial: async ({ addr }) => {
    const conn = await node.dial(multiaddr(addr))
    return { peer: conn.remotePeer.toString() }
  },
  subscribe: async ({ topic }) => {
    node.services.pubsub.subscribe(topic)
    return {}
  },
  topic_peers: async ({ topic }) => ({
    peers: node.services.pubsub.getSubscribers(topic).map(p => p.toString())
  }),
  mesh_peers: async ({ topic }) => ({
    peers: node.services.pubsub.getMeshPeers(topic).map(p => p.toString())
  }),
  publish: async ({ topic, hex: data }) => {
    const r = await node.services.pubsub.publish(topic, hex(data))
    return { recipients: r.recipients.map(p => p.toString()) }
  },
  received: async () => ({ messages: received }),
  stop: async () => {
    await node.stop()
    out({ event: 'stopped' })
    process.exit(0)
  }
}

const timer = setTimeout(async () => {
  process.stderr.write('gossip_peer: lifetime over, exiting\n')
  await node.stop()
  process.exit(3)
}, lifetime)
timer.unref()

out({
  event: 'ready',
  peerId: node.peerId.toString(),
  addrs: node.getMultiaddrs().map(a => a.toString())
})

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let req
  try {
    req = JSON.parse(line)
  } catch (e) {
    out({ ok: false, error: `bad json: ${e.message}` })
    return
  }
  const fn = commands[req.cmd]
  if (fn == null) {
    out({ id: req.id, ok: false, error: `unknown command ${req.cmd}` })
    return
  }
  try {
    out({ id: req.id, ok: true, ...(await fn(req)) })
  } catch (e) {
    out({ id: req.id, ok: false, error: e.message })
  }
})
rl.on('close', async () => {
  await node.stop()
  process.exit(0)
})
