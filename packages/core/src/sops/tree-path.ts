/**
 * Tree paths as sops spells them for `--extract`, `set` and `unset` (cmd/sops/main.go parseTreePath):
 * `["key"]['other'][0]` — quoted parts are mapping keys, bare parts list indexes.
 */
import { SecretsError } from '../errors.js';
import type { Document, MapNode, TreePath, Value } from './tree.js';

/**
 * Parses `["a"]["b"][0]`.
 *
 * @throws SecretsError SOPS_TREE_PATH_INVALID
 */
export function parseTreePath(text: string): TreePath {
  const bad = (): SecretsError =>
    new SecretsError('SOPS_TREE_PATH_INVALID', `invalid tree path ${JSON.stringify(text)}`, { hints: ['write it like \'["app"]["db"][0]\': quoted keys, bare list indexes'] });
  if (!text.startsWith('[')) throw bad();
  const parts = text.split('[').slice(1);
  return parts.map((part) => {
    if (!part.endsWith(']')) throw bad();
    const inner = part.slice(0, -1);
    const q = inner[0];
    if ((q === '"' || q === "'") && inner.length >= 2 && inner.endsWith(q)) return inner.slice(1, -1);
    if (!/^\d+$/.test(inner)) throw bad();
    return Number(inner);
  });
}

function describe(path: TreePath, upTo: number): string {
  return path
    .slice(0, upTo + 1)
    .map((p) => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`))
    .join('');
}

/**
 * The value at a path in the first document.
 *
 * @throws SecretsError SOPS_KEY_NOT_FOUND naming the first missing component
 */
export function getAtPath(doc: Document, path: TreePath): Value {
  let node: Value | undefined = doc.branches[0];
  if (!node) throw new SecretsError('SOPS_KEY_NOT_FOUND', 'the file has no document');
  for (const [i, part] of path.entries()) {
    let next: Value | undefined;
    if (typeof part === 'string' && node.kind === 'map') {
      for (const item of (node as MapNode).items) if (item.kind === 'entry' && item.key === part) next = item.value;
    } else if (typeof part === 'number' && node.kind === 'seq') {
      next = node.items.filter((it) => it.kind !== 'comment')[part] as Value | undefined;
    }
    if (next === undefined) throw new SecretsError('SOPS_KEY_NOT_FOUND', `component ${describe(path, i)} not found`);
    node = next;
  }
  return node;
}

/**
 * Sets the value at a path in the first document, returning a new document (sops set semantics:
 * missing mapping keys are created and appended, an index at or past the end appends).
 *
 * @throws SecretsError SOPS_TREE_PATH_INVALID when the path runs through a scalar or a wrong container
 */
export function setAtPath(doc: Document, path: TreePath, value: Value): Document {
  if (path.length === 0) throw new SecretsError('SOPS_TREE_PATH_INVALID', 'the path is empty');
  const root = doc.branches[0] ?? ({ kind: 'map', items: [] } as MapNode);
  const next = setIn(root, path, 0, value) as MapNode;
  return { branches: [next, ...doc.branches.slice(1)] };
}

function setIn(node: Value | undefined, path: TreePath, i: number, value: Value): Value {
  if (i === path.length) return value;
  const part = path[i] as string | number;
  if (typeof part === 'string') {
    const map: MapNode = node?.kind === 'map' ? node : node === undefined ? { kind: 'map', items: [] } : fail(path, i, 'is not a mapping');
    let found = false;
    const items = map.items.map((item) => {
      if (item.kind !== 'entry' || item.key !== part || found) return item;
      found = true;
      return { ...item, value: setIn(item.value, path, i + 1, value) };
    });
    if (!found) items.push({ kind: 'entry', key: part, value: setIn(undefined, path, i + 1, value) });
    return { kind: 'map', items };
  }
  const seq = node?.kind === 'seq' ? node : node === undefined ? { kind: 'seq' as const, items: [] } : fail(path, i, 'is not a list');
  const values = seq.items.filter((it) => it.kind !== 'comment');
  if (part >= values.length) return { kind: 'seq', items: [...seq.items, setIn(undefined, path, i + 1, value)] };
  let n = -1;
  return { kind: 'seq', items: seq.items.map((it) => (it.kind === 'comment' || ++n !== part ? it : setIn(it, path, i + 1, value))) };
}

function fail(path: TreePath, i: number, what: string): never {
  throw new SecretsError('SOPS_TREE_PATH_INVALID', `${describe(path, i - 1) || 'the document'} ${what}`);
}

/**
 * Removes the value at a path in the first document, returning a new document.
 *
 * @throws SecretsError SOPS_KEY_NOT_FOUND (`key not found` / `index out of bounds`, as sops says)
 */
export function unsetAtPath(doc: Document, path: TreePath): Document {
  if (path.length === 0) throw new SecretsError('SOPS_TREE_PATH_INVALID', 'the path is empty');
  const root = doc.branches[0];
  if (!root) throw new SecretsError('SOPS_KEY_NOT_FOUND', 'the file has no document');
  return { branches: [unsetIn(root, path, 0) as MapNode, ...doc.branches.slice(1)] };
}

function unsetIn(node: Value, path: TreePath, i: number): Value {
  const part = path[i] as string | number;
  const last = i === path.length - 1;
  if (typeof part === 'string') {
    if (node.kind !== 'map') throw new SecretsError('SOPS_KEY_NOT_FOUND', `key not found: ${JSON.stringify(part)}`);
    const index = node.items.findIndex((it) => it.kind === 'entry' && it.key === part);
    if (index < 0) throw new SecretsError('SOPS_KEY_NOT_FOUND', `key not found: ${JSON.stringify(part)}`);
    const entry = node.items[index] as { kind: 'entry'; key: string; value: Value };
    const items = last ? node.items.filter((_, n) => n !== index) : node.items.map((it, n) => (n === index ? { ...entry, value: unsetIn(entry.value, path, i + 1) } : it));
    return { kind: 'map', items };
  }
  if (node.kind !== 'seq') throw new SecretsError('SOPS_KEY_NOT_FOUND', `index ${part} out of bounds`);
  const positions = node.items.map((it, n) => (it.kind === 'comment' ? -1 : n)).filter((n) => n >= 0);
  const at = positions[part];
  if (at === undefined) throw new SecretsError('SOPS_KEY_NOT_FOUND', `index ${part} out of bounds`);
  const items = last ? node.items.filter((_, n) => n !== at) : node.items.map((it, n) => (n === at ? unsetIn(it as Value, path, i + 1) : it));
  return { kind: 'seq', items };
}
