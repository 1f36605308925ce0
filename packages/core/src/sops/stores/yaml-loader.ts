/**
 * The full YAML reader: sops 3.13 `stores/yaml` semantics on top of eemeli/yaml's parser (see `yaml.ts`
 * for the rules), for everything the fast path (`yaml-fast.ts`) leaves to it, every error included.
 *
 * @internal
 */

import type { Alias, Node as YamlNode, Scalar as YamlScalar, YAMLMap, YAMLSeq } from 'yaml';
import { SecretsError } from '../../errors.js';
import type { Comment, Document, Entry, MapNode, Scalar, Value } from '../tree.js';
import { depthError, formatError, guardStack, type ResolvedLimits, yamlParserReason } from './common.js';
import { LineIndex } from './line-index.js';
import { collectComments, CommentPlacement, type RawComment } from './yaml-comments.js';
import { isAlias, isMap, isScalar, isSeq, yamlLib } from './yaml-lib.js';
import { ResolveError, resolveScalar, shortTag } from './yaml-resolve.js';

/**
 * The full reader alone (without the fast path), for tests comparing the two.
 *
 * @internal
 */
export function loadYamlFull(text: string, limits: ResolvedLimits): Document {
  return guardStack(() => new YamlLoader(text, limits).load());
}

/** A converted node with its size (nodes) and nesting depth, for the alias and depth limits. */
interface Converted {
  readonly value: Value;
  readonly size: number;
  readonly depth: number;
}

const NULL_CONVERTED: Converted = { value: { kind: 'null' }, size: 1, depth: 0 };

/** Reads one YAML stream into sops documents. */
class YamlLoader {
  private readonly lines: LineIndex;
  private readonly comments: CommentPlacement;
  /** go-yaml keeps anchors for the whole stream, not per document. */
  private readonly anchors = new Map<string, YamlNode>();
  private readonly firstPassAnchors = new Map<string, YamlNode>();
  private readonly converting = new Set<YamlNode>();
  private readonly converted = new Map<YamlNode, Converted>();
  private aliasExpansion = 0;

  constructor(
    private readonly text: string,
    private readonly limits: ResolvedLimits,
  ) {
    this.lines = new LineIndex(text);
    this.comments = new CommentPlacement(text, this.lines);
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
      if (err) throw formatError(`error unmarshaling input YAML: line ${this.lines.lineOf(err.pos[0]) + 1}: ${yamlParserReason(err.message)}`);
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
    const leading = this.comments.place(root, comments);
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
    if (!target) throw formatError(`error unmarshaling input YAML: line ${this.lines.lineOf(alias.range?.[0] ?? 0) + 1}: unknown anchor referenced`);
    return target;
  }

  private line(node: { range?: readonly number[] | null | undefined } | null | undefined): number {
    return this.lines.lineOf(node?.range?.[0] ?? 0) + 1;
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
    const { items, size, depth: mapDepth } = this.convertItems<Entry>(map, depth, (index) => {
      const pair = map.items[index]!;
      // the key first: a non-string key is reported before anything in its value
      const key = this.keyString(pair.key as YamlNode | null);
      return { node: pair.value as YamlNode | null, item: (value) => ({ kind: 'entry', key, value }) };
    });
    return { value: { kind: 'map', items }, size, depth: mapDepth };
  }

  private convertSeq(seq: YAMLSeq, depth: number): Converted {
    const { items, size, depth: seqDepth } = this.convertItems<Value>(seq, depth, (index) => ({ node: seq.items[index] as YamlNode | null, item: (value) => value }));
    return { value: { kind: 'seq', items }, size, depth: seqDepth };
  }

  /**
   * A collection's items, each converted at `depth + 1` (a missing node is null), with the comments placed
   * before each item and after the last; the size and depth count the collection itself.
   */
  private convertItems<T>(container: YAMLMap | YAMLSeq, depth: number, child: (index: number) => { node: YamlNode | null; item: (value: Value) => T }): { items: (T | Comment)[]; size: number; depth: number } {
    const items: (T | Comment)[] = [];
    let size = 1;
    let childDepth = 0;
    for (let index = 0; index <= container.items.length; index++) {
      for (const cm of this.comments.commentsAt(container, index)) items.push(cm);
      if (index === container.items.length) break;
      const { node, item } = child(index);
      const value = node ? this.convert(node, depth + 1) : NULL_CONVERTED;
      size += value.size;
      childDepth = Math.max(childDepth, value.depth);
      items.push(item(value.value));
    }
    return { items, size, depth: 1 + childDepth };
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

