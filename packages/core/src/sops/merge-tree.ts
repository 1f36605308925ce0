/**
 * Three-way merge of plaintext sops trees (the merge driver's core), per leaf path in the store's own
 * structure: YAML/JSON mappings by key, dotenv keys, INI sections and keys; the binary store's one
 * `data` value is a leaf, so two changed binaries conflict.
 *
 * Rules at every node, base B, ours O, theirs T:
 * - O = T: take it (both made the same change, or neither changed it);
 * - O = B: take T (only they changed it, deletion included); T = B: take O;
 * - both changed a mapping: merge it key by key (recursively); comments travel with the key they precede
 *   and merge as one unit per key;
 * - both changed a sequence of the same shape (same length, comments at the same places): merge it index
 *   by index; any other pair of changes is a conflict at that path.
 *
 * A conflict is reported with both answers: the merged tree with our side there, and the same merge with
 * their side there. Key order: ours, with keys only they added placed after the key that precedes them
 * on their side.
 */
import type { Comment, Document, Entry, MapNode, SeqNode, TreePath, Value } from './tree.js';

/** The result of {@link mergeDocuments}. */
export interface TreeMerge {
  /** The merged tree; at each conflict our side. */
  readonly ours: Document;
  /** The same merge with their side at each conflict (equal to `ours` when there is none). */
  readonly theirs: Document;
  /** Where both sides changed the same value (or comment) differently, in tree order. */
  readonly conflicts: readonly TreePath[];
}

type Maybe = Value | undefined;
/** The two answers of a merged node: [our side at conflicts, their side at conflicts]. */
type Pair<T> = readonly [T, T];

function sameItem(a: Value | Comment | Entry | undefined, b: Value | Comment | Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'map':
    case 'seq': {
      const items = (b as MapNode | SeqNode).items;
      return a.items.length === items.length && a.items.every((item, i) => sameItem(item, items[i]));
    }
    case 'entry':
      return a.key === (b as Entry).key && sameItem(a.value, (b as Entry).value);
    case 'comment':
      return a.text === (b as Comment).text && (a.inline === true) === ((b as Comment).inline === true);
    case 'null':
      return true;
    case 'bytes': {
      const other = (b as typeof a).value;
      return a.value.length === other.length && a.value.every((x, i) => x === other[i]);
    }
    case 'float':
      // An unchanged NaN is unchanged (Go's == would call it a change on both sides: a false conflict).
      return Object.is(a.value, (b as typeof a).value);
    default:
      return a.value === (b as typeof a).value;
  }
}

const sameList = (a: readonly Comment[], b: readonly Comment[]): boolean => a.length === b.length && a.every((c, i) => sameItem(c, b[i]));

/** A mapping key with the comments just above it; `key` null for the comments after the last key. */
interface Slot {
  readonly key: string | null;
  readonly comments: readonly Comment[];
  readonly value?: Value;
}

/** The mapping as slots, or null when a key repeats (the JSON store keeps duplicates): merged whole. */
function slots(map: MapNode | undefined): Slot[] | null {
  const out: Slot[] = [];
  const seen = new Set<string>();
  let comments: Comment[] = [];
  for (const item of map?.items ?? []) {
    if (item.kind === 'comment') {
      comments.push(item);
      continue;
    }
    if (seen.has(item.key)) return null;
    seen.add(item.key);
    out.push({ key: item.key, comments, value: item.value });
    comments = [];
  }
  if (comments.length > 0) out.push({ key: null, comments });
  return out;
}

class Merger {
  readonly conflicts: TreePath[] = [];

  value(b: Maybe, o: Maybe, t: Maybe, path: TreePath): Pair<Maybe> {
    if (sameItem(o, t)) return [o, o];
    if (sameItem(b, o)) return [t, t];
    if (sameItem(b, t)) return [o, o];
    if (o?.kind === 'map' && t?.kind === 'map' && (b === undefined || b.kind === 'map')) {
      const merged = this.map(b, o, t, path);
      if (merged !== null) return merged;
    }
    if (o?.kind === 'seq' && t?.kind === 'seq' && b?.kind === 'seq' && sameShape(b, o) && sameShape(b, t)) return this.seq(b, o, t, path);
    this.conflicts.push(path);
    return [o, t];
  }

  private comments(b: readonly Comment[], o: readonly Comment[], t: readonly Comment[], path: TreePath): Pair<readonly Comment[]> {
    if (sameList(o, t) || sameList(b, t)) return [o, o];
    if (sameList(b, o)) return [t, t];
    this.conflicts.push(path);
    return [o, t];
  }

  private map(b: MapNode | undefined, o: MapNode, t: MapNode, path: TreePath): Pair<MapNode> | null {
    const [bs, os, ts] = [slots(b), slots(o), slots(t)];
    if (bs === null || os === null || ts === null) return null;
    const [bk, ok, tk] = [bs, os, ts].map((list) => new Map(list.map((slot) => [slot.key, slot]))) as [Map<string | null, Slot>, Map<string | null, Slot>, Map<string | null, Slot>];
    const order = keyOrder(os, ts, ok);
    const sides: [(Entry | Comment)[], (Entry | Comment)[]] = [[], []];
    for (const key of order) {
      const [bSlot, oSlot, tSlot] = [bk.get(key), ok.get(key), tk.get(key)];
      const here = key === null ? path : [...path, key];
      const values: Pair<Maybe> = key === null ? [undefined, undefined] : this.value(bSlot?.value, oSlot?.value, tSlot?.value, here);
      const comments = this.comments(bSlot?.comments ?? [], oSlot?.comments ?? [], tSlot?.comments ?? [], here);
      for (const side of [0, 1] as const) {
        const value = values[side];
        // A deleted key takes the comments above it along; trailing comments stay.
        if (key !== null && value === undefined) continue;
        sides[side].push(...comments[side]);
        if (key !== null && value !== undefined) sides[side].push({ kind: 'entry', key, value });
      }
    }
    return [
      { kind: 'map', items: sides[0] },
      { kind: 'map', items: sides[1] },
    ];
  }

  private seq(b: SeqNode, o: SeqNode, t: SeqNode, path: TreePath): Pair<SeqNode> {
    const sides: [(Value | Comment)[], (Value | Comment)[]] = [[], []];
    let index = 0;
    for (const [i, item] of b.items.entries()) {
      const [oi, ti] = [o.items[i] as Value | Comment, t.items[i] as Value | Comment];
      if (item.kind === 'comment') {
        const merged = this.comments([item], [oi as Comment], [ti as Comment], path);
        sides[0].push(...merged[0]);
        sides[1].push(...merged[1]);
        continue;
      }
      const merged = this.value(item, oi as Value, ti as Value, [...path, index++]);
      sides[0].push(merged[0] as Value);
      sides[1].push(merged[1] as Value);
    }
    return [
      { kind: 'seq', items: sides[0] },
      { kind: 'seq', items: sides[1] },
    ];
  }
}

/** Same length and comments at the same places: index-by-index merging is meaningful. */
function sameShape(a: SeqNode, b: SeqNode): boolean {
  return a.items.length === b.items.length && a.items.every((item, i) => (item.kind === 'comment') === (b.items[i]?.kind === 'comment'));
}

/**
 * Our key order, with the keys only they have placed after the nearest key before them (on their side)
 * that we have too, in their order; trailing comments (key null) last. Linear: hostile files are large.
 */
function keyOrder(ours: readonly Slot[], theirs: readonly Slot[], ourKeys: ReadonlyMap<string | null, Slot>): (string | null)[] {
  const inserts = new Map<string | null, string[]>();
  let anchor: string | null = null;
  for (const slot of theirs) {
    if (slot.key === null) continue;
    if (ourKeys.has(slot.key)) anchor = slot.key;
    else {
      const list = inserts.get(anchor) ?? [];
      list.push(slot.key);
      inserts.set(anchor, list);
    }
  }
  const order: (string | null)[] = [...(inserts.get(null) ?? [])];
  for (const slot of ours) {
    if (slot.key === null) continue;
    order.push(slot.key, ...(inserts.get(slot.key) ?? []));
  }
  order.push(null);
  return order;
}

/**
 * Merges two changed versions of a plaintext sops tree against their common base.
 *
 * @param base - the common ancestor (an empty document when the file was added on both sides)
 * @param ours - our version
 * @param theirs - their version
 * @returns both answers and the conflict paths; no conflicts means `ours` is the merge
 */
export function mergeDocuments(base: Document, ours: Document, theirs: Document): TreeMerge {
  const merger = new Merger();
  const n = ours.branches.length;
  if (n === theirs.branches.length && (base.branches.length === n || base.branches.length === 0)) {
    const sides: [MapNode[], MapNode[]] = [[], []];
    for (let i = 0; i < n; i++) {
      const [o, t] = merger.value(base.branches[i], ours.branches[i], theirs.branches[i], []);
      // A document is always a mapping, and neither side deleted it (the counts are equal).
      sides[0].push(o as MapNode);
      sides[1].push(t as MapNode);
    }
    return { ours: { branches: sides[0] }, theirs: { branches: sides[1] }, conflicts: merger.conflicts };
  }
  // Documents added or removed (YAML with several): the whole file is one value.
  const same = (a: Document, b: Document): boolean => a.branches.length === b.branches.length && a.branches.every((m, i) => sameItem(m, b.branches[i]));
  if (same(ours, theirs) || same(base, theirs)) return { ours, theirs: ours, conflicts: [] };
  if (same(base, ours)) return { ours: theirs, theirs, conflicts: [] };
  return { ours, theirs, conflicts: [[]] };
}

/**
 * Whether two plaintext trees are equal (comments, their placement and key order included).
 *
 * @param a - a tree
 * @param b - another
 */
export function sameDocument(a: Document, b: Document): boolean {
  return a.branches.length === b.branches.length && a.branches.every((m, i) => sameItem(m, b.branches[i]));
}
