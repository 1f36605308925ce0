/**
 * `secrets check`: repository hygiene for CI, needing no private key. A thin layer over core's
 * `checkRepository` (packages/core/src/repo/check.ts), which says what is checked and why; this file
 * finds where to start and prints the report.
 */
import { dirname, relative } from 'node:path';
import { SecretsError, checkRepository, findConfig, type RecipientReport } from '@secrets/core';
import type { Context } from '../context.js';
import { repoView } from '../io.js';
import { printWarning } from '../output.js';
import { absolutePath, existingPaths } from '../paths.js';

export type { Finding, RecipientReport } from '@secrets/core';

/** Runs `secrets check`. */
export async function check(ctx: Context, options: { files: readonly string[]; json: boolean; allowKey: readonly string[]; config?: string; rules?: string }): Promise<number> {
  const explicit = options.config ?? (ctx.env['SOPS_CONFIG'] || undefined);
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
  const root = found ? dirname(found.path) : ctx.cwd;
  const rules = options.rules ?? (ctx.env['RULES'] || undefined);
  const report = checkRepository(repoView(), {
    root,
    base: ctx.cwd,
    // Named files need only exist: a link, FIFO or device where a secret belongs is a finding, not an error.
    ...(options.files.length > 0 ? { files: existingPaths(ctx, options.files) } : {}),
    ...(explicit !== undefined && found ? { config: found.path } : {}),
    ...(rules !== undefined ? { rules: [absolutePath(ctx, rules)] } : {}),
    allowKey: options.allowKey.map((a) => absolutePath(ctx, a)),
  });
  for (const w of report.warnings) printWarning(ctx, w);
  if (report.configs.length === 0 && report.rulesFiles.length === 0 && report.findings.length === 0) {
    throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml and no agenix rules found', { hints: ['.sops.yaml is searched from the working directory upward and in every directory below it; agenix rules are a secrets.nix beside .age files (or --rules FILE)'] });
  }
  const shown = (p: string): string => relative(ctx.cwd, p) || p;
  const { findings } = report;
  if (options.json) {
    const json = {
      config: report.configs[0] ?? null,
      configs: report.configs,
      checked: report.checked,
      findings,
      recipients: report.recipients,
      agenixRules: report.rulesFiles,
      agenixRecipients: report.agenixRecipients,
    };
    ctx.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return findings.length === 0 ? 0 : 1;
  }
  const print = (title: string, list: readonly RecipientReport[]): void => {
    if (list.length === 0) return;
    ctx.stdout.write(`${title}:\n`);
    for (const r of list) {
      const total = r.opens.length + r.cannot.length;
      ctx.stdout.write(`  ${r.label}: opens ${r.opens.length} of ${total} file${total === 1 ? '' : 's'}${r.note ? ` (${r.note})` : ''}\n`);
      for (const c of r.cannot) ctx.stdout.write(`    cannot open ${c.file}: ${c.reason}\n`);
    }
  };
  if (report.checked - report.agenixChecked > 0) print('recipients', report.recipients);
  print('agenix recipients', report.agenixRecipients);
  for (const f of findings) ctx.stdout.write(`${f.file}: ${f.message}\n`);
  const against = [...report.configs, ...report.rulesFiles].map(shown).join(', ');
  ctx.stdout.write(findings.length === 0 ? `ok: ${report.checked} encrypted file${report.checked === 1 ? '' : 's'} match ${against}\n` : `${findings.length} problem${findings.length === 1 ? '' : 's'} found\n`);
  return findings.length === 0 ? 0 : 1;
}
