/**
 * `secrets hosts add|rm`: the sops-nix onboarding steps (ssh-keyscan | ssh-to-age, edit .sops.yaml,
 * updatekeys) as one command. A scanned key is never trusted blindly: its SHA256 fingerprint is shown and
 * must be confirmed (or given with --fingerprint).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { SecretsError, addHost, convertPublicKeys, findConfig, findKeyOnLine, formatSshPublicKey, parseRecipient, readConfigFile, removeHost, type RuleSelector } from '@secrets/core';
import type { Context } from '../context.js';
import { readInput, writeFileAtomic } from '../io.js';
import { printNote, printWarning } from '../output.js';
import { rekey } from './rekey.js';

/** Options of `secrets hosts add`. */
export interface HostsAddOptions {
  readonly name: string;
  readonly sshKeyscan?: string;
  readonly pubkey?: string;
  readonly age?: string;
  readonly fingerprint?: string;
  readonly rule?: number;
  readonly path?: string;
  readonly yes: boolean;
  readonly rekey: boolean;
  readonly config?: string;
}

function keyscan(ctx: Context, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ssh-keyscan', ['-t', 'ed25519', host], { timeout: 30_000, env: ctx.env }, (error, stdout) => {
      if (error && !stdout) reject(new SecretsError('IO_READ', `ssh-keyscan ${host} failed`, { hints: ['check the host name and that ssh-keyscan (openssh-client) is installed'] }));
      else resolve(stdout);
    });
  });
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of SHA-256 over the key blob. */
function fingerprintOf(line: string): string {
  const found = findKeyOnLine(line);
  if (found.kind !== 'key') throw new SecretsError('SSH_KEY_INVALID', 'no ssh-ed25519 key in the scan');
  return `SHA256:${createHash('sha256').update(found.key.wire).digest('base64').replace(/=+$/, '')}`;
}

async function confirm(ctx: Context, question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  if (!ctx.prompt) return false;
  for (;;) {
    const a = (await ctx.prompt(`${question} (y/n): `, { secret: false })).trim().toLowerCase();
    if (a === 'y' || a === 'n') return a === 'y';
  }
}

async function configPath(ctx: Context, explicit?: string): Promise<string> {
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(explicit ? { explicit } : {}) });
  if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found (searched from the working directory upward)', { hints: ['create one with a creation rule first, or pass --config'] });
  return found.path;
}

/** Runs `secrets hosts add`. */
export async function hostsAdd(ctx: Context, options: HostsAddOptions): Promise<number> {
  const sources = [options.sshKeyscan, options.pubkey, options.age].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new SecretsError('USAGE', 'give exactly one of --ssh-keyscan HOST, --pubkey FILE, --age age1…');
  let recipient: string;
  let note: string | undefined;
  if (options.age !== undefined) {
    recipient = parseRecipient(options.age).text;
  } else {
    const text = options.pubkey !== undefined ? Buffer.from(await readInput(ctx, options.pubkey, { streams: true })).toString('utf8') : await keyscan(ctx, options.sshKeyscan as string);
    const line = text.split('\n').find((l) => /\bssh-ed25519\s/.test(l) && !l.trimStart().startsWith('#'));
    if (!line) throw new SecretsError('SSH_KEY_INVALID', 'no ssh-ed25519 host key found', { hints: ['sops-nix hosts decrypt with their ed25519 host key'] });
    if (options.sshKeyscan !== undefined) {
      const fp = fingerprintOf(line);
      ctx.stderr.write(`${options.sshKeyscan} ssh-ed25519 key fingerprint is ${fp}\n`);
      if (options.fingerprint !== undefined) {
        if (options.fingerprint !== fp) throw new SecretsError('SSH_KEY_INVALID', `the scanned key's fingerprint ${fp} is not ${options.fingerprint}: not trusted`);
      } else if (!(await confirm(ctx, 'Compare it with the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Trust it?', false))) {
        throw new SecretsError('USAGE', 'host key not trusted', { hints: ['pass --fingerprint SHA256:… when running without a terminal'] });
      }
    }
    // The ssh-to-age recipient: what sops-nix hosts open with their converted host key.
    recipient = convertPublicKeys(line).recipients[0] as string;
    // Kept beside the age1… line: agenix hosts decrypt with this key natively (secrets agenix export).
    const found = findKeyOnLine(line);
    if (found.kind === 'key') note = formatSshPublicKey(found.key, false);
  }
  const path = await configPath(ctx, options.config);
  const selector: RuleSelector = options.rule !== undefined ? { index: options.rule } : options.path !== undefined ? { path: options.path } : 'only';
  const edit = addHost(readConfigFile(path), options.name, recipient, selector, note);
  await writeFileAtomic(path, edit.text);
  printNote(ctx, `secrets: added ${options.name} (${recipient}) to ${path}${edit.rules.length > 0 ? `, creation rule${edit.rules.length > 1 ? 's' : ''} ${edit.rules.join(', ')}` : ''}`);
  return offerRekey(ctx, options);
}

async function offerRekey(ctx: Context, options: { yes: boolean; rekey: boolean; config?: string }): Promise<number> {
  if (!options.rekey) return 0;
  if (options.yes || (await confirm(ctx, 'Rekey the files now?', false))) {
    return rekey(ctx, { files: [], yes: true, rotate: false, ...(options.config ? { config: options.config } : {}) });
  }
  printWarning(ctx, 'the files are not rekeyed yet: run `secrets rekey` so the change reaches them');
  return 0;
}

/** Runs `secrets hosts rm`. */
export async function hostsRm(ctx: Context, options: { name: string; yes: boolean; rekey: boolean; config?: string }): Promise<number> {
  const path = await configPath(ctx, options.config);
  const edit = removeHost(readConfigFile(path), options.name);
  await writeFileAtomic(path, edit.text);
  printNote(ctx, `secrets: removed ${options.name} from ${path}`);
  printWarning(ctx, `${options.name} may still hold the data keys of files it could read: rekey with --rotate to replace them`);
  return offerRekey(ctx, options);
}
