/**
 * age on node:crypto (OpenSSL) for the hot paths: X25519 and ssh-ed25519 stanzas, the header MAC and the
 * STREAM payload (C2SP age; ssh-ed25519 as in `ssh-ed25519.ts`).
 *
 * A sops file stores its data key as one tiny armored age file per recipient, so `rekey` wraps and
 * `decrypt` unwraps many of them. typage runs X25519 through WebCrypto and its payload through web
 * streams, and loading it (with noble and ML-KEM) costs more than the work itself. This module does the
 * common cases directly; typage, with our SSH stanzas, remains the path for everything else and the only
 * one that explains failures:
 * - {@link nativeDecrypt} reports success, or "no identity matched" when every identity is a plain X25519
 *   one and every X25519 stanza is well formed and opens for none of them: exactly the case where the
 *   full path would only repeat the same X25519 operations and give that answer (the caller builds the
 *   same error from the attempts returned). Any other identity kind, malformed input, a low-order share, a
 *   MAC or payload failure: it returns null and the caller runs the full path, which gives the same
 *   answer or the same error it always gave. A wrong key thus costs one X25519 per stanza, as in age.
 * - {@link nativeEncrypt} handles X25519 and ssh-ed25519 recipients; null means "use typage".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { concatBytes, fromBase64, toBase64, utf8 } from '../bytes.js';
import { edwardsToMontgomery } from '../ssh/convert.js';
import type { SshEd25519PublicKey } from '../ssh/types.js';
import { armorEncode, isArmored, toBinaryAgeFile } from './armor.js';
import { parseAgeHeader, type ParsedStanza } from './header.js';
import type { AgeIdentity } from './identities.js';
import type { AgeRecipient } from './recipients.js';
import { sshTag } from './ssh-tag.js';
import { x25519Reason, type Attempt } from './diagnostics.js';
import { decodeX25519Identity, decodeX25519Recipient, x25519, x25519Base, x25519PrivateKey, x25519PublicKey } from './x25519.js';

const VERSION_LINE = 'age-encryption.org/v1';
const X25519_LABEL = 'age-encryption.org/v1/X25519';
const SSH_ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519';
const ZERO_NONCE = /* @__PURE__ */ new Uint8Array(12);
const EMPTY = /* @__PURE__ */ new Uint8Array(0);
const TAG = 16;
const CHUNK = 64 * 1024;

const ONE = /* @__PURE__ */ new Uint8Array([1]);

/** HKDF-SHA-256 (RFC 5869) for one 32-byte block: two HMACs, cheaper than `hkdfSync` per call. */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const okm = new Uint8Array(createHmac('sha256', prk).update(info).update(ONE).digest());
  prk.fill(0);
  return okm;
}

function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return concatBytes(c.update(plaintext), c.final(), c.getAuthTag());
}

function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG) return null;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const out = d.update(sealed.subarray(0, sealed.length - TAG));
    const rest = d.final(); // empty for an AEAD: no copy then (a 64 KiB chunk per call when streaming)
    return rest.length === 0 ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : concatBytes(out, rest);
  } catch {
    return null;
  }
}

// ---- recipients -----------------------------------------------------------------------------------

interface Stanza {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** What wrapping for one recipient needs, derived from public data only. */
interface Prepared {
  /** The point the ephemeral scalar is multiplied with: the recipient's, or for ssh-ed25519 the tweaked one. */
  readonly point: KeyObject;
  /** The recipient's point, for the HKDF salt. */
  readonly pointBytes: Uint8Array;
  /** ssh-ed25519 only. */
  readonly tag?: string;
}

// Public data, bounded: rekey parses the same recipients again for every file.
const prepared = new Map<string, Prepared | null>();

function prepare(recipient: AgeRecipient): Prepared | null {
  const id = recipient.kind === 'ssh-ed25519' ? `ssh:${toBase64(recipient.key.wire)}` : recipient.text;
  let p = prepared.get(id);
  if (p === undefined) {
    p = recipient.kind === 'x25519' ? prepareX25519(recipient.text) : recipient.kind === 'ssh-ed25519' ? prepareSsh(recipient.key) : null;
    if (prepared.size >= 1024) prepared.clear();
    prepared.set(id, p);
  }
  return p;
}

function prepareX25519(text: string): Prepared | null {
  const point = decodeX25519Recipient(text);
  return point ? { point: x25519PublicKey(point), pointBytes: point } : null;
}

function prepareSsh(key: SshEd25519PublicKey): Prepared | null {
  // The Montgomery form of the key; only canonical, non-identity points here (noble, on the full path,
  // decides about the rest exactly as before).
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt((key.key[i] as number) & (i === 31 ? 0x7f : 0xff));
  if (y >= (1n << 255n) - 19n) return null;
  const point = edwardsToMontgomery(key.key);
  if (point === null || point.every((b) => b === 0)) return null;
  // agessh: ss' = X25519(tweak, X25519(e, P)), the tweak being HKDF with an empty IKM and the wire key as
  // the salt. Scalar multiplications commute (both scalars are clamped), so X25519(e, X25519(tweak, P))
  // is the same secret with one multiplication per file instead of two. A low-order P gives an all-zero
  // X25519(tweak, P) here, exactly when agessh's X25519(e, P) would be all zero: left to the full path.
  const tweaked = x25519(x25519PrivateKey(hkdf(EMPTY, key.wire, SSH_ED25519_LABEL)), x25519PublicKey(point));
  if (tweaked === null) return null;
  return { point: x25519PublicKey(tweaked), pointBytes: point, tag: sshTag(key.wire) };
}

function wrap(p: Prepared, fileKey: Uint8Array): Stanza | null {
  // Not generateKeyPairSync: on Node 20, exporting a key it made can deadlock when a collection
  // finalizes the key-generation job during the export (both lock the key).
  const scalar = randomBytes(32);
  const ephemeral = x25519PrivateKey(scalar);
  scalar.fill(0);
  const share = x25519Base(ephemeral);
  const secret = x25519(ephemeral, p.point);
  if (secret === null) return null;
  const key = hkdf(secret, concatBytes(share, p.pointBytes), p.tag ? SSH_ED25519_LABEL : X25519_LABEL);
  const body = seal(key, ZERO_NONCE, fileKey);
  secret.fill(0);
  key.fill(0);
  const shareText = toBase64(share, false);
  return { args: p.tag ? ['ssh-ed25519', p.tag, shareText] : ['X25519', shareText], body };
}

function encodeHeaderNoMac(stanzas: readonly Stanza[]): string {
  const lines = [`${VERSION_LINE}\n`];
  for (const s of stanzas) {
    lines.push(`-> ${s.args.join(' ')}\n`);
    for (let i = 0; i < s.body.length; i += 48) lines.push(`${toBase64(s.body.subarray(i, i + 48), false)}\n`);
    if (s.body.length % 48 === 0) lines.push('\n');
  }
  lines.push('---');
  return lines.join('');
}

function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', hkdf(fileKey, EMPTY, 'header')).update(headerNoMac).digest());
}

function streamNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  // 11-byte big-endian counter; files here never exceed 2^53 chunks.
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--, c = Math.floor(c / 256)) nonce[i] = c % 256;
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Encrypts to X25519 and ssh-ed25519 recipients without typage.
 *
 * @param plaintext - the data
 * @param recipients - parsed recipients
 * @param armor - write the ASCII-armored form
 * @returns the age file, or null when a recipient needs the full path (another kind, an unusual key)
 * @internal
 */
export function nativeEncrypt(plaintext: Uint8Array, recipients: readonly AgeRecipient[], armor: boolean): Uint8Array | null {
  const ready: Prepared[] = [];
  for (const r of recipients) {
    const p = prepare(r);
    if (p === null) return null;
    ready.push(p);
  }
  const random = randomBytes(32); // file key and payload nonce
  const fileKey = new Uint8Array(random.subarray(0, 16));
  const nonce = new Uint8Array(random.subarray(16));
  random.fill(0);
  try {
    const stanzas: Stanza[] = [];
    for (const p of ready) {
      const s = wrap(p, fileKey);
      if (s === null) return null;
      stanzas.push(s);
    }
    const noMac = encodeHeaderNoMac(stanzas);
    const header = utf8(`${noMac} ${toBase64(headerMac(fileKey, utf8(noMac)), false)}\n`);
    const payloadKey = hkdf(fileKey, nonce, 'payload');
    const chunks: Uint8Array[] = [header, nonce];
    const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
    for (let i = 0; i < count; i++) chunks.push(seal(payloadKey, streamNonce(i, i === count - 1), plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)));
    payloadKey.fill(0);
    const file = concatBytes(...chunks);
    return armor ? utf8(armorEncode(file)) : file;
  } finally {
    fileKey.fill(0);
  }
}

// ---- identities -----------------------------------------------------------------------------------

interface Unlocked {
  readonly key: KeyObject;
  readonly recipient: Uint8Array;
  /** `age1…`, for the attempt the full path would record (x25519RecipientOf). */
  readonly recipientText: string;
}

// Per identity object: rekey opens hundreds of files with the same few identities.
const unlocked = new WeakMap<AgeIdentity, Unlocked | null>();

function unlock(identity: Extract<AgeIdentity, { kind: 'x25519' }>): Unlocked | null {
  let u = unlocked.get(identity);
  if (u === undefined) {
    const scalar = decodeX25519Identity(identity.secret);
    if (scalar === null) u = null;
    else {
      const key = x25519PrivateKey(scalar);
      scalar.fill(0);
      const recipient = x25519Base(key);
      u = { key, recipient, recipientText: bech32.encode('age', bech32.toWords(recipient), false) };
    }
    unlocked.set(identity, u);
  }
  return u;
}

/** typage's X25519 unwrap; 'bail' for anything typage would call malformed. */
function unwrapX25519(id: Unlocked, stanzas: readonly ParsedStanza[]): Uint8Array | null | 'bail' {
  for (const s of stanzas) {
    if (s.type !== 'X25519') continue;
    const share = s.args.length === 1 ? fromBase64(s.args[0] as string, 'forbidden') : null;
    if (share === null || share.length !== 32 || s.body.length !== 32) return 'bail';
    const secret = x25519(id.key, x25519PublicKey(share));
    if (secret === null) return 'bail';
    const key = hkdf(secret, concatBytes(share, id.recipient), X25519_LABEL);
    secret.fill(0);
    const fileKey = open(key, ZERO_NONCE, s.body);
    key.fill(0);
    if (fileKey !== null) return fileKey;
  }
  return null;
}

/** Whether the header's MAC line (the last 44 bytes before its final LF) authenticates it under the file key. */
function headerMacMatches(binary: Uint8Array, headerLength: number, fileKey: Uint8Array): boolean {
  const noMac = binary.subarray(0, headerLength - 45); // the MAC line is "--- " + 43 characters + LF
  const mac = fromBase64(Buffer.from(binary.subarray(headerLength - 44, headerLength - 1)).toString('latin1'), 'forbidden');
  return mac !== null && timingSafeEqual(mac, headerMac(fileKey, noMac));
}

/**
 * The STREAM payload (C2SP age §Payload) chunk by chunk: a 16-byte nonce, then chunks of 64 KiB of
 * plaintext plus a 16-byte tag, the last one flagged in its nonce.
 *
 * @internal
 */
export class PayloadDecryptor {
  private readonly key: Uint8Array;
  private index = 0;

  /** The sealed size of a full chunk. */
  static readonly SEALED_CHUNK = CHUNK + TAG;

  /**
   * @param fileKey - the unwrapped file key (not kept)
   * @param nonce - the payload's 16-byte nonce
   */
  constructor(fileKey: Uint8Array, nonce: Uint8Array) {
    this.key = hkdf(fileKey, nonce, 'payload');
  }

  /**
   * Opens the next chunk.
   *
   * @param sealed - a full sealed chunk, or the last one (at most a full one)
   * @param last - whether nothing follows it
   * @returns the plaintext, or null when it does not authenticate (or is an empty last chunk after others)
   */
  next(sealed: Uint8Array, last: boolean): Uint8Array | null {
    const chunk = open(this.key, streamNonce(this.index, last), sealed);
    // The final chunk may be empty only when it is the only one (age, typage).
    if (chunk === null || (last && this.index > 0 && chunk.length === 0)) return null;
    this.index++;
    return chunk;
  }

  /** Wipes the payload key. */
  dispose(): void {
    this.key.fill(0);
  }
}

/** The whole payload at once; the header MAC was checked by {@link nativeUnwrap}. */
function decryptPayload(binary: Uint8Array, headerLength: number, fileKey: Uint8Array): Uint8Array | null {
  const payload = binary.subarray(headerLength);
  if (payload.length < 16 + TAG) return null;
  const decryptor = new PayloadDecryptor(fileKey, payload.subarray(0, 16));
  const body = payload.subarray(16);
  const count = Math.max(1, Math.ceil(body.length / (CHUNK + TAG)));
  const out: Uint8Array[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const chunk = decryptor.next(body.subarray(i * (CHUNK + TAG), (i + 1) * (CHUNK + TAG)), i === count - 1);
      if (chunk === null) return null;
      out.push(chunk);
    }
  } finally {
    decryptor.dispose();
  }
  return concatBytes(...out);
}

/** What {@link nativeDecrypt} concluded, when it concluded anything. */
export type NativeDecryptResult =
  | { readonly opened: Uint8Array }
  /** No identity matched: the file's stanzas and, per identity, the attempt the full path would record. */
  | { readonly unmatched: readonly Attempt[]; readonly stanzas: readonly ParsedStanza[] };

/**
 * Unwraps the file key of a header with X25519 identities without typage, for the common case only, and
 * checks the header MAC.
 *
 * Identities are taken in order, as the full path takes them; at the first one that is not a plain
 * X25519 identity (SSH keys may need a passphrase prompt, identity files are tried last), this gives up.
 *
 * @param binary - the binary age file, or at least its header
 * @returns the file key (the caller wipes it) and the header length, or that no identity matched (with
 *   the attempts for the diagnostics), or null: then run the full path, which decides (and explains)
 *   everything else, a MAC mismatch included
 * @internal
 */
export function nativeUnwrap(
  binary: Uint8Array,
  identities: readonly AgeIdentity[],
): { readonly fileKey: Uint8Array; readonly headerLength: number } | Extract<NativeDecryptResult, { unmatched: unknown }> | null {
  let stanzas: readonly ParsedStanza[];
  let length: number;
  try {
    ({ stanzas, length } = parseAgeHeader(binary));
  } catch {
    return null;
  }
  const attempts: Attempt[] = [];
  for (const identity of identities) {
    if (identity.kind !== 'x25519') return null;
    const id = unlock(identity);
    if (id === null) return null;
    const fileKey = unwrapX25519(id, stanzas);
    if (fileKey === 'bail') return null;
    if (fileKey === null) {
      // As decrypt-session.ts records an X25519 identity that opened nothing.
      const count = stanzas.reduce((n, s) => (s.type === 'X25519' ? n + 1 : n), 0);
      attempts.push({ origin: identity.origin, kind: 'x25519', label: `X25519 ${id.recipientText}`, reasons: [x25519Reason(count)], recipient: id.recipientText });
      continue;
    }
    if (headerMacMatches(binary, length, fileKey)) return { fileKey, headerLength: length };
    fileKey.fill(0);
    return null;
  }
  // An empty list is the caller's error (AGE_NO_IDENTITIES), not "no match".
  return attempts.length > 0 ? { unmatched: attempts, stanzas } : null;
}

/**
 * Decrypts with X25519 identities without typage, for the common case only ({@link nativeUnwrap}).
 *
 * @param file - the age file, binary or armored
 * @param identities - the identities, in order
 * @returns the plaintext, or that no identity matched (with the attempts for the diagnostics), or null:
 *   then run the full path, which decides (and explains) everything else
 * @internal
 */
export function nativeDecrypt(file: Uint8Array, identities: readonly AgeIdentity[]): NativeDecryptResult | null {
  let binary: Uint8Array;
  try {
    binary = isArmored(file) ? toBinaryAgeFile(file) : file;
  } catch {
    return null;
  }
  const unwrapped = nativeUnwrap(binary, identities);
  if (unwrapped === null || 'unmatched' in unwrapped) return unwrapped;
  try {
    const plaintext = decryptPayload(binary, unwrapped.headerLength, unwrapped.fileKey);
    return plaintext === null ? null : { opened: plaintext };
  } finally {
    unwrapped.fileKey.fill(0);
  }
}
