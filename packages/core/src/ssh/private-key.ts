/**
 * OpenSSH private keys (`-----BEGIN OPENSSH PRIVATE KEY-----`, format "openssh-key-v1", OpenSSH
 * PROTOCOL.key): the clear envelope (cipher, KDF, public key) and the private section, decrypted with
 * bcrypt_pbkdf and aes256-ctr/cbc (what ssh-to-age supports) and also aes*-gcm@openssh.com and
 * chacha20-poly1305@openssh.com (what it does not: ssh-to-age#205).
 *
 * No error ever contains the input: ssh-to-age quotes the whole key file in some errors; we must not.
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { chacha20orig } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { SecretsError } from '../errors.js';
import { equalBytes, fromBase64, wipe } from '../bytes.js';
import { bcryptPbkdf } from './bcrypt-pbkdf.js';
import { parseSshPublicKeyBlob, rsaPublicWire } from './public-key.js';
import type { OpenSshKeyFile, SshEd25519PublicKey, SshPrivateKey, SshRsaPublicKey } from './types.js';
import { WireReader } from './wire.js';

const MAGIC = new TextEncoder().encode('openssh-key-v1\0');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
/** Private key files are a few KiB; anything much larger is not one. */
export const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

interface CipherSpec {
  readonly keyLength: number;
  readonly ivLength: number;
  readonly blockSize: number;
  readonly tagLength: number;
  readonly decrypt: (key: Uint8Array, iv: Uint8Array, data: Uint8Array, tag: Uint8Array) => Uint8Array | null;
}

function nodeCipher(name: string): CipherSpec['decrypt'] {
  return (key, iv, data) => {
    const d = createDecipheriv(name, key, iv);
    d.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  };
}

function gcm(bits: number): CipherSpec['decrypt'] {
  return (key, iv, data, tag) => {
    try {
      const d = createDecipheriv(`aes-${bits}-gcm` as 'aes-256-gcm', key, iv) as DecipherGCM;
      d.setAuthTag(tag);
      return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
    } catch {
      return null; // authentication failed: wrong passphrase or tampered file
    }
  };
}

/**
 * chacha20-poly1305@openssh.com as OpenSSH's cipher-chachapoly.c applies it to a key file: the first 32
 * bytes of key material are the main key, sequence number 0 is the 8-byte nonce, the Poly1305 key is
 * the first 32 bytes of keystream block 0, the data is encrypted from block 1, and there is no length
 * field to decrypt (aadlen 0).
 */
function chachaPoly(key: Uint8Array, _iv: Uint8Array, data: Uint8Array, tag: Uint8Array): Uint8Array | null {
  const mainKey = key.subarray(0, 32);
  const nonce = new Uint8Array(8);
  const polyKey = chacha20orig(mainKey, nonce, new Uint8Array(32), undefined, 0);
  const expected = poly1305(data, polyKey);
  wipe(polyKey);
  if (!equalBytes(expected, tag)) return null;
  return chacha20orig(mainKey, nonce, data, undefined, 1);
}

const CIPHERS: Readonly<Record<string, CipherSpec>> = {
  'aes256-ctr': { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-256-ctr') },
  'aes192-ctr': { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-192-ctr') },
  'aes128-ctr': { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-128-ctr') },
  'aes256-cbc': { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-256-cbc') },
  'aes192-cbc': { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-192-cbc') },
  'aes128-cbc': { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0, decrypt: nodeCipher('aes-128-cbc') },
  'aes256-gcm@openssh.com': { keyLength: 32, ivLength: 12, blockSize: 16, tagLength: 16, decrypt: gcm(256) },
  'aes128-gcm@openssh.com': { keyLength: 16, ivLength: 12, blockSize: 16, tagLength: 16, decrypt: gcm(128) },
  'chacha20-poly1305@openssh.com': { keyLength: 64, ivLength: 0, blockSize: 8, tagLength: 16, decrypt: chachaPoly },
};

/** The parsed envelope plus what decryption needs. */
interface Envelope {
  readonly file: OpenSshKeyFile;
  readonly salt: Uint8Array;
  readonly rounds: number;
  readonly publicBlob: Uint8Array;
  readonly secret: Uint8Array;
  readonly tag: Uint8Array;
}

function keyFormatError(text: string): SecretsError {
  const hint = 'convert it to the OpenSSH format with `ssh-keygen -p -f KEYFILE` (this rewrites the file in place; work on a copy)';
  if (/-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    return new SecretsError('SSH_KEY_UNSUPPORTED', 'this is a PEM/PKCS#8 private key; only the OpenSSH private key format is supported', { hints: [hint] });
  }
  if (/^PuTTY-User-Key-File-/m.test(text)) {
    return new SecretsError('SSH_KEY_UNSUPPORTED', 'this is a PuTTY private key; only the OpenSSH private key format is supported', {
      hints: ['export it from PuTTYgen with "Conversions > Export OpenSSH key (force new file format)"'],
    });
  }
  if (/^(ssh-|ecdsa-|sk-)/.test(text.trimStart())) {
    return new SecretsError('SSH_KEY_INVALID', 'this is an SSH public key, not a private key', { hints: ['give the private key file (without .pub)'] });
  }
  return new SecretsError('SSH_KEY_INVALID', `not an OpenSSH private key (expected a "${BEGIN}" block)`);
}

/** Extracts the binary blob from the PEM-like armor. */
function unarmor(text: string): Uint8Array {
  if (text.length > MAX_PRIVATE_KEY_BYTES) throw new SecretsError('LIMIT_EXCEEDED', `private key file larger than ${MAX_PRIVATE_KEY_BYTES} bytes`);
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw keyFormatError(text);
  const body = text.slice(start + BEGIN.length, end).replace(/[\r\n\t ]/g, '');
  const bytes = fromBase64(body, 'optional');
  if (bytes === null) throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: invalid base64');
  if (bytes.length < MAGIC.length || !equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: missing openssh-key-v1 magic');
  }
  return bytes;
}

function parseEnvelope(text: string): Envelope {
  const bytes = unarmor(text);
  const r = new WireReader(bytes.subarray(MAGIC.length), 'OpenSSH private key');
  const cipherName = r.text();
  const kdfName = r.text();
  const kdfOptions = r.string();
  const count = r.uint32();
  if (count !== 1) {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `the file holds ${count} keys; only files with exactly one key are supported`);
  }
  const publicBlob = r.string();
  const secret = r.string();
  let salt: Uint8Array = new Uint8Array(0);
  let rounds = 0;
  if (kdfName === 'bcrypt') {
    const k = new WireReader(kdfOptions, 'bcrypt KDF options');
    salt = k.string();
    rounds = k.uint32();
    k.end();
  } else if (kdfName !== 'none') {
    throw new SecretsError('SSH_CIPHER_UNSUPPORTED', `unsupported private key KDF ${JSON.stringify(kdfName)}`);
  }
  if ((cipherName === 'none') !== (kdfName === 'none')) {
    throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: cipher and KDF disagree');
  }
  const spec = CIPHERS[cipherName];
  if (cipherName !== 'none' && !spec) {
    throw new SecretsError('SSH_CIPHER_UNSUPPORTED', `unsupported private key cipher ${JSON.stringify(cipherName)}`, {
      hints: ['re-encrypt a copy with `ssh-keygen -p -Z aes256-ctr -f KEYFILE`'],
    });
  }
  // The AEAD tag follows the encrypted section, outside its length field (sshkey.c private2_decrypt).
  const tag = r.raw(spec?.tagLength ?? 0);
  r.end();
  let publicKey: OpenSshKeyFile['publicKey'] = null;
  const keyType = new WireReader(publicBlob, 'SSH public key').text();
  if (keyType === 'ssh-ed25519' || keyType === 'ssh-rsa') publicKey = parseSshPublicKeyBlob(publicBlob);
  return {
    file: { publicKey, keyType, encrypted: cipherName !== 'none', cipherName, kdfName },
    salt,
    rounds,
    publicBlob,
    secret,
    tag,
  };
}

/**
 * Parses the clear envelope of an OpenSSH private key: its type, public key and protection, without
 * needing the passphrase (so an encrypted key can be matched against a file before asking for it).
 *
 * @param pem - the key file's text
 * @returns the envelope
 * @throws SecretsError SSH_KEY_INVALID / SSH_KEY_UNSUPPORTED / SSH_CIPHER_UNSUPPORTED / LIMIT_EXCEEDED
 */
export function inspectOpenSshPrivateKey(pem: string): OpenSshKeyFile {
  return parseEnvelope(pem).file;
}

function toBytes(passphrase: string | Uint8Array): Uint8Array {
  return typeof passphrase === 'string' ? new TextEncoder().encode(passphrase) : passphrase;
}

/**
 * Decrypts (when needed) and parses an OpenSSH private key.
 *
 * @param pem - the key file's text
 * @param passphrase - required for encrypted keys; an error for unencrypted ones, as in ssh-to-age
 * @returns the private key (ed25519 or RSA)
 * @throws SecretsError SSH_PASSPHRASE_REQUIRED, SSH_PASSPHRASE_INCORRECT, SSH_PASSPHRASE_UNEXPECTED,
 *   SSH_KEY_INVALID, SSH_KEY_UNSUPPORTED, SSH_CIPHER_UNSUPPORTED, LIMIT_EXCEEDED
 */
export function decryptOpenSshPrivateKey(pem: string, passphrase?: string | Uint8Array): SshPrivateKey {
  const env = parseEnvelope(pem);
  const { file } = env;
  let plain: Uint8Array;
  if (!file.encrypted) {
    if (passphrase !== undefined && toBytes(passphrase).length > 0) {
      throw new SecretsError('SSH_PASSPHRASE_UNEXPECTED', 'a passphrase was given but the key is not password protected');
    }
    plain = env.secret.slice();
  } else {
    if (passphrase === undefined || toBytes(passphrase).length === 0) {
      throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'this private key is passphrase protected');
    }
    const spec = CIPHERS[file.cipherName] as CipherSpec;
    if (env.secret.length % spec.blockSize !== 0) throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: bad encrypted length');
    const material = bcryptPbkdf(toBytes(passphrase), env.salt, env.rounds, spec.keyLength + spec.ivLength);
    const decrypted = spec.decrypt(material.subarray(0, spec.keyLength), material.subarray(spec.keyLength), env.secret, env.tag);
    wipe(material);
    if (decrypted === null) throw new SecretsError('SSH_PASSPHRASE_INCORRECT', 'incorrect passphrase for private key');
    plain = decrypted;
  }
  try {
    return parsePrivateSection(plain, env.publicBlob, file.encrypted);
  } finally {
    wipe(plain);
  }
}

function parsePrivateSection(plain: Uint8Array, publicBlob: Uint8Array, encrypted: boolean): SshPrivateKey {
  const r = new WireReader(plain, 'OpenSSH private key');
  const check1 = r.uint32();
  const check2 = r.uint32();
  if (check1 !== check2) {
    // For an encrypted key this is how a wrong passphrase shows (CBC/CTR have no authentication).
    if (encrypted) throw new SecretsError('SSH_PASSPHRASE_INCORRECT', 'incorrect passphrase for private key');
    throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: check bytes differ');
  }
  const type = r.text();
  let key: SshPrivateKey;
  if (type === 'ssh-ed25519') {
    const pub = r.string();
    const priv = r.string();
    if (pub.length !== 32 || priv.length !== 64) throw new SecretsError('SSH_KEY_INVALID', 'malformed ssh-ed25519 private key');
    // The 64-byte private key is seed || public key (RFC 8032 as OpenSSH stores it).
    if (!equalBytes(priv.subarray(32), pub)) throw new SecretsError('SSH_KEY_INVALID', 'malformed ssh-ed25519 private key: inconsistent public half');
    const comment = new TextDecoder().decode(r.string());
    const publicKey = { ...(parseSshPublicKeyBlob(publicBlob) as SshEd25519PublicKey), comment };
    if (!equalBytes(publicKey.key, pub)) throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: public and private parts differ');
    key = { type, seed: priv.slice(0, 32), publicKey, comment };
  } else if (type === 'ssh-rsa') {
    const n = r.mpint().slice();
    const e = r.mpint().slice();
    const d = r.mpint().slice();
    const iqmp = r.mpint().slice();
    const p = r.mpint().slice();
    const q = r.mpint().slice();
    const comment = new TextDecoder().decode(r.string());
    const publicKey = { ...(parseSshPublicKeyBlob(rsaPublicWire(e, n)) as SshRsaPublicKey), comment };
    if (!equalBytes(publicKey.wire, publicBlob)) throw new SecretsError('SSH_KEY_INVALID', 'malformed OpenSSH private key: public and private parts differ');
    key = { type, n, e, d, p, q, iqmp, publicKey, comment };
  } else {
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${type} key type, but only ed25519 and rsa private keys are supported`);
  }
  // Padding is 1, 2, 3, … up to the block size (PROTOCOL.key).
  const padding = r.raw(r.remaining);
  for (let i = 0; i < padding.length; i++) {
    if (padding[i] !== i + 1) throw new SecretsError(encrypted ? 'SSH_PASSPHRASE_INCORRECT' : 'SSH_KEY_INVALID', encrypted ? 'incorrect passphrase for private key' : 'malformed OpenSSH private key: bad padding');
  }
  return key;
}
