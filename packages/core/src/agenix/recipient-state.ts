/**
 * Whether an `.age` file is already encrypted to a rule's recipients, so `secrets agenix rekey` rewrites
 * only the files whose recipient set changed and leaves the others byte-identical.
 *
 * age cannot list a file's recipients (age#136): ssh-ed25519 and ssh-rsa stanzas carry a 4-byte tag of
 * their key (age spec, "ssh-ed25519 recipient stanza"), but X25519 and ML-KEM hybrid stanzas are
 * anonymous by design. For those, `secrets.lock` (beside `secrets.nix`, as flake.lock beside flake.nix)
 * records, per file, a digest of the recipient set it was written for and a digest of the file's bytes;
 * a record whose file digest no longer matches (the file was re-encrypted by another tool) is not trusted.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64, toHex, utf8 } from '../bytes.js';
import { sshTag, type AgeRecipient, type StanzaInfo } from '../age/index.js';
import { SecretsError } from '../errors.js';
import { normalizeRuleName } from './secrets-nix.js';

/** What `secrets.lock` remembers of one `.age` file. */
export interface LockEntry {
  /** {@link recipientSetDigest} of the recipients it was encrypted to. */
  readonly recipients: string;
  /** SHA-256 (hex) of the file's bytes when it was written. */
  readonly sha256: string;
}

/** The parsed `secrets.lock`: entries by normalized rule name (`x.age`, never `./x.age`). */
export type AgenixLock = ReadonlyMap<string, LockEntry>;

const LOCK_VERSION = 1;
const HEX64 = /^[0-9a-f]{64}$/;

/** A recipient's identity without its SSH comment, so renaming a key's comment changes nothing. */
function canonical(recipient: AgeRecipient): string {
  if (recipient.kind === 'ssh-ed25519' || recipient.kind === 'ssh-rsa') return `${recipient.kind} ${toBase64(recipient.key.wire)}`;
  return recipient.text;
}

/**
 * A digest of a recipient set: order, duplicates and SSH comments do not matter.
 *
 * @param recipients - parsed recipients
 * @returns `sha256:` + hex
 */
export function recipientSetDigest(recipients: readonly AgeRecipient[]): string {
  const lines = [...new Set(recipients.map(canonical))].sort();
  return `sha256:${toHex(sha256(utf8(lines.join('\n'))))}`;
}

/**
 * SHA-256 of a file's bytes, as `secrets.lock` records it.
 *
 * @param bytes - the `.age` file
 * @returns hex digest
 */
export function fileDigest(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

/**
 * Parses `secrets.lock`.
 *
 * @param text - the file
 * @param path - for messages
 * @returns the entries
 * @throws SecretsError CONFIG_INVALID when it is not a version-1 lock
 */
export function parseAgenixLock(text: string, path: string): AgenixLock {
  const bad = (why: string): never => {
    throw new SecretsError('CONFIG_INVALID', `${path}: ${why}`, { hints: ['delete it: the next `secrets agenix rekey` re-encrypts files it cannot vouch for and writes it again'] });
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return bad('not valid JSON');
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== LOCK_VERSION) return bad(`not a version ${LOCK_VERSION} secrets.lock`);
  const files = (data as { files?: unknown }).files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return bad('"files" must be an object');
  const out = new Map<string, LockEntry>();
  for (const [name, entry] of Object.entries(files)) {
    const e = entry as { recipients?: unknown; sha256?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.recipients !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(e.recipients) || typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)) {
      return bad(`the entry for ${JSON.stringify(name)} is malformed`);
    }
    out.set(normalizeRuleName(name), { recipients: e.recipients, sha256: e.sha256 });
  }
  return out;
}

/**
 * Formats `secrets.lock` deterministically (names sorted, two-space JSON, final newline).
 *
 * @param lock - the entries
 * @returns the file's text
 */
export function formatAgenixLock(lock: AgenixLock): string {
  const files: Record<string, LockEntry> = {};
  for (const name of [...lock.keys()].sort()) {
    const e = lock.get(name) as LockEntry;
    files[name] = { recipients: e.recipients, sha256: e.sha256 };
  }
  const comment = 'written by `secrets agenix`: the recipients each file was encrypted to, which age headers cannot show for X25519 keys';
  return `${JSON.stringify({ comment, version: LOCK_VERSION, files }, null, 2)}\n`;
}

/**
 * What a writer records in `secrets.lock` that is being written by others too: the current lock with
 * this writer's own changes applied. Its changes are the entries of `ours` that differ from `original`
 * (the lock as this writer read it); each is applied only while its file still has the recorded digest,
 * so a file rewritten by someone else since keeps their entry. Everything else stays as `current` has it.
 *
 * @param current - the lock as it is now
 * @param original - the lock as this writer read it
 * @param ours - the lock as this writer updated it
 * @param digestNow - the file's {@link fileDigest} now, or null when it is gone
 * @returns the lock to write
 */
export function mergeAgenixLock(current: AgenixLock, original: AgenixLock, ours: AgenixLock, digestNow: (name: string) => string | null): Map<string, LockEntry> {
  const merged = new Map(current);
  for (const [name, entry] of ours) {
    const before = original.get(name);
    if (before !== undefined && before.recipients === entry.recipients && before.sha256 === entry.sha256) continue;
    if (digestNow(name) === entry.sha256) merged.set(name, entry);
  }
  return merged;
}

/** The verdict on one file. */
export type RecipientState =
  | { readonly current: true }
  | {
      readonly current: false;
      readonly reason: string;
      /** True when the header (or a record vouching for this very file) proves the set differs; false when
       * nothing can tell (anonymous stanzas without a valid record): rekeying is then only a precaution. */
      readonly certain: boolean;
    };

/**
 * Whether a file's header already serves exactly these recipients.
 *
 * ssh stanzas are matched by tag (both directions: a tag the rule lacks means a removed key). Anonymous
 * stanzas must match in number and, when there are any, be vouched for by a lock entry whose file digest
 * is this file's and whose recipient digest is this set's.
 *
 * @param stanzas - the file's stanzas ({@link inspectAgeHeader})
 * @param recipients - the rule's recipients
 * @param file - the file's bytes (for the lock's file digest)
 * @param entry - its `secrets.lock` entry, if any
 * @returns current, or why not (names tags, never secret material)
 */
export function recipientState(stanzas: readonly StanzaInfo[], recipients: readonly AgeRecipient[], file: Uint8Array, entry: LockEntry | undefined): RecipientState {
  const want = [...new Set(recipients.map(canonical))].map((c) => recipients.find((r) => canonical(r) === c) as AgeRecipient);
  const wantTags = want.filter((r) => r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa').map((r) => `${r.kind} ${sshTag((r as { key: { wire: Uint8Array } }).key.wire)}`);
  const haveTags = stanzas.filter((s) => s.type === 'ssh-ed25519' || s.type === 'ssh-rsa').map((s) => `${s.type} ${s.args[0] ?? ''}`);
  const added = wantTags.filter((t) => !haveTags.includes(t));
  const removed = haveTags.filter((t) => !wantTags.includes(t));
  if (added.length > 0 || removed.length > 0) {
    const parts = [...(added.length ? [`new ${added.join(', ')}`] : []), ...(removed.length ? [`dropped ${removed.join(', ')}`] : [])];
    return { current: false, reason: `ssh recipients changed (${parts.join('; ')})`, certain: true };
  }
  const anonymous = (kind: AgeRecipient['kind'], type: string): [number, number] => [want.filter((r) => r.kind === kind).length, stanzas.filter((s) => s.type === type).length];
  const [wantX, haveX] = anonymous('x25519', 'X25519');
  const [wantPq, havePq] = anonymous('hybrid', 'mlkem768x25519');
  if (wantX !== haveX) return { current: false, reason: `${haveX} X25519 stanza${haveX === 1 ? '' : 's'} for ${wantX} X25519 recipient${wantX === 1 ? '' : 's'}`, certain: true };
  if (wantPq !== havePq) return { current: false, reason: `${havePq} post-quantum stanza${havePq === 1 ? '' : 's'} for ${wantPq} post-quantum recipient${wantPq === 1 ? '' : 's'}`, certain: true };
  // age plugin stanzas name no key either (C2SP age-plugin: any type, any number): like X25519 ones, only
  // the lock can vouch for them.
  const wantPlugin = want.filter((r) => r.kind === 'plugin').length;
  if (wantX + wantPq + wantPlugin === 0) return { current: true };
  const which = wantPlugin === 0 ? 'X25519' : wantX + wantPq === 0 ? 'age plugin' : 'X25519 and age plugin';
  if (!entry) return { current: false, reason: `its ${which} recipients are anonymous and secrets.lock has no record of them`, certain: false };
  if (entry.sha256 !== fileDigest(file)) return { current: false, reason: 'the file changed since secrets.lock recorded its recipients', certain: false };
  if (entry.recipients !== recipientSetDigest(recipients)) return { current: false, reason: `its ${which} recipients changed (per secrets.lock)`, certain: true };
  return { current: true };
}
