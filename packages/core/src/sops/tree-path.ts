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
