/**
 * `secrets hosts add|rm`: the sops-nix onboarding steps (ssh-keyscan | ssh-to-age, edit .sops.yaml,
 * updatekeys) as one command. A scanned key is never trusted blindly: its SHA256 fingerprint is shown and
 * must be confirmed (or given with --fingerprint).
 */
import { createHash } from 'node:crypto';
import { SecretsError, addKey, findKeyOnLine, parseRecipient, removeKey, type RuleSelector } from '@secrets/core';
import type { Context } from '../context.js';
import { captureOutput } from '../io-process.js';
import { printNote } from '../output.js';
import { ask, configPath, offerRekey, printable, recipientOfSshKey, recipientOfSshKeyInput, rewriteConfig, type RekeyOffer } from './config-edit.js';

/** Options of `secrets hosts add`. */
export interface HostsAddOptions {
  readonly name: string;
  readonly sshKeyscan?: string;
  readonly port?: string;
  readonly pubkey?: string;
  readonly age?: string;
  readonly fingerprint?: string;
  readonly rule?: number;
  readonly path?: string;
  readonly yes: boolean;
  readonly rekey: boolean;
  readonly config?: string;
}

/** `HOST`, `HOST:PORT` or `[HOST]:PORT` (known_hosts' form, for IPv6), and --port. */
export function scanTarget(target: string, port?: string): { host: string; port?: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:[\]]+):(\d+)$/.exec(target);
  const host = m ? (m[1] as string) : target;
  const given = m?.[2];
  if (given !== undefined && port !== undefined && given !== port) throw new SecretsError('USAGE', `two ports for ${JSON.stringify(target)}: ${given} and --port ${port}`);
  const chosen = given ?? port;
  if (chosen !== undefined && (!/^\d{1,5}$/.test(chosen) || Number(chosen) < 1 || Number(chosen) > 65535)) throw new SecretsError('USAGE', `invalid port ${JSON.stringify(chosen)}`);
  // a host name is never an option of ssh-keyscan
  if (host === '' || host.startsWith('-') || /[\s\u0000-\u001f]/.test(host)) throw new SecretsError('USAGE', `invalid host ${JSON.stringify(host)}`);
  return chosen === undefined ? { host } : { host, port: chosen };
}

function keyscan(ctx: Context, target: { host: string; port?: string }): Promise<string> {
  const shown = target.port ? `${target.host} port ${target.port}` : target.host;
  const args = ['-t', 'ed25519', ...(target.port ? ['-p', target.port] : []), target.host];
  return captureOutput('ssh-keyscan', args, { timeout: 30_000, env: ctx.env, maxBuffer: 1 << 20 }).then(({ error, stdout, stderr }) => {
      if (stdout.split('\n').some((l) => /\bssh-ed25519\s/.test(l) && !l.startsWith('#'))) return stdout;
      // ssh-keyscan's own words (its `# host:22 SSH-2.0…` banner lines are not errors)
      const said = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).slice(0, 5).map((l) => `ssh-keyscan: ${printable(l.trim())}`);
      const missing = error?.code === 'ENOENT';
      throw new SecretsError('IO_READ', missing ? 'ssh-keyscan is not installed' : `ssh-keyscan found no ed25519 host key at ${shown}`, {
        hints: missing ? ['install openssh-client, or pass --pubkey FILE or --age age1…'] : [...said, said.length === 0 ? 'no answer: check the host name, the port (HOST:PORT or --port) and that sshd runs there' : 'check the host name and the port (HOST:PORT or --port)'],
      });
  });
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of SHA-256 over the key blob. */
function fingerprintOf(line: string): string {
  const found = findKeyOnLine(line);
  if (found.kind !== 'key') throw new SecretsError('SSH_KEY_INVALID', 'no ssh-ed25519 key in the scan');
  return `SHA256:${createHash('sha256').update(found.key.wire).digest('base64').replace(/=+$/, '')}`;
}

async function scannedRecipient(ctx: Context, options: HostsAddOptions): Promise<{ recipient: string; note?: string }> {
  const target = scanTarget(options.sshKeyscan as string, options.port);
  const key = recipientOfSshKey(await keyscan(ctx, target), 'the scan');
  const fp = fingerprintOf(key.line);
  ctx.stderr.write(`${printable(options.sshKeyscan as string)} ssh-ed25519 key fingerprint is ${fp}\n`);
  if (options.fingerprint !== undefined) {
    if (options.fingerprint !== fp) throw new SecretsError('SSH_KEY_INVALID', `the scanned key's fingerprint ${fp} is not ${options.fingerprint}: not trusted`);
  } else if ((await ask(ctx, 'Compare it with the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Trust it?', false)) !== 'y') {
    throw new SecretsError('USAGE', 'host key not trusted', { hints: ['pass --fingerprint SHA256:… when running without a terminal'] });
  }
  return key;
}

/** The recipient from --age, --pubkey or --ssh-keyscan (exactly one), with the SSH key as a note. */
async function hostRecipient(ctx: Context, options: HostsAddOptions): Promise<{ recipient: string; note?: string }> {
  const sources = [options.sshKeyscan, options.pubkey, options.age].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new SecretsError('USAGE', 'give exactly one of --ssh-keyscan HOST[:PORT], --pubkey FILE, --age age1…');
  if (options.port !== undefined && options.sshKeyscan === undefined) throw new SecretsError('USAGE', '--port goes with --ssh-keyscan');
  if (options.age !== undefined) return { recipient: parseRecipient(options.age).text };
  if (options.pubkey !== undefined) return recipientOfSshKeyInput(ctx, options.pubkey, JSON.stringify(options.pubkey));
  return scannedRecipient(ctx, options);
}

/** The rules a key joins, from --rule / --path. */
export function selectorOf(options: { rule?: number; path?: string }): RuleSelector {
  if (options.rule !== undefined && (!Number.isInteger(options.rule) || options.rule < 0)) throw new SecretsError('USAGE', '--rule takes a creation rule number (0-based)');
  return options.rule !== undefined ? { index: options.rule } : options.path !== undefined ? { path: options.path } : 'only';
}

/** Runs `secrets hosts add`. */
export async function hostsAdd(ctx: Context, options: HostsAddOptions): Promise<number> {
  return addAndOffer(ctx, 'host', options, await hostRecipient(ctx, options));
}

/** Adds a host's or user's key to `.sops.yaml` (unless it is there already), says so, and offers a rekey. */
export async function addAndOffer(
  ctx: Context,
  kind: 'host' | 'user',
  options: RekeyOffer & { readonly name: string; readonly rule?: number; readonly path?: string; readonly config?: string },
  key: { readonly recipient: string; readonly note?: string | undefined },
): Promise<number> {
  const path = await configPath(ctx, options.config);
  const selector = selectorOf(options);
  const edit = await rewriteConfig(ctx, path, (text) => addKey(text, kind, options.name, key.recipient, selector, key.note));
  if (edit.text === edit.before) {
    printNote(ctx, `secrets: ${options.name} is already present in ${path} (&${edit.anchor}, ${key.recipient})`);
    return 0;
  }
  const rules = edit.rules.length > 0 ? `, creation rule${edit.rules.length > 1 ? 's' : ''} ${edit.rules.join(', ')}` : '';
  printNote(ctx, `secrets: added ${options.name} (&${edit.anchor}, ${key.recipient}) to ${path}${rules}`);
  return offerRekey(ctx, options, edit);
}

/** Options of `secrets hosts rm` and `secrets users rm`. */
export interface KeyRmOptions {
  readonly name: string;
  readonly yes: boolean;
  readonly rekey: boolean;
  readonly rotate: boolean;
  readonly config?: string;
}

/** Runs `secrets hosts rm`. */
export async function hostsRm(ctx: Context, options: KeyRmOptions): Promise<number> {
  return removeAndOffer(ctx, 'host', options);
}

/** Removes a key from `.sops.yaml`, then offers the rekey (with --rotate as the answer `r`). */
export async function removeAndOffer(ctx: Context, kind: 'host' | 'user', options: KeyRmOptions): Promise<number> {
  const path = await configPath(ctx, options.config);
  const edit = await rewriteConfig(ctx, path, (text) => removeKey(text, kind, options.name));
  const rules = edit.rules.length > 0 ? ` and creation rule${edit.rules.length > 1 ? 's' : ''} ${edit.rules.join(', ')}` : '';
  printNote(ctx, `secrets: removed ${options.name} (&${edit.anchor}) from ${path}${rules}`);
  if (!options.rotate) {
    ctx.stderr.write(`secrets: hint: ${options.name} may still hold the data keys of the files it could read: \`secrets rekey --rotate\` gives them new ones\n`);
  }
  return offerRekey(ctx, options, edit, true);
}
