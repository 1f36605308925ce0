/**
 * Identities as data: what a keys.txt, an OpenSSH private key or a passphrase-protected identity file
 * holds, with where it came from. Nothing is decrypted here: protected SSH keys and identity files are
 * unlocked lazily by decryptAge, only when a file needs them.
 *
 * Parsing follows sops (age/keysource.go `parseIdentities`) and age (`ParseIdentities`): one identity per
 * line, `#` comments and blank lines skipped, any other line that is not an identity fails the whole
 * source. A source starting with `age-encryption.org/` or an armor line is a passphrase-protected
 * identity file (sops age/encrypted_keys.go).
 */
import { SecretsError, isSecretsError } from '../errors.js';
import {
  ed25519PublicKeyToAgeRecipient,
  formatSshPublicKey,
  inspectOpenSshPrivateKey,
  pemKeyIsEncrypted,
  type SshEd25519PublicKey,
  type SshRsaPublicKey,
} from '../ssh/index.js';
import { isArmored, looksLikeBinaryAge } from './armor.js';
import { parsePluginIdentity } from './plugin-names.js';
import { sshTag } from './ssh-tag.js';
import { decodeX25519Identity, isHybridIdentity, x25519RecipientOf } from './x25519.js';

/**
 * An identity and its origin: a human-readable place such as `SOPS_AGE_KEY_FILE (/home/u/keys.txt) line 3`,
 * used in every message about it. Secret fields (`secret`, `pem`) are non-enumerable, so logging or
 * JSON-serializing an identity does not print them.
 */
export type AgeIdentity =
  | { readonly kind: 'x25519'; readonly origin: string; readonly secret: string }
  | { readonly kind: 'hybrid'; readonly origin: string; readonly secret: string }
  | { readonly kind: 'ssh-ed25519'; readonly origin: string; readonly pem: string; readonly publicKey: SshEd25519PublicKey; readonly encrypted: boolean }
  | { readonly kind: 'ssh-rsa'; readonly origin: string; readonly pem: string; readonly publicKey: SshRsaPublicKey; readonly encrypted: boolean }
  | { readonly kind: 'encrypted-file'; readonly origin: string; readonly file: Uint8Array }
  /** `AGE-PLUGIN-NAME-1…`: used through the program `age-plugin-NAME` (C2SP age-plugin); `plugin` is NAME in lower case. */
  | { readonly kind: 'plugin'; readonly origin: string; readonly plugin: string; readonly secret: string }
  | { readonly kind: 'unsupported'; readonly origin: string; readonly reason: string };

/**
 * The largest identity source read: 16 MiB, age's own cap on identity files (cmd/age/parse.go). A
 * keys.txt line is about 75 bytes.
 */
export const MAX_IDENTITY_SOURCE_BYTES = 16 * 1024 * 1024;

/**
 * The most identities one source may hold. Nothing tells which identity an X25519 stanza is for, so each
 * is tried in turn (an X25519 exchange, about a millisecond here): 1000 identities bound a failed
 * decryption to seconds. Real keys.txt files hold a handful.
 */
export const MAX_IDENTITIES_PER_SOURCE = 1000;

/** Attaches a secret as a non-enumerable property (kept out of console.log, JSON, spreads). */
function withSecret<T extends object, K extends string>(target: T, key: K, value: string): T & Record<K, string> {
  Object.defineProperty(target, key, { value, enumerable: false, writable: false, configurable: false });
  return target as T & Record<K, string>;
}

/** Re-throws an SSH layer error with the identity's origin in front (its own message never names the file). */
function withOrigin(error: unknown, origin: string): never {
  if (isSecretsError(error)) throw new SecretsError(error.code, `${origin}: ${error.message}`, { hints: error.hints, details: error.details, cause: error });
  throw new SecretsError('SSH_KEY_INVALID', `${origin}: unreadable SSH private key`, { cause: error });
}

function parseSshIdentity(text: string, origin: string, publicKeyLine: string | undefined): AgeIdentity {
  let envelope;
  try {
    envelope = inspectOpenSshPrivateKey(text, publicKeyLine);
  } catch (error) {
    withOrigin(error, origin);
  }
  const pub = envelope.publicKey;
  if (pub === null && envelope.encrypted && envelope.cipherName === 'pem') {
    // age (cmd/age/parse.go): an encrypted PEM key has no public key in clear; it is read from KEY.pub.
    throw new SecretsError('SSH_KEY_UNSUPPORTED', `${origin}: a passphrase-protected PEM key needs its public key, and no .pub file was found beside it`, {
      hints: ['put the public key in a file named like the key plus .pub, or convert a copy to the OpenSSH format: `ssh-keygen -p -f COPY`'],
    });
  }
  if (pub?.type === 'ssh-ed25519') return withSecret({ kind: 'ssh-ed25519', origin, publicKey: pub, encrypted: envelope.encrypted } as const, 'pem', text);
  if (pub?.type === 'ssh-rsa') return withSecret({ kind: 'ssh-rsa', origin, publicKey: pub, encrypted: envelope.encrypted } as const, 'pem', text);
  throw new SecretsError('SSH_KEY_UNSUPPORTED', `${origin}: ${JSON.stringify(envelope.keyType)} keys cannot be age identities`, {
    hints: ['age works with ssh-ed25519 and ssh-rsa keys'],
  });
}

function parseToken(token: string, where: string): AgeIdentity {
  if (token.startsWith('AGE-SECRET-KEY-PQ-1')) {
    if (!isHybridIdentity(token)) throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: malformed post-quantum age identity (bad bech32 checksum or length)`);
    return withSecret({ kind: 'hybrid', origin: where } as const, 'secret', token);
  }
  if (token.startsWith('AGE-SECRET-KEY-1')) {
    const scalar = decodeX25519Identity(token);
    if (scalar === null) throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: malformed age identity (bad bech32 checksum or length)`);
    scalar.fill(0);
    return withSecret({ kind: 'x25519', origin: where } as const, 'secret', token);
  }
  if (/^AGE-PLUGIN-/i.test(token)) {
    const { name } = parsePluginIdentity(token, where);
    return withSecret({ kind: 'plugin', origin: where, plugin: name } as const, 'secret', token);
  }
  if (/^age-secret-key-/i.test(token)) {
    throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: age identities are upper case (AGE-SECRET-KEY-1…)`);
  }
  if (token.startsWith('age1') || token.startsWith('ssh-')) {
    throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: this is a recipient (a public key), not an identity`, {
      hints: ['identity files hold secret keys (AGE-SECRET-KEY-1…); recipients go to -r/-R or .sops.yaml'],
    });
  }
  if (token.startsWith('-----BEGIN')) {
    throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: unexpected PEM block (an SSH key or an encrypted identity file must be a source of its own)`);
  }
  throw new SecretsError('AGE_IDENTITY_INVALID', `${where}: unknown identity type`, {
    hints: ['identity files hold AGE-SECRET-KEY-1… lines, one per line; # starts a comment'],
  });
}

/** Options for {@link parseIdentities}. */
export interface ParseIdentitiesOptions {
  /**
   * The `.pub` file beside an SSH private key, when there is one: an encrypted PEM key (`ssh-keygen -m
   * PEM -N …`) carries no public key in clear, and age reads it from there (cmd/age/parse.go).
   */
  readonly publicKeyLine?: string;
}

/**
 * Whether an identity source is a passphrase-protected PEM SSH key, whose public key must come from its
 * `.pub` file (see {@link ParseIdentitiesOptions.publicKeyLine}).
 *
 * @param source - the source's bytes or text
 * @returns true for `Proc-Type: 4,ENCRYPTED` PEM and encrypted PKCS#8 keys
 */
export function needsPublicKeyFile(source: string | Uint8Array): boolean {
  const head = typeof source === 'string' ? source.slice(0, 4096) : Buffer.from(source.subarray(0, 4096)).toString('latin1');
  return pemKeyIsEncrypted(head);
}

/**
 * Parses identities from one source: a keys.txt (one identity per line, `#` comments, blank lines, CRLF),
 * several whitespace-separated identities on a line (as `SOPS_AGE_KEY` allows), an OpenSSH private key
 * (ed25519 or RSA, passphrase-protected or not; OpenSSH format, PEM or PKCS#8), or a passphrase-protected
 * identity file.
 *
 * @param source - the source's content: bytes as read (a binary encrypted identity file must not go
 *   through text decoding), or text
 * @param origin - where it came from, e.g. `SOPS_AGE_KEY_FILE (/home/u/keys.txt)`; used in every message
 * @param options - the `.pub` line of an encrypted PEM SSH key
 * @returns the identities in order (origins of keys.txt entries get ` line N`); may be empty
 * @throws SecretsError AGE_IDENTITY_INVALID naming origin and line (never the line's content);
 *   SSH_KEY_INVALID / SSH_KEY_UNSUPPORTED / SSH_CIPHER_UNSUPPORTED for unusable SSH keys; LIMIT_EXCEEDED
 *   over {@link MAX_IDENTITY_SOURCE_BYTES} or {@link MAX_IDENTITIES_PER_SOURCE}
 */
export function parseIdentities(source: string | Uint8Array, origin: string, options: ParseIdentitiesOptions = {}): AgeIdentity[] {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  if (bytes.length > MAX_IDENTITY_SOURCE_BYTES) {
    throw new SecretsError('LIMIT_EXCEEDED', `${origin}: ${bytes.length} bytes is too large for an identity file (the limit is ${MAX_IDENTITY_SOURCE_BYTES} bytes)`, {
      details: { limit: 'identitySourceBytes' },
    });
  }
  if (looksLikeBinaryAge(bytes) || isArmored(bytes)) return [{ kind: 'encrypted-file', origin, file: Uint8Array.from(bytes) }];
  const text = (typeof source === 'string' ? source : Buffer.from(source).toString('utf8')).replace(/^\uFEFF/, '');
  const head = text.trimStart();
  if ((head.startsWith('-----BEGIN ') && /PRIVATE KEY-----/.test(head)) || head.startsWith('PuTTY-User-Key-File-')) {
    return [parseSshIdentity(text, origin, options.publicKeyLine)];
  }
  const out: AgeIdentity[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim(); // also drops the CR of CRLF
    if (line === '' || line.startsWith('#')) continue;
    const tokens = line.split(/\s+/);
    if (out.length + tokens.length > MAX_IDENTITIES_PER_SOURCE) {
      throw new SecretsError('LIMIT_EXCEEDED', `${origin}: more than ${MAX_IDENTITIES_PER_SOURCE} identities in one source`, {
        hints: ['each identity is tried in turn; keep only the keys this machine needs in it'],
        details: { limit: 'identitiesPerSource' },
      });
    }
    tokens.forEach((token, i) => {
      const where = tokens.length > 1 ? `${origin} line ${index + 1} key ${i + 1}` : `${origin} line ${index + 1}`;
      out.push(parseToken(token, where));
    });
  }
  return out;
}

/** A public description of an identity: never its secret. */
export interface IdentityDescription {
  readonly kind: AgeIdentity['kind'];
  readonly origin: string;
  /** Recipients whose files this identity opens. */
  readonly recipients: readonly string[];
  /** Extra facts (tag, protection, why unsupported). */
  readonly note?: string;
}

/**
 * Describes an identity for users: its kind, origin, and the recipients it opens (for an SSH ed25519 key
 * both its native `ssh-ed25519` recipient and its ssh-to-age `age1…` recipient).
 *
 * @param identity - the identity
 * @returns a secret-free description
 * @throws SecretsError AGE_IDENTITY_INVALID when a hybrid identity's recipient cannot be derived
 */
export async function describeIdentity(identity: AgeIdentity): Promise<IdentityDescription> {
  const { kind, origin } = identity;
  const protectedNote = (encrypted: boolean): string => (encrypted ? '; passphrase-protected: asked for only when a file needs it' : '');
  switch (identity.kind) {
    case 'x25519':
      return { kind, origin, recipients: [x25519RecipientOf(identity.secret) as string] };
    case 'hybrid':
      try {
        // typage derives it (ML-KEM); loaded only here.
        const { identityToRecipient } = await import('age-encryption');
        return { kind, origin, recipients: [await identityToRecipient(identity.secret)] };
      } catch (error) {
        throw new SecretsError('AGE_IDENTITY_INVALID', `${origin}: malformed post-quantum age identity`, { cause: error });
      }
    case 'ssh-ed25519':
      return {
        kind,
        origin,
        recipients: [formatSshPublicKey(identity.publicKey, false), ed25519PublicKeyToAgeRecipient(identity.publicKey)],
        note: `stanza tag ${sshTag(identity.publicKey.wire)}; opens native ssh-ed25519 stanzas and X25519 stanzas for its ssh-to-age recipient${protectedNote(identity.encrypted)}`,
      };
    case 'ssh-rsa':
      return {
        kind,
        origin,
        recipients: [formatSshPublicKey(identity.publicKey, false)],
        note: `stanza tag ${sshTag(identity.publicKey.wire)}${protectedNote(identity.encrypted)}`,
      };
    case 'encrypted-file':
      return { kind, origin, recipients: [], note: 'passphrase-protected identity file: opened only when no other identity matches' };
    case 'plugin':
      return { kind, origin, recipients: [], note: `age plugin identity: used through age-plugin-${identity.plugin} from PATH, after the other identities` };
    case 'unsupported':
      return { kind, origin, recipients: [], note: identity.reason };
  }
}
