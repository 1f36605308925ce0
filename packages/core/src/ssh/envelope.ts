/**
 * The clear envelope of an OpenSSH private key (`openssh-key-v1`, OpenSSH's PROTOCOL.key): cipher, KDF
 * and public key, readable without the passphrase. Kept apart from the decryption (`private-key.ts`) so
 * that listing and matching keys loads no cipher code.
 *
 * No error ever contains the input or key material.
 */
import { SecretsError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import { parseSshPublicKeyBlob } from './public-key.js';
import { inspectPemPrivateKey, pemPrivateKeyLabel } from './pem-key.js';
import type { OpenSshKeyFile } from './types.js';
import { WireReader, decodeBase64 } from './wire.js';

export const MAGIC: Uint8Array = new TextEncoder().encode('openssh-key-v1\0');
export const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
export const END = '-----END OPENSSH PRIVATE KEY-----';

/** Key files are a few KiB (an RSA-16384 key is about 13 KiB); anything much larger is not one. */
export const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

/** A cipher's shape, as OpenSSH's cipher.c describes it. */
export interface CipherParams {
  readonly keyLength: number;
  readonly ivLength: number;
  /** The private section's length must be a multiple of this (sshkey.c private2_decrypt). */
  readonly blockSize: number;
  /** AEAD tag length; the tag follows the encrypted section, outside its length field. */
  readonly tagLength: number;
}

/** Every cipher ssh-keygen can write, as OpenSSH's cipher.c describes it. */
export const CIPHERS: ReadonlyMap<string, CipherParams> = new Map([
  ['aes128-ctr', { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['aes192-ctr', { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['aes256-ctr', { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['aes128-cbc', { keyLength: 16, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['aes192-cbc', { keyLength: 24, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['aes256-cbc', { keyLength: 32, ivLength: 16, blockSize: 16, tagLength: 0 }],
  ['3des-cbc', { keyLength: 24, ivLength: 8, blockSize: 8, tagLength: 0 }],
  ['aes128-gcm@openssh.com', { keyLength: 16, ivLength: 12, blockSize: 16, tagLength: 16 }],
  ['aes256-gcm@openssh.com', { keyLength: 32, ivLength: 12, blockSize: 16, tagLength: 16 }],
  ['chacha20-poly1305@openssh.com', { keyLength: 64, ivLength: 0, blockSize: 8, tagLength: 16 }],
]);

/** The cipher names `decryptOpenSshPrivateKey` decrypts (besides `none`). */
export const SUPPORTED_KEY_CIPHERS: readonly string[] = [...CIPHERS.keys()];

/** The parsed envelope plus what decryption needs. */
export interface Envelope {
  /** The whole decoded file; publicBlob, secret and tag are views into it. Wiped after use. */
  readonly body: Uint8Array;
  readonly file: OpenSshKeyFile;
  readonly spec: CipherParams | null;
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

/** @internal Parses the clear envelope; the caller wipes `body`. */
export function parseEnvelope(text: string): Envelope {
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
 * PEM keys (PKCS#1 RSA, PKCS#8 RSA/Ed25519, encrypted or not) are read too (`pem-key.ts`): an encrypted
 * one carries no public key in clear, so `publicKeyLine` (its `.pub`) supplies it, as age does.
 *
 * @param pem - the key file's text
 * @param publicKeyLine - the `.pub` file's line, for encrypted PEM keys
 * @returns the envelope; `publicKey` is null for key types other than ssh-ed25519 and ssh-rsa, and for an
 *   encrypted PEM key without `publicKeyLine`
 * @throws SecretsError SSH_KEY_INVALID (malformed; not a private key), SSH_KEY_UNSUPPORTED (EC/DSA PEM,
 *   PuTTY formats; several keys), SSH_CIPHER_UNSUPPORTED (unknown cipher or KDF), LIMIT_EXCEEDED (over 64 KiB)
 */
export function inspectOpenSshPrivateKey(pem: string, publicKeyLine?: string): OpenSshKeyFile {
  if (typeof pem === 'string' && pem.length <= MAX_PRIVATE_KEY_BYTES && !pem.includes(BEGIN) && pemPrivateKeyLabel(pem) !== null) {
    return inspectPemPrivateKey(pem, publicKeyLine);
  }
  const env = parseEnvelope(pem);
  env.body.fill(0); // the public key was copied out; an unencrypted private section is in here too
  return env.file;
}

