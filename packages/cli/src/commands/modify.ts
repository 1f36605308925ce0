/**
 * Commands that change an encrypted file in place: `set`, `unset`, `rotate`. Each reads the file, opens
 * it (MAC verified), computes the new bytes in memory and writes them atomically, keeping the file mode.
 * If the file changed on disk meanwhile, nothing is overwritten.
 */
import {
  SecretsError,
  asKeyTarget,
  formatFor,
  hasMergeConflict,
  isFormat,
  keyString,
  keyTarget,
  openSopsFile,
  parseRecipient,
  parseTreePath,
  pgpTarget,
  rotateSopsFile,
  setAtPath,
  storeFor,
  unsetAtPath,
  updateSopsFile,
  type Format,
  type OpenedFile,
  type RecipientOrTarget,
  type Value,
} from '@secrets/core';
import type { Context } from '../context.js';
import { fileKeyAccess, gpgAccess } from '../identities.js';
import { readInput, replaceIfStill, resolvePath, writeBesideExclusive, writeOutput } from '../io.js';
import { printWarning } from '../output.js';

/** A file opened for modification. */
export interface OpenForWrite {
  readonly path: string;
  readonly format: Format;
  readonly bytes: Uint8Array;
  readonly opened: OpenedFile;
}

/** Reads and opens an encrypted file (identities by discovery, as sops: these commands take no identity option). */
export async function openForWrite(ctx: Context, file: string, options: { inputType?: string; ignoreMac?: boolean; identities?: readonly string[] }): Promise<OpenForWrite> {
  const format = formatFor(file, options.inputType);
  const bytes = await readInput(ctx, file);
  const keys = fileKeyAccess(ctx, options.identities ?? [], null);
  try {
    const opened = await openSopsFile(bytes, { format, ...keys.access, ignoreMac: options.ignoreMac === true });
    for (const w of opened.warnings) printWarning(ctx, w);
    return { path: resolvePath(ctx, file), format, bytes, opened };
  } catch (error) {
    throw keys.explain(error);
  }
}

/**
 * Replaces a file atomically, unless it changed on disk since it was read ({@link replaceIfStill}: the
 * compare and the rename under the file's lock; `bytes` null: it did not exist). On a change, with
 * `retry` nothing is written and false is returned (the caller re-reads and re-applies); without it the
 * new content, encrypted, is saved beside the file under a name of its own (writeBesideExclusive: same
 * extension, never shared with another run) so no edit is lost, and an IO_WRITE error says where.
 */
export async function replaceIfUnchanged(target: { readonly path: string; readonly bytes: Uint8Array | null }, next: Uint8Array, options: { retry?: boolean } = {}): Promise<boolean> {
  if (await replaceIfStill(target.path, target.bytes, next)) return true;
  if (options.retry) return false;
  const aside = writeBesideExclusive(target.path, next, 0o600);
  throw new SecretsError('IO_WRITE', `${JSON.stringify(target.path)} changed on disk while it was open: not overwritten`, {
    hints: [`your version, encrypted, is in ${aside}`, 'compare the two, then move the one to keep into place'],
  });
}

/**
 * A file with an unresolved git merge conflict is changed only by `edit`, which resolves it: any other
 * write would give it a new `lastmodified` (or data key), and the encrypted record of their side, bound
 * to both, would no longer open.
 */
function refuseConflicted(target: OpenForWrite, file: string): OpenForWrite {
  if (!hasMergeConflict(target.opened.metadata)) return target;
  throw new SecretsError('SOPS_MERGE_CONFLICT', `${JSON.stringify(file)} has an unresolved git merge conflict`, { hints: [`resolve it first: secrets edit ${file}`] });
}

/**
 * How often a change is re-applied to a file that other writers keep changing: each round one writer
 * lands, so N writers need up to N rounds; 5 lost its change among 6 parallel `set`s (a CI flake).
 */
const MAX_ATTEMPTS = 50;

/**
 * A read-modify-write that is safe against concurrent writers: when another process changed the file in
 * between, the change is re-applied to its new content (up to {@link MAX_ATTEMPTS} times), so both writers' changes survive.
 */
async function modifyWithRetry(ctx: Context, file: string, open: { inputType?: string; ignoreMac?: boolean }, change: (target: OpenForWrite) => Uint8Array | null): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const target = refuseConflicted(await openForWrite(ctx, file, open), file);
    const next = change(target);
    if (next === null) return;
    if (await replaceIfUnchanged(target, next, { retry: attempt < MAX_ATTEMPTS })) return;
  }
}

/** sops set: VALUE is JSON. A scalar number becomes a float (Go encoding/json); inside objects ints stay ints (the JSON store). */
export function jsonValue(text: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretsError('SOPS_SET_VALUE_INVALID', 'the value is not valid JSON', { hints: ['strings need quotes: secrets set FILE \'["key"]\' \'"value"\''] });
  }
  if (parsed === null) return { kind: 'null' };
  if (typeof parsed === 'string') return { kind: 'string', value: parsed };
  if (typeof parsed === 'boolean') return { kind: 'bool', value: parsed };
  if (typeof parsed === 'number') return { kind: 'float', value: parsed };
  const doc = storeFor('json').loadPlain(new TextEncoder().encode(`{"v": ${text}}`));
  const entry = doc.branches[0]?.items[0];
  if (!entry || entry.kind !== 'entry') throw new SecretsError('SOPS_SET_VALUE_INVALID', 'the value is not valid JSON');
  return entry.value;
}

/** Options of `secrets set`. */
export interface SetOptions {
  readonly file: string;
  readonly path: string;
  readonly value?: string;
  readonly valueStdin: boolean;
  readonly valueFile: boolean;
  readonly idempotent: boolean;
  readonly inputType?: string;
  /** `--output-type`: the format the file is written back in (sops set). */
  readonly outputType?: string;
  /** sops `--ignore-mac`: open a file whose MAC does not verify (the write gives it a correct one). */
  readonly ignoreMac?: boolean;
  readonly now?: Date;
}

/** Runs `secrets set FILE PATH VALUE`. */
export async function setValue(ctx: Context, options: SetOptions): Promise<number> {
  if (options.valueStdin && options.valueFile) throw new SecretsError('USAGE', 'cannot use --value-stdin and --value-file together');
  const path = parseTreePath(options.path);
  let text: string;
  if (options.valueStdin) text = Buffer.from(await readInput(ctx, '-')).toString('utf8');
  else if (options.value === undefined) throw new SecretsError('USAGE', 'missing VALUE', { hints: ['secrets set FILE PATH VALUE, or --value-stdin'] });
  else if (options.valueFile) text = Buffer.from(await readInput(ctx, options.value, { streams: true })).toString('utf8');
  else text = options.value;
  const value = jsonValue(text);
  const outputType = options.outputType;
  if (outputType !== undefined && !isFormat(outputType)) throw new SecretsError('USAGE', `unknown --output-type ${JSON.stringify(outputType)}`, { hints: ['one of yaml, json, dotenv, ini, binary'] });
  await modifyWithRetry(ctx, options.file, openOptions(options), (target) => {
    const next = setAtPath(target.opened.document, path, value);
    if (options.idempotent && JSON.stringify(next, bigints) === JSON.stringify(target.opened.document, bigints)) return null;
    // sops set writes the file back with the output store: --output-type converts it.
    const opened = outputType === undefined ? target.opened : { ...target.opened, format: outputType };
    return updateSopsFile(opened, next, { now: options.now ?? new Date() });
  });
  return 0;
}

/** The options {@link openForWrite} takes, from a command's (absent ones left out: exactOptionalPropertyTypes). */
const openOptions = (o: { inputType?: string | undefined; ignoreMac?: boolean | undefined }): { inputType?: string; ignoreMac?: boolean } => ({
  ...(o.inputType === undefined ? {} : { inputType: o.inputType }),
  ...(o.ignoreMac === true ? { ignoreMac: true } : {}),
});

const bigints = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);

/** Runs `secrets unset FILE PATH`. */
export async function unsetValue(ctx: Context, options: { file: string; path: string; idempotent: boolean; inputType?: string; ignoreMac?: boolean; now?: Date }): Promise<number> {
  const path = parseTreePath(options.path);
  await modifyWithRetry(ctx, options.file, openOptions(options), (target) => {
    let next;
    try {
      next = unsetAtPath(target.opened.document, path);
    } catch (error) {
      if (options.idempotent && error instanceof SecretsError && error.code === 'SOPS_KEY_NOT_FOUND') return null;
      throw error;
    }
    return updateSopsFile(target.opened, next, { now: options.now ?? new Date() });
  });
  return 0;
}

/** Options of `secrets rotate`. */
export interface RotateOptions {
  readonly file: string;
  readonly inPlace: boolean;
  readonly output?: string;
  readonly addAge: readonly string[];
  readonly rmAge: readonly string[];
  /** `--add-pgp`/`--rm-pgp`: PGP fingerprints, comma-separated (sops rotate). */
  readonly addPgp?: readonly string[];
  readonly rmPgp?: readonly string[];
  readonly inputType?: string;
  readonly now?: Date;
}

/**
 * Runs `secrets rotate`: a new data key, same recipients (plus `--add-age`, minus `--rm-age`, as in sops:
 * added keys go to the first group, removal is by recipient string in every group). Like sops, the
 * result goes to stdout unless `-i`/`--output`.
 */
export async function rotate(ctx: Context, options: RotateOptions): Promise<number> {
  if (options.inPlace && options.output !== undefined) throw new SecretsError('SOPS_RULES_CONFLICT', 'cannot use --in-place and --output together');
  const target = refuseConflicted(await openForWrite(ctx, options.file, options.inputType === undefined ? {} : { inputType: options.inputType }), options.file);
  const split = (list: readonly string[]): string[] => list.flatMap((a) => a.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  const ages = (list: readonly string[]): RecipientOrTarget[] => split(list).map((r) => parseRecipient(r));
  const pgps = (list: readonly string[] | undefined): RecipientOrTarget[] => split(list ?? []).map((fp) => pgpTarget(fp));
  // Removal by the key's string in every group, as sops (--rm-age by recipient, --rm-pgp by fingerprint).
  const removed = new Set([...ages(options.rmAge), ...pgps(options.rmPgp)].map((k) => keyString(asKeyTarget(k))));
  const groups = target.opened.metadata.keyGroups.map((g, i) => [
    ...g.map(keyTarget).filter((k) => !removed.has(keyString(k))),
    ...(i === 0 ? [...ages(options.addAge), ...pgps(options.addPgp)] : []),
  ]);
  if (groups.some((g) => g.length === 0)) throw new SecretsError('USAGE', 'rotating would leave a key group without recipients');
  const next = await rotateSopsFile(target.opened, { keyGroups: groups, now: options.now ?? new Date(), ...gpgAccess(ctx) });
  if (options.inPlace) await replaceIfUnchanged(target, next);
  else await writeOutput(ctx, options.output ?? '-', next);
  return 0;
}
