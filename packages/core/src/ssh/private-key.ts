/**
 * OpenSSH private keys, `-----BEGIN OPENSSH PRIVATE KEY-----` (format "openssh-key-v1", OpenSSH's
 * PROTOCOL.key): the clear envelope (cipher, KDF, public key) and the private section, decrypted with
 * bcrypt_pbkdf and every cipher ssh-keygen can write (`ssh -Q cipher`): aes{128,192,256}-{ctr,cbc},
 * 3des-cbc, aes{128,256}-gcm@openssh.com and chacha20-poly1305@openssh.com. ssh-to-age (Go x/crypto) reads
 * only aes256-ctr/cbc (ssh-to-age#205); we read them all.
 *
 * No error ever contains the input or key material: ssh-to-age quotes the whole key file in its errors.
 */
import { createDecipheriv, createPrivateKey, createPublicKey, timingSafeEqual } from 'node:crypto';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { SecretsError } from '../errors.js';
import { equalBytes, wipe } from '../bytes.js';
import { bcryptPbkdf } from './bcrypt-pbkdf.js';
import { BEGIN, MAX_PRIVATE_KEY_BYTES, parseEnvelope, type Envelope } from './envelope.js';
import { decryptPemPrivateKey, pemPrivateKeyLabel } from './pem-key.js';
import { parseSshPublicKeyBlob, rsaPublicWire } from './public-key.js';
import type { SshEd25519PrivateKey, SshPrivateKey, SshRsaPrivateKey } from './types.js';
import { WireReader } from './wire.js';

export { MAX_PRIVATE_KEY_BYTES, SUPPORTED_KEY_CIPHERS, inspectOpenSshPrivateKey } from './envelope.js';

const commentDecoder = new TextDecoder();

/** How to undo a cipher: the plaintext, or null when authentication fails. */
type Decrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array, tag: Uint8Array) => Uint8Array | null;

/** Joins node:crypto output into a fresh array and clears the intermediate Buffers. */
function toPlain(...parts: Buffer[]): Uint8Array {
  const joined = Buffer.concat(parts);
  const out = new Uint8Array(joined);
  joined.fill(0);
  for (const p of parts) p.fill(0);
  return out;
}

function unauthenticated(algorithm: string): Decrypt {
  return (key, iv, data) => {
    const d = createDecipheriv(algorithm, key, iv);
    d.setAutoPadding(false); // OpenSSH pads with 1, 2, 3, … itself
    return toPlain(d.update(data), d.final());
  };
}

/** AES-GCM as OpenSSH uses it for key files: the whole 12-byte IV from the KDF, no AAD, 16-byte tag. */
function gcm(algorithm: 'aes-128-gcm' | 'aes-256-gcm'): Decrypt {
  return (key, iv, data, tag) => {
    const d = createDecipheriv(algorithm, key, iv);
    d.setAuthTag(tag);
    const head = d.update(data);
    try {
      return toPlain(head, d.final());
    } catch {
      head.fill(0);
      return null; // authentication failed: wrong passphrase or altered file
    }
  };
}

/**
 * chacha20-poly1305@openssh.com as OpenSSH's cipher-chachapoly.c applies it to a key file (PROTOCOL.chacha20poly1305,
 * with no length field since aadlen is 0): K_main = the first 32 of the 64 key bytes, nonce = sequence
 * number 0 as 8 bytes big-endian, Poly1305 key = the first 32 bytes of ChaCha20(K_main) block 0, the tag is
 * over the ciphertext, and the payload is ChaCha20(K_main) from block counter 1.
 */
function chachaPoly(key: Uint8Array, _iv: Uint8Array, data: Uint8Array, tag: Uint8Array): Uint8Array | null {
  const mainKey = key.subarray(0, 32);
  const nonce = new Uint8Array(8);
  const polyKey = chacha20orig(mainKey, nonce, new Uint8Array(32), undefined, 0);
  const expected = poly1305(data, polyKey);
  wipe(polyKey);
  if (tag.length !== expected.length || !timingSafeEqual(expected, tag)) return null;
  return chacha20orig(mainKey, nonce, data, undefined, 1);
}

const DECRYPT: ReadonlyMap<string, Decrypt> = new Map([
  ['aes128-ctr', unauthenticated('aes-128-ctr')],
  ['aes192-ctr', unauthenticated('aes-192-ctr')],
  ['aes256-ctr', unauthenticated('aes-256-ctr')],
  ['aes128-cbc', unauthenticated('aes-128-cbc')],
  ['aes192-cbc', unauthenticated('aes-192-cbc')],
  ['aes256-cbc', unauthenticated('aes-256-cbc')],
  ['3des-cbc', unauthenticated('des-ede3-cbc')],
  ['aes128-gcm@openssh.com', gcm('aes-128-gcm')],
  ['aes256-gcm@openssh.com', gcm('aes-256-gcm')],
  ['chacha20-poly1305@openssh.com', chachaPoly],
]);

/** Ed25519 public key of a seed (RFC 8032), on node:crypto. */
function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: '' }, format: 'jwk' });
  return new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url'));
}

function passphraseBytes(passphrase: string | Uint8Array | undefined): Uint8Array {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JavaScript callers may pass null
  if (passphrase === undefined || passphrase === null) return new Uint8Array(0);
  if (typeof passphrase === 'string') return new TextEncoder().encode(passphrase);
  if (passphrase instanceof Uint8Array) return passphrase.slice();
  throw new SecretsError('USAGE', 'the passphrase must be a string or bytes');
}

const INCORRECT = 'incorrect passphrase for private key';

/**
 * Decrypts (when needed) and parses an OpenSSH private key, or a PEM one (PKCS#1 RSA, PKCS#8 RSA and
 * Ed25519, legacy-encrypted or encrypted PKCS#8; see `pem-key.ts`).
 *
 * An empty passphrase counts as none, as in ssh-to-age (it only passes a non-empty one to x/crypto).
 *
 * @param pem - the key file's text
 * @param passphrase - required for encrypted keys, refused for unencrypted ones (as ssh-to-age does)
 * @returns the ssh-ed25519 or ssh-rsa private key
 * @throws SecretsError SSH_PASSPHRASE_REQUIRED (`this private key is passphrase protected`),
 *   SSH_PASSPHRASE_INCORRECT (`incorrect passphrase for private key`), SSH_PASSPHRASE_UNEXPECTED (`a
 *   passphrase was given but the key is not password protected`), SSH_KEY_UNSUPPORTED (other key types and
 *   formats), SSH_CIPHER_UNSUPPORTED, SSH_KEY_INVALID (malformed or inconsistent), LIMIT_EXCEEDED (file size,
 *   KDF rounds)
 */
export function decryptOpenSshPrivateKey(pem: string, passphrase?: string | Uint8Array): SshPrivateKey {
  if (typeof pem === 'string' && pem.length <= MAX_PRIVATE_KEY_BYTES && !pem.includes(BEGIN) && pemPrivateKeyLabel(pem) !== null) {
    const pass = passphraseBytes(passphrase);
    try {
      return decryptPemPrivateKey(pem, pass);
    } finally {
      wipe(pass);
    }
  }
  const env = parseEnvelope(pem);
  try {
    return decryptEnvelope(env, passphrase);
  } finally {
    env.body.fill(0);
  }
}

function decryptEnvelope(env: Envelope, passphrase: string | Uint8Array | undefined): SshPrivateKey {
  const { file, spec } = env;
  if (file.keyType !== 'ssh-ed25519' && file.keyType !== 'ssh-rsa') {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${file.keyType} key type, but only ed25519 and rsa private keys are supported`, {
      details: { keyType: file.keyType },
    });
  }
  const pass = passphraseBytes(passphrase);
  let plain: Uint8Array;
  try {
    if (spec === null) {
      if (pass.length > 0) throw new SecretsError('SSH_PASSPHRASE_UNEXPECTED', 'a passphrase was given but the key is not password protected');
      plain = env.secret.slice();
    } else {
      if (pass.length === 0) throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'this private key is passphrase protected');
      if (env.secret.length % spec.blockSize !== 0) {
        throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: the encrypted section is not a whole number of cipher blocks');
      }
      const material = bcryptPbkdf(pass, env.salt, file.kdfRounds, spec.keyLength + spec.ivLength);
      let decrypted: Uint8Array | null;
      try {
        decrypted = (DECRYPT.get(file.cipherName) as Decrypt)(material.subarray(0, spec.keyLength), material.subarray(spec.keyLength), env.secret, env.tag);
      } catch (error) {
        // Only node:crypto lacking a cipher (e.g. 3DES in an OpenSSL without it) can get here.
        throw new SecretsError('SSH_CIPHER_UNSUPPORTED', `this Node.js cannot decrypt ${JSON.stringify(file.cipherName)}`, {
          hints: ['re-encrypt a copy with a common cipher: `ssh-keygen -p -Z aes256-ctr -f COPY`'],
          cause: error,
        });
      } finally {
        wipe(material);
      }
      if (decrypted === null) throw new SecretsError('SSH_PASSPHRASE_INCORRECT', INCORRECT);
      plain = decrypted;
    }
  } finally {
    wipe(pass);
  }
  try {
    return parsePrivateSection(plain, env);
  } finally {
    wipe(plain);
  }
}

function toBigInt(magnitude: Uint8Array): bigint {
  return magnitude.length === 0 ? 0n : BigInt(`0x${Buffer.from(magnitude).toString('hex')}`);
}

function parsePrivateSection(plain: Uint8Array, env: Envelope): SshPrivateKey {
  const copies: Uint8Array[] = []; // secret copies made so far, wiped if the section turns out bad
  const keep = (bytes: Uint8Array): Uint8Array => {
    copies.push(bytes);
    return bytes;
  };
  try {
    return readPrivateSection(new WireReader(plain, 'OpenSSH private key'), env, keep);
  } catch (error) {
    wipe(...copies);
    throw error;
  }
}

function readPrivateSection(r: WireReader, env: Envelope, keep: (bytes: Uint8Array) => Uint8Array): SshPrivateKey {
  // PROTOCOL.key §3: uint32 checkint ×2 (equal), then the key, comment and padding 1, 2, 3, …
  // Unauthenticated ciphers (CTR/CBC) reveal a wrong passphrase only here.
  const check1 = r.uint32();
  const check2 = r.uint32();
  if (check1 !== check2) {
    if (env.file.encrypted) throw new SecretsError('SSH_PASSPHRASE_INCORRECT', INCORRECT);
    r.fail('the check numbers differ');
  }
  const type = r.name();
  if (type !== env.file.keyType) r.fail('the private key type differs from the public key type');
  let key: SshPrivateKey;
  if (type === 'ssh-ed25519') {
    // string pub (32), string priv (64) = seed || pub (RFC 8032 keys as OpenSSH stores them).
    const pub = r.string();
    const priv = r.string();
    if (pub.length !== 32 || priv.length !== 64) r.fail('wrong ssh-ed25519 key lengths');
    const publicKey = env.file.publicKey;
    if (publicKey?.type !== 'ssh-ed25519') return r.fail('the private and public parts differ');
    if (!equalBytes(priv.subarray(32), pub) || !equalBytes(publicKey.key, pub)) r.fail('the private and public parts differ');
    // The seed must generate the stored public key; a file where it does not would convert to an age
    // identity that does not match its recipient.
    const seed = keep(priv.slice(0, 32));
    if (!equalBytes(ed25519PublicKey(seed), pub)) r.fail('the seed does not match the public key');
    const comment = commentDecoder.decode(r.string());
    key = { type: 'ssh-ed25519', seed, publicKey: { ...publicKey, comment }, comment } satisfies SshEd25519PrivateKey;
  } else {
    // ssh-rsa: mpint n, e, d, iqmp, p, q (sshkey.c ssh_rsa_deserialize_private).
    const n = r.mpint();
    const e = r.mpint();
    const d = keep(r.mpint());
    const iqmp = keep(r.mpint());
    const p = keep(r.mpint());
    const q = keep(r.mpint());
    const publicKey = env.file.publicKey;
    if (publicKey?.type !== 'ssh-rsa' || !equalBytes(publicKey.n, n) || !equalBytes(publicKey.e, e)) r.fail('the private and public parts differ');
    const [N, E, D, P, Q, IQMP] = [toBigInt(n), toBigInt(e), toBigInt(d), toBigInt(p), toBigInt(q), toBigInt(iqmp)];
    if (P < 2n || Q < 2n || P * Q !== N || (IQMP * Q) % P !== 1n || d.length === 0) r.fail('inconsistent RSA parameters');
    // Go's rsa.PrivateKey.Validate: d·e ≡ 1 mod (p-1) and mod (q-1). Without it a corrupted d loads and
    // only fails (as "the stanza does not decrypt") when a file is opened.
    if ((D * E) % (P - 1n) !== 1n || (D * E) % (Q - 1n) !== 1n) r.fail('inconsistent RSA parameters');
    const comment = commentDecoder.decode(r.string());
    const rsaPublic = parseSshPublicKeyBlob(rsaPublicWire(e, n), comment);
    if (rsaPublic.type !== 'ssh-rsa') return r.fail('not an RSA key');
    key = { type: 'ssh-rsa', n, e, d, iqmp, p, q, publicKey: rsaPublic, comment } satisfies SshRsaPrivateKey;
  }
  // Padding: 1, 2, 3, … (PROTOCOL.key §3). OpenSSH (private2_check_padding) and x/crypto check the values
  // but not the length, so neither do we.
  const padding = r.rest();
  for (let i = 0; i < padding.length; i++) if (padding[i] !== i + 1) r.fail('bad padding');
  return key;
}
