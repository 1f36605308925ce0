/**
 * A fast reader for the block YAML that sops and go-yaml write (and most people write by hand): block
 * mappings and sequences indented with spaces, one-line plain and quoted scalars, literal block scalars,
 * empty flow collections and whole-line comments.
 *
 * It is an accelerator, not a second YAML implementation: the full reader (`yaml.ts`, on eemeli/yaml)
 * defines the result. Anything outside the subset above (tabs, CR, anchors, tags, flow content, trailing
 * comments, multi-line or continued scalars, folded or keep-chomped blocks, several documents, duplicate
 * or merge keys, non-string keys, too deep nesting) makes it decline with null, and the full reader
 * runs, errors included. Scalars are typed by the same {@link resolveScalar}, and comments are placed by
 * the same rule the full reader applies to whole-line comments (see `placeComments` there).
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */
import type { Comment, Document, Entry, MapNode, SeqNode, Value } from '../tree.js';
import { DECLINE, plainStart, unescapeDouble } from './yaml-fast-scalars.js';
import { resolveScalar } from './yaml-resolve.js';


// Characters the subset never contains: tabs, CR, other C0/C1 controls, Unicode line breaks and BOMs.
const UNSUPPORTED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
// Trailing spaces, document markers and directives.
const UNSUPPORTED_LINES = / \n| $|^(?:---|\.\.\.)(?:[ \n]|$)|^%/m;
const COMMENT_LINE = /^ *#/m;

/**
 * A copy of a string that does not keep the whole input text alive: V8 represents a long substring as a
 * view into its parent, and keys and metadata outlive the parse (values are replaced by decryption).
 */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** {@link own} for every string of a subtree. */
function ownAll(value: Value): Value {
  if (value.kind === 'string') return { kind: 'string', value: own(value.value) };
  if (value.kind === 'map') return { kind: 'map', items: value.items.map((i) => (i.kind === 'entry' ? { kind: 'entry', key: i.key, value: ownAll(i.value) } : { ...i, text: own(i.text) })) };
  if (value.kind === 'seq') return { kind: 'seq', items: value.items.map((i) => (i.kind === 'comment' ? { ...i, text: own(i.text) } : ownAll(i))) };
  return value;
}

// DECLINE is a sentinel thrown without a stack (the fast path must stay cheap); it never leaves this module.
/* eslint-disable @typescript-eslint/only-throw-error */
const noBinary = (): string => {
  throw DECLINE; // only an explicit !!binary tag gets here, and tags are declined
};

interface Box {
  readonly node: MapNode | SeqNode;
  readonly parent: Box | null;
  readonly column: number;
  readonly keys?: Set<string>;
}

interface Item {
  readonly box: Box;
  readonly index: number;
  readonly start: number;
}

interface RawComment {
  readonly offset: number;
  readonly column: number;
  readonly text: string;
}

class FastReader {
  private li = 0;
  private readonly starts: number[] = [0];
  private readonly comments: RawComment[] = [];
  /** Block items in document order; kept only when there are comments to place. */
  private readonly items: Item[] | null;
  /** Where the top-level `sops` entry starts (its key's first character, at a line start), or -1. */
  private sopsStart = -1;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    if (this.starts[this.starts.length - 1] === text.length) this.starts.pop(); // no empty last line
    this.items = COMMENT_LINE.test(text) ? [] : null;
  }

  private get lines(): number {
    return this.starts.length;
  }

  private end(line: number): number {
    const next = this.starts[line + 1];
    return next === undefined ? (this.text.endsWith('\n') ? this.text.length - 1 : this.text.length) : next - 1;
  }

  private indent(line: number): number {
    const s = this.starts[line] as number;
    let i = s;
    while (this.text.charCodeAt(i) === 0x20) i++;
    return i - s;
  }

  /** Skips blank lines and records whole-line comments. */
  private skipTrivia(): void {
    while (this.li < this.lines) {
      const s = this.starts[this.li] as number;
      const e = this.end(this.li);
      if (s === e) {
        this.li++;
        continue;
      }
      const ind = this.indent(this.li);
      if (this.text.charCodeAt(s + ind) !== 0x23) return;
      this.comments.push({ offset: s + ind, column: ind, text: this.text.slice(s + ind + 1, e) });
      this.li++;
    }
  }

  private isDash(line: number, column: number): boolean {
    const p = (this.starts[line] as number) + column;
    return this.text.charCodeAt(p) === 0x2d && (p + 1 === this.end(line) || this.text.charCodeAt(p + 1) === 0x20);
  }

  load(positions?: FastPositions): Document {
    this.skipTrivia();
    if (this.li >= this.lines || this.indent(this.li) !== 0 || this.isDash(this.li, 0)) throw DECLINE;
    const root = this.map(0, 1, null);
    if (this.li < this.lines) throw DECLINE;
    if (this.items !== null && this.comments.length > 0) this.placeComments();
    const items = root.node.items as (Entry | Comment)[];
    if (positions) {
      // Only when the entry is the document's last item: then everything from there on is the block.
      const last = items[items.length - 1];
      positions.sopsStart = last?.kind === 'entry' && last.key === 'sops' ? this.sopsStart : -1;
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Entry | Comment;
      if (item.kind === 'comment') items[i] = { ...item, text: own(item.text) };
      else if (item.key === 'sops') items[i] = { kind: 'entry', key: item.key, value: ownAll(item.value) };
    }
    return { branches: [root.node as MapNode] };
  }

  private box(kind: 'map' | 'seq', column: number, depth: number, parent: Box | null): Box {
    if (depth > this.maxDepth) throw DECLINE;
    return kind === 'map' ? { node: { kind: 'map', items: [] }, parent, column, keys: new Set() } : { node: { kind: 'seq', items: [] }, parent, column };
  }

  /** A block mapping whose keys are at `column`; the current line holds its first key there. */
  private map(column: number, depth: number, parent: Box | null): Box {
    const box = this.box('map', column, depth, parent);
    for (;;) {
      this.skipTrivia();
      if (this.li >= this.lines) break;
      const ind = this.indent(this.li);
      if (ind < column) break;
      if (ind > column || this.isDash(this.li, ind)) throw DECLINE; // a continued scalar, or an indentless sequence
      this.entry(box, column, depth);
    }
    return box;
  }

  /** A block sequence whose dashes are at `column`. */
  private seq(column: number, depth: number, parent: Box | null): Box {
    const box = this.box('seq', column, depth, parent);
    const items = box.node.items as (Value | Comment)[];
    for (;;) {
      this.skipTrivia();
      if (this.li >= this.lines) break;
      const ind = this.indent(this.li);
      if (ind < column) break;
      if (ind > column || !this.isDash(this.li, ind)) throw DECLINE;
      const s = (this.starts[this.li] as number) + column;
      const e = this.end(this.li);
      this.items?.push({ box, index: items.length, start: s });
      if (s + 1 === e) {
        this.li++;
        items.push(this.nested(column, depth, box));
        continue;
      }
      let q = s + 1;
      while (this.text.charCodeAt(q) === 0x20) q++;
      if (this.text.charCodeAt(q) === 0x2d && (q + 1 === e || this.text.charCodeAt(q + 1) === 0x20)) throw DECLINE; // "- - x"
      if (this.keyEnd(q, e) >= 0) {
        // "- key: value": a mapping at the key's column, continued on the next lines
        const col = q - (this.starts[this.li] as number);
        const child = this.box('map', col, depth + 1, box);
        this.entry(child, col, depth + 1);
        for (;;) {
          this.skipTrivia();
          if (this.li >= this.lines) break;
          const i = this.indent(this.li);
          if (i < col) break;
          if (i > col || this.isDash(this.li, i)) throw DECLINE;
          this.entry(child, col, depth + 1);
        }
        items.push(child.node);
        continue;
      }
      items.push(this.inline(q, e, column, depth, box));
    }
    return box;
  }

  /** The value of `key:` or `-` at the end of a line: a nested block on the next lines, or null. */
  private nested(column: number, depth: number, parent: Box): Value {
    this.skipTrivia();
    if (this.li < this.lines) {
      const ind = this.indent(this.li);
      if (ind > column) return (this.isDash(this.li, ind) ? this.seq(ind, depth + 1, parent) : this.map(ind, depth + 1, parent)).node;
      if (ind === column && this.isDash(this.li, ind) && parent.node.kind === 'map') throw DECLINE; // indentless sequence
    }
    return { kind: 'null' };
  }

  /**
   * Where the key starting at `p` ends (its colon), or -1 when the text there is not `key:` followed by a
   * space or the end of the line.
   */
  private keyEnd(p: number, e: number): number {
    const c = this.text.charCodeAt(p);
    if (c === 0x22 || c === 0x27) {
      const close = this.quotedEnd(p, e);
      return this.text.charCodeAt(close) === 0x3a && (close + 1 === e || this.text.charCodeAt(close + 1) === 0x20) ? close : -1;
    }
    for (let i = p; i < e - 1; i++) if (this.text.charCodeAt(i) === 0x3a && this.text.charCodeAt(i + 1) === 0x20) return i;
    return this.text.charCodeAt(e - 1) === 0x3a ? e - 1 : -1;
  }

  /** One `key: value` entry starting at `column` of the current line. */
  private entry(box: Box, column: number, depth: number): void {
    const s = (this.starts[this.li] as number) + column;
    const e = this.end(this.li);
    const colon = this.keyEnd(s, e);
    if (colon < 0) throw DECLINE;
    for (let i = s; i < e; i++) if (this.text.charCodeAt(i) === 0x23) throw DECLINE; // trailing comments
    const key = own(this.key(s, colon));
    if (box.keys?.has(key)) throw DECLINE; // duplicate keys are the full reader's error
    if (box.parent === null && key === 'sops') this.sopsStart = s;
    box.keys?.add(key);
    const items = box.node.items as (Entry | Comment)[];
    this.items?.push({ box, index: items.length, start: s });
    let value: Value;
    if (colon + 1 === e) {
      this.li++;
      value = this.nested(column, depth, box);
    } else {
      let q = colon + 2;
      while (this.text.charCodeAt(q) === 0x20) q++;
      value = this.inline(q, e, column, depth, box);
    }
    items.push({ kind: 'entry', key, value });
  }

  private key(s: number, colon: number): string {
    const c = this.text.charCodeAt(s);
    if (c === 0x22 || c === 0x27) return this.quoted(s, colon);
    const text = this.text.slice(s, colon);
    if (text === '' || text === '<<' || text.length > 1000 || !plainStart(text) || text.endsWith(' ')) throw DECLINE;
    const v = resolveScalar(text, 'plain', null, noBinary);
    if (v.kind !== 'string') throw DECLINE; // a non-string key is the full reader's error
    return v.value;
  }

  /** A value from `p` to the end of the line (a block scalar goes on over the next lines). */
  private inline(p: number, e: number, column: number, depth: number, parent: Box): Value {
    const c = this.text.charCodeAt(p);
    if (c === 0x22 || c === 0x27) {
      if (this.quotedEnd(p, e) !== e) throw DECLINE;
      const value = this.quoted(p, e);
      this.li++;
      return { kind: 'string', value };
    }
    const text = this.text.slice(p, e);
    if (c === 0x7c) return this.literal(text, column);
    if (text === '{}' || text === '[]') {
      this.box('map', column, depth + 1, parent); // depth check only
      this.li++;
      return text === '{}' ? { kind: 'map', items: [] } : { kind: 'seq', items: [] };
    }
    if (!plainStart(text) || text.includes('#') || text.includes(': ') || text.endsWith(':')) throw DECLINE;
    this.li++;
    return resolveScalar(text, 'plain', null, noBinary);
  }

  /** `|` or `|-` and the lines after it, indented more than the parent's `column`. */
  private literal(header: string, column: number): Value {
    if (header !== '|' && header !== '|-') throw DECLINE;
    this.li++;
    if (this.li >= this.lines) throw DECLINE;
    const first = this.indent(this.li);
    if (this.starts[this.li] === this.end(this.li) || first <= column) throw DECLINE;
    const lines: string[] = [];
    let content = 0; // lines up to the last non-empty one
    while (this.li < this.lines) {
      const s = this.starts[this.li] as number;
      const e = this.end(this.li);
      if (s !== e) {
        if (this.indent(this.li) < first) break;
        lines.push(this.text.slice(s + first, e));
        content = lines.length;
      } else {
        lines.push('');
      }
      this.li++;
    }
    if (this.li >= this.lines && !this.text.endsWith('\n')) throw DECLINE;
    const body = lines.slice(0, content).join('\n');
    return { kind: 'string', value: header === '|' ? `${body}\n` : body };
  }

  /** The one-line quoted scalar from `p` to `end` (just after its closing quote). */
  private quoted(p: number, end: number): string {
    const raw = this.text.slice(p + 1, end - 1);
    return this.text.charCodeAt(p) === 0x27 ? raw.replaceAll("''", "'") : unescapeDouble(raw);
  }

  /** Just after the closing quote of the scalar at `p`; declines when it does not close on this line. */
  private quotedEnd(p: number, e: number): number {
    const q = this.text.charCodeAt(p);
    for (let i = p + 1; i < e; i++) {
      const c = this.text.charCodeAt(i);
      if (q === 0x22 && c === 0x5c) i++;
      else if (c === q) {
        if (q === 0x27 && this.text.charCodeAt(i + 1) === 0x27) i++;
        else return i + 1;
      }
    }
    throw DECLINE;
  }

  /** The full reader's rule for whole-line comments (rule 4 of its `placeComments`). */
  private placeComments(): void {
    const items = this.items as Item[];
    const slots = new Map<Box, Map<number, Comment[]>>();
    const put = (box: Box, index: number, text: string): void => {
      let bySlot = slots.get(box);
      if (!bySlot) slots.set(box, (bySlot = new Map<number, Comment[]>()));
      const list = bySlot.get(index);
      if (list) list.push({ kind: 'comment', text });
      else bySlot.set(index, [{ kind: 'comment', text }]);
    };
    const count = (box: Box): number => box.node.items.length;
    const chain = (box: Box | null): Box[] => {
      const out: Box[] = [];
      for (let b = box; b; b = b.parent) out.push(b);
      return out;
    };
    let next = 0;
    for (const c of this.comments) {
      while (next < items.length && (items[next] as Item).start < c.offset) next++;
      const prev = items[next - 1];
      const after = items[next];
      let placed = false;
      if (prev) {
        const open = new Set(after ? chain(after.box) : []);
        for (const b of chain(prev.box)) {
          if (open.has(b)) break;
          if (c.column >= b.column) {
            put(b, count(b), c.text);
            placed = true;
            break;
          }
        }
      }
      if (placed) continue;
      if (after) put(after.box, after.index, c.text);
      else {
        const outer = chain((prev as Item).box).pop() as Box;
        put(outer, count(outer), c.text);
      }
    }
    for (const [box, bySlot] of slots) {
      const old = box.node.items as (Entry | Value | Comment)[];
      const merged: (Entry | Value | Comment)[] = [];
      for (let i = 0; i <= old.length; i++) {
        for (const cm of bySlot.get(i) ?? []) merged.push(cm);
        if (i < old.length) merged.push(old[i] as Entry | Value | Comment);
      }
      old.length = 0;
      for (const item of merged) old.push(item);
    }
  }
}

/** Where things are in the text the fast reader read (UTF-16 offsets into it). */
export interface FastPositions {
  /**
   * The start of the top-level `sops` entry (at a line start) when it is the last item of the document,
   * so that the text from there to the end is the `sops` block and nothing else; else -1.
   */
  sopsStart: number;
}

/**
 * Reads a YAML stream of the supported subset.
 *
 * @param text - the decoded text (BOM removed)
 * @param maxDepth - the nesting limit; deeper input is left to the full reader (which reports it)
 * @param positions - filled in when given and the text is read
 * @returns the document, or null when the full reader must decide
 * @internal
 */
export function loadYamlFast(text: string, maxDepth: number, positions?: FastPositions): Document | null {
  if (text.length === 0 || UNSUPPORTED_CHARS.test(text) || UNSUPPORTED_LINES.test(text)) return null;
  try {
    return new FastReader(text, maxDepth).load(positions);
  } catch (error) {
    if (error === DECLINE) return null;
    throw error;
  }
}
