/**
 * The first half of writing YAML as sops 3.13 does: sops `stores/yaml` turns the tree into go-yaml v3
 * `Node`s (each scalar through `Node.Encode`, which picks a style and re-parses it), and go-yaml's
 * `encoder.node` turns those into the event stream its emitter writes (see `yaml-emitter.ts`).
 *
 * Comment placement follows sops (`appendTreeBranch`/`appendSequence`): leading comments become the
 * collection's head comment, comments before an item its head comment, inline comments the line comment
 * of the next value, trailing ones the foot comment of the last item. Scalar styles follow go-yaml
 * (`encoder.stringv`, then the emitter's style fallback at document root).
 *
 * Written from the behaviour of go-yaml v3.0.4 `encode.go` and sops 3.13 `stores/yaml/store.go`.
 *
 * @internal
 */

import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Scalar, SeqNode, Value } from '../tree.js';
import { isWellFormed } from './common.js';
import { canonicalTimeText, yamlFloatText } from './go-format.js';
import { mustQuoteString } from './yaml-resolve.js';
import { analyze } from './yaml-scalar-analysis.js';

/** A scalar's presentation style (go-yaml's subset sops output uses). */
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

interface YScalar {
  readonly t: 'scalar';
  readonly value: string;
  readonly style: ScalarStyle;
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

function scalarNode(value: string, style: ScalarStyle, tag: '' | '!!merge' = ''): YScalar {
  return { t: 'scalar', value, style, tag, head: '', line: '', foot: '' };
}

/**
 * The style `Node.Encode(string)` leaves on the node: `encoder.stringv` picks literal (contains `\n`),
 * plain (reads back as a string and is no YAML 1.1 bool/base-60 number) or double quotes; the emitter then
 * falls back from plain to single quotes and from single quotes/literal to double quotes when the content
 * does not allow them, and the re-parse keeps that style.
 */
export function stringStyle(s: string): ScalarStyle {
  let style: ScalarStyle = s.includes('\n') ? 'literal' : mustQuoteString(s) ? 'double' : 'plain';
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


/** go-yaml's emitter events, as `encoder.node` produces them for sops' trees (comments carried along). */
export type YamlEvent =
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
      readonly style: ScalarStyle;
      readonly tag: '' | '!!merge';
      readonly head: string;
      readonly line: string;
      readonly foot: string;
      readonly tail: string;
    };

function nodeEvents(node: YNode, tail: string, out: YamlEvent[]): void {
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

/**
 * The events for a whole sops document: one go-yaml document per branch (`EmitPlainFile`).
 *
 * @returns the events, from STREAM-START to STREAM-END
 */
export function documentEvents(doc: Document): YamlEvent[] {
  const events: YamlEvent[] = [{ type: 'STREAM_START' }];
  for (const branch of doc.branches) {
    events.push({ type: 'DOC_START', head: '' });
    nodeEvents(mapToNode(branch), '', events);
    events.push({ type: 'DOC_END', foot: '' });
  }
  events.push({ type: 'STREAM_END' });
  return events;
}

/**
 * The events for one value as a single document whose root is the value (`yaml.Marshal`).
 *
 * @returns the events, from STREAM-START to STREAM-END
 */
export function valueEvents(value: Value): YamlEvent[] {
  const events: YamlEvent[] = [{ type: 'STREAM_START' }, { type: 'DOC_START', head: '' }];
  nodeEvents(valueToNode(value), '', events);
  events.push({ type: 'DOC_END', foot: '' }, { type: 'STREAM_END' });
  return events;
}
