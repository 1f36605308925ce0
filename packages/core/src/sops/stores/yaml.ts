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
 * - scalars are typed by {@link resolveScalar} (go-yaml v3 rules); keys must resolve to strings
 *   (sops: `Tree contains a non-string key`);
 * - comments become Comment items, one per line, text after the `#`, placed as go-yaml and sops place them
 *   for the layouts sops writes and common hand-written ones (see `placeComments`).
 *
 * Emitting is exact go-yaml v3 output with sops' settings, see `yaml-emitter.ts`.
 *
 * @packageDocumentation
 */

import type { Alias, Node as YamlNode, Pair, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';
import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Scalar, Value } from '../tree.js';
import {
  checkInputSize,
  decodeUtf8,
  depthError,
  extractNestedMetadata,
  formatError,
  guardStack,
  insertNestedMetadata,
  resolveLimits,
  type ResolvedLimits,
  type StoreOptions,
  yamlParserReason,
} from './common.js';
import type { Store } from './store.js';
import { emitYamlDocuments, emitYamlValue, encodePages } from './yaml-emitter.js';
import { loadYamlFast } from './yaml-fast.js';
import { isAlias, isMap, isScalar, isSeq, yamlLib } from './yaml-lib.js';
import { ResolveError, resolveScalar, shortTag } from './yaml-resolve.js';



/** sops `stores/yaml` default indentation. */
export const YAML_DEFAULT_INDENT = 4;


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
  loadEncrypted(bytes: Uint8Array): { document: Document; metadata: MapNode } {
    return extractNestedMetadata(this.loadPlain(bytes));
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
    return this.emitPlain(insertNestedMetadata(doc, metadata));
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

/**
 * The full reader alone (without the fast path), for tests comparing the two.
 *
 * @internal
 */
export function loadYamlFull(text: string, limits: ResolvedLimits): Document {
  return guardStack(() => new YamlLoader(text, limits).load());
}

type Container = YAMLMap | YAMLSeq;

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

interface Host {
  readonly end: number;
  readonly line: number;
  readonly slot: Slot;
  readonly inline: boolean;
  readonly order?: number;
}

/** A converted node with its size (nodes) and nesting depth, for the alias and depth limits. */
interface Converted {
  readonly value: Value;
  readonly size: number;
  readonly depth: number;
}

const NULL_CONVERTED: Converted = { value: { kind: 'null' }, size: 1, depth: 0 };

interface RawComment {
  readonly offset: number;
  readonly text: string;
}

class YamlLoader {
  private readonly lineStarts: number[] = [0];
  /** go-yaml keeps anchors for the whole stream, not per document. */
  private readonly anchors = new Map<string, YamlNode>();
  private readonly firstPassAnchors = new Map<string, YamlNode>();
  private readonly converting = new Set<YamlNode>();
  private readonly converted = new Map<YamlNode, Converted>();
  private aliasExpansion = 0;
  private slots = new Map<Container, Map<number, PlacedComment[]>>();

  constructor(
    private readonly text: string,
    private readonly limits: ResolvedLimits,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) this.lineStarts.push(i + 1);
    }
  }

  load(): Document {
    if (this.text.length === 0) return { branches: [] };
    this.checkFlowDepth();
    const tokens = Array.from(new (yamlLib().Parser)().parse(this.text));
    this.checkCstDepth(tokens);
    // Only the structure and the raw scalar text are taken from the parser (failsafe schema, no known-tag
    // handling such as !!omap or !!set); types are resolved with go-yaml's rules afterwards.
    const composer = new (yamlLib().Composer)({ schema: 'failsafe', resolveKnownTags: false, uniqueKeys: false, merge: false, version: '1.2', keepSourceTokens: true });
    const docs = Array.from(composer.compose(tokens, false, this.text.length));
    for (const doc of docs) {
      const err = doc.errors[0];
      if (err) throw formatError(`error unmarshaling input YAML: line ${this.lineOf(err.pos[0]) + 1}: ${yamlParserReason(err.message)}`);
    }
    const comments = collectComments(tokens);
    const docStarts = tokens.filter((t) => t.type === 'document').map((t) => t.offset);
    const branches: MapNode[] = [];
    // comments are sorted: each document takes those before the next document's start
    let next = 0;
    docs.forEach((doc, i) => {
      const to = docStarts[i + 1] ?? Infinity;
      const first = next;
      while (next < comments.length && comments[next]!.offset < to) next++;
      branches.push(this.documentBranch(doc.contents, comments.slice(first, next)));
    });
    return { branches };
  }

  // --- limits --------------------------------------------------------------------------------------------

  /** Flow nesting is cheap to write and slow to parse, so it is bounded before parsing. */
  private checkFlowDepth(): void {
    // Cheap bound first: without enough brackets in the text there is nothing to check.
    let brackets = 0;
    for (let i = 0; i < this.text.length && brackets <= this.limits.maxDepth; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 0x5b || c === 0x7b) brackets++;
    }
    if (brackets <= this.limits.maxDepth) return;
    let depth = 0;
    for (const token of new (yamlLib().Lexer)().lex(this.text)) {
      if (token === '[' || token === '{') {
        if (++depth > this.limits.maxDepth) throw depthError(this.limits);
      } else if (token === ']' || token === '}') {
        if (depth > 0) depth--;
      }
    }
  }

  private checkCstDepth(tokens: readonly unknown[]): void {
    const stack: [unknown, number][] = tokens.map((t) => [t, 0]);
    while (stack.length > 0) {
      const [token, depth] = stack.pop()!;
      if (!token || typeof token !== 'object') continue;
      const t = token as { type?: string; value?: unknown; items?: { key?: unknown; value?: unknown }[] };
      if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
        const d = depth + 1;
        if (d > this.limits.maxDepth) throw depthError(this.limits);
        for (const item of t.items ?? []) {
          if (item.key) stack.push([item.key, d]);
          if (item.value) stack.push([item.value, d]);
        }
      } else if (t.type === 'document' && t.value) {
        stack.push([t.value, depth]);
      }
    }
  }

  // --- documents -----------------------------------------------------------------------------------------

  private documentBranch(root: YamlNode | null, comments: readonly RawComment[]): MapNode {
    this.validate(root);
    const free = this.placeComments(root, comments);
    const leading: Comment[] = free.map((c) => c.comment);
    let node: YamlNode | null = root;
    if (node && isAlias(node)) node = this.aliasTarget(node);
    if (!node || (isScalar(node) && this.scalarValue(node).kind === 'null')) {
      // sops: an empty document (or an explicit null) is an empty branch; its comments are kept.
      return { kind: 'map', items: leading };
    }
    if (isSeq(node)) throw formatError('error unmarshaling input YAML: YAML documents that are sequences are not supported');
    if (!isMap(node)) throw formatError('error unmarshaling input YAML: YAML documents that are values are not supported');
    const value = this.convert(root!, 1).value as MapNode;
    return leading.length > 0 ? { kind: 'map', items: [...leading, ...value.items] } : value;
  }

  // --- comments ------------------------------------------------------------------------------------------

  private lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private columnOf(offset: number): number {
    return offset - this.lineStarts[this.lineOf(offset)]!;
  }

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
  private placeComments(root: YamlNode | null, comments: readonly RawComment[]): PlacedComment[] {
    const free: PlacedComment[] = [];
    if (comments.length === 0) return free;
    const info = new Map<Container, ContainerInfo>();
    const blockItems: ItemInfo[] = [];
    const hosts: Host[] = [];
    const valueBefore: { start: number; valueStart: number; slot: Slot }[] = [];
    const seen = new Set<YamlNode>();

    const isEmptyScalar = (n: YamlNode | null | undefined): boolean =>
      !n || (isScalar(n) && n.type === 'PLAIN' && n.source === '' && !n.tag && !n.anchor);
    const addHost = (node: YamlNode | null | undefined, slot: Slot, isKey: boolean): void => {
      if (!node || !node.range || isEmptyScalar(node)) return;
      if (isMap(node) || isSeq(node)) {
        if (!node.flow || isKey) return;
        const end = node.range[1];
        hosts.push({ end, line: this.lineOf(Math.max(end - 1, 0)), slot: { container: node, index: 0 }, inline: false, order: -1 });
        return;
      }
      const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
      const end = block ? node.range[0] + 1 : node.range[1];
      hosts.push({ end, line: this.lineOf(Math.max(end - 1, 0)), slot, inline: !isKey });
    };

    const walk = (node: YamlNode | null | undefined, parent: Container | null): void => {
      if (!node || seen.has(node)) return;
      seen.add(node);
      if (!isMap(node) && !isSeq(node)) return;
      const items = node.items as unknown[];
      const starts: number[] = [];
      const flow = Boolean(node.flow);
      items.forEach((item, index) => {
        const slot = { container: node, index };
        if (isMap(node)) {
          const pair = item as Pair<YamlNode | null, YamlNode | null>;
          const start = pair.key?.range?.[0] ?? pair.value?.range?.[0] ?? node.range?.[0] ?? 0;
          starts.push(start);
          if (!flow) blockItems.push({ container: node, index, start });
          addHost(pair.key, slot, true);
          addHost(pair.value, slot, false);
          const v = pair.value;
          if (v && v.range && !isEmptyScalar(v) && !isMap(v) && !isSeq(v)) valueBefore.push({ start, valueStart: v.range[0], slot });
          walk(pair.key, node);
          walk(pair.value, node);
        } else {
          const child = item as YamlNode | null;
          // A block sequence item starts at its "-": go-yaml gives comments before the dash to the item,
          // and comments after it (same line or below) to the first thing inside the item.
          const dash = flow ? undefined : seqIndicatorOffset(node, index);
          const start = dash ?? child?.range?.[0] ?? node.range?.[0] ?? 0;
          starts.push(start);
          if (!flow) blockItems.push({ container: node, index, start });
          addHost(child, slot, false);
          if (child && child.range && !isEmptyScalar(child) && !isMap(child) && !isSeq(child)) {
            valueBefore.push({ start, valueStart: child.range[0], slot });
          }
          walk(child, node);
        }
      });
      const start = node.range?.[0] ?? 0;
      let column = this.columnOf(start);
      // An indentless sequence (`key:` then `- item` at the key's column) opens no indentation level in
      // go-yaml's scanner, so a comment at that column after it belongs to the enclosing mapping.
      if (isSeq(node) && !flow && parent && isMap(parent) && !parent.flow) {
        const parentStart = parent.range?.[0];
        if (parentStart !== undefined && this.columnOf(parentStart) === column) column++;
      }
      info.set(node, { parent, flow, column, start, end: node.range?.[1] ?? start, itemStarts: starts });
    };
    walk(root, null);
    const depthOf = new Map<Container, number>();
    for (const c of info.keys()) {
      let d = 0;
      for (let p = info.get(c)?.parent ?? null; p; p = info.get(p)?.parent ?? null) d++;
      depthOf.set(c, d);
    }
    blockItems.sort((a, b) => a.start - b.start || depthOf.get(a.container)! - depthOf.get(b.container)!);
    const chain = (c: Container | null): Container[] => {
      const out: Container[] = [];
      for (let p = c; p; p = info.get(p)?.parent ?? null) out.push(p);
      return out;
    };
    const beforeNext = (c: Container, offset: number): Slot => {
      const starts = info.get(c)!.itemStarts;
      return { container: c, index: lastIndexBefore(starts, offset + 1, (x) => x) + 1 };
    };

    // indexes for the lookups below
    const hostsByLine = new Map<number, Host[]>();
    for (const h of hosts) {
      const list = hostsByLine.get(h.line);
      if (list) list.push(h);
      else hostsByLine.set(h.line, [h]);
    }
    valueBefore.sort((a, b) => a.start - b.start);
    const flows = [...info.entries()].filter(([, ci]) => ci.flow).sort((a, b) => a[1].start - b[1].start);

    for (const raw of comments) {
      const o = raw.offset;
      const line = this.lineOf(o);
      const column = o - this.lineStarts[line]!;
      const prefix = this.text.slice(this.lineStarts[line], o).trim();
      const comment = (inline: boolean): Comment => (inline ? { kind: 'comment', text: raw.text, inline: true } : { kind: 'comment', text: raw.text });
      const put = (slot: Slot, inline: boolean, order = o): void => {
        let bySlot = this.slots.get(slot.container);
        if (!bySlot) this.slots.set(slot.container, (bySlot = new Map<number, PlacedComment[]>()));
        let list = bySlot.get(slot.index);
        if (!list) bySlot.set(slot.index, (list = []));
        list.push({ comment: comment(inline), order });
      };
      // 1. a trailing comment after a value, key or flow collection on the same line
      if (prefix !== '' && !/^(---|(?:[-?:](?:\s+|$))+)$/.test(prefix)) {
        let best: Host | undefined;
        for (const h of hostsByLine.get(line) ?? []) if (h.end <= o && (!best || h.end >= best.end)) best = h;
        if (best) {
          put(best.slot, best.inline, best.order ?? o);
          continue;
        }
      }
      // 2. inside a flow collection: the innermost one is the last that started before the comment, or one
      //    of its ancestors (flow collections nest properly)
      const fi = lastIndexBefore(flows, o, (f) => f[1].start);
      let flowOwner: Container | null = fi >= 0 ? flows[fi]![0] : null;
      while (flowOwner) {
        const ci = info.get(flowOwner)!;
        if (ci.flow && ci.start < o && o < ci.end) break;
        flowOwner = ci.parent && info.get(ci.parent)?.flow ? ci.parent : null;
      }
      if (flowOwner) {
        put(beforeNext(flowOwner, o), false);
        continue;
      }
      // 3. between a key (or dash) and its scalar value written on a later line
      const vi = lastIndexBefore(valueBefore, o, (v) => v.start);
      const between = vi >= 0 ? valueBefore[vi]! : undefined;
      if (between && o < between.valueStart) {
        put(between.slot, false);
        continue;
      }
      // 4. on its own line: before the next item, or at the end of a block that ended before it. Items are
      //    sorted by start, then outermost first, so "next" prefers the outermost item starting there and
      //    "prev" the innermost one.
      const pi = lastIndexBefore(blockItems, o, (it) => it.start);
      const prev = pi >= 0 ? blockItems[pi] : undefined;
      let ni = pi + 1;
      while (ni < blockItems.length && blockItems[ni]!.start <= o) ni++;
      const next = blockItems[ni];
      if (!prev && !next) {
        // no block items: a flow root collection, or no collection at all
        if (root && (isMap(root) || isSeq(root))) put(beforeNext(root, o), false);
        else free.push({ comment: comment(false), order: o });
        continue;
      }
      let placed = false;
      if (prev) {
        const open = new Set(next ? chain(next.container) : []);
        for (const c of chain(prev.container)) {
          if (open.has(c)) break;
          if (column >= info.get(c)!.column) {
            put({ container: c, index: info.get(c)!.itemStarts.length }, false);
            placed = true;
            break;
          }
        }
      }
      if (placed) continue;
      if (next) {
        put({ container: next.container, index: next.index }, false);
      } else {
        const outer = chain(prev!.container).pop()!;
        put({ container: outer, index: info.get(outer)!.itemStarts.length }, false);
      }
    }
    return free;
  }

  private commentsAt(container: Container, index: number): Comment[] {
    const list = this.slots.get(container)?.get(index);
    if (!list) return [];
    return [...list].sort((a, b) => a.order - b.order).map((c) => c.comment);
  }

  // --- go-yaml's first pass -------------------------------------------------------------------------------

  /**
   * sops first decodes the input into a Go map only to have go-yaml reject duplicate keys (and malformed
   * merge values); those errors come before any error of the tree conversion. Two keys clash when they have
   * the same node kind and the same text, so `1` and `"1"` do.
   */
  private validate(root: YamlNode | null): void {
    // document order (children pushed in reverse), so that anchors are seen before the aliases using them
    const stack: (YamlNode | null)[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (!node) continue;
      if (node.anchor) this.firstPassAnchors.set(node.anchor, node);
      if (isMap(node)) {
        const seen = new Map<string, number>();
        const children: (YamlNode | null)[] = [];
        for (const pair of node.items) {
          const keyNode = pair.key as YamlNode | null;
          const id = keyIdentity(keyNode);
          const first = seen.get(id);
          if (first !== undefined) {
            throw formatError(
              `error unmarshaling input YAML: line ${this.line(keyNode)}: mapping key ${JSON.stringify(keyText(keyNode))} already defined at line ${first}`,
            );
          }
          seen.set(id, this.line(keyNode));
          if (isMergeKey(keyNode)) this.checkMergeValue(pair.value as YamlNode | null);
          children.push(keyNode, pair.value as YamlNode | null);
        }
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      } else if (isSeq(node)) {
        const items = node.items as (YamlNode | null)[];
        for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!);
      }
    }
  }

  // --- values --------------------------------------------------------------------------------------------

  private aliasTarget(alias: Alias): YamlNode {
    const target = this.anchors.get(alias.source);
    if (!target) throw formatError(`error unmarshaling input YAML: line ${this.lineOf(alias.range?.[0] ?? 0) + 1}: unknown anchor referenced`);
    return target;
  }

  private line(node: { range?: readonly number[] | null | undefined } | null | undefined): number {
    return this.lineOf(node?.range?.[0] ?? 0) + 1;
  }

  /**
   * Converts a node; `depth` is the nesting level a collection at this place has (top-level mapping: 1).
   * Converted nodes are cached, so an alias shares its target's (immutable) value instead of copying it,
   * but still counts its full size against the alias expansion budget: everything downstream (encryption,
   * MAC, output) walks the expanded tree.
   */
  private convert(node: YamlNode, depth: number): Converted {
    if (isAlias(node)) {
      const target = this.aliasTarget(node);
      if (this.converting.has(target)) {
        throw formatError(`error unmarshaling input YAML: line ${this.line(node)}: an anchor's value contains itself`);
      }
      const done = this.converted.get(target) ?? this.convertFresh(target, depth);
      this.aliasExpansion += done.size;
      if (this.aliasExpansion > this.limits.maxAliasExpansion) {
        throw new SecretsError('LIMIT_EXCEEDED', `the YAML aliases expand to more than ${this.limits.maxAliasExpansion} nodes`, {
          hints: ['raise the maxAliasExpansion store option if this file is legitimate'],
          details: { limit: 'maxAliasExpansion' },
        });
      }
      if (depth - 1 + done.depth > this.limits.maxDepth) throw depthError(this.limits);
      return done;
    }
    return this.converted.get(node) ?? this.convertFresh(node, depth);
  }

  private convertFresh(node: YamlNode, depth: number): Converted {
    if (node.anchor) this.anchors.set(node.anchor, node);
    this.converting.add(node);
    let result: Converted;
    if (isMap(node) || isSeq(node)) {
      if (depth > this.limits.maxDepth) throw depthError(this.limits);
      result = isMap(node) ? this.convertMap(node, depth) : this.convertSeq(node, depth);
    } else if (isScalar(node)) {
      result = { value: this.scalarValue(node), size: 1, depth: 0 };
    } else {
      throw formatError(`error unmarshaling input YAML: line ${this.line(node)}: unsupported node`);
    }
    this.converting.delete(node);
    this.converted.set(node, result);
    return result;
  }

  private convertMap(map: YAMLMap, depth: number): Converted {
    const items: (Entry | Comment)[] = [];
    let size = 1;
    let childDepth = 0;
    map.items.forEach((pair, index) => {
      for (const cm of this.commentsAt(map, index)) items.push(cm);
      const keyNode = pair.key as YamlNode | null;
      const valueNode = pair.value as YamlNode | null;
      const key = this.keyString(keyNode);
      const value = valueNode ? this.convert(valueNode, depth + 1) : NULL_CONVERTED;
      size += value.size;
      childDepth = Math.max(childDepth, value.depth);
      items.push({ kind: 'entry', key, value: value.value });
    });
    for (const cm of this.commentsAt(map, map.items.length)) items.push(cm);
    return { value: { kind: 'map', items }, size, depth: 1 + childDepth };
  }

  private convertSeq(seq: YAMLSeq, depth: number): Converted {
    const items: (Value | Comment)[] = [];
    let size = 1;
    let childDepth = 0;
    seq.items.forEach((child, index) => {
      for (const cm of this.commentsAt(seq, index)) items.push(cm);
      const node = child as YamlNode | null;
      const value = node ? this.convert(node, depth + 1) : NULL_CONVERTED;
      size += value.size;
      childDepth = Math.max(childDepth, value.depth);
      items.push(value.value);
    });
    for (const cm of this.commentsAt(seq, seq.items.length)) items.push(cm);
    return { value: { kind: 'seq', items }, size, depth: 1 + childDepth };
  }

  /** go-yaml's merge check: `<<` needs a mapping, or a sequence of mappings (aliases allowed). */
  private checkMergeValue(value: YamlNode | null): void {
    const isMapping = (n: YamlNode | null): boolean => {
      if (!n) return false;
      const target = isAlias(n) ? this.firstPassAnchors.get(n.source) : n;
      return Boolean(target && isMap(target));
    };
    if (isMapping(value)) return;
    if (value && isSeq(value) && (value.items as (YamlNode | null)[]).every(isMapping)) return;
    throw formatError(`error unmarshaling input YAML: line ${this.line(value)}: map merge requires map or sequence of maps as the value`);
  }

  private keyString(node: YamlNode | null): string {
    let target: YamlNode | null = node;
    if (target && isAlias(target)) target = this.aliasTarget(target);
    if (target && isScalar(target)) {
      const v = this.scalarValue(target);
      if (v.kind === 'string') return v.value;
      throw nonStringKey(goTypeName(v), scalarText(v), this.line(node));
    }
    if (!target) throw nonStringKey('<nil>', '<nil>', this.line(node));
    throw nonStringKey(isMap(target) ? 'map[string]interface {}' : '[]interface {}', '…', this.line(node));
  }

  private endsWithoutLineBreak(node: YamlScalar): boolean {
    return endsWithoutLineBreakAt(this.text, node);
  }

  private scalarValue(node: YamlScalar): Scalar {
    let source = typeof node.source === 'string' ? node.source : String(node.value ?? '');
    if (this.endsWithoutLineBreak(node) && source.endsWith('\n')) source = source.slice(0, -1);
    const style = node.type === 'PLAIN' || node.type === undefined ? 'plain' : 'quoted';
    const tag = node.tag ? shortTag(node.tag) : null;
    try {
      return resolveScalar(source, style, tag, (b64) => decodeBinary(b64));
    } catch (e) {
      if (e instanceof ResolveError || e instanceof SecretsError) {
        throw formatError(`error unmarshaling input YAML: line ${this.line(node)}: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }
}

/**
 * go-yaml v3's rule for a block scalar's final line break (scannerc.go yaml_parser_scan_block_scalar):
 * the break kept by clip (`|`, `>`) and keep (`|+`) is the line break actually read after the last
 * content line; at the end of input without one, there is none. eemeli/yaml adds one. So a block scalar
 * whose last content line is the input's last line, with no line break after it, loses that `\n`:
 * `a: |\n  multi\n  line` is `multi\nline` for `|`, `|+` and `|-` alike, and `multi line` for `>` (sops'
 * functional test `extract_string` encrypts exactly this and extracts `multi\nline`).
 */
function endsWithoutLineBreakAt(text: string, node: YamlScalar): boolean {
  if (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') return false;
  if (node.range?.[1] !== text.length || text.endsWith('\n') || text.endsWith('\r')) return false;
  const lastLine = text.slice(Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
  return lastLine.trim() !== '';
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

function collectComments(tokens: readonly unknown[]): RawComment[] {
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

function keyIdentity(node: YamlNode | null): string {
  if (!node) return 'scalar:';
  if (isScalar(node)) return `scalar:${String(node.source ?? node.value ?? '')}`;
  if (isAlias(node)) return `alias:${node.source}`;
  return isMap(node) ? 'map:' : 'seq:';
}

function keyText(node: YamlNode | null): string {
  if (!node) return '';
  if (isScalar(node)) return String(node.source ?? node.value ?? '');
  if (isAlias(node)) return node.source;
  return '';
}

function isMergeKey(node: YamlNode | null): boolean {
  if (!node || !isScalar(node) || node.source !== '<<') return false;
  if (!node.tag) return node.type === 'PLAIN';
  return node.tag === '!' || shortTag(node.tag) === '!!merge';
}

function goTypeName(v: Scalar): string {
  switch (v.kind) {
    case 'int':
      return v.value > 2n ** 63n - 1n ? 'uint64' : 'int';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'time':
      return 'time.Time';
    case 'null':
      return '<nil>';
    default:
      return 'string';
  }
}

function scalarText(v: Scalar): string {
  switch (v.kind) {
    case 'null':
      return '<nil>';
    case 'bytes':
      return '[…]';
    default:
      return String(v.value);
  }
}

function nonStringKey(type: string, text: string, line: number): SecretsError {
  // sops.go walkBranch: "Tree contains a non-string key (type %T): %s. Only string keys are supported"
  return formatError(`tree contains a non-string key (type ${type}) at line ${line}: ${text}; only string keys are supported`, {
    hints: ['quote the key to make it a string'],
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `!!binary`: Go base64.StdEncoding (line breaks ignored), then the bytes as a string. */
function decodeBinary(b64: string): string {
  const compact = b64.replace(/[\r\n]/g, '');
  if (!BASE64.test(compact)) throw new ResolveError('!!binary value contains invalid base64 data');
  const bytes = Buffer.from(compact, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Go would keep the raw bytes in a string; a JavaScript string cannot hold them.
    throw new ResolveError('!!binary value is not UTF-8 text, which this implementation cannot represent');
  }
}
