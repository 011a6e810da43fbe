// The official @libp2p/interop suite with canswarm in its "go" slot.
//
// Environment:
//   CANSWARM_BINARY  path of the canswarm executable (required unless
//                    CANSWARM_GO_SLOT=js)
//   CANSWARM_GO_SLOT "canswarm" (default) or "js" to check the harness itself
//                    with js-libp2p in both slots.
//   SUITES           comma-separated subset of connect,streams,pubsub,dht,relay
//                    (default connect,streams)
//   CANSWARM_SUITE_MUXER "yamux" (default) or "mplex": the muxer BOTH sides
//                    run when the suite does not name one. The stream
//                    matrix (utils/test-matrix.js) puts the muxer in the
//                    case title but never passes it to the factory, so its
//                    "/mplex echo" cases only test mplex when run with
//                    CANSWARM_SUITE_MUXER=mplex (each side then offers
//                    mplex alone, so the connection cannot fall back).
import fs from 'node:fs'
import net from 'node:net'
import { spawn } from 'node:child_process'
import {
  connectInteropTests, streamInteropTests, pubsubInteropTests,
  dhtInteropTests, relayInteropTests
} from '@libp2p/interop'
import { createClient } from '@libp2p/daemon-client'
import { createServer } from '@libp2p/daemon-server'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { mplex } from '@libp2p/mplex'
import { tls } from '@libp2p/tls'
import { plaintext } from '@libp2p/plaintext'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { floodsub } from '@libp2p/floodsub'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'

const goSlot = process.env.CANSWARM_GO_SLOT ?? 'canswarm'
const binary = process.env.CANSWARM_BINARY
const defaultMuxer = process.env.CANSWARM_SUITE_MUXER ?? 'yamux'
if (defaultMuxer !== 'yamux' && defaultMuxer !== 'mplex') {
  throw new Error(`CANSWARM_SUITE_MUXER must be yamux or mplex, not ${defaultMuxer}`)
}

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

async function createCanswarmPeer (options) {
  if (!binary) throw new Error('CANSWARM_BINARY is not set')
  const control = `/ip4/127.0.0.1/tcp/${await freePort()}`
  const args = ['p2pd', `-listen=${control}`]
  if (options.noListen === true) args.push('-noListenAddrs')
  else args.push('-hostAddrs=/ip4/127.0.0.1/tcp/0')
  if (options.encryption != null) args.push(`-${options.encryption}=true`)
  if (options.dht === true) args.push('-dhtServer')
  if (options.relay === true) args.push('-relay')
  if (options.pubsub === true) args.push('-pubsub')
  if (options.pubsubRouter != null) args.push(`-pubsubRouter=${options.pubsubRouter}`)
  if (options.key != null) args.push(`-id=${options.key}`)
  args.push(`-muxer=${options.muxer ?? defaultMuxer}`)
  const proc = spawn(binary, args, {
    stdio: ['ignore', 'pipe', process.env.CANSWARM_SHOW_LOGS ? 'inherit' : 'ignore'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARNING' }
  })
  await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`canswarm p2pd did not start: ${out}`)), 15000)
    proc.stdout.on('data', (buf) => {
      out += buf.toString()
      if (out.includes('Control socket:')) { clearTimeout(timer); resolve() }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`canswarm p2pd exited with ${code}: ${out}`)) })
  })
  proc.removeAllListeners('exit')
  return {
    client: createClient(multiaddr(control)),
    stop: async () => {
      if (proc.exitCode != null) return
      const exited = new Promise(resolve => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await exited
    }
  }
}

async function createJsPeer (options) {
  let privateKey
  if (options.key != null && fs.existsSync(options.key)) {
    privateKey = privateKeyFromProtobuf(fs.readFileSync(options.key))
  }
  const encrypter = { noise, tls, plaintext }[options.encryption ?? 'noise']
  const services = { identify: identify(), ping: ping() }
  if (options.pubsub === true) {
    services.pubsub = options.pubsubRouter === 'floodsub' ? floodsub() : gossipsub()
  }
  if (options.relay === true) services.relay = circuitRelayServer()
  if (options.dht === true) {
    services.dht = kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true })
  }
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: options.noListen === true ? [] : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [encrypter()],
    streamMuxers: [(options.muxer ?? defaultMuxer) === 'mplex' ? mplex() : yamux()],
    services
  })
  const server = createServer(multiaddr('/ip4/127.0.0.1/tcp/0'), node)
  await server.start()
  return {
    client: createClient(server.getMultiaddr()),
    stop: async () => { await server.stop(); await node.stop() }
  }
}

// The suite skips a case whose factory throws an error named
// UnsupportedError (it reports it as pending, never as passing).
class UnsupportedError extends Error {
  constructor (message) { super(message); this.name = 'UnsupportedError' }
}

const factory = {
  async spawn (options) {
    if (options.transport != null && options.transport !== 'tcp') {
      throw new UnsupportedError(`transport ${options.transport} is not built`)
    }
    if (options.type === 'go' && goSlot === 'canswarm') return createCanswarmPeer(options)
    return createJsPeer(options)
  }
}

const suites = (process.env.SUITES ?? 'connect,streams').split(',')
if (suites.includes('connect')) connectInteropTests(factory)
if (suites.includes('streams')) streamInteropTests(factory)
if (suites.includes('pubsub')) pubsubInteropTests(factory)
if (suites.includes('dht')) dhtInteropTests(factory)
if (suites.includes('relay')) relayInteropTests(factory)
