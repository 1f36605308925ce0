/**
 * `secrets encrypt` and `secrets filestatus`: sops' commands of the same names, thin over core. Exit
 * statuses follow sops (92 empty document, 203 already encrypted); `decrypt` is in `decrypt.ts`.
 */
import {
  readMetadata,
  SecretsError,
  createSopsFile,
  findConfig,
  ruleRecipients,
  loadConfig,
  matchCreationRule,
  pickCryptRules,
  storeFor,
  type CryptRules,
  type RecipientOrTarget,
  type StoreOptions,
  type Document,
  type Format,
} from '@secrets/core';
import type { Context } from '../context.js';
import { gpgAccess } from '../identities.js';
import { keysFromFlags } from '../key-flags.js';
import { readInput, resolvePath, writeOutput } from '../io.js';
import { printNote, printWarning } from '../output.js';
import { formatOption } from './decrypt.js';

/** Options of `secrets encrypt`. */
export interface EncryptOptions {
  readonly file: string;
  readonly inputType?: string;
  readonly outputType?: string;
  /** `--age`: comma-separated recipients (repeatable); replaces `.sops.yaml` keys, as in sops. */
  readonly age: readonly string[];
  /** `--pgp`: comma-separated PGP fingerprints (repeatable); replaces `.sops.yaml` keys, as in sops. */
  readonly pgp?: readonly string[];
  readonly inPlace: boolean;
  readonly output?: string;
  readonly config?: string;
  /** sops `--filename-override`: the path used for the format and the creation rule (stdin, temp files). */
  readonly filenameOverride?: string;
  readonly rules: CryptRules;
  readonly shamirThreshold?: number;
  /** `--indent`: output indentation, over the `.sops.yaml` stores: setting (sops' global flag). */
  readonly indent?: number;
  readonly now?: Date;
}

/**
 * Runs `secrets encrypt`.
 *
 * @returns exit status
 */
export async function encrypt(ctx: Context, options: EncryptOptions): Promise<number> {
  if (options.inPlace && options.output !== undefined) throw new SecretsError('SOPS_RULES_CONFLICT', 'cannot use --in-place and --output together');
  const name = options.filenameOverride ?? options.file;
  const inputFormat = formatOption(options.inputType, name, '--input-type');
  const outputFormat = formatOption(options.outputType ?? options.inputType, name, '--output-type');
  const bytes = await readInput(ctx, options.file);
  const document = loadPlainInput(inputFormat, bytes);
  if (document.branches.length === 0) {
    throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'the file is empty: there is nothing to encrypt', { hints: ['sops needs at least one document; write e.g. "key: value"'] });
  }
  if (document.branches.some((b) => b.items.some((i) => i.kind === 'entry' && (i.key === 'sops' || (outputFormat === 'dotenv' && i.key.startsWith('sops_')))))) {
    throw new SecretsError('SOPS_ALREADY_ENCRYPTED', 'the file is already encrypted (it has sops metadata)', { hints: ['use `secrets edit` or `secrets decrypt` on it instead'] });
  }

  let keyGroups: RecipientOrTarget[][];
  let rules: CryptRules = options.rules;
  let shamirThreshold = options.shamirThreshold ?? 0;
  let stores: StoreOptions = {};
  // sops: a key flag's value comes from its environment variable (SOPS_AGE_RECIPIENTS, SOPS_PGP_FP) when absent.
  const recipients = keysFromFlags(ctx, options.age, options.pgp);
  const found = await findConfig({ cwd: ctx.cwd, env: ctx.env, target: resolvePath(ctx, name), ...(options.config ? { explicit: options.config } : {}), warn: (m) => printWarning(ctx, m) });
  const config = found ? await loadConfig(found) : null;
  if (found?.note) printNote(ctx, `secrets: ${found.note}`);
  for (const w of config?.warnings ?? []) printWarning(ctx, w);
  if (options.indent !== undefined) stores = { indent: options.indent };
  else if (config) {
    const indent = outputFormat === 'yaml' ? config.stores.yamlIndent : outputFormat === 'json' ? config.stores.jsonIndent : outputFormat === 'binary' ? config.stores.jsonBinaryIndent : undefined;
    if (indent !== undefined) stores = { indent };
  }
  if (recipients.length > 0) {
    // sops: any key flag replaces the config's key groups with one group.
    keyGroups = [recipients];
  } else {
    if (!config) {
      throw new SecretsError('CONFIG_NOT_FOUND', 'config file not found, or has no creation rules, and no keys provided through command line options', {
        hints: ['pass --age age1…,ssh-ed25519 … or --pgp FINGERPRINT, or create a .sops.yaml with creation_rules'],
      });
    }
    const rule = matchCreationRule(config, resolvePath(ctx, name));
    keyGroups = ruleRecipients(rule, config.path);
    if (Object.values(rules).every((v) => v === undefined)) rules = rule;
    if (shamirThreshold === 0) shamirThreshold = rule.shamirThreshold;
  }
  const file = await createSopsFile(document, { format: outputFormat, keyGroups, shamirThreshold, rules: pickCryptRules(rules), now: options.now ?? new Date(), store: stores, ...gpgAccess(ctx) });
  const target = options.inPlace ? options.file : (options.output ?? '-');
  await writeOutput(ctx, target, file);
  return 0;
}

/**
 * Parses the plaintext to encrypt. Input that does not parse is sops' CouldNotReadInputFile (exit 2),
 * as sops' encrypt reports "Error unmarshalling file".
 *
 * @throws SecretsError IO_READ for input that does not parse; LIMIT_EXCEEDED as the store throws it
 */
function loadPlainInput(format: Format, bytes: Uint8Array): Document {
  try {
    return storeFor(format).loadPlain(bytes);
  } catch (error) {
    if (error instanceof SecretsError && error.code === 'SOPS_FORMAT_INVALID') throw new SecretsError('IO_READ', error.message, { hints: error.hints, cause: error });
    throw error;
  }
}

/**
 * Runs `secrets filestatus`: `{"encrypted":true|false}` like sops.
 *
 * @returns exit status
 */
export async function filestatus(ctx: Context, options: { file: string; inputType?: string }): Promise<number> {
  const format = formatOption(options.inputType, options.file, '--input-type');
  const bytes = await readInput(ctx, options.file);
  let encrypted = false;
  try {
    const { metadata: node } = storeFor(format).loadEncrypted(bytes);
    // sops 3.13 (subcommand/filestatus cfs → LoadEncryptedFile → Metadata.ToInternal) converts the block first: a block it
    // cannot read (no RFC 3339 lastmodified or no keys, as in files of sops before 1.0) is an error, not
    // "false"; a readable one counts as encrypted when it has a version and a MAC.
    let metadata;
    try {
      metadata = readMetadata(node);
    } catch (error) {
      if (error instanceof SecretsError && error.code !== 'SOPS_METADATA_NOT_FOUND') {
        throw new SecretsError(error.code, `cannot check file status: cannot load encrypted file: ${error.message}`, { hints: error.hints, cause: error });
      }
      throw error;
    }
    encrypted = metadata.mac !== '' && metadata.version !== '';
  } catch (error) {
    if (!(error instanceof SecretsError && error.code === 'SOPS_METADATA_NOT_FOUND')) throw error;
  }
  ctx.stdout.write(`${JSON.stringify({ encrypted })}\n`);
  return 0;
}
