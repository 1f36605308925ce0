/**
 * age's native X25519 recipient type (C2SP age §"The X25519 recipient type"): our own identity rather
 * than typage's, so that every "not mine" can be explained, and so that an SSH ed25519 key can use it
 * with the scalar ssh-to-age derives (files sops-nix users encrypt to the converted `age1…`).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { bech32 } from '@scure/base';
import type { Identity, Stanza } from 'age-encryption';
import { SecretsError } from '../errors.js';
import { concatBytes, fromBase64 } from '../bytes.js';
import { openFileKey, sharedSecret, wrapKey } from './stanza-crypto.js';

const LABEL = 'age-encryption.org/v1/X25519';

/** Decodes `AGE-SECRET-KEY-1…` to its 32-byte scalar; null when it is not a valid X25519 identity. */
export function decodeX25519Identity(text: string): Uint8Array | null {
  try {
    const { prefix, words } = bech32.decode(text.toLowerCase() as `${string}1${string}`, false);
    const bytes = bech32.fromWords(words);
    return prefix === 'age-secret-key-' && bytes.length === 32 ? Uint8Array.from(bytes) : null;
  } catch {
    return null;
  }
}

/** Decodes `age1…` to its 32-byte point; null when it is not a valid X25519 recipient. */
export function decodeX25519Recipient(text: string): Uint8Array | null {
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false);
    const bytes = bech32.fromWords(words);
    return prefix === 'age' && bytes.length === 32 && text === text.toLowerCase() ? Uint8Array.from(bytes) : null;
  } catch {
    return null;
  }
}

/** The `age1…` recipient of an X25519 scalar. */
export function x25519Recipient(scalar: Uint8Array): string {
  return bech32.encode('age', bech32.toWords(x25519.getPublicKey(scalar)), false);
}

/** Why an identity returned null, for diagnostics. */
export interface UnwrapOutcome {
  matched: boolean;
  reason: string;
}

/** An X25519 identity from a 32-byte scalar (possibly unclamped: X25519 clamps). */
export class X25519Identity implements Identity {
  readonly point: Uint8Array;

  constructor(
    private readonly scalar: Uint8Array,
    private readonly outcome?: UnwrapOutcome,
  ) {
    this.point = x25519.getPublicKey(scalar);
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    let seen = 0;
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue;
      seen++;
      const share = s.args.length === 2 ? fromBase64(s.args[1] as string, 'forbidden') : null;
      if (!share || share.length !== 32 || s.body.length !== 32) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed X25519 stanza');
      const ss = sharedSecret(this.scalar, share);
      const key = wrapKey(ss, concatBytes(share, this.point), LABEL);
      const fileKey = openFileKey(key, s.body);
      // X25519 stanzas are anonymous: a failed AEAD only means "not for this key".
      if (fileKey) {
        if (this.outcome) this.outcome.matched = true;
        return fileKey;
      }
    }
    if (this.outcome) {
      this.outcome.reason = seen === 0 ? 'the file has no X25519 stanza' : seen === 1 ? "the file's X25519 stanza is not for this key" : `none of the file's ${seen} X25519 stanzas is for this key`;
    }
    return null;
  }
}
