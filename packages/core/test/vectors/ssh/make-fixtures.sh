#!/bin/sh
# Regenerates the PUBLIC THROWAWAY TEST KEYS in this directory with the real ssh-keygen, then computes
# vectors.json with compute-expected.py (an independent route: ssh-keygen itself decrypts and derives the
# public keys; Python + pyca/cryptography derive the age strings). See README.md.
#
# Needs: ssh-keygen (OpenSSH), openssl, python3 with the `cryptography` package.
set -eu
cd "$(dirname "$0")"

PASS=throwaway-pass
COMMENT=throwaway-test-key

rm -f ed25519-* rsa-* ecdsa ecdsa.pub vectors.json

# ed25519, one key per cipher ssh-keygen can write (`ssh -Q cipher`), default 16 KDF rounds.
for c in aes128-ctr aes192-ctr aes256-ctr aes128-cbc aes192-cbc aes256-cbc 3des-cbc \
         aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com; do
  ssh-keygen -q -t ed25519 -N "$PASS" -Z "$c" -C "$COMMENT" -f "ed25519-${c%@openssh.com}"
done
# Other KDF round counts (ssh-keygen -a).
ssh-keygen -q -t ed25519 -N "$PASS" -Z aes256-ctr -a 1 -C "$COMMENT" -f ed25519-aes256-ctr-a1
ssh-keygen -q -t ed25519 -N "$PASS" -Z chacha20-poly1305@openssh.com -a 100 -C "$COMMENT" -f ed25519-chacha20-poly1305-a100
# Unencrypted.
ssh-keygen -q -t ed25519 -N '' -C "$COMMENT" -f ed25519-plain

# RSA-2048, unencrypted and encrypted.
ssh-keygen -q -t rsa -b 2048 -N '' -C "$COMMENT" -f rsa-2048-plain
ssh-keygen -q -t rsa -b 2048 -N "$PASS" -Z aes256-ctr -C "$COMMENT" -f rsa-2048-aes256-ctr
# The unencrypted RSA key rewritten in the formats we refuse (with a hint): PEM and PKCS#8.
cp rsa-2048-plain rsa-2048-pem && ssh-keygen -q -p -P '' -N '' -m PEM -f rsa-2048-pem >/dev/null
cp rsa-2048-plain rsa-2048-pkcs8 && ssh-keygen -q -p -P '' -N '' -m PKCS8 -f rsa-2048-pkcs8 >/dev/null
rm -f rsa-2048-pem.pub rsa-2048-pkcs8.pub

# ECDSA P-256 (recognised, not supported).
ssh-keygen -q -t ecdsa -b 256 -N '' -C "$COMMENT" -f ecdsa

# An Ed25519 PKCS#8 key. ssh-keygen 9.2 cannot write one (`-m PKCS8` silently keeps the OpenSSH format
# for ed25519; `-e -m PKCS8` says "unsupported key type ED25519"), so compute-expected.py writes the
# seed of ed25519-plain as RFC 8410 PKCS#8 and checks that openssl derives the same public key from it.

python3 compute-expected.py
chmod 600 ed25519-* rsa-* ecdsa
chmod 644 ./*.pub vectors.json
