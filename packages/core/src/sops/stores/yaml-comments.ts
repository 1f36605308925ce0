/**
 * Comments for the full YAML reader: collected from eemeli/yaml's CST, then placed the way go-yaml attaches
 * comments to nodes and sops turns them into tree items (see {@link CommentPlacement.place}), for the
 * layouts sops writes and common hand-written ones.
 *
 * @internal
 */

import type { Node as YamlNode, Pair, YAMLMap, YAMLSeq } from 'yaml';
import type { Comment } from '../tree.js';
import type { LineIndex } from './line-index.js';
import { isMap, isScalar, isSeq } from './yaml-lib.js';

/** A mapping or a sequence: what comments are placed in. */
export type Container = YAMLMap | YAMLSeq;

/** A comment as the CST has it. */
export interface RawComment {
  readonly offset: number;
  /** What follows the `#`. */
  readonly text: string;
}

/** Where comments go: before item `index` of a container (index = items.length: after the last item). */
interface Slot {
  readonly container: Container;
  readonly index: number;
}

interface PlacedComment {
  readonly comment: Comment;
  /** Sort key inside a slot: source offset, or -1 for a flow collection's own line comment (goes first). */
  readonly order: number;
}

/** Where one comment goes, as a rule below decides it. */
interface Placement {
  readonly slot: Slot;
  readonly inline: boolean;
  readonly order: number;
}

interface ItemInfo {
  readonly container: Container;
  readonly index: number;
  readonly start: number;
}

interface ContainerInfo {
  readonly parent: Container | null;
  readonly flow: boolean;
  readonly column: number;
  readonly start: number;
  readonly end: number;
  readonly itemStarts: readonly number[];
}

/** Something a comment on the same line after it attaches to (a key, a value, a flow collection). */
interface Host {
  readonly end: number;
  readonly slot: Slot;
  readonly inline: boolean;
  readonly order?: number;
}

/** An item whose scalar value starts at `valueStart`, possibly on a later line than the item. */
interface ValueSpan {
  readonly start: number;
  readonly valueStart: number;
  readonly slot: Slot;
}

/**
 * Every comment token of a CST, in source order.
 *
 * @param tokens - eemeli/yaml's parser output
 */
export function collectComments(tokens: readonly unknown[]): RawComment[] {
  const out: RawComment[] = [];
  const stack: unknown[] = [...tokens];
  while (stack.length > 0) {
    const t = stack.pop();
    if (!t || typeof t !== 'object') continue;
    if (Array.isArray(t)) {
      for (const x of t) stack.push(x);
      continue;
    }
    const tok = t as { type?: string; offset?: number; source?: string };
    if (tok.type === 'comment' && typeof tok.offset === 'number' && typeof tok.source === 'string') {
      // sops keeps what follows the '#' (go-yaml does not include the line break).
      out.push({ offset: tok.offset, text: tok.source.slice(1).replace(/\r$/, '') });
      continue;
    }
    for (const v of Object.values(t)) if (v && typeof v === 'object') stack.push(v);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Binary search: the index of the last element whose key is < `offset` (-1 if none); keys must be sorted. */
function lastIndexBefore<T>(sorted: readonly T[], offset: number, key: (t: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]!) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The offset of the `-` of a block sequence item, from the CST kept on the node. */
function seqIndicatorOffset(seq: YAMLSeq, index: number): number | undefined {
  const src = (seq as { srcToken?: { type?: string; items?: { start?: { type?: string; offset?: number }[] }[] } }).srcToken;
  if (src?.type !== 'block-seq') return undefined;
  return src.items?.[index]?.start?.find((t) => t.type === 'seq-item-ind')?.offset;
}

const isEmptyScalar = (n: YamlNode | null | undefined): boolean => !n || (isScalar(n) && n.type === 'PLAIN' && n.source === '' && !n.tag && !n.anchor);

/** Where a document's containers, block items, comment hosts and scalar values are. */
class DocumentLayout {
  readonly info = new Map<Container, ContainerInfo>();
  /** Sorted by start, then outermost first. */
  readonly blockItems: ItemInfo[] = [];
  readonly hostsByLine = new Map<number, Host[]>();
  /** Sorted by start. */
  readonly valueBefore: ValueSpan[] = [];
  /** Flow collections, sorted by start. */
  readonly flows: (readonly [Container, ContainerInfo])[];
  private readonly seen = new Set<YamlNode>();

  constructor(
    private readonly lines: LineIndex,
    readonly root: YamlNode | null,
  ) {
    this.walk(root, null);
    const depthOf = new Map<Container, number>();
    for (const c of this.info.keys()) depthOf.set(c, this.chain(c).length - 1);
    this.blockItems.sort((a, b) => a.start - b.start || depthOf.get(a.container)! - depthOf.get(b.container)!);
    this.valueBefore.sort((a, b) => a.start - b.start);
    this.flows = [...this.info.entries()].filter(([, ci]) => ci.flow).sort((a, b) => a[1].start - b[1].start);
  }

  /** A container and the containers around it, innermost first. */
  chain(c: Container | null): Container[] {
    const out: Container[] = [];
    for (let p = c; p; p = this.info.get(p)?.parent ?? null) out.push(p);
    return out;
  }

  /** The slot before the first item of `c` that starts after `offset`. */
  beforeNext(c: Container, offset: number): Slot {
    const starts = this.info.get(c)!.itemStarts;
    return { container: c, index: lastIndexBefore(starts, offset + 1, (x) => x) + 1 };
  }

  /** The slot after the last item of `c`. */
  atEnd(c: Container): Slot {
    return { container: c, index: this.info.get(c)!.itemStarts.length };
  }

  private walk(node: YamlNode | null | undefined, parent: Container | null): void {
    if (!node || this.seen.has(node)) return;
    this.seen.add(node);
    if (!isMap(node) && !isSeq(node)) return;
    const flow = Boolean(node.flow);
    const fallback = node.range?.[0] ?? 0;
    const starts = isMap(node)
      ? node.items.map((item, index) => {
          const pair = item as Pair<YamlNode | null, YamlNode | null>;
          return this.addItem(node, index, pair.key?.range?.[0] ?? pair.value?.range?.[0] ?? fallback, pair.key, pair.value);
        })
      : (node.items as (YamlNode | null)[]).map((child, index) => {
          // A block sequence item starts at its "-": go-yaml gives comments before the dash to the item,
          // and comments after it (same line or below) to the first thing inside the item.
          const dash = flow ? undefined : seqIndicatorOffset(node, index);
          return this.addItem(node, index, dash ?? child?.range?.[0] ?? fallback, undefined, child);
        });
    const start = node.range?.[0] ?? 0;
    let column = this.lines.columnOf(start);
    // An indentless sequence (`key:` then `- item` at the key's column) opens no indentation level in
    // go-yaml's scanner, so a comment at that column after it belongs to the enclosing mapping.
    if (isSeq(node) && !flow && parent && isMap(parent) && !parent.flow) {
      const parentStart = parent.range?.[0];
      if (parentStart !== undefined && this.lines.columnOf(parentStart) === column) column++;
    }
    this.info.set(node, { parent, flow, column, start, end: node.range?.[1] ?? start, itemStarts: starts });
  }

  /** Records item `index` of `container` (a mapping's pair, or a sequence's item without a key). */
  private addItem(container: Container, index: number, start: number, key: YamlNode | null | undefined, value: YamlNode | null | undefined): number {
    const slot = { container, index };
    if (!container.flow) this.blockItems.push({ container, index, start });
    this.addHost(key, slot, true);
    this.addHost(value, slot, false);
    if (value && value.range && !isEmptyScalar(value) && !isMap(value) && !isSeq(value)) this.valueBefore.push({ start, valueStart: value.range[0], slot });
    this.walk(key, container);
    this.walk(value, container);
    return start;
  }

  private addHost(node: YamlNode | null | undefined, slot: Slot, isKey: boolean): void {
    if (!node || !node.range || isEmptyScalar(node)) return;
    let host: Host;
    if (isMap(node) || isSeq(node)) {
      if (!node.flow || isKey) return;
      host = { end: node.range[1], slot: { container: node, index: 0 }, inline: false, order: -1 };
    } else {
      const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
      host = { end: block ? node.range[0] + 1 : node.range[1], slot, inline: !isKey };
    }
    const line = this.lines.lineOf(Math.max(host.end - 1, 0));
    const list = this.hostsByLine.get(line);
    if (list) list.push(host);
    else this.hostsByLine.set(line, [host]);
  }
}

/** Places a stream's comments, document by document, and hands them out per container slot. */
export class CommentPlacement {
  private readonly slots = new Map<Container, Map<number, PlacedComment[]>>();

  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}

  /**
   * Assigns each comment of a document to a slot of a mapping or sequence, the way go-yaml attaches
   * comments to nodes and sops turns them into items:
   * - a comment after a scalar value on the same line is that entry's line comment: an inline Comment
   *   placed before the entry (also for sequence items);
   * - a comment after a key whose value starts on a later line (or is empty) is a plain Comment before the
   *   entry; after a flow collection's closing bracket, it is the first item of that collection;
   * - a comment on its own line belongs before the next entry or item, unless it follows the end of one or
   *   more nested blocks and is indented at least as much as such a block's items, in which case it is a
   *   foot comment at the end of the innermost such block (go-yaml repositions block ends before foot
   *   comments at the block's indentation);
   * - a comment between a key and its scalar value on a later line goes before the entry.
   *
   * @returns comments that have no container (documents without a mapping)
   */
  place(root: YamlNode | null, comments: readonly RawComment[]): Comment[] {
    const free: Comment[] = [];
    if (comments.length === 0) return free;
    const layout = new DocumentLayout(this.lines, root);
    for (const raw of comments) {
      const placed = this.trailing(layout, raw.offset) ?? insideFlow(layout, raw.offset) ?? beforeValue(layout, raw.offset) ?? this.ownLine(layout, raw.offset);
      if (placed === null) free.push(commentItem(raw, false));
      else this.put(placed, raw);
    }
    return free;
  }

  /** The comments placed before item `index` of a container (`index` = its length: after the last). */
  commentsAt(container: Container, index: number): Comment[] {
    const list = this.slots.get(container)?.get(index);
    if (!list) return [];
    return [...list].sort((a, b) => a.order - b.order).map((c) => c.comment);
  }

  private put(placed: Placement, raw: RawComment): void {
    let bySlot = this.slots.get(placed.slot.container);
    if (!bySlot) this.slots.set(placed.slot.container, (bySlot = new Map<number, PlacedComment[]>()));
    let list = bySlot.get(placed.slot.index);
    if (!list) bySlot.set(placed.slot.index, (list = []));
    list.push({ comment: commentItem(raw, placed.inline), order: placed.order });
  }

  /** 1. A trailing comment after a value, key or flow collection on the same line. */
  private trailing(layout: DocumentLayout, o: number): Placement | null {
    const line = this.lines.lineOf(o);
    const prefix = this.text.slice(this.lines.lineStart(line), o).trim();
    if (prefix === '' || /^(---|(?:[-?:](?:\s+|$))+)$/.test(prefix)) return null;
    let best: Host | undefined;
    for (const h of layout.hostsByLine.get(line) ?? []) if (h.end <= o && (!best || h.end >= best.end)) best = h;
    return best ? { slot: best.slot, inline: best.inline, order: best.order ?? o } : null;
  }

  /**
   * 4. On its own line: before the next item, or at the end of a block that ended before it. Items are
   * sorted by start, then outermost first, so "next" prefers the outermost item starting there and "prev"
   * the innermost one.
   *
   * @returns null when there is no collection to put it in
   */
  private ownLine(layout: DocumentLayout, o: number): Placement | null {
    const at = (slot: Slot): Placement => ({ slot, inline: false, order: o });
    const { blockItems, root } = layout;
    const pi = lastIndexBefore(blockItems, o, (it) => it.start);
    const prev = pi >= 0 ? blockItems[pi] : undefined;
    let ni = pi + 1;
    while (ni < blockItems.length && blockItems[ni]!.start <= o) ni++;
    const next = blockItems[ni];
    if (!prev && !next) {
      // no block items: a flow root collection, or no collection at all
      return root && (isMap(root) || isSeq(root)) ? at(layout.beforeNext(root, o)) : null;
    }
    if (prev) {
      const column = this.lines.columnOf(o);
      const open = new Set(next ? layout.chain(next.container) : []);
      for (const c of layout.chain(prev.container)) {
        if (open.has(c)) break;
        if (column >= layout.info.get(c)!.column) return at(layout.atEnd(c));
      }
    }
    if (next) return at({ container: next.container, index: next.index });
    return at(layout.atEnd(layout.chain(prev!.container).pop()!));
  }
}

/**
 * 2. Inside a flow collection: the innermost one is the last that started before the comment, or one of
 * its ancestors (flow collections nest properly).
 */
function insideFlow(layout: DocumentLayout, o: number): Placement | null {
  const fi = lastIndexBefore(layout.flows, o, (f) => f[1].start);
  let owner: Container | null = fi >= 0 ? layout.flows[fi]![0] : null;
  while (owner) {
    const ci = layout.info.get(owner)!;
    if (ci.flow && ci.start < o && o < ci.end) return { slot: layout.beforeNext(owner, o), inline: false, order: o };
    owner = ci.parent && layout.info.get(ci.parent)?.flow ? ci.parent : null;
  }
  return null;
}

/** 3. Between a key (or dash) and its scalar value written on a later line. */
function beforeValue(layout: DocumentLayout, o: number): Placement | null {
  const vi = lastIndexBefore(layout.valueBefore, o, (v) => v.start);
  const between = vi >= 0 ? layout.valueBefore[vi]! : undefined;
  return between && o < between.valueStart ? { slot: between.slot, inline: false, order: o } : null;
}

function commentItem(raw: RawComment, inline: boolean): Comment {
  return inline ? { kind: 'comment', text: raw.text, inline: true } : { kind: 'comment', text: raw.text };
}
