/**
 * The YAML store: sops 3.13 `stores/yaml` semantics on top of eemeli/yaml's parser.
 *
 * Loading follows what sops gets from go-yaml v3's node API (`yaml.Node`, then `node.Decode` per scalar):
 * - every document must be a mapping (`YAML documents that are sequences are not supported` / `… values …`);
 *   an empty or null document gives an empty branch, an empty stream no branch at all;
 * - duplicate keys are rejected with go-yaml's rule (same node kind and same text, so `1` and `"1"` clash);
 * - aliases are expanded (anchors are lost; go-yaml keeps anchors across documents, and so do we);
 * - a merge key `<<` stays an ordinary key holding the merged mapping(s), exactly as sops' tree does
 *   (sops never applies merges), but its value must be a mapping or a list of mappings as go-yaml's
 *   uniqueness pass requires;
 * - scalars are typed by `resolveScalar` (`yaml-resolve.ts`, go-yaml v3 rules); keys must resolve to
 *   strings (sops: `Tree contains a non-string key`);
 * - comments become Comment items, one per line, text after the `#`, placed as go-yaml and sops place them
 *   for the layouts sops writes and common hand-written ones (see `yaml-comments.ts`).
 *
 * Reading is `yaml-fast.ts` for the block YAML sops writes, else the full reader `yaml-loader.ts` (comments:
 * `yaml-comments.ts`). Emitting is exact go-yaml v3 output with sops' settings, see `yaml-emitter.ts`.
 *
 * @packageDocumentation
 */

import { SecretsError } from '../../errors.js';
import type { Document, MapNode, Value } from '../tree.js';
import {
  checkInputSize,
  decodeUtf8,
  extractNestedMetadata,
  formatError,
  guardStack,
  insertNestedMetadata,
  resolveLimits,
  type ResolvedLimits,
  type StoreOptions,
} from './common.js';
import type { Store } from './store.js';
import { emitYamlDocuments, emitYamlValue, encodePages } from './yaml-emitter.js';
import { loadYamlFast, type FastPositions } from './yaml-fast.js';
import { loadYamlFull } from './yaml-loader.js';
import { emitDataDirect, emitSopsBlock } from './yaml-sops-block.js';

/** sops `stores/yaml` default indentation. */
export const YAML_DEFAULT_INDENT = 4;


/** A `sops` block of one short entry, written in place of the real one (see `emitEncrypted`). */
const STUB_BLOCK: MapNode = { kind: 'map', items: [{ kind: 'entry', key: 'x', value: { kind: 'string', value: 'x' } }] };

/**
 * Reads and writes YAML files as sops does.
 *
 * @example
 * ```ts
 * const store = new YamlStore();
 * const { document, metadata } = store.loadEncrypted(bytes);
 * const same = store.emitEncrypted(document, metadata); // byte-identical for sops 3.13 output
 * ```
 */
export class YamlStore implements Store {
  /** The store's format. */
  readonly format = 'yaml' as const;
  private readonly indent: number;
  private readonly limits: ResolvedLimits;

  /**
   * @param options - `indent` (default 4; 0 means 4; negative is an error) and the input limits
   * @throws SecretsError USAGE for a negative indentation or invalid limits
   */
  constructor(options: StoreOptions = {}) {
    const indent = options.indent ?? 0;
    if (!Number.isSafeInteger(indent)) throw new SecretsError('USAGE', `the YAML indentation must be an integer, got ${JSON.stringify(indent)}`);
    // sops stores/yaml getIndentation: "YAML Negative indentation not accepted"
    if (indent < 0) throw new SecretsError('USAGE', 'a negative YAML indentation is not accepted');
    this.indent = indent === 0 ? YAML_DEFAULT_INDENT : indent;
    this.limits = resolveLimits(options);
  }

  /**
   * Parses a plaintext YAML stream: one branch per document.
   *
   * @throws SecretsError SOPS_FORMAT_INVALID for invalid YAML, non-mapping documents, duplicate or
   *   non-string keys; LIMIT_EXCEEDED for oversized, too deeply nested or alias-bomb input
   */
  loadPlain(bytes: Uint8Array): Document {
    checkInputSize(bytes, this.limits);
    const text = decodeYamlText(bytes);
    // The common subset first; everything else (and every error) is the full reader's.
    return loadYamlFast(text, this.limits.maxDepth) ?? loadYamlFull(text, this.limits);
  }

  /**
   * Parses an encrypted YAML file: the `sops` mapping of the first document is returned as `metadata` and
   * removed from every document.
   *
   * @throws SecretsError SOPS_METADATA_NOT_FOUND without a `sops` key, plus the errors of {@link loadPlain}
   */
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode; metadataOffset?: number } {
    checkInputSize(bytes, this.limits);
    const text = decodeYamlText(bytes);
    const positions: FastPositions = { sopsStart: -1 };
    const fast = loadYamlFast(text, this.limits.maxDepth, positions);
    const loaded = extractNestedMetadata(fast ?? loadYamlFull(text, this.limits));
    if (fast === null || positions.sopsStart < 0 || bytes[0] === 0xff || bytes[0] === 0xfe) return loaded; // UTF-16: no byte offsets
    // In bytes: the text is the UTF-8 input minus a byte order mark; all ASCII when the lengths agree.
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const prefix = text.slice(0, positions.sopsStart);
    return { ...loaded, metadataOffset: bom + (text.length === bytes.length - bom ? prefix.length : Buffer.byteLength(prefix, 'utf8')) };
  }

  /** Writes documents as sops' YAML store does (go-yaml v3 encoder, `---` between documents). */
  emitPlain(doc: Document): Uint8Array {
    return encodePages(guardStack(() => emitYamlDocuments(doc, this.indent)));
  }

  /**
   * Writes an encrypted file: `sops: <metadata>` is appended as the last key of every document.
   *
   * @throws SecretsError SOPS_VALUE_INVALID if a document already has a `sops` key
   */
  emitEncrypted(doc: Document, metadata: MapNode): Uint8Array {
    const block = doc.branches.length === 1 ? emitSopsBlock(metadata, this.indent) : null;
    if (block === null) return this.emitPlain(insertNestedMetadata(doc, metadata));
    // The block has sops' usual shape: written directly (yaml-sops-block.ts), after the data written with
    // a one-line stand-in block cut off. go-yaml writes a top-level key the same whatever its siblings
    // (the rekey splice relies on it too, property-tested), so this is the full emit's text.
    const data = doc.branches[0] as MapNode;
    if (data.items.length === 0) return new TextEncoder().encode(block);
    // Data of string values and mappings only (every encrypted file whose values are ENC[...] strings):
    // written directly as well, with the general emitter's decisions (property-tested).
    const direct = emitDataDirect(data, this.indent);
    if (direct !== null) return new TextEncoder().encode(direct + block);
    const withStub = this.emitPlain(insertNestedMetadata(doc, STUB_BLOCK));
    const stub = new TextEncoder().encode(emitSopsBlock(STUB_BLOCK, this.indent) as string);
    const cut = withStub.length - stub.length;
    if (cut < 1 || withStub[cut - 1] !== 0x0a || !Buffer.from(withStub.buffer, withStub.byteOffset + cut, stub.length).equals(stub)) {
      return this.emitPlain(insertNestedMetadata(doc, metadata));
    }
    const text = new TextEncoder().encode(block);
    const out = new Uint8Array(cut + text.length);
    out.set(withStub.subarray(0, cut));
    out.set(text, cut);
    return out;
  }

  /** Writes one value as a YAML document (`yaml.Marshal`, so always indented by 4, as sops does). */
  emitValue(value: Value): Uint8Array {
    return encodePages(guardStack(() => emitYamlValue(value)));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** go-yaml reads UTF-8 (BOM skipped) and UTF-16 with a BOM; anything else must be valid UTF-8. */
function decodeYamlText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    try {
      return new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(bytes.subarray(2));
    } catch (e) {
      throw formatError('the YAML input is not valid UTF-16', { cause: e });
    }
  }
  const text = decodeUtf8(bytes, 'YAML input');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}
