/**
 * `secrets edit FILE`: decrypt into a private tmpfs file, run the editor, re-encrypt what changed.
 *
 * - The plaintext lives only in a 0700 directory on a memory-backed filesystem, mode 0600, removed on
 *   every exit path (return, error, SIGINT/SIGTERM/SIGHUP): see editor.ts.
 * - Unchanged → "file has not changed" and exit 200 (sops FileHasNotBeenModified).
 * - Invalid syntax → where it is, and on a terminal an offer to go back to the editor.
 * - Unchanged values keep their exact ciphertext; the write is atomic and keeps the file's mode; if the
 *   file changed on disk meanwhile, it is not overwritten and the edit is saved (encrypted) beside it.
 * - A missing FILE is created from its `.sops.yaml` creation rule, starting from sops' example tree.
 * - `--editor -` (or no editor configured and stdin not a terminal): the new plaintext is read from stdin,
 *   for scripts and CI; no temporary file at all.
 */
import { access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import {
  SecretsError,
  createSopsFile,
  findConfig,
  formatFor,
  ruleRecipients,
  loadConfig,
  matchCreationRule,
  pickCryptRules,
  storeFor,
  updateSopsFile,
  type Document,
  type Format,
  type StoreOptions,
} from '@secrets/core';
import type { Context } from '../context.js';
import { gpgAccess } from '../identities.js';
import { keysFromFlags } from '../key-flags.js';
import { editorPlan } from '../editor-command.js';
import { makePrivateDir, readEdited, runEditor, writePrivateFile } from '../editor.js';
import { EXIT } from '../exit-codes.js';
import { readInput, resolvePath } from '../io.js';
import { printNote, printWarning } from '../output.js';
import { openForWrite, replaceIfUnchanged } from './modify.js';

/** Options of `secrets edit`. */
export interface EditOptions {
  readonly file: string;
  readonly inputType?: string;
  readonly ignoreMac: boolean;
  /** `-` reads the new plaintext from stdin. */
  readonly editor?: string;
  readonly allowDiskTmp: boolean;
  readonly config?: string;
  /** `--age`: recipients for a new file (comma-separated, repeatable); replaces the rule's keys, as sops. */
  readonly age?: readonly string[];
  /** `--pgp`: PGP fingerprints for a new file (comma-separated, repeatable); replaces the rule's keys, as sops. */
  readonly pgp?: readonly string[];
  readonly now?: Date;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** sops' example trees for new files (stores.go ExampleComplexTree / ExampleFlatTree, binary template). */
function exampleTree(format: Format): Uint8Array {
  const text =
    format === 'yaml'
      ? 'hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n# Example comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n'
      : format === 'json'
        ? '{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n\t"example_key": "example_value",\n\t"example_array": [\n\t\t"example_value1",\n\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n'
        : format === 'dotenv'
          ? 'hello=Welcome to SOPS! Edit this file as you please!\nexample_key=example_value\n'
          : format === 'ini'
            ? '[Welcome!]\nhello = Welcome to SOPS! Edit this file as you please!\nexample_key = example_value\n'
            : 'Welcome to SOPS! Edit this file as you please!';
  return new TextEncoder().encode(text);
}

/**
 * Gets the edited plaintext: from stdin, or by running the editor (looping on syntax errors).
 *
 * @returns the parsed document, or null when the plaintext did not change
 */
async function edited(ctx: Context, options: EditOptions, format: Format, plaintext: Uint8Array, name: string): Promise<Document | null> {
  const store = storeFor(format);
  const fromStdin = options.editor === '-' || (options.editor === undefined && !ctx.env['SOPS_EDITOR'] && !ctx.env['EDITOR'] && !ctx.stdin.isTTY);
  if (fromStdin) {
    const input = await readInput(ctx, '-');
    if (sha256(input) === sha256(plaintext)) return null;
    return store.loadPlain(input);
  }
  const plan = editorPlan(ctx, options.editor);
  const dir = makePrivateDir(ctx, options.allowDiskTmp);
  try {
    if (!dir.memoryBacked) printWarning(ctx, `the plaintext is in ${dir.path}, on a persistent disk (--allow-disk-tmp); it is removed afterwards, but may survive in the filesystem`);
    const file = writePrivateFile(dir, basename(name), plaintext);
    const before = sha256(plaintext);
    for (;;) {
      await runEditor(ctx, plan, file, dir.path);
      const after = await readEdited(file);
      if (sha256(after) === before) return null;
      try {
        const doc = store.loadPlain(after);
        if (doc.branches.some((b) => b.items.some((i) => i.kind === 'entry' && i.key === 'sops'))) {
          throw new SecretsError('SOPS_FORMAT_INVALID', 'the edited file has a top-level "sops" key, which is reserved for the metadata');
        }
        return doc;
      } catch (error) {
        if (!(error instanceof SecretsError) || ctx.prompt === null) throw error;
        printWarning(ctx, `could not read the edited file: ${error.message}`);
        await ctx.prompt('Press enter to return to the editor, or Ctrl+C to exit. ', { secret: false });
      }
    }
  } finally {
    dir.remove();
  }
}

/**
 * Who may read a new file and how it is written: `--age` (or SOPS_AGE_RECIPIENTS, the flag's sops
 * environment variable) replaces the rule's key groups with one group, as in sops; the rule still gives
 * the encryption-selection rules and store settings when a `.sops.yaml` exists.
 *
 * @throws SecretsError CONFIG_NOT_FOUND when there is neither a key flag nor a `.sops.yaml`
 */
async function newFileSettings(ctx: Context, options: EditOptions, format: Format, path: string) {
  const recipients = keysFromFlags(ctx, options.age, options.pgp);
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, target: path, ...(options.config ? { explicit: options.config } : {}), warn: (m) => printWarning(ctx, m) });
  if (!found && recipients.length === 0) {
    throw new SecretsError('CONFIG_NOT_FOUND', `${JSON.stringify(options.file)} does not exist and no .sops.yaml says who may read a new file`, {
      hints: ['create a .sops.yaml with a creation rule for it, or pass --age age1… or --pgp FINGERPRINT (or set SOPS_AGE_RECIPIENTS, SOPS_PGP_FP)'],
    });
  }
  if (found?.note) printNote(ctx, `secrets: ${found.note}`);
  const config = found ? await loadConfig(found) : null;
  for (const w of config?.warnings ?? []) printWarning(ctx, w);
  const rule = config && recipients.length === 0 ? matchCreationRule(config, path) : null;
  const keyGroups = rule && config ? ruleRecipients(rule, config.path) : [recipients];
  const indent = !config ? undefined : format === 'yaml' ? config.stores.yamlIndent : format === 'json' ? config.stores.jsonIndent : format === 'binary' ? config.stores.jsonBinaryIndent : undefined;
  const store: StoreOptions = indent === undefined ? {} : { indent };
  return { keyGroups, shamirThreshold: rule?.shamirThreshold ?? 0, rules: rule ? pickCryptRules(rule) : {}, store };
}

/**
 * Runs `secrets edit`.
 *
 * @returns 0 when written, 200 when nothing changed
 */
export async function edit(ctx: Context, options: EditOptions): Promise<number> {
  const format: Format = formatFor(options.file, options.inputType);
  const path = resolvePath(ctx, options.file);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) {
    const target = await openForWrite(ctx, options.file, { ignoreMac: options.ignoreMac, ...(options.inputType === undefined ? {} : { inputType: options.inputType }) });
    const plaintext = storeFor(format).emitPlain(target.opened.document);
    const doc = await edited(ctx, options, format, plaintext, options.file);
    if (doc === null) {
      printNote(ctx, 'secrets: file has not changed, exiting');
      return EXIT.fileHasNotBeenModified;
    }
    // An empty result (everything deleted, or empty stdin without an editor) would replace the secrets
    // with an empty file: never done silently.
    if (doc.branches.length === 0) {
      throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'the edited file is empty: the encrypted file was left unchanged', {
        hints: ['to delete the file, remove it (git rm); without a terminal, pipe the new content or set EDITOR'],
      });
    }
    await replaceIfUnchanged(target, updateSopsFile(target.opened, doc, { now: options.now ?? new Date() }));
    return 0;
  }

  // A new file: keys and settings from its creation rule, or (as sops) from --age / SOPS_AGE_RECIPIENTS.
  const { keyGroups, shamirThreshold, rules, store } = await newFileSettings(ctx, options, format, path);
  const doc = await edited(ctx, options, format, exampleTree(format), options.file);
  if (doc === null) {
    printNote(ctx, 'secrets: file has not changed, exiting');
    return EXIT.fileHasNotBeenModified;
  }
  if (doc.branches.length === 0) throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'the file is empty: there is nothing to encrypt');
  const bytes = await createSopsFile(doc, { format, keyGroups, shamirThreshold, rules, now: options.now ?? new Date(), store, ...gpgAccess(ctx) });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(path, '..'), { recursive: true });
  // Created under the same lock-and-compare as every write: if someone created it meanwhile, it is kept
  // and ours is saved beside it.
  await replaceIfUnchanged({ path, bytes: null }, bytes);
  return 0;
}
