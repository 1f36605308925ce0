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
 * - `nativeEncrypt` (`native-encrypt.ts`) handles X25519 and ssh-ed25519 recipients; null means "use typage".
 */
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { concatBytes, fromBase64 } from '../bytes.js';
import { parseAgeFile, parseAgeHeader, type ParsedAgeFile, type ParsedHeader, type ParsedStanza } from './header.js';
import type { AgeIdentity } from './identities.js';
import { x25519Reason, type Attempt } from './diagnostics.js';
import { CHUNK, TAG, X25519_LABEL, ZERO_NONCE, headerMac, hkdf, open, streamNonce } from './native-crypto.js';
import { decodeX25519Identity, x25519, x25519Base, x25519PrivateKey, x25519PublicKey } from './x25519.js';

export { nativeEncrypt } from './native-encrypt.js';

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

/** Whether the header's MAC (its last line: "--- " + 43 characters + LF) authenticates it under the file key. */
function headerMacMatches(binary: Uint8Array, header: ParsedHeader, fileKey: Uint8Array): boolean {
  const noMac = binary.subarray(0, header.length - 45);
  return timingSafeEqual(header.mac, headerMac(fileKey, noMac));
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

/** What {@link nativeUnwrapParsed} concluded, when it concluded anything. */
export type NativeUnwrapResult = { readonly fileKey: Uint8Array; readonly headerLength: number } | Extract<NativeDecryptResult, { unmatched: unknown }>;

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
export function nativeUnwrap(binary: Uint8Array, identities: readonly AgeIdentity[]): NativeUnwrapResult | null {
  let header: ParsedHeader;
  try {
    header = parseAgeHeader(binary);
  } catch {
    return null;
  }
  return nativeUnwrapParsed(binary, header, identities);
}

/**
 * {@link nativeUnwrap} of a header already parsed (by `parseAgeHeader`, from `binary`).
 *
 * @internal
 */
export function nativeUnwrapParsed(binary: Uint8Array, header: ParsedHeader, identities: readonly AgeIdentity[]): NativeUnwrapResult | null {
  const { stanzas, length } = header;
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
    if (headerMacMatches(binary, header, fileKey)) return { fileKey, headerLength: length };
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
  let parsed: ParsedAgeFile;
  try {
    parsed = parseAgeFile(file);
  } catch {
    return null;
  }
  return nativeDecryptParsed(parsed.binary, parsed.header, identities);
}

/**
 * {@link nativeDecrypt} of a binary file whose header is already parsed (by `parseAgeHeader`).
 *
 * @internal
 */
export function nativeDecryptParsed(binary: Uint8Array, header: ParsedHeader, identities: readonly AgeIdentity[]): NativeDecryptResult | null {
  const unwrapped = nativeUnwrapParsed(binary, header, identities);
  if (unwrapped === null || 'unmatched' in unwrapped) return unwrapped;
  try {
    const plaintext = decryptPayload(binary, unwrapped.headerLength, unwrapped.fileKey);
    return plaintext === null ? null : { opened: plaintext };
  } finally {
    unwrapped.fileKey.fill(0);
  }
}
