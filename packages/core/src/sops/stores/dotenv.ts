/**
 * The dotenv store: sops 3.13 `stores/dotenv` semantics, which are much simpler than shell dotenv:
 * - the input is split on `\n` and empty lines are skipped;
 * - a line starting with `#` is a comment (its text is what follows the `#`);
 * - any other line is split at its first `=`; the key is kept untrimmed, and a literal `\n` (backslash, n)
 *   in the value becomes a newline; there is no quoting and no `export`; every value is a string.
 *
 * Output is `key=value` lines (newlines written back as `\n`, non-strings via sops `ValToString`) and
 * `#text` comment lines. The metadata block is flattened into `sops_`-prefixed keys (`sops_mac`,
 * `sops_age__list_0__map_enc`, …) appended after the data.
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Value } from '../tree.js';
import { checkInputSize, decodeUtf8, formatError, metadataNotFound, resolveLimits, type ResolvedLimits, type StoreOptions } from './common.js';
import { flattenMetadata, orderFlattened, rememberFlatOrder, unflattenMetadata, type FlatEntry } from './flatten.js';
import { valToString } from './go-format.js';
import type { Store } from './store.js';

/** The key prefix of flattened metadata in dotenv files. */
export const DOTENV_METADATA_PREFIX = 'sops_';

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Reads and writes dotenv files as sops does.
 */
export class DotenvStore implements Store {
  /** The store's format. */
  readonly format = 'dotenv' as const;
  private readonly limits: ResolvedLimits;

  /** @param options - input limits (`indent` is ignored) */
  constructor(options: StoreOptions = {}) {
    this.limits = resolveLimits(options);
  }

  /**
   * Parses `key=value` and `#comment` lines.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID for a line without `=` or invalid UTF-8; LIMIT_EXCEEDED
   */
  loadPlain(bytes: Uint8Array): Document {
    checkInputSize(bytes, this.limits);
    const text = decodeUtf8(bytes, 'dotenv input');
    const items: (Entry | Comment)[] = [];
    text.split('\n').forEach((line, index) => {
      if (line.length === 0) return;
      if (line[0] === '#') {
        items.push({ kind: 'comment', text: line.slice(1) });
        return;
      }
      const eq = line.indexOf('=');
      // sops prints the line itself; we only give its number, as it may hold a secret.
      if (eq < 0) throw formatError(`invalid dotenv input line ${index + 1}: no "=" found`);
      items.push({ kind: 'entry', key: line.slice(0, eq), value: { kind: 'string', value: line.slice(eq + 1).replaceAll('\\n', '\n') } });
    });
    return { branches: [{ kind: 'map', items }] };
  }

  /**
   * Parses an encrypted dotenv file: the `sops_*` keys of the file are the flattened metadata.
   *
   * @throws SecretsError SOPS_METADATA_NOT_FOUND without `sops_` keys; SOPS_METADATA_INVALID when they do
   *   not unflatten; plus the errors of {@link loadPlain}
   */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode } {
    const plain = this.loadPlain(bytes);
    const branch = plain.branches[0]!;
    const data: (Entry | Comment)[] = [];
    const flat: FlatEntry[] = [];
    for (const item of branch.items) {
      if (item.kind === 'entry' && item.key.startsWith(DOTENV_METADATA_PREFIX)) {
        flat.push({ key: item.key.slice(DOTENV_METADATA_PREFIX.length), value: item.value as FlatEntry['value'] });
      } else {
        data.push(item);
      }
    }
    if (flat.length === 0) throw metadataNotFound();
    const metadata = unflattenMetadata(flat, this.limits);
    rememberFlatOrder(
      metadata,
      flat.map((e) => e.key),
    );
    return { document: { branches: [{ kind: 'map', items: data }] }, metadata };
  }

  /**
   * Writes the first document as dotenv lines.
   *
   * @throws SecretsError SOPS_VALUE_INVALID for nested values (sops: `cannot use complex value in dotenv
   *   file`), and for keys or comments that could not be read back (containing a newline or `=`, or a key
   *   starting with `#`, which sops would write anyway); SOPS_EMPTY_DOCUMENT without documents
   */
  emitPlain(doc: Document): Uint8Array {
    const branch = doc.branches[0];
    if (!branch) throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'there is no document to write as dotenv');
    let out = '';
    for (const item of branch.items) {
      if (item.kind === 'comment') {
        if (/[\n]/.test(item.text)) throw new SecretsError('SOPS_VALUE_INVALID', 'a dotenv comment cannot contain a newline');
        out += `#${item.text}\n`;
        continue;
      }
      out += `${dotenvKey(item.key)}=${dotenvValue(item.key, item.value)}\n`;
    }
    return encoder.encode(out);
  }

  /**
   * Writes an encrypted dotenv file: the data, then the metadata flattened with the `sops_` prefix.
   *
   * @throws SecretsError SOPS_VALUE_INVALID if a data key starts with `sops_`, plus the errors of
   *   {@link emitPlain}
   */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array {
    const branch = doc.branches[0];
    if (!branch) throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'there is no document to write as dotenv');
    for (const item of branch.items) {
      if (item.kind === 'entry' && item.key.startsWith(DOTENV_METADATA_PREFIX)) {
        throw new SecretsError(
          'SOPS_VALUE_INVALID',
          `found key ${JSON.stringify(item.key)} in encrypted data, which starts with the reserved key prefix "sops_" for SOPS metadata`,
        );
      }
    }
    const flat = orderFlattened(metadata, flattenMetadata(metadata, DOTENV_METADATA_PREFIX), (e) => e.key.slice(DOTENV_METADATA_PREFIX.length));
    const items: (Entry | Comment)[] = [...branch.items, ...flat.map((e): Entry => ({ kind: 'entry', key: e.key, value: e.value }))];
    return this.emitPlain({ branches: [{ kind: 'map', items }, ...doc.branches.slice(1)] });
  }

  /**
   * Writes a string value as is.
   *
   * @throws SecretsError SOPS_VALUE_INVALID for anything but a string (sops: `the dotenv store only
   *   supports emitting strings`)
   */
  emitValue(value: Value): Uint8Array {
    if (value.kind !== 'string') {
      throw new SecretsError('SOPS_VALUE_INVALID', `the dotenv store only supports emitting strings, got ${value.kind}`);
    }
    return encoder.encode(value.value);
  }
}

function dotenvKey(key: string): string {
  if (key.includes('\n') || key.includes('=') || key.startsWith('#')) {
    throw new SecretsError('SOPS_VALUE_INVALID', `key ${JSON.stringify(key)} cannot be written to a dotenv file`, {
      hints: ['dotenv keys cannot contain "=" or a newline, nor start with "#"'],
    });
  }
  return key;
}

function dotenvValue(key: string, value: Value): string {
  if (value.kind === 'map' || value.kind === 'seq') {
    throw new SecretsError('SOPS_VALUE_INVALID', `cannot use complex value in dotenv file; offending key ${key}`);
  }
  if (value.kind === 'string') return value.value.replaceAll('\n', '\\n');
  const text = valToString(value);
  if (text === null) throw new SecretsError('SOPS_VALUE_INVALID', `cannot write the value of key ${JSON.stringify(key)} to a dotenv file`);
  return text.replaceAll('\n', '\\n');
}
