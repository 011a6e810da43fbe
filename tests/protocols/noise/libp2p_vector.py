#!/usr/bin/env python3
"""Independent computation of the golden noise-libp2p transcript checked by
handshake_test.cpp ("the libp2p handshake matches the golden transcript").

Written from the Noise spec (rev. 34) and the libp2p noise spec only, on the
primitives of the Python `cryptography` package (X25519, Ed25519,
ChaCha20Poly1305, HMAC-SHA256), sharing no code with the C++ implementation.
Run: python3 libp2p_vector.py
"""
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
import hashlib

RAW = (Encoding.Raw, PublicFormat.Raw)


def seq(start):
    return bytes(range(start, start + 32))


INIT_IDENTITY_SEED, RESP_IDENTITY_SEED = seq(0x00), seq(0x20)
INIT_STATIC, INIT_EPHEMERAL = seq(0x40), seq(0x60)
RESP_STATIC, RESP_EPHEMERAL = seq(0x80), seq(0xA0)


def hmac256(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def hkdf2(ck, ikm):
    temp = hmac256(ck, ikm)
    out1 = hmac256(temp, b"\x01")
    return out1, hmac256(temp, out1 + b"\x02")


def dh(secret, public):
    return X25519PrivateKey.from_private_bytes(secret).exchange(
        X25519PublicKey.from_public_bytes(public))


def pub(secret):
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(*RAW)


class Sym:
    def __init__(self):
        name = b"Noise_XX_25519_ChaChaPoly_SHA256"
        self.h = name  # exactly 32 bytes: used unhashed
        self.ck = name
        self.k = None
        self.n = 0
        self.mix_hash(b"")  # empty prologue

    def mix_hash(self, data):
        self.h = hashlib.sha256(self.h + data).digest()

    def mix_key(self, ikm):
        self.ck, self.k = hkdf2(self.ck, ikm)
        self.n = 0

    def enc(self, plaintext):
        if self.k is None:
            out = plaintext
        else:
            nonce = b"\x00" * 4 + self.n.to_bytes(8, "little")
            out = ChaCha20Poly1305(self.k).encrypt(nonce, plaintext, self.h)
            self.n += 1
        self.mix_hash(out)
        return out

    def split(self):
        return hkdf2(self.ck, b"")


def pb_bytes(field, data):
    assert len(data) < 128
    return bytes([field << 3 | 2, len(data)]) + data


def payload(identity_seed, static_secret, muxers):
    key = Ed25519PrivateKey.from_private_bytes(identity_seed)
    key_pb = b"\x08\x01" + pb_bytes(2, key.public_key().public_bytes(*RAW))
    sig = key.sign(b"noise-libp2p-static-key:" + pub(static_secret))
    out = pb_bytes(1, key_pb) + pb_bytes(2, sig)
    if muxers:
        out += pb_bytes(4, b"".join(pb_bytes(2, m.encode()) for m in muxers))
    return out


def frame(msg):
    return len(msg).to_bytes(2, "big") + msg


# One symmetric state suffices: both sides compute identical values.
s = Sym()
# -> e
e_i = pub(INIT_EPHEMERAL)
s.mix_hash(e_i)
msg1 = e_i + s.enc(b"")
# <- e, ee, s, es
e_r = pub(RESP_EPHEMERAL)
s.mix_hash(e_r)
s.mix_key(dh(RESP_EPHEMERAL, e_i))
enc_s_r = s.enc(pub(RESP_STATIC))
s.mix_key(dh(RESP_STATIC, e_i))
msg2 = e_r + enc_s_r + s.enc(payload(RESP_IDENTITY_SEED, RESP_STATIC, ["/yamux/1.0.0"]))
# -> s, se
enc_s_i = s.enc(pub(INIT_STATIC))
s.mix_key(dh(INIT_STATIC, e_r))
msg3 = enc_s_i + s.enc(payload(INIT_IDENTITY_SEED, INIT_STATIC, []))
k1, k2 = s.split()


def transport(key, n, plaintext):
    nonce = b"\x00" * 4 + n.to_bytes(8, "little")
    return frame(ChaCha20Poly1305(key).encrypt(nonce, plaintext, b""))


print("msg1", frame(msg1).hex())
print("msg2", frame(msg2).hex())
print("msg3", frame(msg3).hex())
print("hash", s.h.hex())
print("init->resp hello", transport(k1, 0, b"hello").hex())
print("resp->init world", transport(k2, 0, b"world").hex())
