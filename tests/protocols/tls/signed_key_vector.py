#!/usr/bin/env python3
"""Independent computation of the golden SignedKey vector checked by
signed_key_test.cpp ("the SignedKey golden vector ...").

Written from the libp2p TLS spec only: the Ed25519 host key comes from the
Python `cryptography` package, the DER from pyasn1's encoder; no code is
shared with the C++ implementation. Run: python3 signed_key_vector.py
"""
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyasn1.codec.der import encoder
from pyasn1.type import namedtype, univ

# Host key seed: bytes 0x00, 0x01, ..., 0x1f.
SEED = bytes(range(32))
# A fixed P-256 SubjectPublicKeyInfo (the certificate key of the rust-libp2p
# / go-libp2p Ed25519 test certificate).
SPKI = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200046bf9871220d71dcb"
    "3483ecdfcbfcc7c103f8509d0974b3c18ab1f1be1302d643103a08f7a7722c1b247ba3"
    "876fe2c59e26526f479d7718a85202ddbe47562358")


class SignedKey(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("publicKey", univ.OctetString()),
        namedtype.NamedType("signature", univ.OctetString()))


host = Ed25519PrivateKey.from_private_bytes(SEED)
raw = host.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
# libp2p PublicKey protobuf: field 1 (Type) = 1 (Ed25519), field 2 (Data).
protobuf = bytes([0x08, 0x01, 0x12, len(raw)]) + raw
signature = host.sign(b"libp2p-tls-handshake:" + SPKI)

value = SignedKey()
value["publicKey"] = protobuf
value["signature"] = signature
print("protobuf ", protobuf.hex())
print("signature", signature.hex())
print("der      ", encoder.encode(value).hex())
