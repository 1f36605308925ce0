/**
 * `secrets agenix decrypt|edit`: agenix's commands on `.age` files with a `secrets.nix` rules file, read
 * without Nix. Rule names resolve relative to the rules file (as ragenix does; agenix uses the cwd, which
 * is what ragenix#160 and agenix#149 complain about), and `./x.age` and `x.age` are the same file.
 */
import { access, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { SecretsError, decryptAge, encryptAge, normalizeRuleName, parseRecipient, parseSecretsNix, type AgenixRule } from '@secrets/core';
import type { Context } from '../context.js';
import { editorCommand, makePrivateDir, onPath, readEdited, runEditor, writePrivateFile } from '../editor.js';
import { loadIdentities, passphrasePrompt, withPlaces } from '../identities.js';
import { readFileLimited, readInput, writeFileAtomic, writeOutput } from '../io.js';
import { printNote } from '../output.js';

/** The rules file: `--rules`, `$RULES`, else `secrets.nix` next to the file or in a parent directory. */
async function findRules(ctx: Context, file: string, explicit?: string): Promise<string> {
  const named = explicit ?? ctx.env['RULES'];
  if (named) return resolve(ctx.cwd, named);
  let dir = dirname(resolve(ctx.cwd, file));
  for (let i = 0; i < 100; i++) {
    const candidate = join(dir, 'secrets.nix');
    if (await access(candidate).then(() => true, () => false)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new SecretsError('CONFIG_NOT_FOUND', 'no secrets.nix found next to the file or above it', { hints: ['pass --rules FILE or set RULES'] });
}

/** The rule for a file, matching names relative to the rules file's directory. */
export async function ruleFor(ctx: Context, file: string, explicit?: string): Promise<{ rules: string; rule: AgenixRule }> {
  const rulesPath = await findRules(ctx, file, explicit);
  const rules = parseSecretsNix(await readFile(rulesPath, 'utf8'), rulesPath);
  const wanted = normalizeRuleName(relative(dirname(rulesPath), resolve(ctx.cwd, file)));
  const rule = rules.find((r) => normalizeRuleName(r.name) === wanted);
  if (!rule) throw new SecretsError('CONFIG_NO_MATCHING_RULE', `no rule for ${JSON.stringify(wanted)} in ${rulesPath}`, { hints: [`rules: ${rules.map((r) => r.name).join(', ')}`] });
  if (rule.publicKeys.length === 0) throw new SecretsError('CONFIG_INVALID', `the rule for ${JSON.stringify(wanted)} has no publicKeys`);
  return { rules: rulesPath, rule };
}

/** Runs `secrets agenix decrypt FILE` (to stdout or -o). */
export async function agenixDecrypt(ctx: Context, options: { file: string; identities: readonly string[]; output?: string }): Promise<number> {
  const bytes = await readInput(ctx, options.file);
  const { identities, places } = await loadIdentities(ctx, options.identities);
  try {
    await writeOutput(ctx, options.output ?? '-', await decryptAge(bytes, identities, { passphrase: passphrasePrompt(ctx) }), { mode: 0o600 });
  } catch (error) {
    throw withPlaces(error, places);
  }
  return 0;
}

/** Runs `secrets agenix edit FILE`: decrypt (if it exists), edit on tmpfs, encrypt to the rule's keys. */
export async function agenixEdit(ctx: Context, options: { file: string; rules?: string; identities: readonly string[]; editor?: string; allowDiskTmp: boolean }): Promise<number> {
  const { rule } = await ruleFor(ctx, options.file, options.rules);
  const recipients = rule.publicKeys.map((k) => parseRecipient(k));
  const path = resolve(ctx.cwd, options.file);
  const exists = await access(path).then(() => true, () => false);
  let plaintext: Uint8Array = new Uint8Array();
  if (exists) {
    const { identities, places } = await loadIdentities(ctx, options.identities);
    try {
      plaintext = await decryptAge(await readFileLimited(path, JSON.stringify(options.file)), identities, { passphrase: passphrasePrompt(ctx) });
    } catch (error) {
      throw withPlaces(error, places);
    }
  }
  const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  let edited: Uint8Array;
  if (options.editor === '-' || (options.editor === undefined && !ctx.env['EDITOR'] && !ctx.stdin.isTTY)) {
    edited = await readInput(ctx, '-');
  } else {
    const argv = editorCommand(options.editor ? { ...ctx, env: { ...ctx.env, SOPS_EDITOR: options.editor } } : ctx, onPath(ctx.env));
    const dir = makePrivateDir(ctx, options.allowDiskTmp);
    try {
      const tmp = writePrivateFile(dir, basename(options.file).replace(/\.age$/, ''), plaintext);
      await runEditor(argv, tmp, ctx.env);
      edited = await readEdited(tmp);
    } finally {
      dir.remove();
    }
  }
  if (exists && hash(edited) === hash(plaintext)) {
    printNote(ctx, `secrets: ${options.file} wasn't changed, skipping re-encryption`);
    return 0;
  }
  await writeFileAtomic(path, await encryptAge(edited, recipients, { armor: rule.armor }));
  return 0;
}
