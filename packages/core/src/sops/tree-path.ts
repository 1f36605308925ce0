/**
 * Tree paths as sops spells them for `--extract`, `set` and `unset` (`cmd/sops/main.go`
 * `parseTreePath`), and the three operations on the first document (`sops.go` `Truncate`, `Set`,
 * `Unset`), as pure functions returning new trees.
 *
 * Syntax: the text is split on `[`; every part must end with `]`; a part starting with `"` or `'` is a
 * mapping key (its first and last characters are dropped), anything else a list index (Go `Atoi`).
 * Keys containing `[` cannot be written, as in sops. Where sops would crash (`[]`, `["]`, a negative
 * index) the path is refused instead.
 *
 * One deliberate difference: list indexes count values only. sops counts comment items of a list too,
 * so on a YAML list with a comment `[0]` could name the comment; here it names the first value.
 */
import { SecretsError } from '../errors.js';
import type { Comment, Document, Entry, MapNode, TreePath, Value } from './tree.js';

const PATH_HINT = 'write it like \'["app"]["db"][0]\': quoted keys, bare list indexes';

/**
 * Parses `["a"]['b'][0]`.
 *
 * @param text - the path as typed; `""` is the empty path (the whole document)
 * @returns keys (strings) and indexes (numbers)
 * @throws SecretsError SOPS_TREE_PATH_INVALID
 */
export function parseTreePath(text: string): TreePath {
  const bad = (why: string): SecretsError => new SecretsError('SOPS_TREE_PATH_INVALID', `invalid tree path ${JSON.stringify(text)}: ${why}`, { hints: [PATH_HINT] });
  const path: (string | number)[] = [];
  for (const raw of text.split('[')) {
    if (raw === '') continue;
    if (!raw.endsWith(']')) throw bad(`component ${JSON.stringify(raw)} does not end with ]`);
    const part = raw.slice(0, -1);
    if (part === '') throw bad('empty component []');
    if (part[0] === '"' || part[0] === "'") {
      if (part.length < 2) throw bad(`unterminated key ${JSON.stringify(part)}`);
      path.push(part.slice(1, -1));
      continue;
    }
    // Go strconv.Atoi: optional sign, decimal digits, int64.
    if (!/^[+-]?\d+$/.test(part)) throw bad(`component ${JSON.stringify(part)} is neither a quoted key nor an index`);
    const index = BigInt(part);
    if (index < 0n) throw bad(`negative index ${part}`);
    if (index > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`index ${part} is too large`);
    path.push(Number(index));
  }
  return path;
}

/**
 * Formats a path in sops' syntax.
 *
 * @param path - keys and indexes
 * @returns e.g. `["app"]["db"][0]`
 */
export function formatTreePath(path: TreePath): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`)).join('');
}

function describeKind(value: Value | undefined): string {
  if (value === undefined) return 'missing';
  return value.kind === 'map' ? 'a mapping' : value.kind === 'seq' ? 'a list' : `a ${value.kind}`;
}

/** Index of the n-th non-comment item of a list, or -1. */
function itemIndex(items: readonly (Value | Comment)[], n: number): number {
  let seen = 0;
  for (const [i, item] of items.entries()) {
    if (item.kind === 'comment') continue;
    if (seen === n) return i;
    seen++;
  }
  return -1;
}

function entryIndex(map: MapNode, key: string): number {
  return map.items.findIndex((i) => i.kind === 'entry' && i.key === key);
}

/**
 * The value at a path in the first document (`--extract`).
 *
 * @param doc - the tree
 * @param path - from {@link parseTreePath}; empty for the whole first document
 * @returns the value (the first of duplicate keys, as in sops)
 * @throws SecretsError SOPS_KEY_NOT_FOUND naming the first component that is not there
 */
export function getAtPath(doc: Document, path: TreePath): Value {
  let node: Value | undefined = doc.branches[0];
  if (node === undefined) throw new SecretsError('SOPS_KEY_NOT_FOUND', 'the file has no document');
  for (const [i, part] of path.entries()) {
    const where = formatTreePath(path.slice(0, i + 1));
    let next: Value | undefined;
    if (typeof part === 'string') {
      if (node.kind !== 'map') throw new SecretsError('SOPS_KEY_NOT_FOUND', `component ${where} not found: ${formatTreePath(path.slice(0, i)) || 'the document'} is ${describeKind(node)}, not a mapping`);
      const at = entryIndex(node, part);
      next = at < 0 ? undefined : (node.items[at] as Entry).value;
    } else {
      if (node.kind !== 'seq') throw new SecretsError('SOPS_KEY_NOT_FOUND', `component ${where} not found: ${formatTreePath(path.slice(0, i)) || 'the document'} is ${describeKind(node)}, not a list`);
      const at = itemIndex(node.items, part);
      next = at < 0 ? undefined : (node.items[at] as Value);
    }
    if (next === undefined) throw new SecretsError('SOPS_KEY_NOT_FOUND', `component ${where} not found`);
    node = next;
  }
  return node;
}

/**
 * Deep equality of tree values, as sops' `equals` decides whether `set` changed anything (Go `==` on
 * leaves: NaN differs from itself; comments compare by text).
 *
 * @param a - a value, entry or comment
 * @param b - another
 * @returns whether they are equal
 */
export function valuesEqual(a: Value | Comment | Entry, b: Value | Comment | Entry): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'map':
    case 'seq': {
      const items = (b as MapNode).items;
      return a.items.length === items.length && a.items.every((item, i) => valuesEqual(item, items[i] as Value | Comment | Entry));
    }
    case 'entry':
      return a.key === (b as Entry).key && valuesEqual(a.value, (b as Entry).value);
    case 'comment':
      return a.text === (b as Comment).text;
    case 'null':
      return true;
    case 'bytes': {
      const other = (b as typeof a).value;
      return a.value.length === other.length && a.value.every((x, i) => x === other[i]);
    }
    default:
      return a.value === (b as typeof a).value;
  }
}

/** sops `valueFromPathAndLeaf`: the structure a missing path creates. */
function build(path: TreePath, leaf: Value): Value {
  let value = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i] as string | number;
    value = typeof part === 'number' ? { kind: 'seq', items: [value] } : { kind: 'map', items: [{ kind: 'entry', key: part, value }] };
  }
  return value;
}

function setIn(node: Value | undefined, path: TreePath, leaf: Value, done: TreePath): { value: Value; changed: boolean } {
  if (path.length === 0) return { value: leaf, changed: node === undefined || !valuesEqual(node, leaf) };
  const [part, ...rest] = path as [string | number, ...(string | number)[]];
  const here = [...done, part];
  if (typeof part === 'string' && node?.kind === 'map') {
    const at = entryIndex(node, part);
    // Missing keys are appended at the end of the mapping.
    if (at < 0) return { value: { kind: 'map', items: [...node.items, { kind: 'entry', key: part, value: build(rest, leaf) }] }, changed: true };
    const entry = node.items[at] as Entry;
    const sub = setIn(entry.value, rest, leaf, here);
    const items = [...node.items];
    items[at] = { ...entry, value: sub.value };
    return { value: { kind: 'map', items }, changed: sub.changed };
  }
  if (typeof part === 'number' && node?.kind === 'seq') {
    const at = itemIndex(node.items, part);
    // An index at or past the end appends.
    if (at < 0) return { value: { kind: 'seq', items: [...node.items, build(rest, leaf)] }, changed: true };
    const sub = setIn(node.items[at] as Value, rest, leaf, here);
    const items = [...node.items];
    items[at] = sub.value;
    return { value: { kind: 'seq', items }, changed: sub.changed };
  }
  if (node?.kind === 'map' || node?.kind === 'seq') {
    throw new SecretsError('SOPS_TREE_PATH_INVALID', `cannot set ${formatTreePath(here)}: ${formatTreePath(done) || 'the document'} is ${describeKind(node)}`);
  }
  // A scalar (or nothing) in the way is replaced by the structure the path describes, as in sops.
  const value = build(path, leaf);
  return { value, changed: node === undefined || !valuesEqual(node, value) };
}

/**
 * Sets the value at a path in the first document (`sops set`), creating what is missing: missing
 * keys are appended at the end of their mapping, an index at or past the end of a list appends, and a
 * scalar in the way is replaced.
 *
 * Whether anything changed (sops `--idempotent`) is {@link setAtPathChanged}.
 *
 * @param doc - the tree (not modified)
 * @param path - non-empty, from {@link parseTreePath}
 * @param value - the new value
 * @returns the new tree
 * @throws SecretsError SOPS_TREE_PATH_INVALID for an empty path, or a path that does not fit the tree
 *   (a key on a list, an index on a mapping)
 */
export function setAtPath(doc: Document, path: TreePath, value: Value): Document {
  return setAtPathChanged(doc, path, value).document;
}

/**
 * {@link setAtPath}, also telling whether the tree changed (sops `set` returns the same flag, which
 * `--idempotent` uses to skip the write).
 *
 * @param doc - the tree (not modified)
 * @param path - non-empty, from {@link parseTreePath}
 * @param value - the new value
 * @returns the new tree, and whether anything changed
 * @throws SecretsError SOPS_TREE_PATH_INVALID as {@link setAtPath}
 */
export function setAtPathChanged(doc: Document, path: TreePath, value: Value): { document: Document; changed: boolean } {
  if (path.length === 0) throw new SecretsError('SOPS_TREE_PATH_INVALID', 'cannot set the whole document: the path is empty', { hints: [PATH_HINT] });
  const root: MapNode = doc.branches[0] ?? { kind: 'map', items: [] };
  const result = setIn(root, path, value, []);
  if (result.value.kind !== 'map') throw new SecretsError('SOPS_TREE_PATH_INVALID', `cannot set ${formatTreePath(path)}: the document is a mapping`);
  return { document: { branches: [result.value, ...doc.branches.slice(1)] }, changed: result.changed };
}

function unsetIn(node: Value, path: TreePath, done: TreePath): Value {
  const [part, ...rest] = path as [string | number, ...(string | number)[]];
  const here = [...done, part];
  if (typeof part === 'string') {
    if (node.kind !== 'map') throw new SecretsError('SOPS_KEY_NOT_FOUND', `key not found: ${formatTreePath(here)} (${formatTreePath(done) || 'the document'} is ${describeKind(node)})`);
    const at = entryIndex(node, part);
    if (at < 0) throw new SecretsError('SOPS_KEY_NOT_FOUND', `key not found: ${formatTreePath(here)}`);
    const items = [...node.items];
    if (rest.length === 0) items.splice(at, 1);
    else items[at] = { ...(items[at] as Entry), value: unsetIn((items[at] as Entry).value, rest, here) };
    return { kind: 'map', items };
  }
  if (node.kind !== 'seq') throw new SecretsError('SOPS_KEY_NOT_FOUND', `index out of bounds: ${formatTreePath(here)} (${formatTreePath(done) || 'the document'} is ${describeKind(node)})`);
  const at = itemIndex(node.items, part);
  if (at < 0) throw new SecretsError('SOPS_KEY_NOT_FOUND', `index out of bounds: ${formatTreePath(here)}`);
  const items = [...node.items];
  if (rest.length === 0) items.splice(at, 1);
  else items[at] = unsetIn(items[at] as Value, rest, here);
  return { kind: 'seq', items };
}

/**
 * Removes the value at a path in the first document (`sops unset`). Comments stay.
 *
 * @param doc - the tree (not modified)
 * @param path - non-empty, from {@link parseTreePath}
 * @returns the new tree
 * @throws SecretsError SOPS_KEY_NOT_FOUND (`key not found` / `index out of bounds`; sops
 *   `--idempotent` ignores these), SOPS_TREE_PATH_INVALID for an empty path
 */
export function unsetAtPath(doc: Document, path: TreePath): Document {
  if (path.length === 0) throw new SecretsError('SOPS_TREE_PATH_INVALID', 'cannot unset the whole document: the path is empty', { hints: [PATH_HINT] });
  const root = doc.branches[0];
  if (root === undefined) throw new SecretsError('SOPS_KEY_NOT_FOUND', `key not found: ${formatTreePath(path.slice(0, 1))}`);
  return { branches: [unsetIn(root, path, []) as MapNode, ...doc.branches.slice(1)] };
}
