/**
 * `secrets nix sops [FILE…]`: the sops-nix declarations for the repository's sops files, with what
 * sops-nix could not install flagged now instead of at activation time. Needs no key. A thin layer over
 * core's `planSopsNix` and `sopsNixDeclarations`.
 */
import { dirname, relative } from 'node:path';
import { escapeControl, findConfig, planSopsNix, sopsNixDeclarations } from '@secrets/core';
import type { Context } from '../context.js';
import { ensureDirectory, repoView, resolvePath, writeOutput } from '../io.js';
import { printWarning } from '../output.js';

/**
 * Runs `secrets nix sops`. Every unreadable file is reported and skipped; the fragment is still written.
 *
 * @returns 1 when some file could not be read or some leaf cannot be installed by sops-nix, else 0
 */
export async function nixSops(ctx: Context, options: { files: readonly string[]; out?: string; config?: string; inputType?: string; json?: boolean }): Promise<number> {
  let root = ctx.cwd;
  if (options.files.length === 0) {
    const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
    if (found) root = dirname(found.path);
  }
  const base = options.out ? dirname(resolvePath(ctx, options.out)) : ctx.cwd;
  const plan = planSopsNix(repoView(), {
    root,
    base,
    ...(options.files.length > 0 ? { files: options.files.map((f) => resolvePath(ctx, f)) } : {}),
    ...(options.inputType !== undefined ? { inputType: options.inputType } : {}),
  });
  const { nix, declarations, problems } = sopsNixDeclarations(plan.inputs);
  const status = problems.length === 0 && plan.unreadable.length === 0 ? 0 : 1;
  if (options.json === true) {
    // The same facts as the Nix text and the warnings, for scripts; --out still writes the Nix file.
    if (options.out !== undefined) {
      await ensureDirectory(base);
      await writeOutput(ctx, options.out, nix);
    }
    const unreadable = plan.unreadable.map((u) => ({ file: relative(ctx.cwd, u.path) || u.path, reason: u.error.message }));
    ctx.stdout.write(`${JSON.stringify({ declarations, problems, unreadable }, null, 2)}\n`);
    return status;
  }
  // The host's directory may not exist yet (docs/getting-started.md writes hosts/batchn/secrets.nix first).
  if (options.out !== undefined) await ensureDirectory(base);
  await writeOutput(ctx, options.out ?? '-', nix);
  for (const u of plan.unreadable) printWarning(ctx, `${escapeControl(relative(ctx.cwd, u.path) || u.path)}: not declared: ${u.error.message}`);
  for (const p of problems) printWarning(ctx, `${p.file}: ${JSON.stringify(p.key)}: ${p.reason}`);
  return status;
}
