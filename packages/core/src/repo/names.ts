/**
 * Recipients named the way the repository names them, for every report: the `.sops.yaml` anchor
 * (`- &server_batchn age1…`), the `secrets.nix` `let` binding or attribute path (`users.alice`), else
 * the key's own comment (`root@host` after an SSH key), else a short fingerprint. Every ssh-ed25519 key
 * starts `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…`, so a prefix names nothing.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64, toBase64 } from '../bytes.js';
import type { SopsConfig } from '../config/schema.js';
import { escapeControl } from '../escape.js';



/** Recipient (canonical, see {@link canonicalRecipient}) → its name in the repository. */
export type RecipientNames = Map<string, string>;

/** An SSH key without its comment (`type base64`); anything else as it is, trimmed. */
export function canonicalRecipient(recipient: string): string {
  const text = recipient.trim();
  if (!text.startsWith('ssh-')) return text;
  return text.split(/\s+/).slice(0, 2).join(' ');
}

/**
 * Adds the names a `.sops.yaml` gives: its anchors, also for the SSH key noted beside an `age1…` line.
 * A name already known is kept (the first source wins).
 */
export function addSopsConfigNames(names: RecipientNames, config: SopsConfig): void {
  for (const [recipient, name] of config.names) if (!names.has(canonicalRecipient(recipient))) names.set(canonicalRecipient(recipient), name);
  for (const [age, ssh] of config.sshKeys) {
    const name = config.names.get(age);
    if (name !== undefined && !names.has(canonicalRecipient(ssh))) names.set(canonicalRecipient(ssh), name);
  }
}

const KEY_LIKE = /^(ssh-(ed25519|rsa) |age1)/;

/**
 * The names a `secrets.nix` gives keys: `let alice = "ssh-ed25519 …";` names it `alice`, and
 * `users = { alice = "…"; };` names it `users.alice`. A linear scan of the text (no evaluation), so it
 * names what it can see and nothing else; a file it cannot follow just names fewer keys.
 *
 * @param text - the rules file
 * @returns canonical recipient → name
 */
export function secretsNixKeyNames(text: string): RecipientNames {
  const names: RecipientNames = new Map();
  const stack: (string | null)[] = [];
  let pendingName: string | null = null; // `NAME =` just read
  let lastName: string | null = null;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i] as string;
    if (ch === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (ch === '"' || text.startsWith("''", i)) {
      const indented = ch !== '"';
      let j = i + (indented ? 2 : 1);
      let value = '';
      while (j < n) {
        if (!indented && text[j] === '\\') {
          value += text[j + 1] ?? '';
          j += 2;
        } else if (!indented && text[j] === '"') break;
        else if (indented && text.startsWith("''", j)) break;
        else value += text[j++] as string;
      }
      i = j + (indented ? 2 : 1);
      if (pendingName !== null && KEY_LIKE.test(value.trim())) {
        const path = [...stack.filter((s): s is string => s !== null), pendingName].join('.');
        const key = canonicalRecipient(value);
        if (!names.has(key)) names.set(key, path);
      }
      pendingName = null;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_'.-]/.test(text[j] as string)) j++;
      lastName = text.slice(i, j);
      i = j;
      continue;
    } else if (ch === '=' && text[i + 1] !== '=') {
      pendingName = lastName;
      i++;
    } else if (ch === '{') {
      stack.push(pendingName);
      pendingName = null;
      i++;
    } else if (ch === '}') {
      stack.pop();
      i++;
    } else if (/\s/.test(ch)) {
      i++;
      continue;
    } else {
      pendingName = null;
      i++;
    }
    lastName = null;
  }
  return names;
}

/**
 * A short fingerprint for a recipient nobody named: `SHA256:` and 12 characters of the OpenSSH
 * fingerprint for an SSH key, `age1` + first and last characters for an age key, else the string cut.
 */
export function shortRecipient(recipient: string): string {
  const text = recipient.trim();
  if (text.startsWith('ssh-')) {
    const wire = fromBase64(text.split(/\s+/)[1] ?? '', 'optional');
    if (wire !== null && wire.length > 0) return `${text.split(/\s+/)[0]} SHA256:${toBase64(sha256(wire), false).slice(0, 12)}…`;
  }
  if (/^age1[02-9ac-hj-np-z]{20,}$/.test(text)) return `${text.slice(0, 10)}…${text.slice(-6)}`;
  return escapeControl(text.length > 24 ? `${text.slice(0, 20)}…` : text);
}

/** The comment after an SSH key (`ssh-ed25519 AAAA… root@host` → `root@host`), if any. */
function sshComment(recipient: string): string | null {
  if (!recipient.trim().startsWith('ssh-')) return null;
  const comment = recipient.trim().split(/\s+/).slice(2).join(' ');
  return comment === '' ? null : comment;
}

/**
 * A recipient's name in the repository, or null.
 *
 * @param names - names collected from the repository's files
 * @param recipient - the recipient string
 */
export function nameOf(names: ReadonlyMap<string, string>, recipient: string): string | null {
  const named = names.get(canonicalRecipient(recipient));
  if (named !== undefined) return escapeControl(named);
  // `pgp:FINGERPRINT` and the like: the anchor names the value (`- &misterio 7088C742…`).
  const typed = /^(pgp|kms|gcp_kms|azure_kv|hc_vault|hckms):(.+)$/.exec(recipient);
  const found = (typed ? names.get(typed[2] as string) : undefined) ?? sshComment(recipient);
  return found === null ? null : escapeControl(found);
}

/**
 * How a report shows a recipient: its name, else a short fingerprint.
 *
 * @param names - names collected from the repository's files
 * @param recipient - the recipient string
 */
export function recipientLabel(names: ReadonlyMap<string, string>, recipient: string): string {
  return nameOf(names, recipient) ?? shortRecipient(recipient);
}
