/**
 * What `hosts` and `users` share: finding the `.sops.yaml`, rewriting it under the one lock-and-compare
 * path (an edit is re-applied to what another process wrote meanwhile, as `set` does), the SSH public
 * key a key is read from, and the rekey offered afterwards.
 */
import { MAX_CONFIG_BYTES, SecretsError, convertPublicKeys, findConfig, findKeyOnLine, formatSshPublicKey, parseRecipient, type ConfigEdit } from '@secrets/core';
import type { Context } from '../context.js';
import { readInput, replaceIfStill } from '../io.js';
import { rekey } from './rekey.js';

/** The `.sops.yaml` a key edit applies to: --config, else the nearest one upward. */
export async function configPath(ctx: Context, explicit?: string): Promise<string> {
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(explicit ? { explicit } : {}) });
  if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found (searched from the working directory upward)', { hints: ['create one with a creation rule first, or pass --config'] });
  return found.path;
}

/** Enough for every writer of a burst of parallel edits: each failed compare means another one landed. */
const MAX_ATTEMPTS = 50;

/**
 * Reads `.sops.yaml`, applies `change`, and replaces the file only if it still holds what was read
 * (io.replaceIfStill, under the file's lock); when another process changed it meanwhile, `change` runs
 * again on the new content, so neither edit is lost.
 *
 * @returns the edit that was written (or that found nothing to change: `text` equal to what was read)
 * @throws SecretsError from `change`, IO_WRITE when the file keeps changing
 */
export async function rewriteConfig(ctx: Context, path: string, change: (text: string) => ConfigEdit): Promise<ConfigEdit & { readonly before: string }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const bytes = await readInput(ctx, path, { max: MAX_CONFIG_BYTES });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new SecretsError('CONFIG_INVALID', `${path} is not valid UTF-8`);
    }
    const edit = change(text);
    if (edit.text === text) return { ...edit, before: text };
    if (await replaceIfStill(path, bytes, new TextEncoder().encode(edit.text))) return { ...edit, before: text };
  }
  throw new SecretsError('IO_WRITE', `${path} kept changing while it was being edited: not written`, { hints: ['run the command again'] });
}

/** Escapes control characters in text quoted from another program or a file (no fake output lines). */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The age recipient of an SSH public key (a `.pub` file, authorized_keys, ssh-keyscan output): its
 * ssh-to-age conversion (what sops-nix hosts open with their converted host key), and the SSH key itself
 * as a note for the key's line (agenix decrypts with it natively: `secrets agenix export`). With
 * `rsa`, an ssh-rsa key (which has no age conversion) is the recipient itself, as sops and age take it.
 */
export function recipientOfSshKey(text: string, what: string, rsa = false): { recipient: string; note?: string; line: string } {
  const lines = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
  const line = lines.find((l) => /\bssh-ed25519\s/.test(l)) ?? (rsa ? lines.find((l) => /\bssh-rsa\s/.test(l)) : undefined);
  if (!line) {
    throw new SecretsError('SSH_KEY_INVALID', `no ssh-ed25519${rsa ? ' or ssh-rsa' : ''} key found in ${what}`, {
      hints: [rsa ? 'give the .pub file of your SSH key, or --age age1…' : 'sops-nix converts ed25519 host keys to age (ssh-to-age); other key types do not convert'],
    });
  }
  const found = findKeyOnLine(line);
  if (found.kind === 'key' && found.key.type === 'ssh-rsa') return { recipient: parseRecipient(formatSshPublicKey(found.key, false)).text, line };
  const recipient = parseRecipient(convertPublicKeys(line).recipients[0] as string).text;
  return found.kind === 'key' ? { recipient, note: formatSshPublicKey(found.key, false), line } : { recipient, line };
}

/**
 * The recipient of an SSH public key given as `--pubkey`: the key line itself (`ssh-ed25519 AAAA…`, as
 * users paste it from `ssh-keyscan` or `/etc/ssh/ssh_host_ed25519_key.pub`) or a file holding it.
 */
export async function recipientOfSshKeyInput(ctx: Context, value: string, what: string, rsa = false): Promise<{ recipient: string; note?: string; line: string }> {
  const text = /^(ssh-|[^\s]*\s+ssh-)/.test(value) ? value : Buffer.from(await readInput(ctx, value, { streams: true })).toString('utf8');
  return recipientOfSshKey(text, what, rsa);
}

/** Asks a yes/no question (`extra` adds answers such as `r`); `yes` answers y, no terminal answers n. */
export async function ask(ctx: Context, question: string, yes: boolean, extra: readonly string[] = []): Promise<string> {
  if (yes) return 'y';
  if (!ctx.prompt) return 'n';
  for (;;) {
    const a = (await ctx.prompt(`${question} (${['y', 'n', ...extra].join('/')}): `, { secret: false })).trim().toLowerCase();
    if (a === 'y' || a === 'n' || extra.includes(a)) return a;
  }
}

/** Options of the rekey offered after an edit. */
export interface RekeyOffer {
  readonly yes: boolean;
  readonly rekey: boolean;
  readonly rotate?: boolean;
  readonly config?: string;
}

/**
 * Offers the rekey that makes a changed `.sops.yaml` reach the files: rekey's plan as one line per file
 * (by name; `edit`'s key by its anchor, also once removed), then one question; after a removal
 * (`removed`) the answer `r` rekeys with new data keys.
 */
export async function offerRekey(ctx: Context, options: RekeyOffer, edit: { readonly recipient: string; readonly anchor: string }, removed = false): Promise<number> {
  if (!options.rekey) return 0;
  const key = { recipient: edit.recipient, anchor: edit.anchor };
  return rekey(ctx, { files: [], yes: options.yes, rotate: options.rotate === true, offer: { removed, key }, ...(options.config ? { config: options.config } : {}) });
}
