/**
 * The age layer: encryption to X25519, post-quantum hybrid, ssh-ed25519 and ssh-rsa recipients, and
 * decryption with every kind of identity a NixOS admin or host has — with an explanation, when nothing
 * opens a file, of which identity was tried and why it did not match.
 *
 * Built on `age-encryption` (typage) for the format, STREAM and armor; the SSH stanzas are ours.
 */
import { armor, Decrypter, Encrypter, type Identity, type Stanza } from 'age-encryption';
import { SecretsError, isSecretsError } from '../errors.js';
import { utf8 } from '../bytes.js';
import {
  decryptOpenSshPrivateKey,
  ed25519PublicKeyToAgeRecipient,
  ed25519SeedToX25519Scalar,
  type SshEd25519PrivateKey,
  type SshPrivateKey,
  type SshRsaPrivateKey,
} from '../ssh/index.js';
import { binaryAgeFile, inspectAgeHeader, summarizeStanzas, type StanzaInfo } from './header.js';
import { parseIdentities, type AgeIdentity } from './identities.js';
import type { AgeRecipient } from './recipients.js';
import { SshEd25519Identity, SshEd25519Recipient, sshTag } from './ssh-ed25519.js';
import { SshRsaIdentity, SshRsaRecipient } from './ssh-rsa.js';
import { decodeX25519Identity, X25519Identity, x25519Recipient, type UnwrapOutcome } from './x25519.js';

export { parseRecipient, type AgeRecipient } from './recipients.js';
export { parseIdentities, describeIdentity, type AgeIdentity, type IdentityDescription } from './identities.js';
export { inspectAgeHeader, isArmored, type StanzaInfo } from './header.js';
export { sshTag } from './ssh-ed25519.js';

/** Options for {@link encryptAge}. */
export interface EncryptAgeOptions {
  /** PEM-armor the output (`-----BEGIN AGE ENCRYPTED FILE-----`). */
  readonly armor?: boolean;
}

/**
 * Encrypts to one or more recipients.
 *
 * @param plaintext - the data
 * @param recipients - parsed recipients (see {@link parseRecipient})
 * @param options - armor
 * @returns the age file (armored text as bytes when `armor`)
 * @throws SecretsError AGE_RECIPIENT_INVALID (e.g. RSA keys under 2048 bits), USAGE for no recipients
 */
export async function encryptAge(plaintext: Uint8Array, recipients: readonly AgeRecipient[], options: EncryptAgeOptions = {}): Promise<Uint8Array> {
  if (recipients.length === 0) throw new SecretsError('USAGE', 'no recipients to encrypt to');
  const e = new Encrypter();
  for (const r of recipients) {
    if (r.kind === 'ssh-ed25519') e.addRecipient(new SshEd25519Recipient(r.key));
    else if (r.kind === 'ssh-rsa') e.addRecipient(new SshRsaRecipient(r.key));
    else e.addRecipient(r.text);
  }
  const file = await e.encrypt(plaintext);
  return options.armor ? utf8(armor.encode(file)) : file;
}

/** What is asked of the user for a passphrase. */
export interface PassphraseRequest {
  /** The identity's origin, e.g. `~/.ssh/id_ed25519`. */
  readonly origin: string;
  /** Why it is needed. */
  readonly reason: string;
}

/** Options for {@link decryptAge}. */
export interface DecryptAgeOptions {
  /** Called for passphrase-protected SSH keys (only when a stanza is theirs) and identity files. */
  readonly passphrase?: (request: PassphraseRequest) => Promise<string>;
}

/** One identity's try, for the diagnostics. */
interface Attempt {
  readonly label: string;
  /** The identity's origin, to avoid repeating it in messages that already name it. */
  readonly origin?: string;
  readonly outcomes: UnwrapOutcome[];
  error?: unknown;
}

/** Catches an identity's errors so one broken identity cannot stop the others (typage aborts on throw). */
class Guarded implements Identity {
  constructor(
    private readonly inner: Identity,
    private readonly attempt: Attempt,
  ) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    try {
      return await this.inner.unwrapFileKey(stanzas);
    } catch (error) {
      this.attempt.error ??= error;
      return null;
    }
  }
}

function lazyPrivateKey<T extends SshPrivateKey>(identity: Extract<AgeIdentity, { kind: 'ssh-ed25519' | 'ssh-rsa' }>, options: DecryptAgeOptions): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= (async () => {
      if (!identity.encrypted) return decryptOpenSshPrivateKey(identity.pem) as T;
      if (!options.passphrase) {
        throw new SecretsError('SSH_PASSPHRASE_REQUIRED', `${identity.origin} is passphrase protected and no passphrase can be asked for`);
      }
      const passphrase = await options.passphrase({ origin: identity.origin, reason: 'the file has a stanza for this key' });
      return decryptOpenSshPrivateKey(identity.pem, passphrase) as T;
    })();
    return cached;
  };
}

function outcome(): UnwrapOutcome {
  return { matched: false, reason: '' };
}

/**
 * Turns identity data into guarded typage identities, recording one attempt each. In the `protected`
 * pass only passphrase-protected ssh-ed25519 keys are built, and only as their ssh-to-age X25519
 * identity: X25519 stanzas are anonymous, so unlocking a key for them is worth it only as a last resort.
 */
function buildIdentities(identities: readonly AgeIdentity[], options: DecryptAgeOptions, stanzas: readonly StanzaInfo[], attempts: Attempt[], pass: 'main' | 'protected'): (Identity | string)[] {
  const out: (Identity | string)[] = [];
  for (const id of identities) {
    switch (id.kind) {
      case 'x25519': {
        const scalar = decodeX25519Identity(id.secret) as Uint8Array;
        const o = outcome();
        const attempt: Attempt = { label: `${id.origin} (X25519 ${x25519Recipient(scalar)})`, outcomes: [o] };
        attempts.push(attempt);
        out.push(new Guarded(new X25519Identity(scalar, o), attempt));
        break;
      }
      case 'hybrid': {
        const has = stanzas.some((s) => s.type === 'mlkem768x25519');
        attempts.push({ label: `${id.origin} (post-quantum)`, outcomes: [{ matched: false, reason: has ? 'no mlkem768x25519 stanza is for this key' : 'the file has no mlkem768x25519 stanza' }] });
        out.push(id.secret);
        break;
      }
      case 'ssh-ed25519': {
        const label = `${id.origin} (ssh-ed25519, tag ${sshTag(id.publicKey.wire)})`;
        const key = lazyPrivateKey<SshEd25519PrivateKey>(id, options);
        const attempt: Attempt = { label: pass === 'main' ? label : `${label} as X25519`, outcomes: [] };
        attempts.push(attempt);
        if (pass === 'main') {
          const native = outcome();
          attempt.outcomes.push(native);
          out.push(new Guarded(new SshEd25519Identity(id.publicKey, key, native), attempt));
        }
        // The same key as the X25519 identity ssh-to-age derives (sops-nix files).
        if (!id.encrypted || pass === 'protected') {
          const converted = outcome();
          attempt.outcomes.push(converted);
          out.push(new Guarded(new ConvertedSshIdentity(key, converted, ed25519PublicKeyToAgeRecipient(id.publicKey)), attempt));
        }
        break;
      }
      case 'ssh-rsa': {
        const o = outcome();
        const attempt: Attempt = { label: `${id.origin} (ssh-rsa, tag ${sshTag(id.publicKey.wire)})`, outcomes: [o] };
        attempts.push(attempt);
        out.push(new Guarded(new SshRsaIdentity(id.publicKey, lazyPrivateKey<SshRsaPrivateKey>(id, options), o), attempt));
        break;
      }
      case 'unsupported':
        attempts.push({ label: id.origin, outcomes: [{ matched: false, reason: id.reason }] });
        break;
      case 'encrypted-file':
        break; // handled by the second pass
    }
  }
  return out;
}

/** An SSH ed25519 key acting as its ssh-to-age X25519 identity. */
class ConvertedSshIdentity implements Identity {
  constructor(
    private readonly key: () => Promise<SshEd25519PrivateKey>,
    private readonly outcomeRecord: UnwrapOutcome,
    private readonly recipient: string,
  ) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (!stanzas.some((s) => s.args[0] === 'X25519')) {
      this.outcomeRecord.reason = `as its ssh-to-age recipient ${this.recipient}: the file has no X25519 stanza`;
      return null;
    }
    const scalar = ed25519SeedToX25519Scalar((await this.key()).seed);
    try {
      const result = new X25519Identity(scalar, this.outcomeRecord).unwrapFileKey(stanzas);
      if (!result) this.outcomeRecord.reason = `as its ssh-to-age recipient ${this.recipient}: ${this.outcomeRecord.reason}`;
      return result;
    } finally {
      scalar.fill(0);
    }
  }
}

async function attemptDecrypt(binary: Uint8Array, identities: (Identity | string)[]): Promise<Uint8Array | null> {
  if (identities.length === 0) return null;
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return await d.decrypt(binary);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes('no identity matched')) return null;
    if (isSecretsError(error)) throw error;
    // Header MAC, STREAM and format failures from typage: safe, short, secret-free texts.
    throw new SecretsError('AGE_FILE_INVALID', `invalid age file: ${message.toLowerCase()}`, { cause: error });
  }
}

/**
 * Decrypts an age file (binary or armored) with the given identities.
 *
 * SSH ed25519 keys open both native `ssh-ed25519` stanzas and X25519 stanzas for their ssh-to-age
 * recipient. Protected SSH keys are unlocked only when a stanza carries their tag (or, for the X25519
 * route, after everything else failed); passphrase-protected identity files last.
 *
 * @param file - the age file
 * @param identities - from {@link parseIdentities} or discovery
 * @param options - the passphrase callback
 * @returns the plaintext
 * @throws SecretsError AGE_NO_IDENTITIES, AGE_NO_IDENTITY_MATCHED (hints: the file's stanzas and, per
 *   identity, why it did not match), AGE_DECRYPT_FAILED, SSH_PASSPHRASE_*, AGE_FILE_INVALID
 */
export async function decryptAge(file: Uint8Array, identities: readonly AgeIdentity[], options: DecryptAgeOptions = {}): Promise<Uint8Array> {
  if (identities.length === 0) throw new SecretsError('AGE_NO_IDENTITIES', 'no age identities to decrypt with');
  const binary = binaryAgeFile(file);
  const { stanzas } = inspectAgeHeader(binary);
  const attempts: Attempt[] = [];

  const first = await attemptDecrypt(binary, buildIdentities(identities, options, stanzas, attempts, 'main'));
  if (first) return first;

  // Second pass: protected SSH keys through their ssh-to-age X25519 identity, then identity files.
  const late: (Identity | string)[] = [];
  const protectedSsh = identities.filter((i) => i.kind === 'ssh-ed25519' && i.encrypted);
  if (protectedSsh.length > 0 && stanzas.some((s) => s.type === 'X25519') && options.passphrase) {
    late.push(...buildIdentities(protectedSsh, options, stanzas, attempts, 'protected'));
  }
  for (const id of identities) {
    if (id.kind !== 'encrypted-file') continue;
    const attempt: Attempt = { label: `${id.origin} (passphrase-protected identity file)`, origin: id.origin, outcomes: [] };
    attempts.push(attempt);
    if (!options.passphrase) {
      attempt.outcomes.push({ matched: false, reason: 'needs a passphrase and none can be asked for' });
      continue;
    }
    try {
      const inner = await openIdentityFile(id, options.passphrase);
      late.push(...buildIdentities(inner, options, stanzas, attempts, 'main'));
    } catch (error) {
      attempt.error = error;
    }
  }
  const second = await attemptDecrypt(binary, late);
  if (second) return second;
  throw noMatch(stanzas, attempts);
}

async function openIdentityFile(id: Extract<AgeIdentity, { kind: 'encrypted-file' }>, ask: (r: PassphraseRequest) => Promise<string>): Promise<AgeIdentity[]> {
  const passphrase = await ask({ origin: id.origin, reason: 'it is a passphrase-protected identity file' });
  const d = new Decrypter();
  d.addPassphrase(passphrase);
  let text: string;
  try {
    text = await d.decrypt(binaryAgeFile(id.file), 'text');
  } catch {
    throw new SecretsError('AGE_DECRYPT_FAILED', `incorrect passphrase for ${id.origin}`);
  }
  return parseIdentities(text, `${id.origin} (decrypted)`);
}

function noMatch(stanzas: readonly StanzaInfo[], attempts: readonly Attempt[]): SecretsError {
  // A key that matched but failed (wrong passphrase, corrupted stanza) is the real story: say that.
  const matchedFailure = attempts.find((a) => a.error !== undefined && (a.outcomes.some((o) => o.matched) || isSecretsError(a.error)));
  if (matchedFailure && isSecretsError(matchedFailure.error)) {
    const e = matchedFailure.error;
    const named = e.message.includes(matchedFailure.origin ?? matchedFailure.label);
    return new SecretsError(e.code, named ? e.message : `${e.message} (${matchedFailure.label})`, { hints: e.hints, cause: e });
  }
  const lines = attempts.map((a) => {
    const reasons = a.outcomes.map((o) => o.reason).filter((r) => r !== '');
    return `  ${a.label}: ${reasons.join('; ') || 'did not match'}`;
  });
  return new SecretsError('AGE_NO_IDENTITY_MATCHED', "no identity matched any of the file's recipients", {
    hints: [`the file has stanzas: ${summarizeStanzas(stanzas) || 'none'}`, 'tried:', ...lines],
    details: { stanzas: stanzas.map((s) => ({ type: s.type, tag: s.type.startsWith('ssh-') ? s.args[0] : undefined })), tried: attempts.map((a) => a.label) },
  });
}
