// Cross-checks canswarm's keys with js-libp2p (@libp2p/crypto and
// @libp2p/peer-id from the interop peer's node_modules). Run by
// interop_keys_test.cpp:
//
//   node --import <js-dir>/polyfill.mjs js_keys_check.mjs <js-dir> <input>
//
// Each input line: "<name> <PrivateKey hex> <PublicKey hex> <message hex>
// <signature hex>" with a key and a signature made by canswarm. For each
// line js-libp2p decodes both keys, verifies the signature, derives the peer
// id, re-encodes the public key and signs `js_message` with the private key.
// Output line: "<name> <js key type> <verified> <peer id> <PublicKey hex>
// <signature hex>". Any failure exits non-zero.

import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** What js-libp2p signs (the C++ side verifies it). */
const jsMessage = new TextEncoder().encode('signed by js-libp2p')

/** Imports `subpath` of `pkg` from `jsDir`'s node_modules via its exports. */
async function importFrom (jsDir, pkg, subpath) {
  const dir = path.join(jsDir, 'node_modules', pkg)
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const entry = manifest.exports[subpath].import
  return import(pathToFileURL(path.join(dir, entry)).href)
}

const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'))
const toHex = (data) => Buffer.from(data).toString('hex')

const [jsDir, inputFile] = process.argv.slice(2)
if (jsDir == null || inputFile == null) {
  console.error('usage: js_keys_check.mjs <js-dir> <input-file>')
  process.exit(2)
}
const keys = await importFrom(jsDir, '@libp2p/crypto', './keys')
const peerIds = await importFrom(jsDir, '@libp2p/peer-id', '.')

for (const line of fs.readFileSync(inputFile, 'utf8').split('\n')) {
  if (line.trim() === '') continue
  const [name, privateHex, publicHex, messageHex, signatureHex] = line.split(' ')
  const privateKey = keys.privateKeyFromProtobuf(fromHex(privateHex))
  const publicKey = keys.publicKeyFromProtobuf(fromHex(publicHex))
  const verified = await publicKey.verify(fromHex(messageHex), fromHex(signatureHex))
  const id = peerIds.peerIdFromPublicKey(publicKey).toString()
  const reencoded = toHex(keys.publicKeyToProtobuf(privateKey.publicKey))
  const signature = toHex(await privateKey.sign(jsMessage))
  console.log([name, privateKey.type, verified, id, reencoded, signature].join(' '))
}
