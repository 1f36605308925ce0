/**
 * SSH private keys in the PEM formats older OpenSSH wrote and other tools still write, read as Go's
 * x/crypto `ssh.ParseRawPrivateKey` (what age, sops and ssh-to-age use) reads them:
 * - `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1; `ssh-keygen -m PEM`, the default before OpenSSH 7.8),
 *   passphrase-protected with `Proc-Type: 4,ENCRYPTED` / `DEK-Info` (RFC 1421 legacy PEM encryption);
 * - `-----BEGIN PRIVATE KEY-----` (PKCS#8; RSA from `ssh-keygen -m PKCS8`, Ed25519 from OpenSSL);
 * - `-----BEGIN ENCRYPTED PRIVATE KEY-----` (PKCS#8 with PBES2), which x/crypto does not read; we do.
 *
 * The DER and the legacy encryption are node:crypto's (OpenSSL). Unlike openssh-key-v1, an encrypted PEM
 * key carries no public key in clear: as age does (cmd/age/parse.go), the caller supplies the `.pub`
 * line beside it so the key can be matched before its passphrase is asked for.
 *
 * No error ever contains the input or key material.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { concatBytes, wipe } from '../bytes.js';
import { parseSshPublicKey, parseSshPublicKeyBlob, rsaPublicWire } from './public-key.js';
import type { OpenSshKeyFile, SshPrivateKey, SshPublicKey } from './types.js';
import { wireString } from './wire.js';

const LABELS = ['RSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'] as const;
type Label = (typeof LABELS)[number];

/**
 * The PEM label of a private key in a format this module reads, or null (OpenSSH's own format, other
 * PEM blocks, not a key).
 */
export function pemPrivateKeyLabel(text: string): Label | null {
  const label = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(text.slice(0, 4096))?.[1];
  return LABELS.find((l) => l === label) ?? null;
}

/** Whether the PEM key needs a passphrase (legacy `Proc-Type: 4,ENCRYPTED`, or encrypted PKCS#8). */
export function pemKeyIsEncrypted(text: string): boolean {
  const label = pemPrivateKeyLabel(text);
  return label === 'ENCRYPTED PRIVATE KEY' || (label === 'RSA PRIVATE KEY' && /^Proc-Type:[ \t]*4,ENCRYPTED[ \t]*\r?$/m.test(text));
}

const bytesOf = (base64url: unknown): Uint8Array => {
  const raw = new Uint8Array(Buffer.from(typeof base64url === 'string' ? base64url : '', 'base64url'));
  let i = 0;
  while (i < raw.length - 1 && raw[i] === 0) i++; // big-endian unsigned, no leading zeros
  return raw.subarray(i);
};

function ed25519Public(x: Uint8Array, comment: string): SshPublicKey {
  return parseSshPublicKeyBlob(concatBytes(wireString('ssh-ed25519'), wireString(x)), comment);
}

const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));

/**
 * Go's rsa.PrivateKey.Validate, which x509.ParsePKCS1PrivateKey / ParsePKCS8PrivateKey run (OpenSSL does
 * not): n = p·q, e ≥ 2, d·e ≡ 1 mod (p−1) and mod (q−1); and the CRT value OpenSSH keeps, q·iqmp ≡ 1 mod p.
 * A damaged file otherwise loads as another, useless key.
 */
function consistentRsa(n: Uint8Array, e: Uint8Array, d: Uint8Array, p: Uint8Array, q: Uint8Array, iqmp: Uint8Array): boolean {
  const [N, E, D, P, Q, IQMP] = [n, e, d, p, q, iqmp].map(big) as [bigint, bigint, bigint, bigint, bigint, bigint];
  if (P < 2n || Q < 2n || E < 2n || D === 0n || P * Q !== N) return false;
  return (IQMP * Q) % P === 1n && (D * E) % (P - 1n) === 1n && (D * E) % (Q - 1n) === 1n;
}

function load(text: string, passphrase: Uint8Array | undefined): KeyObject {
  try {
    return createPrivateKey(passphrase === undefined ? { key: text, format: 'pem' } : { key: text, format: 'pem', passphrase: Buffer.from(passphrase) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'this private key is passphrase protected');
    // OpenSSL reports a wrong passphrase as a decryption or a DER failure; for an encrypted key that is what it means.
    if (passphrase !== undefined && pemKeyIsEncrypted(text)) throw new SecretsError('SSH_PASSPHRASE_INCORRECT', 'incorrect passphrase for private key');
    throw new SecretsError('SSH_KEY_INVALID', 'malformed PEM private key', { cause: error });
  }
}

/**
 * Reads what can be known of a PEM private key without its passphrase.
 *
 * @param text - the key file's text
 * @param publicKeyLine - the `.pub` line beside it; needed to know an encrypted key's public key
 * @returns the key file description (cipher name `pem`); `publicKey` null for an encrypted key without
 *   its `.pub`, and for key types other than RSA and Ed25519
 * @throws SecretsError SSH_KEY_INVALID for malformed keys or a `.pub` that is not the key's
 */
export function inspectPemPrivateKey(text: string, publicKeyLine?: string): OpenSshKeyFile {
  const encrypted = pemKeyIsEncrypted(text);
  const given = publicKeyLine === undefined ? null : parseSshPublicKey(publicKeyLine.trim());
  const base = { encrypted, cipherName: encrypted ? 'pem' : 'none', kdfName: encrypted ? 'pem' : 'none', kdfRounds: 0 };
  if (encrypted) return { ...base, publicKey: given, keyType: given?.type ?? 'unknown (encrypted PEM key without its .pub file)' };
  const key = decryptPemPrivateKey(text);
  try {
    if (given !== null && !Buffer.from(given.wire).equals(Buffer.from(key.publicKey.wire))) {
      throw new SecretsError('SSH_KEY_INVALID', 'the .pub file beside the private key holds another key');
    }
    return { ...base, publicKey: key.publicKey, keyType: key.type };
  } finally {
    if (key.type === 'ssh-ed25519') wipe(key.seed);
    else wipe(key.d, key.p, key.q, key.iqmp);
  }
}

/**
 * Decrypts (when needed) and reads a PEM private key: RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8).
 *
 * @param text - the key file's text
 * @param passphrase - required for encrypted keys, refused for unencrypted ones (as for OpenSSH keys)
 * @returns the private key, with its public key (comment empty: PEM has none)
 * @throws SecretsError SSH_PASSPHRASE_REQUIRED, SSH_PASSPHRASE_INCORRECT, SSH_PASSPHRASE_UNEXPECTED,
 *   SSH_KEY_UNSUPPORTED (EC, DSA, other types), SSH_KEY_INVALID
 */
export function decryptPemPrivateKey(text: string, passphrase?: Uint8Array): SshPrivateKey {
  const encrypted = pemKeyIsEncrypted(text);
  const pass = passphrase !== undefined && passphrase.length > 0 ? passphrase : undefined;
  if (!encrypted && pass !== undefined) throw new SecretsError('SSH_PASSPHRASE_UNEXPECTED', 'a passphrase was given but the key is not password protected');
  if (encrypted && pass === undefined) throw new SecretsError('SSH_PASSPHRASE_REQUIRED', 'this private key is passphrase protected');
  const key = load(text, pass);
  const type = key.asymmetricKeyType;
  const jwk = key.export({ format: 'jwk' });
  if (type === 'ed25519') {
    const seed = new Uint8Array(Buffer.from(typeof jwk.d === 'string' ? jwk.d : '', 'base64url'));
    const publicKey = ed25519Public(new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x ?? '', 'base64url')), '');
    if (publicKey.type !== 'ssh-ed25519' || seed.length !== 32) throw new SecretsError('SSH_KEY_INVALID', 'malformed PEM Ed25519 private key');
    return { type: 'ssh-ed25519', seed, publicKey, comment: '' };
  }
  if (type === 'rsa') {
    const [n, e, d, p, q, iqmp] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.qi].map(bytesOf) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    if (!consistentRsa(n, e, d, p, q, iqmp)) {
      wipe(d, p, q, iqmp);
      throw new SecretsError('SSH_KEY_INVALID', 'malformed PEM RSA private key: inconsistent RSA parameters');
    }
    const publicKey = parseSshPublicKeyBlob(rsaPublicWire(e, n), '');
    if (publicKey.type !== 'ssh-rsa') throw new SecretsError('SSH_KEY_INVALID', 'malformed PEM RSA private key');
    return { type: 'ssh-rsa', n, e, d, p, q, iqmp, publicKey, comment: '' };
  }
  throw new SecretsError('SSH_KEY_UNSUPPORTED', `got ${type ?? 'unknown'} key type, but only ed25519 and rsa private keys are supported`, { details: { keyType: type ?? 'unknown' } });
}
