/**
 * What `git diff` shows for an encrypted file (the textconv driver): the plaintext, followed by a short
 * block about who can read it, so that a commit changing only the keys (a host added, `rekey --rotate`)
 * still shows a diff.
 *
 * - sops: one line per recipient, by the name the repository gives it (`.sops.yaml` anchors), and a
 *   short id of the data key (a hash: it changes when the key is rotated and says nothing about it), and
 *   the paths of an unresolved merge conflict.
 * - age (agenix): the header's stanzas (types, ssh tags), which change when a recipient is added or
 *   removed; to those without a key, a clear summary instead of the armored or binary text.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes.js';
import { inspectAgeHeader, parseRecipient, sshTag, summarizeStanzas, type StanzaInfo } from '../age/index.js';
import type { OpenedFile } from '../sops/file.js';
import { hasMergeConflict } from '../sops/merge-conflict.js';
import { keyName, type MasterKey } from '../sops/metadata.js';
import { escapeControl } from '../escape.js';
import { recipientLabel, shortRecipient } from './names.js';

const RULE = '# ---- secrets textconv: not part of the file ----';
const DATA_KEY_ID_LABEL = 'secrets textconv data key id v1';

/**
 * A short, one-way id of a data key: changes exactly when the key does.
 *
 * @param dataKey - the 32-byte data key
 * @returns 12 hex digits of SHA-256 over a fixed label and the key
 */
export function dataKeyId(dataKey: Uint8Array): string {
  const label = new TextEncoder().encode(DATA_KEY_ID_LABEL);
  const input = new Uint8Array(label.length + dataKey.length);
  input.set(label);
  input.set(dataKey, label.length);
  return toHex(sha256(input)).slice(0, 12);
}

function keyLine(names: ReadonlyMap<string, string>, key: MasterKey): string {
  if (key.type !== 'age') {
    const name = keyName(key);
    const label = names.get(name);
    return `${key.type} ${escapeControl(label === undefined ? name : `${label} (${name})`)}`;
  }
  const label = recipientLabel(names, key.recipient);
  const short = shortRecipient(key.recipient);
  return label === short ? short : `${label} (${short})`;
}

/**
 * The block shown after a decrypted sops file.
 *
 * @param opened - the opened file
 * @param names - recipient names from the repository (see names.ts)
 * @returns lines, each starting with `#`, ending with a newline
 */
export function sopsTextconvTrailer(opened: OpenedFile, names: ReadonlyMap<string, string>): string {
  const lines = [RULE];
  const groups = opened.metadata.keyGroups;
  for (const [i, group] of groups.entries()) {
    if (groups.length > 1) lines.push(`# key group ${i + 1} of ${groups.length} (threshold ${opened.metadata.shamirThreshold || groups.length})`);
    for (const key of group) lines.push(`# recipient: ${keyLine(names, key)}`);
  }
  lines.push(`# data key id: ${dataKeyId(opened.dataKey)}`);
  if (hasMergeConflict(opened.metadata)) lines.push('# UNRESOLVED MERGE CONFLICT: run secrets edit on this file to resolve it');
  return `${lines.join('\n')}\n`;
}

/** Whether bytes look like an age file (binary or armored). */
export function isAgeFile(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 40));
  return head.startsWith('age-encryption.org/') || head.startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
}

/** The names of the SSH keys the stanzas are for (age ssh stanzas carry a tag of their key), else the tag. */
function sshStanzaNames(stanzas: readonly StanzaInfo[], names: ReadonlyMap<string, string>): string[] {
  const ssh = stanzas.filter((s) => s.type === 'ssh-ed25519' || s.type === 'ssh-rsa');
  if (ssh.length === 0) return [];
  const byTag = new Map<string, string>();
  for (const [recipient, name] of names) {
    if (!recipient.startsWith('ssh-')) continue;
    try {
      const r = parseRecipient(recipient);
      if (r.kind === 'ssh-ed25519' || r.kind === 'ssh-rsa') byTag.set(`${r.kind} ${sshTag(r.key.wire)}`, escapeControl(name));
    } catch {
      // not a key we can parse: it names nothing
    }
  }
  return ssh.map((s) => byTag.get(`${s.type} ${s.args[0] ?? ''}`) ?? `${s.type} tag ${escapeControl(s.args[0] ?? '?')}`).sort();
}

/**
 * The block shown after (or, without a key, instead of) a decrypted age file.
 *
 * @param file - the age file
 * @param decrypted - whether the plaintext was shown before it
 * @param names - recipient names from the repository (`secrets.nix` bindings, `.sops.yaml` anchors): SSH
 *   stanzas are named by their key's tag; X25519 stanzas name no key
 * @returns lines ending with a newline; never throws (a malformed header is said so)
 */
export function ageTextconvSummary(file: Uint8Array, decrypted: boolean, names: ReadonlyMap<string, string> = new Map()): string {
  let stanzas: string;
  let ssh: string[] = [];
  try {
    const header = inspectAgeHeader(file).stanzas;
    stanzas = summarizeStanzas(header);
    ssh = sshStanzaNames(header, names);
  } catch {
    stanzas = 'unreadable header';
  }
  const sshLine = ssh.length > 0 ? [`ssh recipients: ${ssh.join(', ')}`] : [];
  const lines = decrypted
    ? [RULE, `# age recipients: ${stanzas}`, ...sshLine.map((l) => `# ${l}`)]
    : ['age-encrypted file, not decrypted: no identity here opens it', `age recipients: ${stanzas}`, ...sshLine, `sha256: ${toHex(sha256(file))}`];
  return `${lines.join('\n')}\n`;
}
