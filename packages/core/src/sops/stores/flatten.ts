/**
 * Flattening of the `sops` metadata block for the flat stores (dotenv and INI), as sops
 * `stores/flatten.go` does it: a nested key path becomes one key, mapping levels joined with `__map_` and
 * list indexes with `__list_<n>` (`age__list_0__map_enc`).
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */

import { SecretsError } from '../../errors.js';
import type { MapNode, Scalar, SeqNode, Value, Entry } from '../tree.js';
import { compareGoStrings, depthError, formatError, type ResolvedLimits } from './common.js';

const MAP_SEPARATOR = '__map_';
const LIST_SEPARATOR = '__list_';

/** One flattened metadata entry. */
export interface FlatEntry {
  readonly key: string;
  readonly value: Scalar;
}

/**
 * Flattens a mapping depth-first in its own order, skipping comments; list indexes count non-comment items
 * only. Empty mappings and lists produce nothing (as in sops).
 *
 * @param prefix - prepended to every top-level key (`sops_` for dotenv, empty for INI)
 * @throws SOPS_METADATA_INVALID on a key collision (e.g. a key that itself contains `__map_`)
 */
export function flattenMetadata(map: MapNode, prefix: string): FlatEntry[] {
  const out: FlatEntry[] = [];
  const seen = new Set<string>();
  const visit = (value: Value, key: string): void => {
    if (value.kind === 'map') {
      for (const item of value.items) if (item.kind === 'entry') visit(item.value, key + MAP_SEPARATOR + item.key);
      return;
    }
    if (value.kind === 'seq') {
      let i = 0;
      for (const item of value.items) {
        if (item.kind === 'comment') continue;
        visit(item, `${key}${LIST_SEPARATOR}${i++}`);
      }
      return;
    }
    if (seen.has(key)) {
      throw new SecretsError('SOPS_METADATA_INVALID', `found key collision ${JSON.stringify(key)} while flattening metadata`);
    }
    seen.add(key);
    out.push({ key, value });
  };
  for (const item of map.items) if (item.kind === 'entry') visit(item.value, prefix + item.key);
  return out;
}

type Token = { readonly map: string } | { readonly index: number };

/** Go `strconv.Atoi` as sops calls it (`pos, _ := strconv.Atoi(…)`): 0 on a syntax error, clamped on overflow. */
function goAtoi(s: string): number {
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (!m) return 0;
  // Beyond 19 significant digits it is clamped anyway; BigInt() of a huge text is superlinear.
  const digits = m[2]!.replace(/^0+(?=\d)/, '');
  if (digits.length > 19) return m[1] === '-' ? Number(-(2n ** 63n)) : Number(2n ** 63n - 1n);
  const n = BigInt(m[1] === '-' ? `-${digits}` : digits);
  const max = 2n ** 63n - 1n;
  const min = -(2n ** 63n);
  const clamped = n > max ? max : n < min ? min : n;
  return Number(clamped);
}

function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let kind: 'plain' | 'map' | 'list' = 'plain';
  let start = 0;
  const finish = (end: number): void => {
    if (kind === 'list') tokens.push({ index: goAtoi(path.slice(start + LIST_SEPARATOR.length, end)) });
    else tokens.push({ map: path.slice(kind === 'map' ? start + MAP_SEPARATOR.length : start, end) });
    start = end;
  };
  let i = 0;
  while (i < path.length) {
    if (path.startsWith(MAP_SEPARATOR, i)) {
      finish(i);
      kind = 'map';
      i += MAP_SEPARATOR.length;
    } else if (path.startsWith(LIST_SEPARATOR, i)) {
      finish(i);
      kind = 'list';
      i += LIST_SEPARATOR.length;
    } else {
      i++;
    }
  }
  finish(path.length);
  return tokens;
}

interface Node {
  value?: Scalar;
  keys?: Map<string, Node>;
  indexes?: Map<number, Node>;
}

/**
 * Rebuilds the nested metadata mapping from flattened entries, as sops `unflattenTreeBranch` does: mapping
 * keys are sorted (Go byte order), lists must have indexes 0…n-1, and a path may not be both a value and a
 * container.
 *
 * @throws SOPS_METADATA_INVALID for duplicate paths, type mismatches or incomplete lists; LIMIT_EXCEEDED
 *   when a path is deeper than `limits.maxDepth`
 */
export function unflattenMetadata(entries: readonly FlatEntry[], limits: ResolvedLimits): MapNode {
  const root: Node = {};
  for (const { key, value } of entries) {
    const tokens = tokenize(key);
    // The metadata mapping sits at level 2 of a document (under `sops`).
    if (tokens.length + 1 > limits.maxDepth) throw depthError(limits, ' (in flattened metadata keys)');
    let node = root;
    for (const t of tokens) {
      if ('map' in t) {
        node.keys ??= new Map();
        let next = node.keys.get(t.map);
        if (!next) node.keys.set(t.map, (next = {}));
        node = next;
      } else {
        node.indexes ??= new Map();
        let next = node.indexes.get(t.index);
        if (!next) node.indexes.set(t.index, (next = {}));
        node = next;
      }
    }
    if (node.value) {
      throw new SecretsError('SOPS_METADATA_INVALID', `error while unflattening ${JSON.stringify(key)}: duplicate value`);
    }
    node.value = value;
  }
  const convert = (node: Node): Value => {
    const kinds = Number(node.value !== undefined) + Number((node.keys?.size ?? 0) > 0) + Number((node.indexes?.size ?? 0) > 0);
    if (kinds > 1) throw new SecretsError('SOPS_METADATA_INVALID', 'error while unflattening metadata: type mismatch');
    if (node.value) return node.value;
    if (node.indexes && node.indexes.size > 0) {
      const n = node.indexes.size;
      const items: Value[] = [];
      for (let i = 0; i < n; i++) {
        const child = node.indexes.get(i);
        if (!child) throw new SecretsError('SOPS_METADATA_INVALID', 'error while unflattening metadata: incomplete list');
        items.push(convert(child));
      }
      return { kind: 'seq', items } satisfies SeqNode;
    }
    const keys = [...(node.keys?.keys() ?? [])].sort(compareGoStrings);
    const items: Entry[] = keys.map((k) => ({ kind: 'entry', key: k, value: convert(node.keys!.get(k)!) }));
    return { kind: 'map', items } satisfies MapNode;
  };
  const result = convert(root);
  if (result.kind !== 'map') throw formatError('internal error: flattened metadata has no root mapping', { code: 'INTERNAL' });
  return result;
}

/**
 * Remembers the flat key order of metadata loaded from a dotenv or INI file, keyed by the returned
 * MapNode. Emitting that very MapNode again reproduces the original order, so an untouched file
 * round-trips byte for byte (sops ≤ 3.12 wrote these keys in Go map order, i.e. randomly). Any other
 * MapNode, e.g. one rebuilt from typed metadata, is flattened in its own order, which is what sops 3.13
 * writes (sorted, since its metadata is sorted).
 */
const loadedOrder = new WeakMap<MapNode, readonly string[]>();

/** Records the flat key order of a loaded metadata mapping (see {@link orderFlattened}). */
export function rememberFlatOrder(metadata: MapNode, keys: readonly string[]): void {
  loadedOrder.set(metadata, keys);
}

/**
 * Orders flattened entries: by the remembered load order when `metadata` was returned by a loader and its
 * flattened keys are still exactly the loaded ones, otherwise unchanged.
 *
 * @param keyOf - maps an entry to its unprefixed key as recorded at load time
 */
export function orderFlattened<T extends FlatEntry>(metadata: MapNode, entries: T[], keyOf: (e: T) => string): T[] {
  const order = loadedOrder.get(metadata);
  if (!order || order.length !== entries.length) return entries;
  const byKey = new Map(entries.map((e) => [keyOf(e), e] as const));
  if (byKey.size !== entries.length) return entries;
  const out: T[] = [];
  for (const k of order) {
    const e = byKey.get(k);
    if (!e) return entries;
    out.push(e);
  }
  return out;
}
