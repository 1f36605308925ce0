/**
 * Text splices on a `.sops.yaml`, located through the YAML document's source ranges: add or drop one item
 * of a list (block `- x`, flow `[x, y]`, or sops' comma-separated string `a, b`), add an `age:` list to a
 * mapping, a `keys:` block to the file. Every splice touches only the lines that change; the layout,
 * comments and styles of everything else stay byte for byte.
 */
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq } from '../sops/stores/yaml-lib.js';
import { SecretsError } from '../errors.js';

/** A replacement of `remove` characters at offset `at` by `insert`. */
export interface Splice {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

/** Applies non-overlapping splices (any order). */
export function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.insert + out.slice(s.at + s.remove);
  return out;
}

/** Where the line holding `offset` starts. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Where the line holding `offset` ends: its `\n` (its `\r\n` in a CRLF file), or the end of the text. */
export function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  if (end < 0) return text.length;
  return end > offset && text[end - 1] === '\r' ? end - 1 : end;
}

/** Where the line after the one holding `offset` starts (the end of the text on the last line). */
export function nextLineStart(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end + 1;
}

/**
 * Splices written with `\n` as the file's own line ending: `\r\n` when it uses that (sops and git on
 * Windows), so an edit never mixes the two.
 */
export function withLineEnding(text: string, splices: readonly Splice[]): Splice[] {
  if (!text.includes('\r\n')) return [...splices];
  return splices.map((s) => ({ ...s, insert: s.insert.replace(/\n/g, '\r\n') }));
}

/** The column of `offset` (a byte order mark before the first line is not a column). */
function column(text: string, offset: number): number {
  const begin = lineStart(text, offset);
  return offset - begin - (begin === 0 && text.startsWith('\uFEFF') && offset > 0 ? 1 : 0);
}

/** A scalar's value as text (sops reads key fields as strings); '' for null and anything not a scalar. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}

/** The error for a form the in-place editor does not handle: better no edit than a rewritten file. */
export function notInPlace(text: string, offset: number, what: string): SecretsError {
  const line = text.slice(0, offset).split('\n').length;
  return new SecretsError('CONFIG_INVALID', `cannot edit .sops.yaml in place: ${what} (line ${line})`, {
    hints: ['make the change by hand, or write the list as a block list (one `- item` per line)'],
  });
}

/** The offset just after the last character of a node's content (a block scalar's final newline excluded). */
export function contentEnd(text: string, node: Node): number {
  if (isCollection(node) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    const inner = isPair(last) ? ((last.value as Node | null) ?? (last.key as Node)) : (last as Node);
    if (inner.range && !(isScalar(inner) && inner.range[0] === inner.range[1])) return contentEnd(text, inner);
    if (isPair(last) && (last.key as Node | null)?.range) return contentEnd(text, last.key as Node);
  }
  if (!node.range) throw notInPlace(text, 0, 'a node without a source position');
  let end = node.range[1];
  while (end > node.range[0] && /\s/.test(text[end - 1] as string)) end--;
  return end;
}

/**
 * How far a block list sits right of its key in this file (`key:\n  - a` is 2, `key:\n- a` is 0): the
 * first one found, else 2 (what sops and the sops-nix README write).
 */
export function sequenceOffset(doc: Document, text: string): number {
  let found: number | undefined;
  const visit = (node: unknown): void => {
    if (found !== undefined) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        if (isSeq(value) && !value.flow && value.range && key?.range && lineStart(text, value.range[0]) > key.range[0]) {
          found = column(text, value.range[0]) - column(text, key.range[0]);
          return;
        }
        visit(value);
      }
    } else if (isSeq(node)) node.items.forEach(visit);
  };
  visit(doc.contents);
  return found !== undefined && found >= 0 ? found : 2;
}

/** The `- ` (or `-   `) a block list writes before each item, read from its first item. */
function itemPrefix(text: string, seq: YAMLSeq): string {
  const dash = (seq.range as [number, number, number])[0];
  if (text[dash] !== '-') throw notInPlace(text, dash, 'a list whose first item is not where expected');
  const gap = /^-( +)\S/.exec(text.slice(dash, lineEnd(text, dash)))?.[1] ?? ' ';
  return `${' '.repeat(column(text, dash))}-${gap}`;
}

/** Adds `item` (source text, e.g. `*server_x` or `&server_x age1…`) after the last item of a list node. */
export function appendToList(text: string, list: YAMLSeq, item: string): Splice {
  if (!list.range) throw notInPlace(text, 0, 'a list without a source position');
  if (list.flow) {
    const last = list.items[list.items.length - 1] as Node | undefined;
    if (!last) {
      const open = text.indexOf('[', list.range[0]);
      return { at: open + 1, remove: 0, insert: item };
    }
    const first = list.items[0] as Node;
    const second = list.items[1] as Node | undefined;
    const sameLine = second?.range && lineStart(text, itemStart(text, second)) === lineStart(text, contentEnd(text, first));
    const sep = sameLine ? text.slice(contentEnd(text, first), itemStart(text, second)) : ', ';
    return { at: contentEnd(text, last), remove: 0, insert: `${sep.includes(',') ? sep : ', '}${item}` };
  }
  if (list.items.length === 0) throw notInPlace(text, list.range[0], 'an empty block list');
  return { at: lineEnd(text, contentEnd(text, list)), remove: 0, insert: `\n${itemPrefix(text, list)}${item}` };
}

/** Where a flow item's text begins: its anchor or tag when it has one. */
function itemStart(text: string, node: Node): number {
  const begin = (node.range as [number, number, number])[0];
  let at = begin;
  while (at > 0 && !/[[,]/.test(text[at - 1] as string)) at--;
  while (at < begin && /\s/.test(text[at] as string)) at++;
  return at;
}

/** Removes one item of a list: its whole line in a block list, the item and one comma in a flow list. */
export function removeFromList(text: string, list: YAMLSeq, node: Node): Splice {
  if (!node.range || !list.range) throw notInPlace(text, 0, 'a list item without a source position');
  if (list.flow) {
    const start = itemStart(text, node);
    const end = contentEnd(text, node);
    const after = /^\s*,[ \t]*/.exec(text.slice(end))?.[0];
    if (after !== undefined) return { at: start, remove: end + after.length - start, insert: '' };
    const before = /[ \t]*,\s*$/.exec(text.slice(list.range[0], start))?.[0] ?? '';
    return { at: start - before.length, remove: end - start + before.length, insert: '' };
  }
  const begin = lineStart(text, node.range[0]);
  const end = lineEnd(text, contentEnd(text, node));
  const dash = text.indexOf('-', begin);
  const own = column(text, dash) === column(text, list.range[0]) && /^\s*$/.test(text.slice(begin, dash)) && /^\s*(#.*)?$/.test(text.slice(contentEnd(text, node), end));
  if (!own || lineStart(text, node.range[0]) !== lineStart(text, dash)) throw notInPlace(text, node.range[0], 'a list item that shares its line with other content');
  return { at: begin, remove: nextLineStart(text, end) - begin, insert: '' };
}

/** The items of sops' comma-separated key string, as written: `a, b` or a folded block of `a,` lines. */
function commaSeparator(source: string): string {
  return /,[ \t]+\S/.test(source) || !source.includes(',') ? ', ' : ',';
}

/** Adds a recipient to a comma-separated string value, keeping its style (one line, or one per line). */
export function appendToString(text: string, scalar: Scalar, recipient: string): Splice {
  const range = scalar.range as [number, number, number];
  const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE';
  const source = text.slice(range[0], range[1]);
  if (scalar.type === 'BLOCK_FOLDED' || scalar.type === 'BLOCK_LITERAL' || source.includes('\n')) {
    // One recipient per line (`age: >-` then `  a,` lines): the last line gets its comma, a new line follows.
    let last = quoted ? range[1] - 1 : contentEnd(text, scalar);
    while (last > range[0] && /\s/.test(text[last - 1] as string)) last--;
    const lineBegin = lineStart(text, last - 1);
    const indent = /^ */.exec(text.slice(lineBegin))?.[0] ?? '';
    return { at: last, remove: 0, insert: `${text[last - 1] === ',' ? '' : ','}\n${indent}${recipient}` };
  }
  const at = quoted ? range[1] - 1 : contentEnd(text, scalar);
  const inner = text.slice(quoted ? range[0] + 1 : range[0], at);
  if (inner.trim() === '') return { at: quoted ? at : range[0], remove: 0, insert: recipient };
  const sep = commaSeparator(inner);
  return { at, remove: 0, insert: inner.trimEnd().endsWith(',') ? `${sep.slice(1)}${recipient}` : `${sep}${recipient}` };
}

/**
 * Removes every whole occurrence of a recipient from a comma-separated string value, with one comma.
 *
 * @returns the splices, none when the recipient is not in it
 */
export function removeFromString(text: string, scalar: Scalar, recipient: string): Splice[] {
  const range = scalar.range as [number, number, number];
  const splices: Splice[] = [];
  for (let at = text.indexOf(recipient, range[0]); at >= 0 && at + recipient.length <= range[1]; at = text.indexOf(recipient, at + recipient.length)) {
    const end = at + recipient.length;
    if (!/^[\s,"']?$/.test(text[at - 1] ?? '') || !/^[\s,"']?$/.test(text[end] ?? '')) continue;
    const before = text.slice(lineStart(text, at), at);
    const after = text.slice(end, lineEnd(text, end));
    if (/^\s*$/.test(before) && /^,?\s*$/.test(after)) {
      // its own line of a multi-line value: drop the line; when it was the last, the new last loses its comma
      const begin = lineStart(text, at);
      splices.push({ at: begin, remove: nextLineStart(text, end) - begin, insert: '' });
      if (!after.includes(',')) {
        const prev = text.slice(range[0], begin).trimEnd();
        if (prev.endsWith(',')) splices.push({ at: range[0] + prev.length - 1, remove: 1, insert: '' });
      }
      continue;
    }
    const next = /^[ \t]*,[ \t]*/.exec(after)?.[0];
    if (next !== undefined) {
      splices.push({ at, remove: recipient.length + next.length, insert: '' });
      continue;
    }
    const prev = /[ \t]*,[ \t]*$/.exec(before)?.[0] ?? '';
    splices.push({ at: at - prev.length, remove: recipient.length + prev.length, insert: '' });
  }
  return splices;
}

/** The value node of `key` in a block mapping, with the pair's key node. */
export function pairOf(map: YAMLMap, key: string): { key: Node; value: Node | null } | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair ? { key: pair.key as Node, value: (pair.value as Node | null) ?? null } : undefined;
}

/**
 * Gives a block mapping a `key:` holding a block list of one item: fills an empty `key:` (null, `~`, `""`)
 * or adds the pair after the mapping's last line.
 */
export function addListPair(text: string, map: YAMLMap, key: string, item: string, offset: number): Splice[] {
  if (map.flow || !map.range) throw notInPlace(text, map.range?.[0] ?? 0, `a flow mapping where ${key}: would go`);
  const existing = pairOf(map, key);
  if (existing) {
    const value = existing.value;
    if (value !== null && !(isScalar(value) && (value.value === null || value.value === '')) && !isAlias(value)) throw notInPlace(text, existing.key.range?.[0] ?? 0, `an unexpected ${key}: value`);
    if (isAlias(value)) throw notInPlace(text, value.range?.[0] ?? 0, `${key}: refers to an anchor`);
    const keyCol = column(text, (existing.key.range as [number, number, number])[0]);
    const splices: Splice[] = [];
    const keyLineEnd = lineEnd(text, (existing.key.range as [number, number, number])[0]);
    if (value?.range && value.range[1] > value.range[0]) {
      if (value.range[1] > keyLineEnd) throw notInPlace(text, value.range[0], `a ${key}: value on its own line`);
      splices.push({ at: value.range[0], remove: value.range[1] - value.range[0], insert: '' });
    }
    splices.push({ at: keyLineEnd, remove: 0, insert: `\n${' '.repeat(keyCol + offset)}- ${item}` });
    return splices;
  }
  const first = map.items[0]?.key as Node | undefined;
  if (!first?.range) throw notInPlace(text, map.range[0], 'an empty mapping');
  const keyCol = column(text, first.range[0]);
  return [{ at: lineEnd(text, contentEnd(text, map)), remove: 0, insert: `\n${' '.repeat(keyCol)}${key}:\n${' '.repeat(keyCol + offset)}- ${item}` }];
}

/**
 * A new top-level `keys:` block, written just above the first top-level key: below the file's header
 * comment, where the sops-nix README puts it (before `creation_rules:`).
 */
export function addKeysBlock(text: string, doc: Document, item: string, offset: number): Splice {
  const root = doc.contents as YAMLMap;
  const first = root.items[0]?.key as Node | undefined;
  // after a byte order mark, which must stay the first character
  const at = Math.max(lineStart(text, first?.range?.[0] ?? 0), text.startsWith('\uFEFF') ? 1 : 0);
  if (root.flow || !first?.range || first.range[0] !== at) throw notInPlace(text, 0, 'the top level is not a block mapping');
  return { at, remove: 0, insert: `keys:\n${' '.repeat(offset)}- ${item}\n` };
}
