/**
 * YAML output exactly as sops 3.13 writes it: sops `stores/yaml` turns the tree into go-yaml v3 `Node`s
 * and writes them with a go-yaml `Encoder` (`SetIndent(n)`, no line wrapping). The work is in three
 * modules:
 *
 * 1. `yaml-events.ts`: the node tree (sops' comment placement, go-yaml's scalar styles) and the event
 *    stream `encoder.node` produces from it.
 * 2. This module: go-yaml's libyaml-derived emitter state machine driven by those events, including its
 *    comment registers (a comment may be written later than the event that carried it), indentation rules
 *    (block sequences indented under their key, `- ` counting as indentation inside sequences), simple-key
 *    limits (128 bytes, single line, else `? `) and empty collections as `{}`/`[]`.
 * 3. `yaml-writer.ts`: the emitter's output, comments and scalar writers, including the double-quoted
 *    escapes (`\U0001F600` for characters outside the BMP, which libyaml does not consider printable).
 *
 * Written from the behaviour of go-yaml v3.0.4 `encode.go`, `emitterc.go`, `yamlprivateh.go` and sops
 * 3.13 `stores/yaml/store.go`.
 *
 * @internal
 */

import { SecretsError } from '../../errors.js';
import type { Document, Value } from '../tree.js';
import { documentEvents, valueEvents, type YamlEvent } from './yaml-events.js';
import { analyze, type Analysis } from './yaml-scalar-analysis.js';
import { YamlWriter } from './yaml-writer.js';

/** go-yaml's emitter states (`yaml_EMIT_*_STATE`) that sops output reaches. */
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

/** The length in UTF-8 bytes, which go-yaml's simple-key limit counts. */
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** go-yaml's emitter, restricted to the events sops produces (no anchors, aliases, flow content or folding). */
class Emitter extends YamlWriter {
  private readonly indents: number[] = [];
  private state: State = 'STREAM_START';
  private readonly states: State[] = [];
  private flowLevel = 0;
  private simpleKeyContext = false;
  /** A key's line comment, held until the value shows where it goes. */
  private keyLine = '';
  // the current scalar event's analysis
  private tagHandle = '';
  private tagSuffix = '';
  private analysis: Analysis | null = null;
  private events: readonly YamlEvent[] = [];
  private pos = 0;

  run(events: readonly YamlEvent[]): string[] {
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

  private analyzeEvent(ev: YamlEvent): void {
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

  private dispatch(ev: YamlEvent): void {
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

  private documentStart(ev: YamlEvent, first: boolean): void {
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

  private documentEnd(ev: YamlEvent): void {
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

  private emptyFlowCollection(ev: YamlEvent, open: string, close: string, end: 'SEQ_END' | 'MAP_END'): void {
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

  private blockSequenceItem(ev: YamlEvent, first: boolean): void {
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

  private blockMappingKey(ev: YamlEvent, first: boolean): void {
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

  private blockMappingValue(ev: YamlEvent, simple: boolean): void {
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

  private checkSimpleKey(ev: YamlEvent): boolean {
    if (ev.type === 'SCALAR') {
      if (this.analysis!.multiline) return false;
      return this.tagHandle.length + this.tagSuffix.length + utf8Length(ev.value) <= 128;
    }
    if (ev.type === 'SEQ_START' || ev.type === 'MAP_START') return this.isEmptyCollection();
    return false;
  }

  private emitNode(ev: YamlEvent, simpleKey: boolean): void {
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

  private emitScalar(ev: Extract<YamlEvent, { type: 'SCALAR' }>): void {
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
}

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
  return new Emitter(indent).run(documentEvents(doc));
}

/**
 * Writes one value as `yaml.Marshal` does for sops' `EmitValue` (always go-yaml's default indentation 4):
 * a single document whose root is the value.
 */
export function emitYamlValue(value: Value): string[] {
  return new Emitter(4).run(valueEvents(value));
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
