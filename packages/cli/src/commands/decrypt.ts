/**
 * `secrets decrypt`: sops' command of the same name, thin over core. Exit statuses follow sops (100
 * missing file, 128 no data key, 51 MAC mismatch, 91 bad tree path). Its own module so that it loads
 * nothing `encrypt` needs (configuration, recipients).
 */
import { SecretsError, formatFor, getAtPath, hasMergeConflict, loadSopsFile, openSopsFile, parseTreePath, storeFor, type Format, type OpenedFile } from '@secrets/core';
import type { Context } from '../context.js';
import { fileKeyAccess } from '../identities.js';
import { readInput, replaceIfStill, resolvePath, writeOutput } from '../io.js';
import { refuseOutputIsInput } from '../paths.js';
import { printWarning } from '../output.js';

/** The format named by a `--input-type`/`--output-type` option, else the one the file name implies (core's formatFor). */
export function formatOption(name: string | undefined, path: string, flag: string): Format {
  return formatFor(path, name, flag);
}

/** Options of `secrets decrypt`. */
export interface DecryptOptions {
  readonly file: string;
  readonly inputType?: string;
  readonly outputType?: string;
  readonly extract?: string;
  readonly ignoreMac: boolean;
  readonly output?: string;
  readonly identities: readonly string[];
  /** `-i`/`--in-place`: replace the encrypted file with its plaintext (as sops decrypt -i). */
  readonly inPlace?: boolean;
  /** `--indent`: YAML/JSON output indentation (sops' global flag). */
  readonly indent?: number;
  /** sops `--filename-override`: the name the format is taken from (stdin included) instead of the file's. */
  readonly filenameOverride?: string;
}

/** Decrypts the file's bytes with the identities of the options. */
async function open(ctx: Context, options: DecryptOptions, format: Format, bytes: Uint8Array): Promise<OpenedFile> {
  const keys = fileKeyAccess(ctx, options.identities, '--identity FILE');
  try {
    return await openSopsFile(bytes, { format, ...keys.access, ignoreMac: options.ignoreMac });
  } catch (error) {
    // As sops, a file that is not a sops file is "sops metadata not found" (exit 1) whether or not keys
    // were found: parsed here, on failure only, so a good file is parsed once.
    loadSopsFile(bytes, format);
    throw keys.explain(error);
  }
}

/**
 * Runs `secrets decrypt`.
 *
 * @returns exit status
 */
export async function decrypt(ctx: Context, options: DecryptOptions): Promise<number> {
  const name = options.filenameOverride ?? options.file;
  const inputFormat = formatOption(options.inputType, name, '--input-type');
  const outputFormat = formatOption(options.outputType ?? options.inputType, name, '--output-type');
  const path = options.extract === undefined ? undefined : parseTreePath(options.extract);
  if (options.inPlace === true && (options.output !== undefined || options.file === '-')) {
    throw new SecretsError('SOPS_RULES_CONFLICT', options.file === '-' ? 'cannot decrypt standard input in place' : 'cannot use --in-place and --output together');
  }
  // The output may not be the identity file that opens it (age#491): that would replace the key with plaintext.
  const keyFiles = options.identities.length > 0 ? options.identities : [ctx.env['SOPS_AGE_KEY_FILE'], ctx.env['SOPS_AGE_SSH_PRIVATE_KEY_FILE']];
  refuseOutputIsInput(ctx, options.output, [options.file, ...keyFiles], '--output');
  const bytes = await readInput(ctx, options.file);
  const opened = await open(ctx, options, inputFormat, bytes);
  for (const w of opened.warnings) printWarning(ctx, w);
  if (hasMergeConflict(opened.metadata)) printWarning(ctx, `${JSON.stringify(options.file)} has an unresolved git merge conflict: this is our side; resolve it with secrets edit ${options.file}`);
  const store = storeFor(outputFormat, options.indent === undefined ? {} : { indent: options.indent });
  let out: Uint8Array;
  if (path) {
    const value = getAtPath(opened.document, path);
    // sops: a string is written raw without a newline; a mapping as a whole file; other values via EmitValue.
    if (value.kind === 'string') out = new TextEncoder().encode(value.value);
    else if (value.kind === 'map') out = store.emitPlain({ branches: [value] });
    else out = store.emitValue(value);
  } else {
    out = store.emitPlain(opened.document);
  }
  if (options.inPlace === true) {
    // sops decrypt -i: the plaintext replaces the file (compared first: a file changed meanwhile is kept).
    if (!(await replaceIfStill(resolvePath(ctx, options.file), bytes, out))) {
      throw new SecretsError('IO_WRITE', `${JSON.stringify(options.file)} changed on disk while it was being decrypted: not overwritten`);
    }
    return 0;
  }
  await writeOutput(ctx, options.output ?? '-', out, { mode: 0o600 });
  return 0;
}

