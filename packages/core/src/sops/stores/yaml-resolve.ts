/**
 * go-yaml v3 scalar resolution (`resolve.go`) and the decoding of a scalar node into `interface{}`
 * (`decode.go` `d.scalar`), which together decide the Go type sops sees for a YAML value, and therefore the
 * `type:` of its ENC string and its MAC bytes. The emitter uses the same rules to decide when a string must
 * be quoted.
 *
 * Summary of the rules (YAML 1.2 core schema as go-yaml v3 implements it):
 * - only `true/True/TRUE/false/False/FALSE` are bools (`yes`, `on` are strings);
 * - `""`, `~`, `null/Null/NULL` are null;
 * - `.inf/.Inf/.INF` (optionally signed) and `.nan/.NaN/.NAN` are floats;
 * - a value starting with a digit or sign is tried, after removing every `_`, as a timestamp (see
 *   {@link parseYamlTimestamp}), Go `ParseInt(_, 0, 64)` (so `0x1F`, `0o17`, `0b11` and leading-zero octal
 *   `017`), `ParseUint(_, 0, 64)`, then a float matching `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`;
 * - a value starting with `.` is tried as a Go float;
 * - everything else is a string.
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */

import type { Scalar } from '../tree.js';
import { formatGoTime, parseYamlTimestamp } from './go-format.js';

/** The go-yaml short tags this module deals with. */
export type ResolvedTag = '!!null' | '!!bool' | '!!int' | '!!float' | '!!timestamp' | '!!str';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const MAP: ReadonlyMap<string, Scalar> = new Map<string, Scalar>([
  ...['true', 'True', 'TRUE'].map((s) => [s, { kind: 'bool', value: true }] as const),
  ...['false', 'False', 'FALSE'].map((s) => [s, { kind: 'bool', value: false }] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((s) => [s, { kind: 'null' }] as const),
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, { kind: 'float', value: NaN }] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, { kind: 'float', value: Infinity }] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, { kind: 'float', value: -Infinity }] as const),
]);

/** go-yaml's resolve table: the class of a value by its first byte. */
function hint(s: string): 'N' | 'M' | '.' | 'D' | 0 {
  if (s === '') return 'N';
  const c = s.charCodeAt(0);
  if (c === 0x2b || c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'D'; // sign or digit
  if ('yYnNtTfFoO~'.includes(s[0]!)) return 'M';
  if (c === 0x2e) return '.';
  return 0;
}

/** Go `strconv.ParseUint(s, base, 64)` digits (no sign, no underscores: go-yaml removed them). */
function parseDigits(s: string, base: number): bigint | null {
  if (s.length === 0) return null;
  const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 10 ? /^[0-9]+$/ : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
  if (!valid.test(s)) return null;
  // More than 64 significant digits is beyond uint64 in every base; BigInt() of a huge text is superlinear.
  if (s.replace(/^0+/, '').length > 64) return null;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = BigInt(prefix + s);
  return v > UINT64_MAX ? null : v;
}

/** Go `strconv.ParseUint(s, 0, 64)`: base prefixes 0x, 0o, 0b, a leading 0 for octal; no sign. */
function goParseUint0(s: string): bigint | null {
  if (s.length >= 2 && s[0] === '0') {
    const p = s[1]!.toLowerCase();
    if (p === 'x') return parseDigits(s.slice(2), 16);
    if (p === 'o') return parseDigits(s.slice(2), 8);
    if (p === 'b') return parseDigits(s.slice(2), 2);
    return parseDigits(s.slice(1), 8);
  }
  return parseDigits(s, 10);
}

/** Go `strconv.ParseInt(s, 0, 64)`. */
function goParseInt0(s: string): bigint | null {
  let neg = false;
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    body = s.slice(1);
  }
  const u = goParseUint0(body);
  if (u === null) return null;
  const v = neg ? -u : u;
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** Go `ParseFloat` accepts underscores between digits (Go literal syntax); only reachable for `.5_5`-like text. */
const DOT_FLOAT = /^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$/;

function finiteFloat(text: string): number | null {
  const v = Number(text);
  // Go ParseFloat reports out-of-range values as errors (go-yaml then keeps the string).
  return Number.isFinite(v) ? v : null;
}

/**
 * go-yaml v3 `resolve("", s)`: the tag and value a plain (unquoted, untagged) scalar resolves to. (`<<` is a
 * string here; its `!!merge` tag comes from the parser, see the loader and emitter.)
 */
export function resolvePlain(s: string): { tag: ResolvedTag; value: Scalar } {
  const h = hint(s);
  if (h !== 0) {
    const m = MAP.get(s);
    if (m !== undefined) return { tag: tagOf(m), value: m };
    if (h === '.') {
      if (DOT_FLOAT.test(s)) {
        const v = finiteFloat(s.replace(/_/g, ''));
        if (v !== null) return { tag: '!!float', value: { kind: 'float', value: v } };
      }
    } else if (h === 'D') {
      const ts = parseYamlTimestamp(s);
      if (ts) return { tag: '!!timestamp', value: { kind: 'time', value: formatGoTime(ts) } };
      const plain = s.replace(/_/g, '');
      const i = goParseInt0(plain);
      if (i !== null) return { tag: '!!int', value: { kind: 'int', value: i } };
      // Values in (2^63, 2^64) become a Go uint64; sops cannot encrypt those, but they load and emit.
      const u = goParseUint0(plain);
      if (u !== null) return { tag: '!!int', value: { kind: 'int', value: u } };
      if (YAML_STYLE_FLOAT.test(plain)) {
        const v = finiteFloat(plain);
        if (v !== null) return { tag: '!!float', value: { kind: 'float', value: v } };
      }
      // The 0b/0o fallbacks of resolve.go only repeat what ParseInt(_, 0, 64) above already accepts.
    }
  }
  return { tag: '!!str', value: { kind: 'string', value: s } };
}

function tagOf(v: Scalar): ResolvedTag {
  switch (v.kind) {
    case 'null':
      return '!!null';
    case 'bool':
      return '!!bool';
    case 'int':
      return '!!int';
    case 'float':
      return '!!float';
    case 'time':
      return '!!timestamp';
    default:
      return '!!str';
  }
}

/** The go-yaml short form of a tag (`tag:yaml.org,2002:int` → `!!int`). */
export function shortTag(tag: string): string {
  const prefix = 'tag:yaml.org,2002:';
  return tag.startsWith(prefix) ? `!!${tag.slice(prefix.length)}` : tag;
}

/** Thrown by {@link resolveScalar} with go-yaml's wording; the loader turns it into a SecretsError. */
export class ResolveError extends Error {}

/**
 * The value sops gets from `node.Decode(&interface{})` for a scalar node.
 *
 * @param value - the scalar's content (escapes and folding already applied)
 * @param style - plain, or any quoted/block style
 * @param tag - the explicit tag in short form (`!!int`, `!foo`), `!` for the non-specific tag, or null
 * @param decodeBinary - decodes `!!binary` base64 content to a string
 * @throws ResolveError when an explicit tag does not fit the value (`!!int abc`)
 */
export function resolveScalar(
  value: string,
  style: 'plain' | 'quoted',
  tag: string | null,
  decodeBinary: (b64: string) => string,
): Scalar {
  const explicit = tag !== null && tag !== '!' ? tag : null;
  // decode.go indicatedString: an explicit !!str, or a quoted/block scalar without a specific tag.
  if (explicit === '!!str' || (explicit === null && style === 'quoted')) return { kind: 'string', value };
  if (explicit === null) {
    return resolvePlain(value).value;
  }
  if (explicit === '!!binary') return { kind: 'string', value: decodeBinary(value) };
  const resolvable = ['!!bool', '!!int', '!!float', '!!null', '!!timestamp'];
  // Any other tag (custom `!foo`, `!!merge`, `!!set`, …) is not resolvable: the text stays a string.
  if (!resolvable.includes(explicit)) return { kind: 'string', value };
  const r = resolvePlainForTag(value, explicit);
  if (r.tag === explicit) return r.value;
  if (explicit === '!!float' && r.tag === '!!int' && r.value.kind === 'int') {
    return { kind: 'float', value: Number(r.value.value) };
  }
  // go-yaml prints the value too; it may be a secret, so it is left out here.
  throw new ResolveError(`cannot decode ${r.tag} value as a ${explicit}`);
}

/** resolve(tag, s) for a resolvable explicit tag: like {@link resolvePlain}, but timestamps only for !!timestamp/no tag. */
function resolvePlainForTag(s: string, tag: string): { tag: ResolvedTag; value: Scalar } {
  const r = resolvePlain(s);
  if (r.tag === '!!timestamp' && tag !== '!!timestamp') {
    // Only unquoted/untagged values or an explicit !!timestamp try the timestamp forms first.
    const plain = s.replace(/_/g, '');
    const i = goParseInt0(plain);
    if (i !== null) return { tag: '!!int', value: { kind: 'int', value: i } };
    const u = goParseUint0(plain);
    if (u !== null) return { tag: '!!int', value: { kind: 'int', value: u } };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const v = finiteFloat(plain);
      if (v !== null) return { tag: '!!float', value: { kind: 'float', value: v } };
    }
    return { tag: '!!str', value: { kind: 'string', value: s } };
  }
  return r;
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/**
 * Whether go-yaml's encoder must quote a string: it would resolve to something else than a string when
 * read back, or YAML 1.1 would read it as a base-60 number (`1:20`) or a bool (`yes`, `on`, `n`, …).
 * This is `!canUsePlain` in go-yaml v3 `encoder.stringv`.
 */
export function mustQuoteString(s: string): boolean {
  if (resolvePlain(s).tag !== '!!str') return true;
  const c = s[0];
  if ((c === '+' || c === '-' || (c !== undefined && c >= '0' && c <= '9')) && s.includes(':') && BASE60_FLOAT.test(s)) return true;
  return ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].includes(s);
}
