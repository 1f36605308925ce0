#!/usr/bin/env python3
"""Computes vectors.json for the ssh-keygen fixtures in this directory, by a route independent of the
TypeScript under test:

- ssh-keygen itself decrypts every encrypted key (`ssh-keygen -p` on a temporary copy) and derives its
  public key (`ssh-keygen -y`);
- this script reads the seed from the decrypted copy, and pyca/cryptography checks that the seed gives that
  public key (Ed25519) and that X25519(SHA-512(seed)[:32]) equals the Edwards->Montgomery conversion;
- bech32 (BIP 173) is implemented here from the spec and first checked against the exact strings of the
  shared ssh-to-age vectors.

Run by make-fixtures.sh. PUBLIC THROWAWAY TEST KEYS only.
"""
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "throwaway-pass"
P = 2**255 - 19

# --- bech32, BIP 173 -------------------------------------------------------------------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
GEN = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]


def polymod(values):
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= GEN[i]
    return chk


def bech32_encode(hrp, data):
    hrp = hrp.lower()
    words, acc, bits = [], 0, 0
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words + checksum)


def to_montgomery(pub):
    y = int.from_bytes(pub, "little") & ((1 << 255) - 1)
    u = (1 + y) * pow((1 - y) % P, P - 2, P) % P
    return u.to_bytes(32, "little")


def age_identity(seed):
    return bech32_encode("age-secret-key-", hashlib.sha512(seed).digest()[:32]).upper()


def age_recipient(pub):
    return bech32_encode("age", to_montgomery(pub))


# --- minimal openssh-key-v1 reader (unencrypted files and envelopes only) ------------------------
class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def u32(self):
        (v,) = struct.unpack(">I", self.data[self.pos : self.pos + 4])
        self.pos += 4
        return v

    def string(self):
        n = self.u32()
        s = self.data[self.pos : self.pos + n]
        assert len(s) == n
        self.pos += n
        return s


def read_blob(path):
    text = open(path).read()
    body = text.split("-----BEGIN OPENSSH PRIVATE KEY-----")[1].split("-----END OPENSSH PRIVATE KEY-----")[0]
    data = base64.b64decode("".join(body.split()))
    assert data.startswith(b"openssh-key-v1\0")
    r = Reader(data[15:])
    cipher, kdf, kdfopts = r.string().decode(), r.string().decode(), r.string()
    assert r.u32() == 1
    r.string()
    secret = r.string()
    rounds = 0
    if kdf == "bcrypt":
        k = Reader(kdfopts)
        k.string()
        rounds = k.u32()
    return cipher, kdf, rounds, secret


def read_plain(path):
    cipher, _, _, secret = read_blob(path)
    assert cipher == "none"
    r = Reader(secret)
    assert r.u32() == r.u32()
    kind = r.string().decode()
    if kind == "ssh-ed25519":
        pub, priv = r.string(), r.string()
        assert priv[32:] == pub
        return kind, {"seed": priv[:32], "pub": pub}
    if kind == "ssh-rsa":
        n, e, d, iqmp, p, q = (int.from_bytes(r.string(), "big") for _ in range(6))
        assert p * q == n and (iqmp * q) % p == 1
        return kind, {"n": n}
    return kind, {}


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True)


def decrypted_copy(path, passphrase, tmp):
    copy = os.path.join(tmp, os.path.basename(path))
    with open(path, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    os.chmod(copy, 0o600)
    if passphrase:
        run("ssh-keygen", "-p", "-P", passphrase, "-N", "", "-f", copy)
    return copy


# --- self-check against the shared ssh-to-age vectors ----------------------------------------------
shared = os.path.join(HERE, "../../../../../../shared/vectors/ssh-to-age/vectors.json")
if os.path.exists(shared):
    sv = json.load(open(shared))
    for v in sv["private_key_vectors"]:
        seed = bytes.fromhex(v["debug"]["ed25519_seed_hex"])
        assert age_identity(seed) == v["expected_age_secret_key"], v["file"]
        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert age_recipient(pub) == v["matching_age_public_key"], v["file"]
    print("bech32/montgomery self-check against ssh-to-age vectors: ok", file=sys.stderr)
else:
    sys.exit("shared ssh-to-age vectors not found; refusing to compute without the self-check")

# --- the fixtures ---------------------------------------------------------------------------------
files = sorted(f for f in os.listdir(HERE) if (f.startswith(("ed25519-", "rsa-")) or f == "ecdsa") and "." not in f)
skip = {"rsa-2048-pem", "rsa-2048-pkcs8"}
keys = []
with tempfile.TemporaryDirectory() as tmp:
    for name in files:
        if name in skip:
            continue
        path = os.path.join(HERE, name)
        cipher, kdf, rounds, _ = read_blob(path)
        passphrase = PASS if cipher != "none" else None
        public_line = run("ssh-keygen", "-y", *(["-P", passphrase] if passphrase else []), "-f", path).stdout.strip()
        assert public_line == open(path + ".pub").read().strip(), name
        kind, parts = read_plain(decrypted_copy(path, passphrase, tmp))
        entry = {
            "file": name,
            "type": kind,
            "cipher": cipher,
            "kdf": kdf,
            "kdf_rounds": rounds,
            "passphrase": passphrase,
            "public_key": public_line,
        }
        if kind == "ssh-ed25519":
            seed, pub = parts["seed"], parts["pub"]
            assert base64.b64decode(public_line.split()[1])[-32:] == pub
            derived = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            assert derived == pub, name
            scalar = hashlib.sha512(seed).digest()[:32]
            x = X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            assert x == to_montgomery(pub), name
            entry.update(
                seed_hex=seed.hex(),
                x25519_scalar_hex_unclamped=scalar.hex(),
                age_identity=age_identity(seed),
                age_recipient=age_recipient(pub),
            )
        elif kind == "ssh-rsa":
            entry["bits"] = parts["n"].bit_length()
        keys.append(entry)

    # PKCS#8 (RFC 8410) of ed25519-plain's seed; openssl must derive the same public key.
    plain = next(k for k in keys if k["file"] == "ed25519-plain")
    der = bytes.fromhex("302e020100300506032b657004220420") + bytes.fromhex(plain["seed_hex"])
    pem_path = os.path.join(HERE, "ed25519-pkcs8.pem")
    b64 = base64.b64encode(der).decode()
    with open(pem_path, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n")
    spki = subprocess.run(["openssl", "pkey", "-in", pem_path, "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
    assert spki[-32:] == base64.b64decode(plain["public_key"].split()[1])[-32:]

for name in ("rsa-2048-pem", "rsa-2048-pkcs8"):
    head = open(os.path.join(HERE, name)).readline().strip()
    assert head == {"rsa-2048-pem": "-----BEGIN RSA PRIVATE KEY-----", "rsa-2048-pkcs8": "-----BEGIN PRIVATE KEY-----"}[name], head

versions = {
    "openssh": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
    "openssl": run("openssl", "version").stdout.strip(),
    "python_cryptography": __import__("cryptography").__version__,
}
out = {
    "_about": "PUBLIC THROWAWAY TEST KEYS made with the real ssh-keygen by make-fixtures.sh (see README.md). "
    "Expected values computed by compute-expected.py: public keys by `ssh-keygen -y`, seeds from a copy "
    "decrypted by `ssh-keygen -p`, age strings by an independent Python bech32/Edwards->Montgomery "
    "(self-checked on the ssh-to-age vectors) cross-checked with pyca/cryptography Ed25519 and X25519.",
    "tools": versions,
    "passphrase": PASS,
    "keys": keys,
    "pkcs8": "ed25519-pkcs8.pem",
    "pkcs8_same_key_as": "ed25519-plain",
    "ecdsa_public": "ecdsa.pub",
    "other_formats": [
        {"file": "rsa-2048-pem", "format": "PEM (BEGIN RSA PRIVATE KEY)", "same_key_as": "rsa-2048-plain"},
        {"file": "rsa-2048-pkcs8", "format": "PKCS#8 (BEGIN PRIVATE KEY)", "same_key_as": "rsa-2048-plain"},
        {"file": "ed25519-pkcs8.pem", "format": "PKCS#8 Ed25519 (BEGIN PRIVATE KEY)", "same_key_as": "ed25519-plain"},
    ],
}
with open(os.path.join(HERE, "vectors.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote vectors.json with {len(keys)} keys", file=sys.stderr)
