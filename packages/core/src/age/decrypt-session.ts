/**
 * Decryption with every kind of identity a NixOS admin or host has, on typage: the full path behind
 * `decryptAge` (see `decrypt.ts`), loaded only when the native path (`native.ts`) cannot answer.
 *
 * Each identity is tried ALONE (one typage Decrypter per identity, `decryptHeader`): typage aborts a whole
 * decryption when any identity throws, so trying them together would let one malformed or locked key hide
 * a later key that matches. Per-identity outcomes also feed the "why nothing matched" diagnostics.
 *
 * Order: identities as given (SSH ed25519 keys: native stanza, then their ssh-to-age X25519 identity);
 * then plugin identities, one plugin process per plugin with all of its identities (a plugin may ask for
 * a PIN or a touch: not when a plain key opens the file); then passphrase-protected ed25519 keys against
 * X25519 stanzas (unlocking a key for an anonymous stanza is a last resort); then passphrase-protected
 * identity files.
 */
import { createHash } from 'node:crypto';
import { Decrypter, type Identity } from 'age-encryption';
import { SecretsError, isSecretsError } from '../errors.js';
import {
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  ed25519PublicKeyToAgeRecipient,
  type SshEd25519PrivateKey,
  type SshPrivateKey,
  type SshRsaPrivateKey,
} from '../ssh/index.js';
import { toBinaryAgeFile } from './armor.js';
import { decryptionFailure, hybridReason, sshReason, x25519Reason, type Attempt } from './diagnostics.js';
import { parseAgeHeader, type ParsedHeader } from './header.js';
import { parseIdentities, type AgeIdentity } from './identities.js';
import { pluginUnwrap } from './plugin-session.js';
import { resolvePluginHost } from './plugin-host.js';
import { SshEd25519Identity } from './ssh-ed25519.js';
import { SshRsaIdentity } from './ssh-rsa.js';
import { sshTag } from './ssh-tag.js';
import { x25519RecipientOf } from './x25519.js';
import type { DecryptAgeOptions } from './decrypt.js';

/** typage's texts (plain Errors) that decide control flow. */
const TYPAGE_NO_MATCH = "no identity matched any of the file's recipients";
const TYPAGE_BAD_MAC = 'invalid header HMAC';

type SshIdentity = Extract<AgeIdentity, { kind: 'ssh-ed25519' | 'ssh-rsa' }>;
type IdentityFile = Extract<AgeIdentity, { kind: 'encrypted-file' }>;
type PluginIdentity = Extract<AgeIdentity, { kind: 'plugin' }>;

function passphraseCode(error: unknown): boolean {
  return isSecretsError(error) && error.code === 'SSH_PASSPHRASE_INCORRECT';
}

/**
 * What unlocking an SSH key gave, per identity object and passphrase callback, across decryptions
 * (memory only, for as long as both live): rekey opens hundreds of files with one passphrase-protected
 * key and one callback (the CLI makes one per run), and every unlock runs bcrypt_pbkdf (about 0.3 s at
 * ssh-keygen's 16 rounds). Another callback unlocks again: its answer is checked. A wrong passphrase is
 * remembered by its digest, so the same wrong answer fails at once while another answer is tried.
 */
type Unlocked = { readonly key?: Promise<SshPrivateKey>; readonly wrong?: string };
const unlockedByCallback = new WeakMap<SshIdentity, WeakMap<object, Unlocked>>();
const NO_CALLBACK = {};

const digestOf = (passphrase: string | undefined): string => (passphrase === undefined ? '' : createHash('sha256').update(passphrase).digest('hex'));

/** One decryption: the header, the attempts so far, unlocked keys (each unlocked at most once). */
class Session {
  readonly attempts: Attempt[] = [];
  /** By PEM text, so the same key found in two places is unlocked (and asked for) once. */
  private readonly keys = new Map<string, Promise<SshPrivateKey>>();
  private promptFailure: SecretsError | undefined;

  constructor(
    private readonly header: ParsedHeader,
    private readonly headerBytes: Uint8Array,
    private readonly options: DecryptAgeOptions,
  ) {}

  private count(type: string): number {
    return this.header.stanzas.filter((s) => s.type === type).length;
  }

  private tags(type: string): string[] {
    return this.header.stanzas.filter((s) => s.type === type).map((s) => s.args[0] ?? '?');
  }

  /** Tries the identities; returns the file key of the first that opens the file. */
  async run(identities: readonly AgeIdentity[], nested: boolean): Promise<Uint8Array | null> {
    const later: (() => Promise<Uint8Array | null>)[] = [];
    const files: { id: IdentityFile; attempt: Attempt }[] = [];
    const plugins = new Map<string, PluginIdentity[]>();
    for (const id of identities) {
      if (id.kind === 'plugin') {
        plugins.set(id.plugin, [...(plugins.get(id.plugin) ?? []), id]);
        continue;
      }
      if (id.kind === 'encrypted-file') {
        const attempt = this.attempt(id, 'passphrase-protected identity file');
        if (nested) attempt.reasons.push('an encrypted identity file inside another is not supported');
        else files.push({ id, attempt });
        continue;
      }
      const key = await this.tryIdentity(id, later);
      if (key) return key;
    }
    for (const [plugin, ids] of plugins) {
      const key = await this.tryPlugin(plugin, ids);
      if (key) return key;
    }
    for (const next of later) {
      const key = await next();
      if (key) return key;
    }
    for (const { id, attempt } of files) {
      const key = await this.tryIdentityFile(id, attempt);
      if (key) return key;
    }
    return null;
  }

  private attempt(id: AgeIdentity, label: string, extra: { tag?: string; recipient?: string } = {}): Attempt {
    const attempt: Attempt = { origin: id.origin, kind: id.kind, label, reasons: [], ...extra };
    this.attempts.push(attempt);
    return attempt;
  }

  private async tryIdentity(id: Exclude<AgeIdentity, IdentityFile | PluginIdentity>, later: (() => Promise<Uint8Array | null>)[]): Promise<Uint8Array | null> {
    switch (id.kind) {
      case 'x25519': {
        const recipient = x25519RecipientOf(id.secret) ?? 'malformed';
        const attempt = this.attempt(id, `X25519 ${recipient}`, { recipient });
        const key = await this.unwrap(id.secret, attempt, 'X25519');
        if (!key && !attempt.invalid) attempt.reasons.push(x25519Reason(this.count('X25519')));
        return key;
      }
      case 'hybrid': {
        const attempt = this.attempt(id, 'post-quantum');
        const key = await this.unwrap(id.secret, attempt, 'mlkem768x25519');
        if (!key && !attempt.invalid) attempt.reasons.push(hybridReason(this.count('mlkem768x25519')));
        return key;
      }
      case 'ssh-ed25519': {
        const tag = sshTag(id.publicKey.wire);
        const recipient = ed25519PublicKeyToAgeRecipient(id.publicKey);
        const attempt = this.attempt(id, `ssh-ed25519, tag ${tag}`, { tag, recipient });
        const native = new SshEd25519Identity(id.publicKey, () => this.privateKey<SshEd25519PrivateKey>(id, "a stanza of the file carries this key's tag"), id.origin);
        const key = await this.unwrap(native, attempt, 'ssh-ed25519');
        if (key) return key;
        if (!attempt.failure && !attempt.invalid) attempt.reasons.push(sshReason('ssh-ed25519', this.tags('ssh-ed25519')));
        // The same key as the X25519 identity ssh-to-age derives from it: files sops-nix users encrypt to
        // the converted age1… recipient. A protected key waits until everything else has failed.
        if (this.count('X25519') === 0) {
          attempt.reasons.push(`as its ssh-to-age recipient ${recipient}: ${x25519Reason(0)}`);
          return null;
        }
        if (id.encrypted && !this.keys.has(id.pem)) {
          later.push(() => this.tryConverted(id, attempt, recipient));
          return null;
        }
        return this.tryConverted(id, attempt, recipient);
      }
      case 'ssh-rsa': {
        const tag = sshTag(id.publicKey.wire);
        const attempt = this.attempt(id, `ssh-rsa, tag ${tag}`, { tag });
        const native = new SshRsaIdentity(id.publicKey, () => this.privateKey<SshRsaPrivateKey>(id, "a stanza of the file carries this key's tag"), id.origin);
        const key = await this.unwrap(native, attempt, 'ssh-rsa');
        if (!key && !attempt.failure && !attempt.invalid) attempt.reasons.push(sshReason('ssh-rsa', this.tags('ssh-rsa')));
        return key;
      }
      case 'unsupported': {
        this.attempt(id, 'unsupported').reasons.push(id.reason);
        return null;
      }
    }
  }

  /** A plugin's identities, offered every stanza of the file in one `identity-v1` session. */
  private async tryPlugin(plugin: string, ids: readonly PluginIdentity[]): Promise<Uint8Array | null> {
    const attempts = ids.map((id) => this.attempt(id, `age plugin ${plugin}`));
    const first = attempts[0] as Attempt;
    // Asked already, in one session with other files (plugin-file-keys.ts): that answer, not a second run.
    let result = this.options.pluginFileKeys?.take(plugin, this.headerBytes);
    try {
      result ??= await pluginUnwrap(plugin, ids.map((id) => id.secret), this.header.stanzas, resolvePluginHost(this.options.plugins, plugin));
    } catch (error) {
      // A plugin that cannot start (not installed, no host) is a reason, as for a key of another type
      // (C2SP age-plugin: a client MAY ignore plugin failures when decrypting); one that ran and broke
      // is this identity's failure.
      const cannotStart = isSecretsError(error) && (error.code === 'FILE_NOT_FOUND' || error.code === 'USAGE');
      if (cannotStart) first.reasons.push(error.message);
      else this.fail(first, error);
      for (const a of attempts.slice(1)) a.reasons.push(`not opened: ${first.reasons.at(-1) ?? 'the plugin failed'}`);
      return null;
    }
    const { fileKey, reasons } = result;
    if (fileKey === null) {
      const why = reasons.length > 0 ? reasons.join('; ') : `age-plugin-${plugin} opened none of the file's stanzas`;
      for (const a of attempts) a.reasons.push(why);
      return null;
    }
    // typage checks the header MAC with the plugin's file key, as for any identity.
    return this.unwrap({ unwrapFileKey: () => fileKey }, first, `age-plugin-${plugin}`);
  }

  /** An ed25519 key as its ssh-to-age X25519 identity, through typage's own X25519 implementation. */
  private async tryConverted(id: Extract<AgeIdentity, { kind: 'ssh-ed25519' }>, attempt: Attempt, recipient: string): Promise<Uint8Array | null> {
    const prefix = `as its ssh-to-age recipient ${recipient}`;
    if (id.encrypted && !this.keys.has(id.pem) && (!this.options.passphrase || this.promptFailure)) {
      attempt.reasons.push(`${prefix}: not tried (the key is passphrase-protected and no passphrase can be asked for)`);
      return null;
    }
    let key: SshEd25519PrivateKey;
    try {
      key = await this.privateKey<SshEd25519PrivateKey>(id, `the file has X25519 stanzas, which this key opens if they are for its ssh-to-age recipient ${recipient}`);
    } catch (error) {
      this.fail(attempt, error);
      return null;
    }
    const fileKey = await this.unwrap(ed25519PrivateKeyToAgeIdentity(key), attempt, 'X25519');
    if (!fileKey && !attempt.invalid) attempt.reasons.push(`${prefix}: ${x25519Reason(this.count('X25519'))}`);
    return fileKey;
  }

  /** A passphrase-protected identity file: asked for last, decrypted, its identities tried. */
  private async tryIdentityFile(id: IdentityFile, attempt: Attempt): Promise<Uint8Array | null> {
    if (!this.options.passphrase || this.promptFailure) {
      attempt.reasons.push('not opened: no passphrase can be asked for');
      return null;
    }
    let inner: AgeIdentity[];
    try {
      let binary: Uint8Array;
      let header: ParsedHeader;
      try {
        binary = toBinaryAgeFile(id.file);
        header = parseAgeHeader(binary);
      } catch (error) {
        // About the identity file, not the file being decrypted: say so.
        const why = isSecretsError(error) ? error.message.replace(/^invalid age file: /, '') : 'unreadable';
        throw new SecretsError('AGE_IDENTITY_INVALID', `${id.origin}: malformed encrypted identity file (${why})`, { cause: error });
      }
      if (header.stanzas.length !== 1 || header.stanzas[0]?.type !== 'scrypt') {
        throw new SecretsError('AGE_IDENTITY_INVALID', `${id.origin}: an encrypted identity file must be encrypted with a passphrase (age -p), not to recipients`);
      }
      const passphrase = await this.askPassphrase(id.origin, 'it is a passphrase-protected identity file and no other identity opened the file');
      const d = new Decrypter();
      d.addPassphrase(passphrase);
      let plain: Uint8Array;
      try {
        plain = await d.decrypt(binary);
      } catch (error) {
        const message = error instanceof Error ? error.message : '';
        if (message === TYPAGE_NO_MATCH) throw new SecretsError('AGE_DECRYPT_FAILED', `incorrect passphrase for ${id.origin}`);
        if (message === 'scrypt work factor is too high') {
          throw new SecretsError('AGE_IDENTITY_INVALID', `${id.origin}: scrypt work factor above 2^20 is not supported`, { hints: ['re-encrypt it with age -p (the default work factor is 2^18)'] });
        }
        throw new SecretsError('AGE_IDENTITY_INVALID', `${id.origin}: corrupted encrypted identity file`, { cause: error });
      }
      try {
        inner = parseIdentities(plain, `${id.origin} (decrypted)`);
      } finally {
        plain.fill(0);
      }
    } catch (error) {
      this.fail(attempt, error);
      return null;
    }
    attempt.reasons.push(inner.length === 0 ? 'decrypted, but it holds no identity' : `decrypted; its ${inner.length === 1 ? 'identity is' : `${inner.length} identities are`} listed below`);
    return this.run(inner, true);
  }

  /** Runs one identity alone against the header (see the file comment for why alone). */
  private async unwrap(identity: Identity | string, attempt: Attempt, stanzaType: string): Promise<Uint8Array | null> {
    const d = new Decrypter();
    d.addIdentity(identity);
    try {
      return await d.decryptHeader(this.headerBytes);
    } catch (error) {
      if (!isSecretsError(error) && error instanceof Error) {
        if (error.message === TYPAGE_NO_MATCH) return null;
        if (error.message === TYPAGE_BAD_MAC) {
          // A stanza opened (authenticated encryption), so the file was written for this key and then
          // changed: never "no match", and no point trying other keys.
          throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the header MAC does not match (the file was modified or is corrupted)', {
            hints: [`the ${stanzaType} stanza for ${attempt.origin} opened, so the file was written for this key and then changed`],
          });
        }
        // typage's own identities throw plain Errors only for malformed stanzas of their type (wrong
        // argument count, share or body length, low-order share).
        attempt.invalid ??= new SecretsError('AGE_FILE_INVALID', `invalid age file: malformed ${stanzaType} stanza`, { cause: error });
        attempt.reasons.push(`the file has a malformed ${stanzaType} stanza`);
        return null;
      }
      this.fail(attempt, error);
      return null;
    }
  }

  /** Records an identity's failure (malformed stanza, wrong passphrase, failed stanza). */
  private fail(attempt: Attempt, error: unknown): void {
    const e = isSecretsError(error) ? error : new SecretsError('INTERNAL', `${attempt.origin}: unexpected failure`, { cause: error });
    if (e.code === 'AGE_FILE_INVALID') {
      attempt.invalid ??= e;
    } else {
      attempt.failure ??= e;
    }
    if (!attempt.reasons.includes(e.message)) attempt.reasons.push(e.message);
  }

  /**
   * Unlocked keys are not wiped here: they stay with their identity object for the next decryption
   * (see `unlockedByCallback`).
   */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.keys.values());
  }

  /** What is known of unlocking `id` with this decryption's passphrase callback. */
  private unlocked(id: SshIdentity): Unlocked | undefined {
    return unlockedByCallback.get(id)?.get(this.options.passphrase ?? NO_CALLBACK);
  }

  private remember(id: SshIdentity, state: Unlocked): void {
    let byCallback = unlockedByCallback.get(id);
    if (!byCallback) unlockedByCallback.set(id, (byCallback = new WeakMap()));
    byCallback.set(this.options.passphrase ?? NO_CALLBACK, state);
  }

  private privateKey<T extends SshPrivateKey>(id: SshIdentity, why: string): Promise<T> {
    let key = this.keys.get(id.pem);
    if (!key) {
      key = this.unlocked(id)?.key ?? this.unlock(id, why);
      key.catch(() => undefined); // observed by every caller; avoid an unhandled rejection here
      this.keys.set(id.pem, key);
    }
    // The same key under another name (found in two places) is unlocked too, for later decryptions.
    if (this.unlocked(id)?.key === undefined) {
      const known = key;
      key.then(() => this.remember(id, { key: known }), () => undefined);
    }
    return key as Promise<T>;
  }

  private async unlock(id: SshIdentity, why: string): Promise<SshPrivateKey> {
    const passphrase = id.encrypted ? await this.askPassphrase(id.origin, why) : undefined;
    const digest = digestOf(passphrase);
    const incorrect = (cause?: unknown): SecretsError => new SecretsError('AGE_DECRYPT_FAILED', `incorrect passphrase for ${id.origin}`, cause === undefined ? {} : { cause });
    if (this.unlocked(id)?.wrong === digest) throw incorrect();
    try {
      return decryptOpenSshPrivateKey(id.pem, passphrase);
    } catch (error) {
      if (passphraseCode(error)) {
        this.remember(id, { wrong: digest });
        throw incorrect(error);
      }
      if (isSecretsError(error)) throw new SecretsError(error.code, `${id.origin}: ${error.message}`, { hints: error.hints, cause: error });
      throw error;
    }
  }

  private async askPassphrase(origin: string, reason: string): Promise<string> {
    if (this.promptFailure) throw this.promptFailure;
    if (!this.options.passphrase) {
      throw new SecretsError('SSH_PASSPHRASE_REQUIRED', `${origin} is passphrase-protected and no passphrase can be asked for`);
    }
    try {
      return await this.options.passphrase({ origin, reason });
    } catch (error) {
      // Stop asking: a cancelled or impossible prompt should not be repeated for every other key.
      this.promptFailure = isSecretsError(error) ? error : new SecretsError('AGE_DECRYPT_FAILED', `could not get the passphrase for ${origin}`, { cause: error });
      throw this.promptFailure;
    }
  }
}

/** Decrypts the payload with a file key already unwrapped (and the header MAC already checked). */
async function decryptPayload(binary: Uint8Array, fileKey: Uint8Array): Promise<Uint8Array> {
  const d = new Decrypter();
  d.addIdentity({ unwrapFileKey: () => fileKey });
  try {
    return await d.decrypt(binary);
  } catch (error) {
    throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the payload is truncated or corrupted', { cause: error });
  } finally {
    fileKey.fill(0);
  }
}

/**
 * The full decryption (see `decryptAge`, which checks for an empty identity list first).
 *
 * @internal
 */
export async function decryptWithSession(file: Uint8Array, identities: readonly AgeIdentity[], options: DecryptAgeOptions): Promise<Uint8Array> {
  const binary = toBinaryAgeFile(file);
  // The 16-byte STREAM nonce follows the header: a file cut before it is a header failure (C2SP CCTV
  // stream_no_nonce, stream_short_nonce), not a payload one. (A header alone, for streaming, has none yet.)
  if (binary.length - parseAgeHeader(binary).length < 16) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the payload nonce is missing or truncated');
  return decryptPayload(binary, await unwrapWithSession(binary, identities, options));
}

/**
 * The full path for a header alone: the file key of the first identity that opens it, the header MAC
 * checked (typage's decryptHeader), for decrypting the payload as a stream.
 *
 * @param binary - the binary age file, or at least its whole header
 * @returns the file key; the caller wipes it
 * @throws SecretsError as {@link decryptWithSession}
 * @internal
 */
export async function unwrapWithSession(binary: Uint8Array, identities: readonly AgeIdentity[], options: DecryptAgeOptions): Promise<Uint8Array> {
  const header = parseAgeHeader(binary);
  const session = new Session(header, binary.subarray(0, header.length), options);
  try {
    const fileKey = await session.run(identities, false);
    if (!fileKey) throw decryptionFailure(header.stanzas, session.attempts);
    return fileKey;
  } finally {
    await session.dispose();
  }
}
