/**
 * The explanation decryptAge gives when no identity opens a file: what the file's header holds, and for
 * each identity tried, why it did not match. Built only from public facts (stanza types, SSH tags,
 * recipients, origins): never key material, never plaintext.
 */
import { SecretsError } from '../errors.js';
import type { StanzaInfo } from './header.js';
import { summarizeStanzas } from './header.js';
import type { AgeIdentity } from './identities.js';

/** What happened to one identity during a decryption. */
export interface Attempt {
  readonly origin: string;
  readonly kind: AgeIdentity['kind'];
  /** Shown after the origin, e.g. `ssh-ed25519, tag V3XmEA` or `X25519 age1…`. */
  readonly label: string;
  readonly tag?: string;
  readonly recipient?: string;
  /** Why it did not open the file, one entry per route tried. */
  readonly reasons: string[];
  /** Its stanza was there (or its passphrase was asked) but it failed: the real story when nothing opens. */
  failure?: SecretsError;
  /** A stanza of a type it reads is malformed. */
  invalid?: SecretsError;
}

/**
 * Why an X25519 identity (native or ssh-to-age converted) opened nothing.
 *
 * @param count - how many X25519 stanzas the file has
 * @returns a short reason
 */
export function x25519Reason(count: number): string {
  if (count === 0) return 'the file has no X25519 stanza';
  return count === 1 ? "not the recipient of the file's X25519 stanza" : `not the recipient of any of the file's ${count} X25519 stanzas`;
}

/**
 * Why a post-quantum identity opened nothing.
 *
 * @param count - how many mlkem768x25519 stanzas the file has
 * @returns a short reason
 */
export function hybridReason(count: number): string {
  if (count === 0) return 'the file has no post-quantum (mlkem768x25519) stanza';
  return count === 1 ? "not the recipient of the file's post-quantum stanza" : `not the recipient of any of the file's ${count} post-quantum stanzas`;
}

/**
 * Why an SSH identity's native route opened nothing: no stanza carries its tag.
 *
 * @param type - `ssh-ed25519` or `ssh-rsa`
 * @param fileTags - the tags of the file's stanzas of that type
 * @returns a short reason naming the tags the file does have
 */
export function sshReason(type: string, fileTags: readonly string[]): string {
  if (fileTags.length === 0) return `the file has no ${type} stanza`;
  return `no ${type} stanza with this tag (the file's ${type} stanza${fileTags.length > 1 ? 's are' : ' is'} tagged ${fileTags.join(', ')})`;
}

/**
 * The error thrown when no identity opened a file: a stanza that matched but failed if there is one
 * (wrong passphrase, corrupted stanza), else a malformed stanza, else AGE_NO_IDENTITY_MATCHED. Always with
 * hints naming the file's stanzas and then, under `identities tried:`, one indented line per identity
 * with its origin and why it did not match.
 *
 * @param stanzas - the file's stanzas
 * @param attempts - every identity tried, in order
 * @returns the error to throw
 */
export function decryptionFailure(stanzas: readonly StanzaInfo[], attempts: readonly Attempt[]): SecretsError {
  // Indented under a lead line: hints must not start with an upper-case letter (CLI grammar, errors.ts),
  // and origins such as SOPS_AGE_KEY_FILE do.
  const hints = [`the file has stanzas: ${summarizeStanzas(stanzas)}`, 'identities tried:'];
  for (const a of attempts) hints.push(`  ${a.origin} (${a.label}): ${a.reasons.join('; ') || 'did not match'}`);
  if (stanzas.length === 1 && stanzas[0]?.type === 'scrypt') {
    hints.push('this file is encrypted with a passphrase (age -p), not to recipients: identities cannot open it');
  }
  const details = {
    stanzas: stanzas.map((s) => (s.type === 'ssh-ed25519' || s.type === 'ssh-rsa' ? { type: s.type, tag: s.args[0] } : { type: s.type })),
    identities: attempts.map((a) => ({
      origin: a.origin,
      kind: a.kind,
      ...(a.tag === undefined ? {} : { tag: a.tag }),
      ...(a.recipient === undefined ? {} : { recipient: a.recipient }),
      reasons: [...a.reasons],
    })),
  };
  const failed = attempts.find((a) => a.failure !== undefined)?.failure;
  if (failed) return new SecretsError(failed.code, failed.message, { hints: [...failed.hints, ...hints], details, cause: failed });
  const invalid = attempts.find((a) => a.invalid !== undefined)?.invalid;
  if (invalid) return new SecretsError('AGE_FILE_INVALID', invalid.message, { hints, details, cause: invalid });
  return new SecretsError('AGE_NO_IDENTITY_MATCHED', "no identity matched any of the file's recipients", { hints, details });
}
