/**
 * YAML output exactly as sops 3.13 writes it: sops `stores/yaml` turns the tree into go-yaml v3 `Node`s
 * (each scalar through `Node.Encode`, which picks a style and re-parses it) and writes them with a go-yaml
 * `Encoder` (`SetIndent(n)`, no line wrapping). This module reproduces both steps:
 *
 * 1. {@link buildNodes}: the node tree, with sops' comment placement (`appendTreeBranch`/`appendSequence`:
 *    leading comments become the collection's head comment, comments before an item its head comment,
 *    inline comments the line comment of the next value, trailing ones the foot comment of the last item)
 *    and go-yaml's scalar styles (`encoder.stringv`, then the emitter's style fallback at document root).
 * 2. {@link Emitter}: go-yaml's libyaml-derived emitter state machine, driven by the same event stream
 *    `encoder.node` produces, including its comment registers (a comment may be written later than the
 *    event that carried it), indentation rules (block sequences indented under their key, `- ` counting
 *    as indentation inside sequences), simple-key limits (128 bytes, single line, else `? `), empty
 *    collections as `{}`/`[]`, and the double-quoted escapes (`\U0001F600` for characters outside the
 *    BMP, which libyaml does not consider printable).
 *
 * Written from the behaviour of go-yaml v3.0.4 `encode.go`, `emitterc.go`, `yamlprivateh.go` and sops
 * 3.13 `stores/yaml/store.go`.
 *
 * @internal
 */

import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../tree.js';
import { isWellFormed } from './common.js';
import { canonicalTimeText, yamlFloatText } from './go-format.js';
import { mustQuoteString } from './yaml-resolve.js';

type Style = 'plain' | 'single' | 'double' | 'literal';

interface YScalar {
  readonly t: 'scalar';
  readonly value: string;
  readonly style: Style;
  /** Only `!!merge` (a plain `<<`, tagged so by go-yaml's parser) survives to the output. */
  readonly tag: '' | '!!merge';
  head: string;
  line: string;
  foot: string;
}
interface YSeq {
  readonly t: 'seq';
  readonly items: YNode[];
  head: string;
  line: string;
  foot: string;
}
interface YMap {
  readonly t: 'map';
  readonly pairs: [YScalar, YNode][];
  head: string;
  line: string;
  foot: string;
}
type YNode = YScalar | YSeq | YMap;

// ---------------------------------------------------------------------------------------------------------
// Character classes (yamlprivateh.go), on code points

/** libyaml `is_printable`: note that characters outside the BMP are not printable. */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}
const isBreak = (cp: number): boolean => cp === 0x0d || cp === 0x0a || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlank = (cp: number | undefined): boolean => cp === 0x20 || cp === 0x09;

/** Characters that make a scalar unusable as plain when they start it. */
const INDICATOR_START = new Set(Array.from('#,[]{}&*!|>\'"%@`', (ch) => ch.charCodeAt(0)));
/** Flow indicators anywhere after the first character. */
const FLOW_INDICATORS = new Set(Array.from(',?[]{}', (ch) => ch.charCodeAt(0)));

/** What `yaml_emitter_analyze_scalar` finds out about a scalar. */
export interface Analysis {
  readonly multiline: boolean;
  readonly flowPlain: boolean;
  readonly blockPlain: boolean;
  readonly single: boolean;
  readonly block: boolean;
}

// Shapes that make up almost all of a sops file (keys, ENC values, armored age blocks), whose analysis is
// known without the character loop below; `analyzeScalar` gives the same answer for them.
const SIMPLE = /^[A-Za-z0-9_/+=][A-Za-z0-9_./+=-]*$/;
const ENC_VALUE = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/;
const TOKEN_LINES = /^(?:[A-Za-z0-9+/=-]+(?: [A-Za-z0-9+/=-]+)*\n)+$/;
const SIMPLE_ANALYSIS: Analysis = { multiline: false, flowPlain: true, blockPlain: true, single: true, block: true };
const ENC_ANALYSIS: Analysis = { multiline: false, flowPlain: false, blockPlain: true, single: true, block: true };
const LINES_ANALYSIS: Analysis = { multiline: true, flowPlain: false, blockPlain: false, single: true, block: true };

/**
 * `yaml_emitter_analyze_scalar`, with shortcuts for common shapes.
 *
 * @internal
 */
export function analyze(value: string): Analysis {
  if (SIMPLE.test(value)) return SIMPLE_ANALYSIS;
  if (value.startsWith('ENC[') && ENC_VALUE.test(value)) return ENC_ANALYSIS;
  if (value.endsWith('\n') && TOKEN_LINES.test(value)) return LINES_ANALYSIS;
  return analyzeScalar(value);
}

/**
 * `yaml_emitter_analyze_scalar` character by character (exported for the tests of {@link analyze}).
 *
 * @internal
 */
export function analyzeScalar(value: string): Analysis {
  if (value.length === 0) return { multiline: false, flowPlain: false, blockPlain: true, single: true, block: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0; i < value.length; ) {
    const c = value.codePointAt(i)!;
    const width = c > 0xffff ? 2 : 1;
    const first = i === 0;
    const last = i + width >= value.length;
    const followedByWhitespace = last || isBlank(value.charCodeAt(i + width));
    if (first) {
      if (INDICATOR_START.has(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === 0x3f || c === 0x3a) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === 0x2d && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (FLOW_INDICATORS.has(c)) {
      flowIndicators = true;
    } else if (c === 0x3a) {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === 0x23 && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (c === 0x09) tabs = true;
    else if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (first) leadingBreak = true;
      if (last) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    // is_blankz: blank, break or NUL
    precededByWhitespace = isBlank(c) || isBreak(c) || c === 0;
    i += width;
  }
  let flowPlain = true;
  let blockPlain = true;
  let single = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlain = blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) flowPlain = blockPlain = single = false;
  if (spaceBreak || tabs || special) flowPlain = blockPlain = single = false;
  if (spaceBreak || special) block = false;
  if (lineBreaks) flowPlain = blockPlain = false;
  if (flowIndicators) flowPlain = false;
  if (blockIndicators) blockPlain = false;
  return { multiline: lineBreaks, flowPlain, blockPlain, single, block };
}

// ---------------------------------------------------------------------------------------------------------
// Step 1: sops tree → go-yaml nodes

function scalarNode(value: string, style: Style, tag: '' | '!!merge' = ''): YScalar {
  return { t: 'scalar', value, style, tag, head: '', line: '', foot: '' };
}

/**
 * The style `Node.Encode(string)` leaves on the node: `encoder.stringv` picks literal (contains `\n`),
 * plain (reads back as a string and is no YAML 1.1 bool/base-60 number) or double quotes; the emitter then
 * falls back from plain to single quotes and from single quotes/literal to double quotes when the content
 * does not allow them, and the re-parse keeps that style.
 */
export function stringStyle(s: string): Style {
  let style: Style = s.includes('\n') ? 'literal' : mustQuoteString(s) ? 'double' : 'plain';
  const a = analyze(s);
  if (style === 'plain' && !a.blockPlain) style = 'single';
  if (style === 'single' && !a.single) style = 'double';
  if (style === 'literal' && !a.block) style = 'double';
  return style;
}

function stringNode(s: string): YScalar {
  if (!isWellFormed(s)) {
    throw new SecretsError('SOPS_VALUE_INVALID', 'cannot write a string with a lone UTF-16 surrogate as YAML');
  }
  const style = stringStyle(s);
  // go-yaml's parser tags a plain `<<` as a merge key, and its encoder keeps that tag (`!!merge <<`).
  return scalarNode(s, style, style === 'plain' && s === '<<' ? '!!merge' : '');
}

function scalarToNode(v: Scalar): YNode {
  switch (v.kind) {
    case 'string':
      return stringNode(v.value);
    case 'int':
      return scalarNode(v.value.toString(), 'plain');
    case 'float':
      return scalarNode(yamlFloatText(v.value), 'plain');
    case 'bool':
      return scalarNode(v.value ? 'true' : 'false', 'plain');
    case 'null':
      return scalarNode('null', 'plain');
    case 'time': {
      const text = canonicalTimeText(v.value);
      if (text === null) throw new SecretsError('SOPS_VALUE_INVALID', `invalid time value ${JSON.stringify(v.value)}`);
      return scalarNode(text, 'plain');
    }
    case 'bytes':
      // go-yaml marshals a Go []byte like any slice: a sequence of small integers.
      return { t: 'seq', items: Array.from(v.value, (b) => scalarNode(String(b), 'plain')), head: '', line: '', foot: '' };
  }
}

const joinComments = (lines: readonly string[]): string => '#' + lines.join('\n#');

function addHead(node: YNode, lines: string[]): void {
  if (lines.length === 0) return;
  const c = joinComments(lines);
  node.head = node.head ? `${c}\n${node.head}` : c;
}
function addFoot(node: YNode, lines: string[]): void {
  if (lines.length === 0) return;
  const c = joinComments(lines);
  node.foot = node.foot ? `${node.foot}\n${c}` : c;
}
function addLine(node: YNode, lines: string[]): void {
  if (lines.length === 0) return;
  const c = joinComments(lines);
  node.line = node.line ? `${node.line}\n${c}` : c;
}

/**
 * Hands a container's comment items to go-yaml's node comments: the comments before a child become its
 * head (the container's own head before the first child), inline ones the line comment of `lineOf` the
 * child, and what is left after the last child that child's foot (or the container's head if it is empty).
 */
function distributeComments<T>(
  items: readonly (T | Comment)[],
  container: YNode,
  child: (item: T) => { head: YNode; line: YNode; foot: YNode },
): void {
  let heads: string[] = [];
  let inlines: string[] = [];
  let beginning = true;
  let last: YNode | null = null;
  for (const item of items) {
    if ((item as { kind?: unknown }).kind === 'comment') {
      const c = item as Comment;
      (c.inline ? inlines : heads).push(c.text);
      continue;
    }
    if (beginning) {
      addHead(container, heads);
      heads = [];
      beginning = false;
    }
    const nodes = child(item as T);
    addHead(nodes.head, heads);
    addLine(nodes.line, inlines);
    heads = [];
    inlines = [];
    last = nodes.foot;
  }
  const rest = [...heads, ...inlines];
  if (last === null) addHead(container, rest);
  else addFoot(last, rest);
}

function mapToNode(map: MapNode): YMap {
  const node: YMap = { t: 'map', pairs: [], head: '', line: '', foot: '' };
  distributeComments(map.items, node, (entry: Entry) => {
    const key = stringNode(entry.key);
    const value = valueToNode(entry.value);
    node.pairs.push([key, value]);
    return { head: key, line: value, foot: key };
  });
  return node;
}

function seqToNode(seq: SeqNode): YSeq {
  const node: YSeq = { t: 'seq', items: [], head: '', line: '', foot: '' };
  distributeComments(seq.items, node, (item: Value) => {
    const child = valueToNode(item);
    node.items.push(child);
    return { head: child, line: child, foot: child };
  });
  return node;
}

function valueToNode(v: Value): YNode {
  if (v.kind === 'map') return mapToNode(v);
  if (v.kind === 'seq') return seqToNode(v);
  return scalarToNode(v);
}

// ---------------------------------------------------------------------------------------------------------
// Step 2: events (go-yaml encoder.node) and the emitter state machine (emitterc.go)

type Ev =
  | { readonly type: 'STREAM_START' }
  | { readonly type: 'STREAM_END' }
  | { readonly type: 'DOC_START'; readonly head: string }
  | { readonly type: 'DOC_END'; readonly foot: string }
  | { readonly type: 'SEQ_START'; readonly head: string }
  | { readonly type: 'SEQ_END'; readonly line: string; readonly foot: string }
  | { readonly type: 'MAP_START'; readonly head: string; readonly tail: string }
  | { readonly type: 'MAP_END'; readonly line: string; readonly foot: string; readonly tail: string }
  | {
      readonly type: 'SCALAR';
      readonly value: string;
      readonly style: Style;
      readonly tag: '' | '!!merge';
      readonly head: string;
      readonly line: string;
      readonly foot: string;
      readonly tail: string;
    };

function nodeEvents(node: YNode, tail: string, out: Ev[]): void {
  switch (node.t) {
    case 'scalar':
      out.push({ type: 'SCALAR', value: node.value, style: node.style, tag: node.tag, head: node.head, line: node.line, foot: node.foot, tail });
      return;
    case 'seq':
      out.push({ type: 'SEQ_START', head: node.head });
      for (const item of node.items) nodeEvents(item, '', out);
      out.push({ type: 'SEQ_END', line: node.line, foot: node.foot });
      return;
    case 'map': {
      out.push({ type: 'MAP_START', head: node.head, tail });
      // A key's foot comment is held back and written before the next key (or at the end of the mapping),
      // after the whole value has been written.
      let pending = '';
      for (const [key, value] of node.pairs) {
        const foot = key.foot;
        nodeEvents(foot ? { ...key, foot: '' } : key, pending, out);
        pending = foot;
        nodeEvents(value, '', out);
      }
      out.push({ type: 'MAP_END', line: node.line, foot: node.foot, tail: pending });
      return;
    }
  }
}

type State =
  | 'STREAM_START'
  | 'FIRST_DOC_START'
  | 'DOC_START'
  | 'DOC_CONTENT'
  | 'DOC_END'
  | 'FLOW_SEQ_FIRST'
  | 'FLOW_MAP_FIRST'
  | 'BLOCK_SEQ_FIRST'
  | 'BLOCK_SEQ_ITEM'
  | 'BLOCK_MAP_FIRST_KEY'
  | 'BLOCK_MAP_KEY'
  | 'BLOCK_MAP_SIMPLE_VALUE'
  | 'BLOCK_MAP_VALUE'
  | 'END';

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** go-yaml's emitter, restricted to the events sops produces (no anchors, aliases, flow content or folding). */
class Emitter {
  /** The text so far, in pages: one string for a 50 MB file would be flattened into a second copy. */
  private readonly pages: string[] = [];
  private out = '';
  private readonly bestIndent: number;
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private state: State = 'STREAM_START';
  private readonly states: State[] = [];
  private whitespace = true;
  private indention = true;
  private footIndent = -1;
  private flowLevel = 0;
  private simpleKeyContext = false;
  // comment registers: set when an event carrying a comment is analyzed, written when the state machine
  // reaches a place that writes that kind of comment
  private head = '';
  private line = '';
  private foot = '';
  private tail = '';
  private keyLine = '';
  // the current scalar event's analysis
  private tagHandle = '';
  private tagSuffix = '';
  private analysis: Analysis | null = null;
  private events: readonly Ev[] = [];
  private pos = 0;

  constructor(indent: number) {
    this.bestIndent = indent < 2 || indent > 9 ? 2 : indent;
  }

  run(events: readonly Ev[]): string[] {
    this.events = events;
    for (this.pos = 0; this.pos < events.length; this.pos++) {
      const ev = events[this.pos]!;
      this.analyzeEvent(ev);
      this.dispatch(ev);
      if (this.out.length >= 1 << 16) {
        this.pages.push(this.out);
        this.out = '';
      }
    }
    this.pages.push(this.out);
    return this.pages;
  }

  private analyzeEvent(ev: Ev): void {
    this.tagHandle = '';
    this.tagSuffix = '';
    this.analysis = null;
    if ('head' in ev && ev.head) this.head = ev.head;
    if ('line' in ev && ev.line) this.line = ev.line;
    if ('foot' in ev && ev.foot) this.foot = ev.foot;
    if ('tail' in ev && ev.tail) this.tail = ev.tail;
    if (ev.type === 'SCALAR') {
      if (ev.tag === '!!merge') {
        // tag:yaml.org,2002:merge matches the default %TAG directive "!!"
        this.tagHandle = '!!';
        this.tagSuffix = 'merge';
      }
      this.analysis = analyze(ev.value);
    }
  }

  private dispatch(ev: Ev): void {
    switch (this.state) {
      case 'STREAM_START':
        if (ev.type !== 'STREAM_START') throw internal('expected STREAM-START');
        this.state = 'FIRST_DOC_START';
        return;
      case 'FIRST_DOC_START':
      case 'DOC_START':
        { this.documentStart(ev, this.state === 'FIRST_DOC_START'); return; }
      case 'DOC_CONTENT':
        this.states.push('DOC_END');
        this.processHeadComment();
        this.emitNode(ev, false);
        this.processLineComment();
        this.processFootComment();
        return;
      case 'DOC_END':
        { this.documentEnd(ev); return; }
      case 'FLOW_SEQ_FIRST':
        { this.emptyFlowCollection(ev, '[', ']', 'SEQ_END'); return; }
      case 'FLOW_MAP_FIRST':
        { this.emptyFlowCollection(ev, '{', '}', 'MAP_END'); return; }
      case 'BLOCK_SEQ_FIRST':
      case 'BLOCK_SEQ_ITEM':
        { this.blockSequenceItem(ev, this.state === 'BLOCK_SEQ_FIRST'); return; }
      case 'BLOCK_MAP_FIRST_KEY':
      case 'BLOCK_MAP_KEY':
        { this.blockMappingKey(ev, this.state === 'BLOCK_MAP_FIRST_KEY'); return; }
      case 'BLOCK_MAP_SIMPLE_VALUE':
      case 'BLOCK_MAP_VALUE':
        { this.blockMappingValue(ev, this.state === 'BLOCK_MAP_SIMPLE_VALUE'); return; }
      case 'END':
        throw internal('expected nothing after STREAM-END');
    }
  }

  private documentStart(ev: Ev, first: boolean): void {
    if (ev.type === 'STREAM_END') {
      this.state = 'END';
      return;
    }
    if (ev.type !== 'DOC_START') throw internal('expected DOCUMENT-START');
    // Every document but the first gets an explicit "---".
    if (!first) {
      this.writeIndent();
      this.writeIndicator('---', true, false, false);
      this.writeIndent();
    }
    if (this.head) {
      this.processHeadComment();
      this.putBreak();
    }
    this.state = 'DOC_CONTENT';
  }

  private documentEnd(ev: Ev): void {
    if (ev.type !== 'DOC_END') throw internal('expected DOCUMENT-END');
    this.footIndent = 0;
    this.processFootComment();
    this.footIndent = -1;
    this.writeIndent();
    this.state = 'DOC_START';
  }

  private popState(): void {
    this.state = this.states.pop() ?? 'END';
  }
  private popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  private emptyFlowCollection(ev: Ev, open: string, close: string, end: 'SEQ_END' | 'MAP_END'): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true);
    this.flowLevel++;
    if (ev.type !== end) throw internal('flow collections are only written when empty');
    if (end === 'MAP_END') this.processHeadComment();
    this.flowLevel--;
    this.popIndent();
    if (end === 'SEQ_END' && this.column === 0) this.writeIndent();
    this.writeIndicator(close, false, false, false);
    this.processLineComment();
    this.processFootComment();
    this.popState();
  }

  private blockSequenceItem(ev: Ev, first: boolean): void {
    if (first) this.increaseIndent(false);
    if (ev.type === 'SEQ_END') {
      this.popIndent();
      this.popState();
      return;
    }
    this.processHeadComment();
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.states.push('BLOCK_SEQ_ITEM');
    this.emitNode(ev, false);
    this.processLineComment();
    this.processFootComment();
  }

  private blockMappingKey(ev: Ev, first: boolean): void {
    if (first) this.increaseIndent(false);
    this.processHeadComment();
    if (ev.type === 'MAP_END') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.line) {
      this.keyLine = this.line;
      this.line = '';
    }
    if (this.checkSimpleKey(ev)) {
      this.states.push('BLOCK_MAP_SIMPLE_VALUE');
      this.emitNode(ev, true);
    } else {
      this.writeIndicator('?', true, false, true);
      this.states.push('BLOCK_MAP_VALUE');
      this.emitNode(ev, false);
    }
  }

  private blockMappingValue(ev: Ev, simple: boolean): void {
    if (simple) {
      this.writeIndicator(':', false, false, false);
    } else {
      this.writeIndent();
      this.writeIndicator(':', true, false, true);
    }
    if (this.keyLine) {
      if (ev.type === 'SCALAR') {
        if (!this.line) {
          this.line = this.keyLine;
          this.keyLine = '';
        }
      } else if (ev.type === 'MAP_START' || ev.type === 'SEQ_START') {
        [this.line, this.keyLine] = [this.keyLine, this.line];
        this.processLineComment();
        [this.line, this.keyLine] = [this.keyLine, this.line];
      }
    }
    this.states.push('BLOCK_MAP_KEY');
    this.emitNode(ev, false);
    this.processLineComment();
    this.processFootComment();
  }

  private isEmptyCollection(): boolean {
    const next = this.events[this.pos + 1];
    const ev = this.events[this.pos]!;
    return (ev.type === 'SEQ_START' && next?.type === 'SEQ_END') || (ev.type === 'MAP_START' && next?.type === 'MAP_END');
  }

  private checkSimpleKey(ev: Ev): boolean {
    if (ev.type === 'SCALAR') {
      if (this.analysis!.multiline) return false;
      return this.tagHandle.length + this.tagSuffix.length + utf8Length(ev.value) <= 128;
    }
    if (ev.type === 'SEQ_START' || ev.type === 'MAP_START') return this.isEmptyCollection();
    return false;
  }

  private emitNode(ev: Ev, simpleKey: boolean): void {
    this.simpleKeyContext = simpleKey;
    switch (ev.type) {
      case 'SCALAR':
        { this.emitScalar(ev); return; }
      case 'SEQ_START':
        this.state = this.flowLevel > 0 || this.isEmptyCollection() ? 'FLOW_SEQ_FIRST' : 'BLOCK_SEQ_FIRST';
        return;
      case 'MAP_START':
        this.state = this.flowLevel > 0 || this.isEmptyCollection() ? 'FLOW_MAP_FIRST' : 'BLOCK_MAP_FIRST_KEY';
        return;
      default:
        throw internal(`expected SCALAR, SEQUENCE-START or MAPPING-START, got ${ev.type}`);
    }
  }

  private emitScalar(ev: Extract<Ev, { type: 'SCALAR' }>): void {
    const a = this.analysis!;
    const implicit = ev.tag === '';
    // yaml_emitter_select_scalar_style
    let style = ev.style;
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlain) || (this.flowLevel === 0 && !a.blockPlain)) style = 'single';
      if (ev.value.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single';
      if (!this.tagHandle && !implicit) style = 'single';
    }
    if (style === 'single' && !a.single) style = 'double';
    if (style === 'literal' && (!a.block || this.flowLevel > 0 || this.simpleKeyContext)) style = 'double';
    // process_tag
    if (this.tagHandle) {
      if (!this.whitespace) this.put(' ');
      this.writeText(this.tagHandle + this.tagSuffix);
      this.whitespace = false;
      this.indention = false;
    }
    this.increaseIndent(true);
    switch (style) {
      case 'plain':
        this.writePlain(ev.value);
        break;
      case 'single':
        this.writeSingleQuoted(ev.value);
        break;
      case 'double':
        this.writeDoubleQuoted(ev.value);
        break;
      case 'literal':
        this.writeLiteral(ev.value);
        break;
    }
    this.popIndent();
    this.popState();
  }

  private increaseIndent(flow: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) {
      this.indent = flow ? this.bestIndent : 0;
    } else if (this.states[this.states.length - 1] === 'BLOCK_SEQ_ITEM') {
      // The first indentation inside a sequence item just skips the "- " indicator.
      this.indent += 2;
    } else {
      // go-yaml: everything else aligns to a multiple of the chosen indentation.
      this.indent = this.bestIndent * Math.floor((this.indent + this.bestIndent) / this.bestIndent);
    }
  }

  // --- output primitives --------------------------------------------------------------------------------

  private put(ch: string): void {
    this.out += ch;
    this.column++;
  }

  private writeText(s: string): void {
    for (const ch of s) this.put(ch);
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.indention = true;
  }

  private writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
    } else {
      this.out += ch;
      this.column = 0;
      this.indention = true;
    }
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    // A foot comment written at this indentation is separated from what follows by an empty line.
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.footIndent = -1;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.writeText(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  // --- comments --------------------------------------------------------------------------------------------

  private processHeadComment(): void {
    if (this.tail) {
      this.writeIndent();
      this.writeComment(this.tail);
      this.tail = '';
      this.footIndent = Math.max(this.indent, 0);
    }
    if (!this.head) return;
    this.writeIndent();
    this.writeComment(this.head);
    this.head = '';
  }

  private processLineComment(linebreak = false): void {
    if (!this.line) {
      if (linebreak) this.putBreak();
      return;
    }
    if (!this.whitespace) this.put(' ');
    this.writeComment(this.line);
    this.line = '';
  }

  private processFootComment(): void {
    if (!this.foot) return;
    this.writeIndent();
    this.writeComment(this.foot);
    this.foot = '';
    this.footIndent = Math.max(this.indent, 0);
  }

  private writeComment(comment: string): void {
    let breaks = false;
    let pound = false;
    for (const ch of comment) {
      if (isBreak(ch.codePointAt(0)!)) {
        this.writeBreak(ch);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.writeIndent();
        if (!pound) {
          if (ch !== '#') this.writeText('# ');
          pound = true;
        }
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }

  // --- scalars ---------------------------------------------------------------------------------------------

  /** Appends text without line breaks in one go. */
  private writeRun(run: string): void {
    this.out += run;
    let n = run.length;
    for (let i = 0; i < run.length; i++) {
      const u = run.charCodeAt(i);
      if (u >= 0xdc00 && u <= 0xdfff) n--; // a surrogate pair is one character for the column count
    }
    this.column += n;
  }

  private writePlain(value: string): void {
    if (value.length > 0 && !this.whitespace) this.put(' ');
    if (!BREAKS.test(value)) {
      this.writeRun(value);
      if (value.length > 0) this.whitespace = false;
      this.indention = false;
      return;
    }
    let breaks = false;
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x20) {
        this.put(ch);
      } else if (isBreak(cp)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    if (value.length > 0) this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(value: string): void {
    this.writeIndicator("'", true, false, false);
    if (!BREAKS.test(value)) {
      this.writeRun(value.replaceAll("'", "''"));
      this.writeIndicator("'", false, false, false);
      this.whitespace = false;
      this.indention = false;
      return;
    }
    let breaks = false;
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x20) {
        this.put(ch);
      } else if (isBreak(cp)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(value: string): void {
    this.writeIndicator('"', true, false, false);
    // libyaml's is_bom() looks at the first bytes of the whole value, not at the current position: a value
    // starting with U+FEFF has every character escaped.
    const bom = value.startsWith('\ufeff');
    if (!bom && !NEEDS_ESCAPE.test(value)) {
      this.writeRun(value);
      this.writeIndicator('"', false, false, false);
      this.whitespace = false;
      this.indention = false;
      return;
    }
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (bom || !isPrintable(cp) || isBreak(cp) || cp === 0x22 || cp === 0x5c) {
        this.put('\\');
        const short = ESCAPES.get(cp);
        if (short !== undefined) {
          this.put(short);
        } else {
          const [letter, width] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          this.writeText(letter + cp.toString(16).toUpperCase().padStart(width, '0'));
        }
      } else {
        this.put(ch);
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    // block scalar hints: an indentation indicator when the content starts with a space or a break, and
    // the chomping indicator from the trailing breaks ("-" none, clip one, "+" more). Breaks are BMP
    // characters and surrogates are not breaks, so code units do here.
    const n = value.length;
    if (n > 0 && (value.charCodeAt(0) === 0x20 || isBreak(value.charCodeAt(0)))) this.writeIndicator(String(this.bestIndent), false, false, false);
    let chomp = '';
    if (n === 0 || !isBreak(value.charCodeAt(n - 1))) chomp = '-';
    else if (n === 1 || isBreak(value.charCodeAt(n - 2))) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.processLineComment(true);
    this.whitespace = true;
    let breaks = true;
    // Line by line: the indentation before each line, then the line in one piece.
    for (let i = 0; i < n; ) {
      if (isBreak(value.charCodeAt(i))) {
        this.writeBreak(value[i] as string);
        breaks = true;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && !isBreak(value.charCodeAt(j))) j++;
      if (breaks) this.writeIndent();
      this.writeRun(value.slice(i, j));
      this.indention = false;
      breaks = false;
      i = j;
    }
  }
}

/** libyaml line breaks. */
const BREAKS = /[\r\n\u0085\u2028\u2029]/;
/** Characters the double-quoted writer escapes: non-printable (incl. beyond the BMP), breaks, `"` and `\`. */
 
const NEEDS_ESCAPE = /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]|[\ufeff\u2028\u2029"\\]/;

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function internal(message: string): SecretsError {
  return new SecretsError('INTERNAL', `yaml emitter: ${message}`);
}

/**
 * Writes documents as sops' YAML store does (`EmitPlainFile`): one go-yaml document per branch, `---`
 * before every document but the first, nothing at all for zero branches.
 *
 * @param indent - the go-yaml indentation (already defaulted: sops passes 4 unless configured)
 * @returns the text, in pages (see {@link encodePages})
 */
export function emitYamlDocuments(doc: Document, indent: number): string[] {
  if (doc.branches.length === 0) return [];
  const events: Ev[] = [{ type: 'STREAM_START' }];
  for (const branch of doc.branches) {
    events.push({ type: 'DOC_START', head: '' });
    nodeEvents(mapToNode(branch), '', events);
    events.push({ type: 'DOC_END', foot: '' });
  }
  events.push({ type: 'STREAM_END' });
  return new Emitter(indent).run(events);
}

/**
 * Writes one value as `yaml.Marshal` does for sops' `EmitValue` (always go-yaml's default indentation 4):
 * a single document whose root is the value.
 */
export function emitYamlValue(value: Value): string[] {
  const events: Ev[] = [{ type: 'STREAM_START' }, { type: 'DOC_START', head: '' }];
  nodeEvents(valueToNode(value), '', events);
  events.push({ type: 'DOC_END', foot: '' }, { type: 'STREAM_END' });
  return new Emitter(4).run(events);
}

/**
 * UTF-8 of text in pages, written straight into one buffer.
 *
 * @param pages - from {@link emitYamlDocuments} or {@link emitYamlValue}
 * @returns the bytes
 */
export function encodePages(pages: readonly string[]): Uint8Array {
  let length = 0;
  for (const page of pages) length += Buffer.byteLength(page, 'utf8');
  const out = new Uint8Array(length);
  const encoder = new TextEncoder();
  let offset = 0;
  for (const page of pages) offset += encoder.encodeInto(page, out.subarray(offset)).written;
  return out;
}
