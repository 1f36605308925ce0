/**
 * The JSON store: sops 3.13 `stores/json` semantics.
 *
 * Loading reads the token stream as Go's `encoding/json` Decoder does with `UseNumber`: integers that fit
 * int64 become ints, every other number a float64 (3.13.2); duplicate keys are kept as separate entries;
 * the top level must be an object; invalid UTF-8 inside strings becomes U+FFFD. Only one branch exists.
 *
 * Emitting builds `{"k": v, …}` and re-indents it like `json.Indent`: a tab by default, N spaces, or only
 * newlines for 0; empty objects and arrays stay `{}`/`[]`; scalars are Go `json.Marshal` output (HTML
 * escaping, U+2028/2029 escaped, Go float format); comments are dropped; only the first document is
 * written; a trailing newline ends the file. Encrypted files get `"sops"` as the last key.
 *
 * The reader is `json-reader.ts`, the writer `json-writer.ts`; this module is the store around them.
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Document, MapNode, Value } from '../tree.js';
import { checkInputSize, extractNestedMetadata, guardStack, insertNestedMetadata, resolveLimits, type ResolvedLimits, type StoreOptions } from './common.js';
import { JsonParser } from './json-reader.js';
import { encodeJson, jsonIndentString } from './json-writer.js';
import type { Store } from './store.js';

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Reads and writes JSON files as sops does.
 */
export class JsonStore implements Store {
  /** The store's format. */
  readonly format = 'json' as const;
  private readonly indent: string;
  private readonly limits: ResolvedLimits;

  /**
   * @param options - `indent`: -1 (default) for a tab, N ≥ 0 for N spaces; plus the input limits
   * @throws SecretsError USAGE for an indentation below -1
   */
  constructor(options: StoreOptions = {}) {
    this.indent = jsonIndentString(options.indent);
    this.limits = resolveLimits(options);
  }

  /**
   * Parses a JSON object into a one-branch document.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID for invalid JSON or a non-object top level; LIMIT_EXCEEDED
   */
  loadPlain(bytes: Uint8Array): Document {
    checkInputSize(bytes, this.limits);
    return { branches: [guardStack(() => new JsonParser(bytes, this.limits).document())] };
  }

  /**
   * Parses an encrypted JSON file, returning the `"sops"` object as metadata.
   *
   * @throws SecretsError SOPS_METADATA_NOT_FOUND without a `"sops"` key, plus the errors of {@link loadPlain}
   */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode } {
    return extractNestedMetadata(this.loadPlain(bytes));
  }

  /**
   * Writes the first document as indented JSON with a trailing newline.
   *
   * @throws SecretsError SOPS_EMPTY_DOCUMENT without documents; SOPS_VALUE_INVALID for NaN/±Inf floats
   */
  emitPlain(doc: Document): Uint8Array {
    const first = doc.branches[0];
    if (!first) throw new SecretsError('SOPS_EMPTY_DOCUMENT', 'there is no document to write as JSON');
    return encoder.encode(guardStack(() => encodeJson(first, this.indent, 0)) + '\n');
  }

  /**
   * Writes an encrypted file with `"sops"` as the last key.
   *
   * @throws SecretsError SOPS_VALUE_INVALID if the data already has a `"sops"` key
   */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array {
    return this.emitPlain(insertNestedMetadata(doc, metadata));
  }

  /** Writes one value as indented JSON, without a trailing newline (sops `EmitValue`). */
  emitValue(value: Value): Uint8Array {
    return encoder.encode(guardStack(() => encodeJson(value, this.indent, 0)));
  }
}
