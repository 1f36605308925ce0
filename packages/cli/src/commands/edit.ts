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
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import {
  conflictMarkerText,
  createSopsFile,
  findConfig,
  formatFor,
  hasConflictMarkers,
  loadConfig,
  matchCreationRule,
  openMergeConflict,
  pickCryptRules,
  ruleRecipients,
  SecretsError,
  storeFor,
  updateSopsFile,
  withoutMergeConflict,
  type Document,
  type Format,
  type MapNode,
  type MergeConflict,
  type OpenedFile,
  type Store,
  type StoreOptions,
} from '@secrets/core';
import type { Context } from '../context.js';
import { gpgAccess } from '../identities.js';
import { keysFromFlags } from '../key-flags.js';
import { editorPlan } from '../editor-command.js';
import { runEditor } from '../editor.js';
import { makePrivateDir, readEdited, writePrivateFile } from '../io-private.js';
import { EXIT } from '../exit-codes.js';
import { ensureDirectory, pathExists, readInput, resolvePath } from '../io.js';
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
  /**
   * sops' `-s/--show-master-keys`: the buffer is the file as sops writes it, values in plaintext and the
   * `sops` metadata block with it. The block is shown read-only: edits to it are ignored, with a warning.
   */
  readonly showMasterKeys?: boolean;
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
 * The values of a buffer shown with its `sops` block (--show-master-keys). The block is read-only: sops
 * 3.13 reads it back and, through a copy of its tree, ends up writing neither it nor the values edited
 * (cmd/sops/edit.go runEditorUntilOk); here the values are kept and the block as it was, so no recipient,
 * data key or MAC can be changed (or a key slipped in) from the editor. Recipients change through
 * .sops.yaml and rekey.
 */
function valuesOf(ctx: Context, store: Store, bytes: Uint8Array, shown: MapNode): Document {
  let parsed: { document: Document; metadata: MapNode } | null = null;
  try {
    parsed = store.loadEncrypted(bytes);
  } catch (error) {
    if (!(error instanceof SecretsError) || error.code !== 'SOPS_METADATA_NOT_FOUND') throw error;
    // A binary file's buffer is JSON ({"data": …, "sops": …}): without the block it would be stored as its text.
    if (store.format === 'binary') throw new SecretsError('SOPS_FORMAT_INVALID', 'the "sops" block is missing from the edited buffer: put it back (it is shown read-only)');
  }
  const same = parsed !== null && Buffer.from(store.emitEncrypted(parsed.document, parsed.metadata)).equals(Buffer.from(store.emitEncrypted(parsed.document, shown)));
  if (!same) printWarning(ctx, 'the sops metadata block is shown read-only: your changes to it are ignored (recipients: edit .sops.yaml, then secrets rekey; a new data key: secrets rotate)');
  return parsed?.document ?? store.loadPlain(bytes);
}

/**
 * An unresolved git merge conflict recorded in the file (merge-conflict.ts), shown as both sides between
 * markers in the tmpfs buffer. A record that no longer opens (changed by hand, or by a tool that rewrote
 * the file) cannot be shown; the file itself is fine, and saving drops the record.
 */
function mergeConflictOf(ctx: Context, opened: OpenedFile): MergeConflict | null {
  try {
    return openMergeConflict(opened.metadata, opened.dataKey);
  } catch (error) {
    if (!(error instanceof SecretsError)) throw error;
    printWarning(ctx, `${error.message}; editing our side, saving drops the record`);
    return null;
  }
}

/**
 * Gets the edited plaintext: from stdin, or by running the editor (looping on syntax errors). With
 * `shown` (--show-master-keys), the buffer holds that metadata block too, read-only ({@link valuesOf}).
 *
 * @returns the parsed document, or null when the plaintext did not change
 */
async function edited(ctx: Context, options: EditOptions, format: Format, plaintext: Uint8Array, name: string, shown: MapNode | null = null, conflicted = false): Promise<Document | null> {
  const store = storeFor(format);
  const parse = (bytes: Uint8Array): Document => {
    if (conflicted && hasConflictMarkers(bytes)) {
      throw new SecretsError('SOPS_MERGE_CONFLICT', 'the edited file still has conflict markers (lines starting <<<<<<<, ======= or >>>>>>>)', {
        hints: ['keep the right side of each conflict and delete the marker lines; the file was left unchanged'],
      });
    }
    return shown === null ? store.loadPlain(bytes) : valuesOf(ctx, store, bytes, shown);
  };
  const fromStdin = options.editor === '-' || (options.editor === undefined && !ctx.env['SOPS_EDITOR'] && !ctx.env['EDITOR'] && !ctx.stdin.isTTY);
  if (fromStdin) {
    const input = await readInput(ctx, '-');
    if (sha256(input) === sha256(plaintext) && !conflicted) return null;
    return parse(input);
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
      if (sha256(after) === before && !conflicted) return null;
      try {
        const doc = parse(after);
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
  const exists = await pathExists(path);
  if (exists) {
    const target = await openForWrite(ctx, options.file, { ignoreMac: options.ignoreMac, ...(options.inputType === undefined ? {} : { inputType: options.inputType }) });
    const store = storeFor(format);
    const conflict = mergeConflictOf(ctx, target.opened);
    if (conflict && options.showMasterKeys === true) {
      throw new SecretsError('USAGE', `${options.file} has an unresolved merge conflict: resolve it without --show-master-keys first`);
    }
    // --show-master-keys: the metadata block exactly as the file holds it, beside the plaintext values.
    const shown = options.showMasterKeys === true ? store.loadEncrypted(target.bytes).metadata : null;
    const plaintext = shown === null ? store.emitPlain(target.opened.document) : store.emitEncrypted(target.opened.document, shown);
    if (conflict) printNote(ctx, `secrets: ${options.file} has an unresolved merge conflict at ${conflict.paths.join(', ')}: keep the right side between <<<<<<< ours and >>>>>>> theirs and delete the markers`);
    const buffer = conflict ? conflictMarkerText(plaintext, conflict.theirs) : plaintext;
    const doc = await edited(ctx, options, format, buffer, options.file, shown, conflict !== null);
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
    const opened = { ...target.opened, metadata: withoutMergeConflict(target.opened.metadata) };
    await replaceIfUnchanged(target, updateSopsFile(opened, doc, { now: options.now ?? new Date() }));
    if (conflict) printNote(ctx, `secrets: conflict resolved; now git add ${options.file}`);
    return 0;
  }

  // A new file: keys and settings from its creation rule, or (as sops) from --age / SOPS_AGE_RECIPIENTS.
  const { keyGroups, shamirThreshold, rules, store } = await newFileSettings(ctx, options, format, path);
  if (options.showMasterKeys === true) printNote(ctx, 'secrets: a new file has no sops metadata yet: --show-master-keys shows it from the next edit on');
  const doc = await edited(ctx, options, format, exampleTree(format), options.file);
  if (doc === null) {
    printNote(ctx, 'secrets: file has not changed, exiting');
    return EXIT.fileHasNotBeenModified;
  }
  if (doc.branches.length === 0) throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'the file is empty: there is nothing to encrypt');
  const bytes = await createSopsFile(doc, { format, keyGroups, shamirThreshold, rules, now: options.now ?? new Date(), store, ...gpgAccess(ctx) });
  await ensureDirectory(join(path, '..'));
  // Created under the same lock-and-compare as every write: if someone created it meanwhile, it is kept
  // and ours is saved beside it.
  await replaceIfUnchanged({ path, bytes: null }, bytes);
  return 0;
}
