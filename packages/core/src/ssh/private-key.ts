/**
 * OpenSSH private keys, `-----BEGIN OPENSSH PRIVATE KEY-----` (format "openssh-key-v1", OpenSSH's
 * PROTOCOL.key): the clear envelope (cipher, KDF, public key) and the private section, decrypted with
 * bcrypt_pbkdf and every cipher ssh-keygen can write (`ssh -Q cipher`): aes{128,192,256}-{ctr,cbc},
 * 3des-cbc, aes{128,256}-gcm@openssh.com and chacha20-poly1305@openssh.com. ssh-to-age (Go x/crypto) reads
 * only aes256-ctr/cbc (ssh-to-age#205); we read them all.
 *
 * No error ever contains the input or key material: ssh-to-age quotes the whole key file in its errors.
 */
import { createDecipheriv, timingSafeEqual, type DecipherGCM } from 'node:crypto';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SecretsError } from '../errors.js';
import { equalBytes, wipe } from '../bytes.js';
import { bcryptPbkdf } from './bcrypt-pbkdf.js';
import { parseSshPublicKeyBlob, rsaPublicWire } from './public-key.js';
import type { OpenSshKeyFile, SshEd25519PrivateKey, SshPrivateKey, SshRsaPrivateKey } from './types.js';
import { WireReader, decodeBase64 } from './wire.js';

const MAGIC = new TextEncoder().encode('openssh-key-v1\0');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';

/** Key files are a few KiB (an RSA-16384 key is about 13 KiB); anything much larger is not one. */
export const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

const commentDecoder = new TextDecoder();

/** A cipher as OpenSSH's cipher.c describes it, plus how to undo it. */
interface CipherSpec {
  readonly keyLength: number;
  readonly ivLength: number;
  /** The private section's length must be a multiple of this (sshkey.c private2_decrypt). */
  readonly blockSize: number;
  /** AEAD tag length; the tag follows the encrypted section, outside its length field. */
  readonly tagLength: number;
  /** @returns the plaintext, or null when authentication fails */
  readonly decrypt: (key: Uint8Array, iv: Uint8Array, data: Uint8Array, tag: Uint8Array) => Uint8Array | null;
}

/** Joins node:crypto output into a fresh array and clears the intermediate Buffers. */
function toPlain(...parts: Buffer[]): Uint8Array {
  const joined = Buffer.concat(parts);
  const out = new Uint8Array(joined);
  joined.fill(0);
  for (const p of parts) p.fill(0);
  return out;
}

function unauthenticated(algorithm: string): CipherSpec['decrypt'] {
  return (key, iv, data) => {
    const d = createDecipheriv(algorithm, key, iv);
    d.setAutoPadding(false); // OpenSSH pads with 1, 2, 3, … itself
    return toPlain(d.update(data), d.final());
  };
}

/** AES-GCM as OpenSSH uses it for key files: the whole 12-byte IV from the KDF, no AAD, 16-byte tag. */
function gcm(algorithm: 'aes-128-gcm' | 'aes-256-gcm'): CipherSpec['decrypt'] {
  return (key, iv, data, tag) => {
    const d = createDecipheriv(algorithm, key, iv) as DecipherGCM;
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

const CIPHERS: ReadonlyMap<string, CipherSpec> = new Map([
  ['aes128-ctr', { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-128-ctr') }],
  ['aes192-ctr', { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-192-ctr') }],
  ['aes256-ctr', { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-256-ctr') }],
  ['aes128-cbc', { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-128-cbc') }],
  ['aes192-cbc', { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-192-cbc') }],
  ['aes256-cbc', { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: unauthenticated('aes-256-cbc') }],
  ['3des-cbc', { keyLength: 24, ivLength: 8, blockSize: 8, tagLength: 0, decrypt: unauthenticated('des-ede3-cbc') }],
  ['aes128-gcm@openssh.com', { keyLength: 16, ivLength: 12, blockSize: 16, tagLength: 16, decrypt: gcm('aes-128-gcm') }],
  ['aes256-gcm@openssh.com', { keyLength: 32, ivLength: 12, blockSize: 16, tagLength: 16, decrypt: gcm('aes-256-gcm') }],
  ['chacha20-poly1305@openssh.com', { keyLength: 64, ivLength: 0, blockSize: 8, tagLength: 16, decrypt: chachaPoly }],
]);

/** The cipher names this module decrypts (besides `none`). */
export const SUPPORTED_KEY_CIPHERS: readonly string[] = [...CIPHERS.keys()];

/** The parsed envelope plus what decryption needs. */
interface Envelope {
  /** The whole decoded file; publicBlob, secret and tag are views into it. Wiped after use. */
  readonly body: Uint8Array;
  readonly file: OpenSshKeyFile;
  readonly spec: CipherSpec | null;
  readonly salt: Uint8Array;
  readonly publicBlob: Uint8Array;
  readonly secret: Uint8Array;
  readonly tag: Uint8Array;
}

const SSH_KEYGEN_HINT = 'convert a copy to the OpenSSH format with `ssh-keygen -p -f COPY` (it rewrites the file in place)';
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]);

/** The error for text without an OpenSSH key block: says what it looks like instead, never what it holds. */
function notOpenSsh(text: string): SecretsError {
  const pem = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  const only = 'only the OpenSSH private key format ("-----BEGIN OPENSSH PRIVATE KEY-----") is supported';
  if (pem === 'PRIVATE KEY') {
    const body = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]*)-----END PRIVATE KEY-----/.exec(text)?.[1];
    const der = body === undefined ? null : decodeBase64(body.replace(/\s+/g, ''));
    const isEd25519 = der !== null && der.length >= PKCS8_ED25519_PREFIX.length && equalBytes(der.subarray(0, PKCS8_ED25519_PREFIX.length), PKCS8_ED25519_PREFIX);
    der?.fill(0);
    if (isEd25519) {
      return new SecretsError('SSH_KEY_UNSUPPORTED', `this is a PKCS#8 Ed25519 private key; ${only}`, {
        hints: [
          "ssh-keygen (OpenSSH 9.2 at least) cannot read Ed25519 PKCS#8 keys; convert with a tool that writes the OpenSSH format, e.g. Python cryptography's private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())",
        ],
      });
    }
    return new SecretsError('SSH_KEY_UNSUPPORTED', `this is a PKCS#8 private key; ${only}`, { hints: [SSH_KEYGEN_HINT] });
  }
  if (pem === 'ENCRYPTED PRIVATE KEY') return new SecretsError('SSH_KEY_UNSUPPORTED', `this is an encrypted PKCS#8 private key; ${only}`, { hints: [SSH_KEYGEN_HINT] });
  if (pem === 'RSA PRIVATE KEY' || pem === 'EC PRIVATE KEY' || pem === 'DSA PRIVATE KEY') {
    return new SecretsError('SSH_KEY_UNSUPPORTED', `this is a PEM (${pem.split(' ')[0]}) private key; ${only}`, { hints: [SSH_KEYGEN_HINT] });
  }
  if (/^PuTTY-User-Key-File-\d+:/m.test(text)) {
    return new SecretsError('SSH_KEY_UNSUPPORTED', `this is a PuTTY private key; ${only}`, {
      hints: ['export it with `puttygen KEY.ppk -O private-openssh-new -o KEYFILE`, or PuTTYgen\'s "Conversions > Export OpenSSH key (force new file format)"'],
    });
  }
  if (/^---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----/m.test(text)) {
    return new SecretsError('SSH_KEY_UNSUPPORTED', `this is an SSH.COM (SSH2) private key; ${only}`);
  }
  if (/^\s*(ssh-|ecdsa-|sk-)\S+ AAAA/.test(text)) {
    return new SecretsError('SSH_KEY_INVALID', 'this is an SSH public key, not a private key', { hints: ['give the private key file (the one without .pub)'] });
  }
  return new SecretsError('SSH_KEY_INVALID', `not an OpenSSH private key (no "${BEGIN}" line)`);
}

/** Extracts the binary blob from the PEM-like armor (PROTOCOL.key: base64 between the two marker lines). */
function unarmor(text: string): Uint8Array {
  if (typeof text !== 'string') throw new SecretsError('SSH_KEY_INVALID', 'not an OpenSSH private key (expected text)');
  if (text.length > MAX_PRIVATE_KEY_BYTES) throw new SecretsError('LIMIT_EXCEEDED', `private key file larger than ${MAX_PRIVATE_KEY_BYTES} bytes`);
  const start = text.indexOf(BEGIN);
  if (start < 0) throw notOpenSsh(text);
  const end = text.indexOf(END, start);
  if (end < 0) throw new SecretsError('SSH_KEY_INVALID', `malformed OpenSSH private key: no "${END}" line`);
  if (text.includes(BEGIN, end)) {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', 'the text holds more than one OpenSSH private key; give one key per file');
  }
  const bytes = decodeBase64(text.slice(start + BEGIN.length, end).replace(/[\r\n\t ]+/g, ''));
  if (bytes === null) throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: invalid base64');
  if (bytes.length < MAGIC.length || !equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: missing the openssh-key-v1 magic');
  }
  return bytes;
}

function parseEnvelope(text: string): Envelope {
  const bytes = unarmor(text);
  try {
    return readEnvelope(bytes);
  } catch (error) {
    bytes.fill(0);
    throw error;
  }
}

function readEnvelope(bytes: Uint8Array): Envelope {
  // PROTOCOL.key §1: magic, string ciphername, string kdfname, string kdfoptions, uint32 N,
  // N public key blobs, string encrypted private section (then the AEAD tag, if any).
  const r = new WireReader(bytes.subarray(MAGIC.length), 'OpenSSH private key');
  const cipherName = r.name();
  const kdfName = r.name();
  const kdfOptions = r.string();
  const count = r.uint32();
  if (count === 0) r.fail('no key in the file');
  if (count !== 1) {
    // OpenSSH and Go's x/crypto ("ssh: multi-key files are not supported") refuse these too.
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `the file holds ${count} keys; only files with exactly one key are supported`);
  }
  const publicBlob = r.string();
  const secret = r.string();

  let salt: Uint8Array = new Uint8Array(0);
  let rounds = 0;
  if (kdfName === 'bcrypt') {
    // PROTOCOL.key §2: string salt, uint32 rounds.
    const k = new WireReader(kdfOptions, 'OpenSSH private key KDF options');
    salt = k.string();
    rounds = k.uint32();
    k.end();
  } else if (kdfName === 'none') {
    if (kdfOptions.length !== 0) r.fail('KDF options for the "none" KDF');
  } else {
    throw new SecretsError('SSH_CIPHER_UNSUPPORTED', `unsupported private key KDF ${JSON.stringify(kdfName)}; only "bcrypt" is defined`);
  }
  if ((cipherName === 'none') !== (kdfName === 'none')) r.fail('the cipher and the KDF disagree');
  const spec = cipherName === 'none' ? null : (CIPHERS.get(cipherName) ?? null);
  if (cipherName !== 'none' && spec === null) {
    throw new SecretsError('SSH_CIPHER_UNSUPPORTED', `unsupported private key cipher ${JSON.stringify(cipherName)}`, {
      hints: ['re-encrypt a copy with a common cipher: `ssh-keygen -p -Z aes256-ctr -f COPY`'],
    });
  }
  const tag = r.raw(spec?.tagLength ?? 0);
  r.end();

  const keyType = new WireReader(publicBlob, 'OpenSSH private key public part').name();
  const publicKey = keyType === 'ssh-ed25519' || keyType === 'ssh-rsa' ? parseSshPublicKeyBlob(publicBlob) : null;
  return {
    body: bytes,
    file: { publicKey, keyType, encrypted: cipherName !== 'none', cipherName, kdfName, kdfRounds: rounds },
    spec,
    salt,
    publicBlob,
    secret,
    tag,
  };
}

/**
 * Parses the clear envelope of an OpenSSH private key: key type, public key and protection. Needs no
 * passphrase, so an encrypted key can be matched (e.g. by age stanza tag) before asking for one.
 *
 * @param pem - the key file's text
 * @returns the envelope; `publicKey` is null for key types other than ssh-ed25519 and ssh-rsa
 * @throws SecretsError SSH_KEY_INVALID (malformed; not a private key), SSH_KEY_UNSUPPORTED (PEM, PKCS#8,
 *   PuTTY formats; several keys), SSH_CIPHER_UNSUPPORTED (unknown cipher or KDF), LIMIT_EXCEEDED (over 64 KiB)
 */
export function inspectOpenSshPrivateKey(pem: string): OpenSshKeyFile {
  const env = parseEnvelope(pem);
  env.body.fill(0); // the public key was copied out; an unencrypted private section is in here too
  return env.file;
}

function passphraseBytes(passphrase: string | Uint8Array | undefined): Uint8Array {
  if (passphrase === undefined || passphrase === null) return new Uint8Array(0);
  if (typeof passphrase === 'string') return new TextEncoder().encode(passphrase);
  if (passphrase instanceof Uint8Array) return passphrase.slice();
  throw new SecretsError('USAGE', 'the passphrase must be a string or bytes');
}

const INCORRECT = 'incorrect passphrase for private key';

/**
 * Decrypts (when needed) and parses an OpenSSH private key.
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
        decrypted = spec.decrypt(material.subarray(0, spec.keyLength), material.subarray(spec.keyLength), env.secret, env.tag);
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
    if (!equalBytes(ed25519.getPublicKey(seed), pub)) r.fail('the seed does not match the public key');
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
