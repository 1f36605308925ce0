/**
 * The `sops:` block of a YAML file written directly, for the shape sops gives it: a mapping of one-line
 * strings and of lists of mappings of strings (`age:` keys: `enc` armored, `recipient`), at sops'
 * default indentation of 4. `rekey` writes one block per file and nothing else; the general emitter
 * (`yaml-emitter.ts`, go-yaml's event machine) costs most of that.
 *
 * It is an accelerator, not a second emitter: every scalar's style is the general emitter's own decision
 * ({@link stringStyle}), the layout is go-yaml's for these shapes (block mapping at 4, sequence items at
 * 8 with the mapping after `- `, a literal's lines 4 deeper than its mapping's indentation), and anything
 * else (another indentation, numbers, booleans, nested mappings, comments, empty lists, multi-line
 * strings other than plain armor lines, escapes) gives null: then the general emitter writes it. A
 * property test compares both on generated blocks.
 *
 * Internal to the library: not exported from the package entry.
 */
import type { MapNode, Value } from '../tree.js';
import { isWellFormed } from './common.js';
import { stringStyle } from './yaml-events.js';

/** The indentation handled: sops' default. */
const INDENT = 4;
/** Characters the double-quoted writer would escape, or that this writer does not handle at all. */
const UNSAFE = /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]|[\ufeff\u2028\u2029"\\]/;
/** A literal block this writer handles: non-empty lines without edge blanks, one final newline. */
const LITERAL = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?\n)+$/;

/**
 * Shapes whose style is known without analysing them (rekey writes one block per file, and analysing
 * each `enc` armor and `mac` cost most of the block): an age armor (base64 lines, no blank, no edge
 * space: go-yaml allows a literal block) and a sops `ENC[...]` value (no `: `, ` #`, leading indicator
 * or blank: plain in block context). ASCII only, so well-formed. The property test checks both against
 * {@link stringStyle}.
 */
const ARMOR = /^-----BEGIN AGE ENCRYPTED FILE-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END AGE ENCRYPTED FILE-----\n$/;
const ENC_VALUE = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;

/** {@link inline} of short strings: keys, recipients and versions repeat in every file of a repository. */
const inlineMemo = new Map<string, string | null>();
const MEMO_MAX_LENGTH = 128;
const MEMO_MAX_ENTRIES = 4096;

/** `key: |` and the value's lines at `literalAt` (a value that ends in one newline, as LITERAL and ARMOR require). */
const literalPair = (k: string, v: string, literalAt: string): string => `${k}: |\n${literalAt}${v.slice(0, -1).replaceAll('\n', `\n${literalAt}`)}\n`;

/** A one-line scalar as the general emitter writes it, or null. */
function inline(s: string): string | null {
  if (s.length > MEMO_MAX_LENGTH) return inlineOnce(s);
  let text = inlineMemo.get(s);
  if (text === undefined) {
    text = inlineOnce(s);
    if (inlineMemo.size >= MEMO_MAX_ENTRIES) inlineMemo.clear();
    inlineMemo.set(s, text);
  }
  return text;
}

function inlineOnce(s: string): string | null {
  // `<<` is written with go-yaml's merge tag (`!!merge <<`): the general emitter's.
  if (UNSAFE.test(s) || s.includes('\n') || s === '<<') return null;
  switch (stringStyle(s)) {
    case 'plain':
      return s;
    case 'single':
      return `'${s.replaceAll("'", "''")}'`;
    case 'double':
      return `"${s}"`;
    default:
      return null;
  }
}

/** `key: value` (a literal block's lines at `literalAt`), or null. */
function pair(key: string, value: Value, literalAt: string): string | null {
  // go-yaml writes a key longer than 128 bytes as a complex key (`? key`): not handled here.
  const k = key.length <= 64 ? inline(key) : null;
  if (k === null || value.kind !== 'string') return null;
  const v = value.value;
  if (ARMOR.test(v)) return literalPair(k, v, literalAt);
  if (ENC_VALUE.test(v)) return `${k}: ${v}\n`;
  if (!isWellFormed(v)) return null;
  if (v.includes('\n')) {
    if (!LITERAL.test(v) || stringStyle(v) !== 'literal') return null;
    return literalPair(k, v, literalAt);
  }
  const text = inline(v);
  return text === null ? null : `${k}: ${text}\n`;
}

/**
 * The text `emitEncrypted` gives for an empty document with this block, when the block has a shape this
 * writer handles.
 *
 * @param block - the `sops` mapping
 * @param indent - the store's indentation
 * @returns `sops:` and the block, or null for the general emitter
 * @internal
 */
export function emitSopsBlock(block: MapNode, indent: number): string | null {
  if (indent !== INDENT || block.items.length === 0) return null;
  const out = ['sops:\n'];
  const one = ' '.repeat(INDENT);
  for (const item of block.items) {
    if (item.kind !== 'entry' || !isWellFormed(item.key)) return null;
    const value = item.value;
    if (value.kind === 'string') {
      const line = pair(item.key, value, one + one);
      if (line === null) return null;
      out.push(one, line);
      continue;
    }
    const key = item.key.length <= 64 ? inline(item.key) : null;
    if (key === null || value.kind !== 'seq' || value.items.length === 0) return null;
    out.push(one, key, ':\n');
    for (const element of value.items) {
      if (element.kind !== 'map' || element.items.length === 0) return null;
      for (const [i, entry] of element.items.entries()) {
        if (entry.kind !== 'entry' || !isWellFormed(entry.key)) return null;
        const line = pair(entry.key, entry.value, one.repeat(3));
        if (line === null) return null;
        out.push(i === 0 ? `${one}${one}- ` : `${one}${one}  `, line);
      }
    }
  }
  return out.join('');
}

/** Nesting handled by {@link emitDataDirect}; deeper data is the general emitter's. */
const MAX_DIRECT_DEPTH = 16;

function mappingLines(map: MapNode, pad: string, depth: number, out: string[]): boolean {
  if (depth > MAX_DIRECT_DEPTH || map.items.length === 0) return false;
  const one = ' '.repeat(INDENT);
  for (const item of map.items) {
    if (item.kind !== 'entry' || !isWellFormed(item.key)) return false;
    const value = item.value;
    if (value.kind === 'map') {
      const key = item.key.length <= 64 ? inline(item.key) : null;
      if (key === null) return false;
      out.push(pad, key, ':\n');
      if (!mappingLines(value, pad + one, depth + 1, out)) return false;
      continue;
    }
    const line = pair(item.key, value, pad + one);
    if (line === null) return false;
    out.push(pad, line);
  }
  return true;
}

/**
 * The text the general emitter gives for a document's data (its one top-level mapping, without the
 * `sops` block) when it is made of string values and non-empty mappings only, with the same scalar
 * decisions as {@link emitSopsBlock}: what `rekey --rotate` and `set` write after encrypting a file
 * whose values are all `ENC[...]` strings.
 *
 * @param data - the top-level mapping
 * @param indent - the store's indentation
 * @returns the lines, or null for the general emitter (other shapes, comments, a `sops` key)
 * @internal
 */
export function emitDataDirect(data: MapNode, indent: number): string | null {
  if (indent !== INDENT || data.items.some((i) => i.kind === 'entry' && i.key === 'sops')) return null;
  const out: string[] = [];
  return mappingLines(data, '', 0, out) ? out.join('') : null;
}
