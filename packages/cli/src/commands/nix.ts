/**
 * `secrets nix sops [FILE…]`: the sops-nix declarations for the repository's sops files, with what
 * sops-nix could not install flagged now instead of at activation time. Needs no key.
 */
import { dirname, relative } from 'node:path';
import { SecretsError, findConfig, formatFromPath, loadConfig, sopsNixDeclarations, storeFor, type SopsNixInput } from '@secrets/core';
import type { Context } from '../context.js';
import { readFileLimited, resolvePath, writeOutput } from '../io.js';
import { printWarning } from '../output.js';
import { candidates } from './rekey.js';

/** Runs `secrets nix sops`. Exit 1 when some leaf cannot be installed by sops-nix (the fragment is still written). */
export async function nixSops(ctx: Context, options: { files: readonly string[]; out?: string; config?: string }): Promise<number> {
  let files = options.files.map((f) => resolvePath(ctx, f));
  if (files.length === 0) {
    const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { explicit: options.config } : {}) });
    if (!found) throw new SecretsError('CONFIG_NOT_FOUND', 'no .sops.yaml found: name the files', { hints: ['secrets nix sops secrets/*.yaml'] });
    files = await candidates(dirname(found.path), await loadConfig(found));
  }
  const base = options.out ? dirname(resolvePath(ctx, options.out)) : ctx.cwd;
  const inputs: SopsNixInput[] = [];
  for (const file of files) {
    const format = formatFromPath(file);
    let document;
    try {
      document = storeFor(format).loadEncrypted(await readFileLimited(file, JSON.stringify(file))).document;
    } catch (error) {
      if (options.files.length > 0) throw error;
      continue; // not a sops file: skipped when scanning
    }
    const rel = relative(base, file);
    inputs.push({ nixPath: rel.startsWith('.') ? rel : `./${rel}`, format, document });
  }
  const { nix, problems } = sopsNixDeclarations(inputs);
  await writeOutput(ctx, options.out ?? '-', nix);
  for (const p of problems) printWarning(ctx, `${p.file}: ${JSON.stringify(p.key)}: ${p.reason}`);
  return problems.length === 0 ? 0 : 1;
}
