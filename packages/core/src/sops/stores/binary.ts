/**
 * The binary store (sops `json.BinaryStore`): the plaintext is the whole file, held as one value under the
 * key `data`; the encrypted file is a JSON object `{"data": "ENC[…]", "sops": {…}}` written by the JSON
 * store with the binary store's indentation (default tab).
 *
 * A file that is not valid UTF-8 is loaded as a `bytes` scalar so that no byte is lost; sops treats it as a
 * string (`type:str`) holding those bytes, and the value cipher must do the same.
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Document, MapNode, Value } from '../tree.js';
import { checkInputSize, resolveLimits, type ResolvedLimits, type StoreOptions } from './common.js';
import { JsonStore } from './json.js';
import type { Store } from './store.js';

const strictUtf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = /* @__PURE__ */ new TextEncoder();

const OUTPUT_TYPE_HINT = 'the binary format can only write back a single "data" value; use --output-type to choose a structured format';

/**
 * Reads and writes arbitrary files as sops' binary store does.
 */
export class BinaryStore implements Store {
  /** The store's format. */
  readonly format = 'binary' as const;
  private readonly json: JsonStore;
  private readonly limits: ResolvedLimits;

  /**
   * @param options - `indent` of the encrypted JSON envelope (-1 = tab, default); input limits
   * @throws SecretsError USAGE for an indentation below -1
   */
  constructor(options: StoreOptions = {}) {
    this.json = new JsonStore(options);
    this.limits = resolveLimits(options);
  }

  /**
   * Wraps the whole input as `{data: <content>}`: a string when the input is valid UTF-8, else bytes.
   *
   * @throws SecretsError LIMIT_EXCEEDED for oversized input
   */
  loadPlain(bytes: Uint8Array): Document {
    checkInputSize(bytes, this.limits);
    let value: Value;
    try {
      value = { kind: 'string', value: strictUtf8.decode(bytes) };
    } catch {
      value = { kind: 'bytes', value: bytes.slice() };
    }
    return { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value }] }] };
  }

  /** Parses the encrypted JSON envelope (exactly like the JSON store). */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode } {
    return this.json.loadEncrypted(bytes);
  }

  /**
   * Writes the `data` value back as raw bytes.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID unless the tree has exactly one branch whose `data` key holds a
   *   string (sops' errors, with a hint to use `--output-type`)
   */
  emitPlain(doc: Document): Uint8Array {
    if (doc.branches.length !== 1) throw binaryError('there must be exactly one tree branch');
    for (const item of doc.branches[0]!.items) {
      if (item.kind !== 'entry' || item.key !== 'data') continue;
      if (item.value.kind === 'string') return encoder.encode(item.value.value);
      if (item.value.kind === 'bytes') return item.value.value.slice();
      throw binaryError("'data' key in tree does not have a string value");
    }
    throw binaryError('no binary data found in tree');
  }

  /** Writes the encrypted JSON envelope (`"sops"` last). */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array {
    return this.json.emitEncrypted(doc, metadata);
  }

  /**
   * Always fails: binary files have no structure to extract from.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID
   */
  emitValue(_value: Value): Uint8Array {
    throw new SecretsError('SOPS_FORMAT_INVALID', 'binary files are not structured and extracting a single value is not possible', {
      hints: ['use --output-type to choose a structured format'],
    });
  }
}

function binaryError(message: string): SecretsError {
  return new SecretsError('SOPS_FORMAT_INVALID', `error emitting binary store: ${message}`, { hints: [OUTPUT_TYPE_HINT] });
}
