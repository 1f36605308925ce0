/**
 * Plumbing shared by the stores: options and input limits, error helpers, the `sops` metadata block
 * extraction/insertion rules of sops `stores.ExtractMetadata`/`stores.SerializeMetadata`, and a byte-wise
 * string order (Go compares strings as UTF-8 bytes).
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */

import { SecretsError, type ErrorCode } from '../../errors.js';
import type { Document, Entry, MapNode, Value, Comment } from '../tree.js';

/** Input limits enforced when loading. All are optional; see the defaults below. */
export interface StoreLimits {
  /** Largest accepted input in bytes (default 64 MiB). */
  readonly maxInputBytes?: number;
  /**
   * Deepest accepted nesting of mappings and sequences, the document's top-level mapping being level 1
   * (default 100). Also bounds the metadata keys unflattened from dotenv and INI files.
   */
  readonly maxDepth?: number;
  /**
   * YAML only: most nodes that alias expansion may create in one file (default 100 000). Aliases are
   * expanded into copies, so a small file can otherwise describe an exponentially large tree
   * ("billion laughs").
   */
  readonly maxAliasExpansion?: number;
}

/** Options accepted by every store. */
export interface StoreOptions extends StoreLimits {
  /**
   * Indentation of the output. YAML: spaces, default 4 (0 also means 4; go-yaml turns values outside
   * 2–9 into 2; negative is an error, as in sops). JSON and binary: -1 (default) indents with a tab, N ≥ 0
   * with N spaces (0 = newlines without indentation); below -1 is an error. dotenv and INI ignore it.
   */
  readonly indent?: number;
}

/** Default {@link StoreLimits.maxInputBytes}: 64 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Default {@link StoreLimits.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 100;
/** Default {@link StoreLimits.maxAliasExpansion}. */
export const DEFAULT_MAX_ALIAS_EXPANSION = 100_000;

/** Limits with defaults applied. */
export interface ResolvedLimits {
  readonly maxInputBytes: number;
  readonly maxDepth: number;
  readonly maxAliasExpansion: number;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SecretsError('USAGE', `store option ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Applies defaults and validates the limit options. */
export function resolveLimits(options: StoreLimits = {}): ResolvedLimits {
  return {
    maxInputBytes: positiveInt('maxInputBytes', options.maxInputBytes, DEFAULT_MAX_INPUT_BYTES),
    maxDepth: positiveInt('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH),
    maxAliasExpansion: positiveInt('maxAliasExpansion', options.maxAliasExpansion, DEFAULT_MAX_ALIAS_EXPANSION),
  };
}

/** Throws LIMIT_EXCEEDED when the input is larger than allowed. */
export function checkInputSize(bytes: Uint8Array, limits: ResolvedLimits): void {
  if (bytes.length > limits.maxInputBytes) {
    throw new SecretsError(
      'LIMIT_EXCEEDED',
      `input is ${bytes.length} bytes, more than the limit of ${limits.maxInputBytes} bytes`,
      { hints: ['raise the maxInputBytes store option if this file is legitimate'], details: { limit: 'maxInputBytes' } },
    );
  }
}

/** The LIMIT_EXCEEDED error for nesting deeper than allowed. */
export function depthError(limits: ResolvedLimits, where = ''): SecretsError {
  return new SecretsError('LIMIT_EXCEEDED', `input nests mappings and sequences more than ${limits.maxDepth} levels deep${where}`, {
    hints: ['raise the maxDepth store option if this file is legitimate'],
    details: { limit: 'maxDepth' },
  });
}

/** A SOPS_FORMAT_INVALID (or other code) error. */
export function formatError(message: string, options: { hints?: readonly string[]; cause?: unknown; code?: ErrorCode } = {}): SecretsError {
  return new SecretsError(options.code ?? 'SOPS_FORMAT_INVALID', message, {
    ...(options.hints ? { hints: options.hints } : {}),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
  });
}

/**
 * Runs `fn`, turning a JavaScript stack overflow (possible only with a very large configured maxDepth)
 * into LIMIT_EXCEEDED, so that callers only ever see SecretsError.
 */
export function guardStack<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new SecretsError('LIMIT_EXCEEDED', 'input nests too deeply for this runtime', {
        hints: ['lower the maxDepth store option'],
        details: { limit: 'maxDepth' },
        cause: e,
      });
    }
    throw e;
  }
}

const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 text, rejecting invalid sequences. A byte order mark is kept (Go does not strip it either;
 * the stores whose Go parser skips it do so themselves).
 *
 * @param what - names the input in the error message
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (e) {
    throw formatError(`the ${what} is not valid UTF-8`, { cause: e });
  }
}

/**
 * The yaml library's message, first line only and without the source text some of its messages quote
 * (`Unexpected scalar token in YAML stream: "…"`, `Could not resolve tag: !…`, …):
 * that text can be a secret value.
 */
export function yamlParserReason(message: string): string {
  return (message.split('\n')[0] ?? '')
    .replace(/: ".*$/, '')
    .replace(/(Not a YAML token|includes extra characters|Could not resolve tag|Unresolved tag|Not a valid tag): .*$/, '$1')
    .replace(/^The .* tag has no suffix$/, 'a tag has no suffix')
    .replace(/^(Invalid escape sequence) (.*)$/, (_, what: string, raw: string) => `${what} ${JSON.stringify(raw)}`)
    .replace(/^Verbatim tags aren't resolved, so .* is invalid\.?$/, "verbatim tags aren't resolved");
}

/** Whether a string is free of lone surrogates (i.e. can be written as UTF-8 without loss). */
export function isWellFormed(s: string): boolean {
   
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/**
 * Go's `<` on strings: bytewise comparison of the UTF-8 encodings. This differs from JavaScript's UTF-16
 * code-unit order for characters above U+FFFF versus U+E000–U+FFFF.
 */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------------------
// The `sops` metadata block for the nested stores (YAML, JSON, binary)

/** The key of the metadata block. */
export const SOPS_KEY = 'sops';

function entryAt(item: Entry | Comment): item is Entry {
  return item.kind === 'entry';
}

/**
 * sops `ExtractMetadata` with `MetadataFlattenNone`: the `sops` mapping is taken from the first document
 * (a second one there is an error, as is a non-mapping value) and `sops` keys are removed from every
 * document.
 *
 * @throws SOPS_METADATA_NOT_FOUND when the first document has no `sops` key
 */
export function extractNestedMetadata(doc: Document): { document: Document; metadata: MapNode } {
  let metadata: MapNode | undefined;
  const branches = doc.branches.map((branch, index) => {
    const items: (Entry | Comment)[] = [];
    for (const item of branch.items) {
      if (entryAt(item) && item.key === SOPS_KEY) {
        if (index === 0) {
          if (metadata) throw formatError('found duplicate sops entry', { code: 'SOPS_METADATA_INVALID' });
          if (item.value.kind !== 'map') throw formatError('found sops entry that is not a mapping', { code: 'SOPS_METADATA_INVALID' });
          metadata = item.value;
        }
        continue;
      }
      items.push(item);
    }
    return { kind: 'map', items } as const satisfies MapNode;
  });
  if (!metadata) throw metadataNotFound();
  return { document: { branches }, metadata };
}

/** The SOPS_METADATA_NOT_FOUND error (sops `sops.MetadataNotFound`). */
export function metadataNotFound(): SecretsError {
  return new SecretsError('SOPS_METADATA_NOT_FOUND', 'sops metadata not found', {
    hints: ['the file is not encrypted with sops, or its metadata was removed'],
  });
}

/**
 * sops `SerializeMetadata` with `MetadataFlattenNone`: appends `sops: <metadata>` as the last key of every
 * document, refusing data that already uses the reserved key.
 */
export function insertNestedMetadata(doc: Document, metadata: MapNode): Document {
  const entry: Entry = { kind: 'entry', key: SOPS_KEY, value: metadata };
  return {
    branches: doc.branches.map((branch) => {
      for (const item of branch.items) {
        if (entryAt(item) && item.key === SOPS_KEY) {
          throw formatError(`found key "sops" in encrypted data, which is a reserved key used for SOPS metadata`, {
            code: 'SOPS_VALUE_INVALID',
          });
        }
      }
      return { kind: 'map', items: [...branch.items, entry] };
    }),
  };
}

/** Depth of a value (a scalar is 0, an empty mapping 1). Iterative, so it never overflows the stack. */
export function valueDepth(root: Value): number {
  let max = 0;
  const stack: [Value, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v.kind === 'map' || v.kind === 'seq') {
      const depth = d + 1;
      if (depth > max) max = depth;
      for (const item of v.items) {
        if (item.kind === 'comment') continue;
        stack.push([item.kind === 'entry' ? item.value : item, depth]);
      }
    }
  }
  return max;
}
