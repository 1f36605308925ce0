/**
 * `secrets rekey [FILE…]`: sops updatekeys for a whole repository. For every sops file a creation rule
 * matches, show the recipient diff per key group, confirm once, then wrap the SAME data key for the new
 * recipients (values, MAC and lastmodified untouched: the git diff touches only the `sops:` block).
 * `--rotate` also replaces the data key, which is what removing a recipient calls for.
 */
import { dirname, relative } from 'node:path';
import {
  SecretsError,
  addSopsConfigNames,
  askPluginsForDataKeys,
  canonicalRecipient,
  escapeControl,
  findConfig,
  nameOf,
  openLoadedSopsFile,
  planRekey,
  recipientLabel,
  rekeySopsFile,
  rotateSopsFile,
  shortRecipient,
  type KeyAccess,
  type RecipientDiff,
  type RecipientNames,
  type RekeyPlan,
  type SopsRekeyItem,
} from '@secrets/core';
import type { Context } from '../context.js';
import { fileKeyAccess } from '../identities.js';
import { replaceAllIfStill, repoView } from '../io.js';
import { printError, printNote, printWarning, useColor } from '../output.js';
import { inputFiles } from '../paths.js';

/** Options of `secrets rekey`. */
export interface RekeyCommandOptions {
  readonly files: readonly string[];
  readonly yes: boolean;
  readonly rotate: boolean;
  /** Print the plan (and with `yes` the result per file) as JSON on stdout; without `yes` nothing is written. */
  readonly json?: boolean;
  /** `-n/--dry-run`: show the plan (the recipient diff of every file) and change nothing; needs no key. */
  readonly dryRun?: boolean;
  readonly config?: string;
  /** sops updatekeys `--input-type`: the format of the named files, instead of their names'. */
  readonly inputType?: string;
  /**
   * The rekey offered after `hosts`/`users` changed `.sops.yaml`: a one-line summary per file (recipients
   * by name) and one question, `rekey N files? [y/N]`; after a removal (`removed`), `r` rekeys with new
   * data keys (--rotate). Without a terminal and without `yes`, a warning says how to finish. `key` is
   * the key added or removed, named even when `.sops.yaml` no longer holds it.
   */
  readonly offer?: { readonly removed: boolean; readonly key?: { readonly recipient: string; readonly anchor: string } };
  readonly now?: Date;
}

/** Files written per durability wait: enough to amortize it, few enough open descriptors and held outputs. */
const WRITE_BATCH = 64;

/** A recipient in the diff: the repository's name for it and the key (an SSH key by its fingerprint). */
function shownRecipient(names: RecipientNames, recipient: string): string {
  const key = recipient.startsWith('ssh-') ? shortRecipient(recipient) : recipient;
  const name = nameOf(names, recipient);
  // From the file's metadata and .sops.yaml: escaped, so a forged recipient cannot print a line of its own.
  return escapeControl(name === null ? key : `${name} (${key})`);
}

/** sops updatekeys' diff: per group, kept keys indented, added `+++`, removed `---`. */
function diffLines(diff: RecipientDiff, shown: (recipient: string) => string, color: boolean): string[] {
  const green = (s: string): string => (color ? `\u001b[32m${s}\u001b[0m` : s);
  const red = (s: string): string => (color ? `\u001b[31m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const [g, group] of diff.groups.entries()) {
    lines.push(`  Group ${g + 1}`);
    for (const r of group.kept) lines.push(`      ${shown(r)}`);
    for (const r of group.added) lines.push(green(`  +++ ${shown(r)}`));
    for (const r of group.removed) lines.push(red(`  --- ${shown(r)}`));
  }
  return lines;
}

/** The offer's line for a file: its recipients added and removed, by name (or: a new data key only). */
function summaryLine(item: SopsRekeyItem, names: RecipientNames, color: boolean): string {
  const paint = (code: number, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const added = item.diff.groups.flatMap((g) => g.added).map((r) => paint(32, `+ ${recipientLabel(names, r)}`));
  const removed = item.diff.groups.flatMap((g) => g.removed).map((r) => paint(31, `- ${recipientLabel(names, r)}`));
  const parts = [...added, ...removed];
  return parts.length > 0 ? parts.join(', ') : 'a new data key';
}

/** The offer's one question; an empty answer is no. */
async function offerAnswer(ctx: Context, count: number, rotateChoice: boolean): Promise<'y' | 'n' | 'r'> {
  const prompt = ctx.prompt as NonNullable<Context['prompt']>;
  const question = `Rekey ${count} file${count === 1 ? '' : 's'}?${rotateChoice ? ' (r: rekey with new data keys, as --rotate)' : ''} [y/N${rotateChoice ? '/r' : ''}]: `;
  for (;;) {
    const a = (await prompt(question, { secret: false })).trim().toLowerCase();
    if (a === '' || a === 'n' || a === 'no') return 'n';
    if (a === 'y' || a === 'yes') return 'y';
    if (a === 'r' && rotateChoice) return 'r';
  }
}

/** No sops file at all below the `.sops.yaml` (a new repository): nothing to plan. */
const EMPTY_PLAN: RekeyPlan = { items: [], upToDate: [], unreached: [], failures: [], configs: [], warnings: [] };

/** {@link shownRecipient}, once per recipient: hundreds of files list the same few (an SSH key's fingerprint is a hash). */
function shownRecipients(names: RecipientNames): (recipient: string) => string {
  const shown = new Map<string, string>();
  return (recipient) => {
    let text = shown.get(recipient);
    if (text === undefined) shown.set(recipient, (text = shownRecipient(names, recipient)));
    return text;
  };
}

/** A recipient in `--json` output: the key as the file stores it and the repository's name for it. */
interface JsonRecipient {
  readonly recipient: string;
  readonly name: string | null;
}

/** One file in `--json` output; `status` is the plan's (`to rekey`) or, with -y, the outcome. */
interface JsonRekeyFile {
  readonly file: string;
  readonly status: 'to rekey' | 'rekeyed' | 'up to date' | 'failed' | 'unreached';
  readonly groups?: readonly { readonly kept: JsonRecipient[]; readonly added: JsonRecipient[]; readonly removed: JsonRecipient[] }[];
  readonly reason?: string;
}

/** The diff's groups with every recipient named as in the text output (without colour or escaping: JSON escapes). */
function jsonGroups(diff: RecipientDiff, names: RecipientNames): JsonRekeyFile['groups'] {
  const named = (list: readonly string[]): JsonRecipient[] => list.map((recipient) => ({ recipient, name: nameOf(names, recipient) }));
  return diff.groups.map((g) => ({ kept: named(g.kept), added: named(g.added), removed: named(g.removed) }));
}

/**
 * Applies the plan to one file: the same data key wrapped for the new groups, or (`rotate`) a new one.
 * This is the seam where a faster sops-level rekey plugs in.
 */
async function rekeyOne(item: SopsRekeyItem, options: { rotate: boolean; access: KeyAccess; now: Date }): Promise<Uint8Array> {
  const keyGroups = item.recipients.map((g) => [...g]);
  const { access, now } = options;
  if (!options.rotate) return rekeySopsFile(item.loaded, { format: item.format, ...access, keyGroups, shamirThreshold: item.threshold, now });
  // Opened from the plan's parse: the file is not read or parsed again.
  const opened = await openLoadedSopsFile(item.loaded, access);
  try {
    return await rotateSopsFile(opened, { keyGroups, now, ...access });
  } finally {
    opened.dataKey.fill(0);
  }
}

/**
 * Runs `secrets rekey`.
 *
 * @returns 0 when every file is up to date or was rekeyed; 1 when some failed (summarised at the end)
 */
export async function rekey(ctx: Context, options: RekeyCommandOptions): Promise<number> {
  const explicit = options.config ?? (ctx.env['SOPS_CONFIG'] || undefined);
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}), warn: (m) => printWarning(ctx, m) });
  const root = found ? dirname(found.path) : ctx.cwd;
  const makePlan = (rotate: boolean): RekeyPlan => {
    try {
      return planRekey(repoView(), {
        root,
        ...(options.files.length > 0 ? { files: inputFiles(ctx, options.files) } : {}),
        ...(explicit !== undefined && found ? { config: found.path } : {}),
        rotate,
        ...(options.inputType === undefined ? {} : { inputType: options.inputType }),
      });
    } catch (error) {
      // A .sops.yaml with no sops file below it yet (just written by init): nothing to rekey, not an error.
      if (error instanceof SecretsError && error.code === 'CONFIG_NOT_FOUND' && found && options.files.length === 0) return EMPTY_PLAN;
      throw error;
    }
  };
  let rotate = options.rotate;
  let plan = makePlan(rotate);
  const offer = options.json === true ? undefined : options.offer;
  for (const w of plan.warnings) printWarning(ctx, w);
  const shown = (p: string): string => escapeControl(relative(ctx.cwd, p) || p);
  const names: RecipientNames = new Map();
  for (const item of plan.items) addSopsConfigNames(names, item.match.config);
  if (options.offer?.key && !names.has(canonicalRecipient(options.offer.key.recipient))) names.set(canonicalRecipient(options.offer.key.recipient), options.offer.key.anchor);
  const color = useColor(ctx, 'stdout');
  const json = options.json === true;
  // Paths as the text output shows them; JSON escapes control characters itself.
  const named = (p: string): string => relative(ctx.cwd, p) || p;
  const failed = new Map<string, string>(plan.failures.map((f) => [f.path, f.error.message]));
  const failures: string[] = plan.failures.map((f) => `${shown(f.path)}: ${f.error.message}`);
  if (!json && !offer) for (const path of plan.upToDate) printNote(ctx, `secrets: ${shown(path)} already up to date`);
  if (plan.unreached.length > 0) {
    // One line, not one per file: a clan repository keeps hundreds of sops files outside .sops.yaml's rules.
    const some = plan.unreached.slice(0, 3).map(shown).join(', ');
    const n = plan.unreached.length;
    printWarning(ctx, `${n} sops file${n === 1 ? '' : 's'} no creation rule reaches, not rekeyed: ${some}${n > 3 ? ', …' : ''} (secrets check lists them)`);
  }
  let plans = [...plan.items];
  const rekeyed = new Set<string>();
  // No identity at all: every file fails for that one reason, whose hints (where we looked) are said once.
  let noKey = null as SecretsError | null;
  const jsonReport = (applied: boolean): number => {
    const files: JsonRekeyFile[] = [
      ...plan.items.map((p): JsonRekeyFile => {
        const reason = failed.get(p.path);
        const status = reason !== undefined ? 'failed' : !applied ? 'to rekey' : rekeyed.has(p.path) ? 'rekeyed' : 'failed';
        return { file: named(p.path), status, groups: jsonGroups(p.diff, names), ...(reason !== undefined ? { reason } : {}) };
      }),
      ...plan.upToDate.map((p): JsonRekeyFile => ({ file: named(p), status: 'up to date' })),
      ...plan.failures.map((f): JsonRekeyFile => ({ file: named(f.path), status: 'failed', reason: f.error.message })),
      ...plan.unreached.map((p): JsonRekeyFile => ({ file: named(p), status: 'unreached', reason: 'no creation rule reaches it' })),
    ];
    const report = { configs: plan.configs.map(named), rotate: options.rotate, applied, files };
    ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return plan.failures.length > 0 ? 1 : 0;
  };
  // --json without -y is the plan only: a script reads it, no one is there to answer.
  if (json && (!options.yes || options.dryRun === true)) return jsonReport(false);

  if (offer && plans.length === 0 && plan.failures.length === 0) printNote(ctx, `secrets: no sops file to rekey${plan.upToDate.length > 0 ? `: ${plan.upToDate.length} already up to date` : ' yet'}`);
  if (offer && plans.length > 0) {
    ctx.stdout.write(`Rekeying changes ${plans.length} file${plans.length === 1 ? '' : 's'}${rotate ? ' (and replaces their data keys)' : ''}:\n`);
    for (const p of plans) ctx.stdout.write(`  ${shown(p.path)}: ${summaryLine(p, names, color)}\n`);
  } else if (plans.length > 0 && !json) {
    ctx.stdout.write(`The following changes will be made to the files' groups${options.rotate ? ' (and their data keys replaced)' : ''}:\n`);
    const recipient = shownRecipients(names);
    // One write for the whole plan (hundreds of files: one system call, not one per file).
    ctx.stdout.write(plans.map((p) => `${[`${shown(p.path)}:`, ...diffLines(p.diff, recipient, color)].join('\n')}\n`).join(''));
  }
  if (options.dryRun === true) {
    if (failures.length > 0) printError(ctx, `${failures.length} file${failures.length === 1 ? '' : 's'} cannot be rekeyed`, failures);
    printNote(ctx, `secrets: dry run: ${plans.length} file${plans.length === 1 ? '' : 's'} would be rekeyed, nothing changed`);
    return failures.length > 0 ? 1 : 0;
  }
  if (plans.length > 0) {
    if (!options.yes && offer) {
      const again = `secrets rekey${offer.removed || rotate ? ' --rotate' : ''}`;
      if (!ctx.prompt) {
        printWarning(ctx, `the files are not rekeyed yet (no terminal to ask on): run \`${again}\`, or pass -y`);
        return 0;
      }
      const answer = await offerAnswer(ctx, plans.length, offer.removed && !rotate);
      if (answer === 'n') {
        printWarning(ctx, `the files are not rekeyed yet: run \`${again}\` so the change reaches them`);
        return 0;
      }
      if (answer === 'r') {
        rotate = true;
        plan = makePlan(true);
        plans = [...plan.items];
        for (const item of plans) addSopsConfigNames(names, item.match.config);
      }
    } else if (!options.yes) {
      if (!ctx.prompt) throw new SecretsError('USAGE', 'confirmation needed but there is no terminal', { hints: ['pass -y to apply without asking'] });
      let answer = '';
      while (answer !== 'y' && answer !== 'n') answer = (await ctx.prompt('Is this okay? (y/n): ', { secret: false })).trim().toLowerCase();
      if (answer === 'n') {
        printNote(ctx, 'secrets: files left unchanged');
        return 0;
      }
    }
    // Identities are loaded when a file's age key is first tried (a file gpg opens needs none). Age
    // plugins are asked once for every file they would be run for (one PIN, not one per file).
    const keys = fileKeyAccess(ctx, [], null);
    const asked = await askPluginsForDataKeys(plans.map((p) => p.loaded), keys.access);
    const access: KeyAccess = asked ? { ...keys.access, pluginFileKeys: asked } : keys.access;
    // One file after the other (the work is CPU-bound: worker threads measured no faster on two cores,
    // docs/benchmarks.md), written in batches: one durability wait per batch, not one fsync per file.
    let done = 0;
    const progress = (): void => {
      if (ctx.stderr.isTTY) ctx.stderr.write(`\r\u001b[Krekeying: ${done}/${plans.length} files`);
    };
    const fail = (p: SopsRekeyItem, error: unknown): void => {
      // Without identities every file fails for that one reason, whose hints (where we looked) are said once.
      if (error instanceof SecretsError && error.code === 'AGE_NO_IDENTITIES') noKey ??= error;
      const reason = error instanceof SecretsError ? error.message : String(error);
      failures.push(`${shown(p.path)}: ${reason}`);
      failed.set(p.path, reason);
    };
    let batch: { plan: SopsRekeyItem; next: Uint8Array }[] = [];
    const flush = async (): Promise<void> => {
      const results = await replaceAllIfStill(batch.map(({ plan, next }) => ({ path: plan.path, expected: plan.bytes, next })));
      const notes: string[] = [];
      for (const [i, { plan }] of batch.entries()) {
        const result = results[i];
        if (result === true) {
          rekeyed.add(plan.path);
          notes.push(`secrets: ${shown(plan.path)} ${rotate ? 'rotated and synced' : 'synced'} with new keys`);
        } else fail(plan, result === false ? new SecretsError('IO_WRITE', 'changed on disk meanwhile: not overwritten (run rekey again)') : result);
      }
      // One write per batch, as printNote writes each line.
      if (notes.length > 0 && !ctx.stderr.isTTY && !json) ctx.stderr.write(notes.map((n) => `${escapeControl(n)}\n`).join(''));
      done += batch.length;
      batch = [];
      progress();
    };
    progress();
    try {
      for (const p of plans) {
        try {
          const next = await rekeyOne(p, { rotate, access, now: options.now ?? new Date() });
          batch.push({ plan: p, next });
        } catch (error) {
          fail(p, error);
          done++;
        }
        if (batch.length >= WRITE_BATCH) await flush();
      }
      await flush();
    } finally {
      asked?.dispose();
    }
    if (ctx.stderr.isTTY) ctx.stderr.write(`\r\u001b[K${plans.length - failures.length} of ${plans.length} files rekeyed\n`);
    if (!rotate && plans.some((p) => p.diff.removed)) {
      printWarning(ctx, 'recipients were removed: they may still hold the data key of these files; run `secrets rekey --rotate` to replace it');
    }
  }
  if (json) jsonReport(true);
  if (failures.length > 0) {
    printError(ctx, `failed to rekey ${failures.length} file${failures.length === 1 ? '' : 's'}`, [...failures, ...(noKey?.hints ?? [])]);
    return 1;
  }
  return 0;
}

