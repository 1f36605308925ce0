/**
 * Identities as data: what a keys.txt, an SSH private key or a passphrase-protected identity file holds,
 * with where it came from. Turning them into typage `Identity` objects happens at decryption time, when
 * the passphrase callback is known.
 */
import { identityToRecipient } from 'age-encryption';
import { bech32 } from '@scure/base';
import { SecretsError } from '../errors.js';
import {
  ed25519PublicKeyToAgeRecipient,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  type SshEd25519PublicKey,
  type SshRsaPublicKey,
} from '../ssh/index.js';
import { sshTag } from './ssh-ed25519.js';
import { decodeX25519Identity, x25519Recipient } from './x25519.js';

/** An identity and its origin (a human-readable place such as `SOPS_AGE_KEY_FILE (/k.txt) line 3`). */
export type AgeIdentity =
  | { readonly kind: 'x25519'; readonly origin: string; readonly secret: string }
  | { readonly kind: 'hybrid'; readonly origin: string; readonly secret: string }
  | { readonly kind: 'ssh-ed25519'; readonly origin: string; readonly pem: string; readonly publicKey: SshEd25519PublicKey; readonly encrypted: boolean }
  | { readonly kind: 'ssh-rsa'; readonly origin: string; readonly pem: string; readonly publicKey: SshRsaPublicKey; readonly encrypted: boolean }
  | { readonly kind: 'encrypted-file'; readonly origin: string; readonly file: Uint8Array }
  | { readonly kind: 'unsupported'; readonly origin: string; readonly reason: string };

const ENCRYPTED_FILE = /^(age-encryption\.org\/|-----BEGIN AGE ENCRYPTED FILE-----)/;

/**
 * Parses identities from a source's text: a keys.txt (one identity per line, `#` comments, CRLF), several
 * whitespace-separated identities (as `SOPS_AGE_KEY` allows), an OpenSSH private key, or a
 * passphrase-protected identity file (an age file, binary or armored, holding a keys.txt).
 *
 * @param source - the source's content: bytes as read (a binary encrypted identity file must not go
 *   through a text decoding), or text
 * @param origin - where it came from, used in every message
 * @returns the identities, in order
 * @throws SecretsError AGE_IDENTITY_INVALID naming the origin and line (never the content);
 *   SSH_* errors for unusable SSH keys
 */
export function parseIdentities(source: string | Uint8Array, origin: string): AgeIdentity[] {
  const bytes = typeof source === 'string' ? new TextEncoder().encode(source) : source;
  if (ENCRYPTED_FILE.test(Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart())) return [{ kind: 'encrypted-file', origin, file: bytes.slice() }];
  const text = typeof source === 'string' ? source : Buffer.from(source).toString('utf8');
  const trimmed = text.trimStart();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|^PuTTY-User-Key-File-/m.test(trimmed)) {
    const envelope = inspectOpenSshPrivateKey(text);
    const pub = envelope.publicKey;
    if (pub?.type === 'ssh-ed25519') return [{ kind: 'ssh-ed25519', origin, pem: text, publicKey: pub, encrypted: envelope.encrypted }];
    if (pub?.type === 'ssh-rsa') return [{ kind: 'ssh-rsa', origin, pem: text, publicKey: pub, encrypted: envelope.encrypted }];
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `${origin}: ${envelope.keyType} keys cannot be age identities`, {
      hints: ['age works with ssh-ed25519 and ssh-rsa keys'],
    });
  }
  const out: AgeIdentity[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    for (const token of line.split(/\s+/)) {
      const where = `${origin} line ${index + 1}`;
      if (token.startsWith('AGE-SECRET-KEY-PQ-1')) {
        if (!isHybridIdentity(token)) throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: invalid post-quantum age identity (bad bech32 encoding)`);
        out.push({ kind: 'hybrid', origin: where, secret: token });
      } else if (token.startsWith('AGE-SECRET-KEY-1')) {
        if (decodeX25519Identity(token) === null) throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: invalid age identity (bad bech32 encoding)`);
        out.push({ kind: 'x25519', origin: where, secret: token });
      } else if (token.startsWith('AGE-PLUGIN-')) {
        out.push({ kind: 'unsupported', origin: where, reason: 'age plugin identities are not supported yet' });
      } else {
        throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: unknown identity type`, {
          hints: ['identity files hold AGE-SECRET-KEY-1… lines, one per line; # starts a comment'],
        });
      }
    }
  }
  return out;
}

/** `AGE-SECRET-KEY-PQ-1…`: bech32 (no length limit) of a 32-byte ML-KEM-768+X25519 seed. */
function isHybridIdentity(token: string): boolean {
  try {
    const { prefix, words } = bech32.decode(token.toLowerCase() as `${string}1${string}`, false);
    return prefix === 'age-secret-key-pq-' && bech32.fromWords(words).length === 32;
  } catch {
    return false;
  }
}

/** A public description of an identity: never its secret. */
export interface IdentityDescription {
  readonly kind: AgeIdentity['kind'];
  readonly origin: string;
  /** Recipients whose files this identity opens. */
  readonly recipients: readonly string[];
  readonly note?: string;
}

/**
 * Describes an identity for users: its kind, origin, and the recipients it opens (for an SSH ed25519 key:
 * its native `ssh-ed25519` recipient AND its ssh-to-age `age1…` recipient).
 *
 * @param identity - the identity
 * @returns a secret-free description (async: post-quantum recipients are derived by typage)
 */
export async function describeIdentity(identity: AgeIdentity): Promise<IdentityDescription> {
  const { kind, origin } = identity;
  switch (identity.kind) {
    case 'x25519': {
      const scalar = decodeX25519Identity(identity.secret) as Uint8Array;
      const recipient = x25519Recipient(scalar);
      scalar.fill(0);
      return { kind, origin, recipients: [recipient] };
    }
    case 'hybrid':
      return { kind, origin, recipients: [await identityToRecipient(identity.secret)] };
    case 'ssh-ed25519':
      return {
        kind,
        origin,
        recipients: [formatSshPublicKey(identity.publicKey, false), ed25519PublicKeyToAgeRecipient(identity.publicKey)],
        note: `stanza tag ${sshTag(identity.publicKey.wire)}; opens native ssh-ed25519 stanzas and X25519 stanzas for its ssh-to-age recipient${identity.encrypted ? '; passphrase-protected: asked for only when a file needs it' : ''}`,
      };
    case 'ssh-rsa':
      return {
        kind,
        origin,
        recipients: [formatSshPublicKey(identity.publicKey, false)],
        note: `stanza tag ${sshTag(identity.publicKey.wire)}${identity.encrypted ? '; passphrase-protected: asked for only when a file needs it' : ''}`,
      };
    case 'encrypted-file':
      return { kind, origin, recipients: [], note: 'passphrase-protected identity file: opened only when no other identity matches' };
    case 'unsupported':
      return { kind, origin, recipients: [], note: identity.reason };
  }
}
