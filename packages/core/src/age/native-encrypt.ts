/**
 * age encryption on node:crypto for X25519 and ssh-ed25519 recipients (C2SP age; ssh-ed25519 as in
 * `ssh-ed25519.ts`), the hot path of sops data keys: `rekey --rotate` wraps one tiny armored age file per
 * recipient and file. Anything else (another recipient kind, an unusual key) is left to typage.
 */
import type { KeyObject } from 'node:crypto';
import { concatBytes, toBase64, utf8 } from '../bytes.js';
import { edwardsToMontgomery } from '../ssh/convert.js';
import type { SshEd25519PublicKey } from '../ssh/types.js';
import { armorEncode } from './armor.js';
import { freshRandom } from '../random.js';
import { CHUNK, EMPTY, SSH_ED25519_LABEL, VERSION_LINE, X25519_LABEL, ZERO_NONCE, headerMac, hkdf, seal, streamNonce } from './native-crypto.js';
import type { AgeRecipient } from './recipients.js';
import { sshTag } from './ssh-tag.js';
import { decodeX25519Recipient, x25519, x25519Base, x25519PrivateKey, x25519PublicKey } from './x25519.js';

/** A stanza: its arguments (the type first) and body. */
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

// Public data, bounded: rekey wraps for the same few recipients in every file. By recipient object first
// (rekey passes the same parsed recipients for every file), then by key.
const preparedByObject = new WeakMap<AgeRecipient, Prepared | null>();
const prepared = new Map<string, Prepared | null>();

function prepare(recipient: AgeRecipient): Prepared | null {
  let p = preparedByObject.get(recipient);
  if (p !== undefined) return p;
  const id = recipient.kind === 'ssh-ed25519' ? `ssh:${toBase64(recipient.key.wire)}` : recipient.text;
  p = prepared.get(id);
  if (p === undefined) {
    p = recipient.kind === 'x25519' ? prepareX25519(recipient.text) : recipient.kind === 'ssh-ed25519' ? prepareSsh(recipient.key) : null;
    if (prepared.size >= 1024) prepared.clear();
    prepared.set(id, p);
  }
  preparedByObject.set(recipient, p);
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
  // the salt. Both scalars are clamped the same way by X25519 and scalar multiplication commutes, so
  // X25519(e, X25519(tweak, P)) is the same secret with one multiplication per file instead of two
  // (test/age/ssh-tweak.test.ts checks it byte for byte against the two-step computation). A low-order P
  // gives an all-zero X25519(tweak, P) here, exactly when agessh's X25519(e, P) would be all zero (the
  // tweak's clamped scalar is a multiple of the cofactor 8, as e's is): left to the full path, which
  // refuses the key as agessh does.
  const tweak = hkdf(EMPTY, key.wire, SSH_ED25519_LABEL);
  const tweaked = x25519(x25519PrivateKey(tweak), x25519PublicKey(point));
  if (tweaked === null) return null;
  return { point: x25519PublicKey(tweaked), pointBytes: point, tag: sshTag(key.wire) };
}

function wrap(p: Prepared, fileKey: Uint8Array, scalar: Uint8Array): Stanza | null {
  // A JWK import, not generateKeyPairSync: on Node 20, exporting a key it made can deadlock when a
  // collection finalizes the key-generation job during the export (both lock the key). The import
  // computes the public half (the share) itself; a second scalar multiplication gives the secret.
  const ephemeral = x25519PrivateKey(scalar);
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

/**
 * One stanza for one recipient from a given ephemeral scalar, for tests that compare it with the
 * straightforward computation (the ssh-ed25519 tweak applied after the exchange, as agessh does).
 *
 * @param recipient - an X25519 or ssh-ed25519 recipient
 * @param fileKey - the 16-byte file key
 * @param scalar - the 32-byte ephemeral scalar
 * @returns the stanza's arguments and body, or null when the recipient needs the full path
 * @internal
 */
export function nativeWrapWithScalar(recipient: AgeRecipient, fileKey: Uint8Array, scalar: Uint8Array): Stanza | null {
  const p = prepare(recipient);
  return p === null ? null : wrap(p, fileKey, scalar);
}

function encodeHeaderNoMac(stanzas: readonly Stanza[]): string {
  let text = `${VERSION_LINE}\n`;
  for (const s of stanzas) {
    text += `-> ${s.args.join(' ')}\n`;
    // 48 bytes per 64-column body line, then a short (maybe empty) final line; unpadded base64.
    const b64 = toBase64(s.body, false);
    for (let i = 0; i < b64.length; i += 64) text += `${b64.slice(i, i + 64)}\n`;
    if (b64.length % 64 === 0) text += '\n';
  }
  return `${text}---`;
}

/** Text that is ASCII by construction (headers, armor) as bytes: cheaper than a UTF-8 encoder. */
const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** The binary age file for prepared recipients. */
function encryptPrepared(plaintext: Uint8Array, ready: readonly Prepared[]): Uint8Array | null {
  const fileKey = freshRandom(16);
  const nonce = freshRandom(16);
  try {
    const stanzas: Stanza[] = [];
    for (const p of ready) {
      const scalar = freshRandom(32);
      const s = wrap(p, fileKey, scalar);
      scalar.fill(0);
      if (s === null) return null;
      stanzas.push(s);
    }
    const noMac = encodeHeaderNoMac(stanzas);
    const header = ascii(`${noMac} ${toBase64(headerMac(fileKey, ascii(noMac)), false)}\n`);
    const payloadKey = hkdf(fileKey, nonce, 'payload');
    const chunks: Uint8Array[] = [header, nonce];
    const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
    for (let i = 0; i < count; i++) chunks.push(seal(payloadKey, streamNonce(i, i === count - 1), plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)));
    payloadKey.fill(0);
    return concatBytes(...chunks);
  } finally {
    fileKey.fill(0);
    nonce.fill(0);
  }
}

function prepareAll(recipients: readonly AgeRecipient[]): Prepared[] | null {
  const ready: Prepared[] = [];
  for (const r of recipients) {
    const p = prepare(r);
    if (p === null) return null;
    ready.push(p);
  }
  return ready;
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
  if (armor) {
    const text = nativeEncryptArmored(plaintext, recipients);
    return text === null ? null : utf8(text);
  }
  const ready = prepareAll(recipients);
  return ready === null ? null : encryptPrepared(plaintext, ready);
}

/**
 * {@link nativeEncrypt} to the ASCII-armored form, as text (a sops `enc`).
 *
 * @returns the armored file, or null when a recipient needs the full path
 * @internal
 */
export function nativeEncryptArmored(plaintext: Uint8Array, recipients: readonly AgeRecipient[]): string | null {
  const ready = prepareAll(recipients);
  const file = ready === null ? null : encryptPrepared(plaintext, ready);
  return file === null ? null : armorEncode(file);
}
