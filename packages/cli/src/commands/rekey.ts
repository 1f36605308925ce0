/**
 * `secrets rekey [FILE…]`: sops updatekeys for a whole repository. For every sops file a creation rule
 * matches, show the recipient diff per key group, confirm once, then wrap the SAME data key for the new
 * recipients (values, MAC and lastmodified untouched: the git diff touches only the `sops:` block).
 * `--rotate` also replaces the data key, which is what removing a recipient calls for.
 */
import { lstatSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  SecretsError,
  findConfig,
  formatFromPath,
  loadConfig,
  matchCreationRule,
  openSopsFile,
  parseRecipient,
  readMetadata,
  rekeySopsFile,
  rotateSopsFile,
  storeFor,
  type AgeIdentity,
  type AgeRecipient,
  type MapNode,
  type SopsConfig,
} from '@secrets/core';
import type { Context } from '../context.js';
import { loadIdentities, passphrasePrompt } from '../identities.js';
import { readFileLimited, replaceAllIfStill } from '../io.js';
import { printError, printNote, printWarning, useColor } from '../output.js';
import { absolutePath, inputFiles } from '../paths.js';

/** Options of `secrets rekey`. */
export interface RekeyCommandOptions {
  readonly files: readonly string[];
  readonly yes: boolean;
  readonly rotate: boolean;
  readonly config?: string;
  readonly now?: Date;
}

interface Plan {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly groups: AgeRecipient[][];
  readonly threshold: number;
  readonly lines: string[];
  readonly removed: boolean;
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.direnv']);

/** Files written per durability wait: enough to amortize it, few enough open descriptors and held outputs. */
const WRITE_BATCH = 64;

/** Every file under `root` that a creation rule matches (skipping .git, node_modules and symlinks such as nix's `result`). */
export async function candidates(root: string, config: SopsConfig): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(path);
      } else if (entry.isFile() && entry.name !== '.sops.yaml') {
        try {
          matchCreationRule(config, path);
          out.push(path);
        } catch {
          // no rule for it: not a secrets file
        }
      }
    }
  };
  await walk(root);
  return out.sort();
}

/** The file's metadata block, or null when it is not a sops file. */
function sopsMetadata(path: string, bytes: Uint8Array): MapNode | null {
  try {
    return storeFor(formatFromPath(path)).loadEncrypted(bytes).metadata;
  } catch {
    return null;
  }
}

function diffLines(current: readonly (readonly string[])[], wanted: readonly (readonly string[])[], color: boolean): { lines: string[]; changed: boolean; removed: boolean } {
  const green = (s: string): string => (color ? `\u001b[32m${s}\u001b[0m` : s);
  const red = (s: string): string => (color ? `\u001b[31m${s}\u001b[0m` : s);
  const lines: string[] = [];
  let changed = current.length !== wanted.length;
  let removed = false;
  for (let g = 0; g < Math.max(current.length, wanted.length); g++) {
    const have = new Set(current[g] ?? []);
    const want = new Set(wanted[g] ?? []);
    lines.push(`  Group ${g + 1}`);
    for (const r of want) lines.push(have.has(r) ? `      ${r}` : green(`  +++ ${r}`));
    for (const r of have) {
      if (!want.has(r)) {
        lines.push(red(`  --- ${r}`));
        removed = true;
      }
    }
    if ([...want].some((r) => !have.has(r)) || [...have].some((r) => !want.has(r))) changed = true;
  }
  return { lines, changed, removed };
}

/**
 * Runs `secrets rekey`.
 *
 * @returns 0 when every file is up to date or was rekeyed; 1 when some failed (summarised at the end)
 */
export async function rekey(ctx: Context, options: RekeyCommandOptions): Promise<number> {
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}), ...(options.files[0] ? { target: absolutePath(ctx, options.files[0]) } : {}), warn: (m) => printWarning(ctx, m) });
  if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'config file not found', { hints: ['rekey needs a .sops.yaml with creation_rules (searched from the working directory upward)'] });
  const config = await loadConfig(found);
  for (const w of config.warnings) printWarning(ctx, w);
  const root = dirname(found.path);
  const files = options.files.length > 0 ? inputFiles(ctx, options.files) : await candidates(root, config);
  const color = useColor(ctx, 'stdout');
  const failures: string[] = [];
  const plans: Plan[] = [];

  for (const path of files) {
    const name = relative(ctx.cwd, path) || path;
    try {
      // Synchronous: hundreds of small reads, one after another, each a thread-pool round trip otherwise.
      if (lstatSync(path).isSymbolicLink()) continue;
      const bytes = await readFileLimited(path, JSON.stringify(name));
      const node = sopsMetadata(path, bytes);
      if (node === null) {
        if (options.files.length > 0) throw new SecretsError('SOPS_METADATA_NOT_FOUND', 'not a sops file');
        continue;
      }
      const metadata = readMetadata(node);
      const rule = matchCreationRule(config, path);
      const unusable = rule.keyGroups.flat().find((k) => k.type !== 'age');
      if (unusable) throw new SecretsError('CONFIG_INVALID', `its creation rule uses ${unusable.type} keys, which secrets cannot use yet`);
      const wanted = rule.keyGroups.map((g) => g.map((k) => (k.type === 'age' ? k.recipient : '')));
      const current = metadata.keyGroups.map((g) => g.map((k) => (k.type === 'age' ? k.recipient : `${k.type} ${k.label}`)));
      const threshold = Math.min(metadata.shamirThreshold, wanted.length);
      const diff = diffLines(current, wanted, color);
      if (!diff.changed && !options.rotate) {
        printNote(ctx, `secrets: ${name} already up to date`);
        continue;
      }
      plans.push({ path, bytes, groups: wanted.map((g) => g.map((r) => parseRecipient(r))), threshold, lines: [`${name}:`, ...diff.lines], removed: diff.removed });
    } catch (error) {
      failures.push(`${name}: ${error instanceof SecretsError ? error.message : String(error)}`);
    }
  }

  if (plans.length > 0) {
    ctx.stdout.write(`The following changes will be made to the files' groups${options.rotate ? ' (and their data keys replaced)' : ''}:\n`);
    for (const p of plans) ctx.stdout.write(`${p.lines.join('\n')}\n`);
    if (!options.yes) {
      if (!ctx.prompt) throw new SecretsError('USAGE', 'confirmation needed but there is no terminal', { hints: ['pass -y to apply without asking'] });
      let answer = '';
      while (answer !== 'y' && answer !== 'n') answer = (await ctx.prompt('Is this okay? (y/n): ', { secret: false })).trim().toLowerCase();
      if (answer === 'n') {
        printNote(ctx, 'secrets: files left unchanged');
        return 0;
      }
    }
    let identities: readonly AgeIdentity[] = [];
    try {
      identities = (await loadIdentities(ctx, [])).identities;
    } catch (error) {
      // Without identities nothing can be rekeyed; say it once for all files.
      if (error instanceof SecretsError) {
        for (const p of plans) failures.push(`${relative(ctx.cwd, p.path)}: ${error.message}`);
        plans.length = 0;
      } else throw error;
    }
    // One file after the other (the work is CPU-bound: worker threads measured no faster on two cores,
    // docs/benchmarks.md), written in batches: one durability wait per batch, not one fsync per file.
    const passphrase = passphrasePrompt(ctx);
    let done = 0;
    const progress = (): void => {
      if (ctx.stderr.isTTY) ctx.stderr.write(`\r\u001b[Krekeying: ${done}/${plans.length} files`);
    };
    const fail = (p: Plan, error: unknown): void => {
      failures.push(`${relative(ctx.cwd, p.path)}: ${error instanceof SecretsError ? error.message : String(error)}`);
    };
    let batch: { plan: Plan; next: Uint8Array }[] = [];
    const flush = async (): Promise<void> => {
      const results = await replaceAllIfStill(batch.map(({ plan, next }) => ({ path: plan.path, expected: plan.bytes, next })));
      for (const [i, { plan }] of batch.entries()) {
        const result = results[i];
        if (result === true) {
          if (!ctx.stderr.isTTY) printNote(ctx, `secrets: ${relative(ctx.cwd, plan.path)} ${options.rotate ? 'rotated and synced' : 'synced'} with new keys`);
        } else fail(plan, result === false ? new SecretsError('IO_WRITE', 'changed on disk meanwhile: not overwritten (run rekey again)') : result);
      }
      done += batch.length;
      batch = [];
      progress();
    };
    progress();
    for (const p of plans) {
      try {
        const format = formatFromPath(p.path);
        const next = options.rotate
          ? await rotateSopsFile(await openSopsFile(p.bytes, { format, identities, passphrase }), { keyGroups: p.groups, now: options.now ?? new Date() })
          : await rekeySopsFile(p.bytes, { format, identities, passphrase, keyGroups: p.groups, shamirThreshold: p.threshold });
        batch.push({ plan: p, next });
      } catch (error) {
        fail(p, error);
        done++;
      }
      if (batch.length >= WRITE_BATCH) await flush();
    }
    await flush();
    if (ctx.stderr.isTTY) ctx.stderr.write(`\r\u001b[K${plans.length - failures.length} of ${plans.length} files rekeyed\n`);
    if (!options.rotate && plans.some((p) => p.removed)) {
      printWarning(ctx, 'recipients were removed: they may still hold the data key of these files; run `secrets rekey --rotate` to replace it');
    }
  }
  if (failures.length > 0) {
    printError(ctx, `failed to rekey ${failures.length} file${failures.length === 1 ? '' : 's'}`, failures);
    return 1;
  }
  return 0;
}
