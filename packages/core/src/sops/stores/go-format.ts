/**
 * Go standard-library text formats the stores must reproduce byte for byte: `strconv.FormatFloat`,
 * `encoding/json` string and float encoding, sops' `stores.ValToString`, and the `time` layouts go-yaml v3
 * accepts as timestamps.
 *
 * Written from the documented behaviour of Go's `strconv`, `encoding/json` and `time` packages (Go 1.25, the
 * toolchain sops 3.13 is built with) and of go-yaml v3.0.4 `resolve.go`.
 *
 * Internal to the library: not exported from the package entry. (Not tagged internal: on a file header
 * that tag makes `stripInternal` drop the import below it from the typings.)
 */

import type { Scalar } from '../tree.js';

// ---------------------------------------------------------------------------------------------------------
// strconv.FormatFloat with precision -1 (shortest representation that round-trips)

/** The shortest decimal digits of a finite, non-zero float64: value = 0.d1d2… × 10^point. */
interface Digits {
  readonly digits: string;
  readonly point: number;
}

function shortestDigits(abs: number): Digits {
  if (abs === 0) return { digits: '', point: 0 };
  // Number.prototype.toString yields the shortest round-tripping digits, closest to the exact value, as
  // Go's shortest formatting does (ECMA-262 Number::toString, Go strconv ryuFtoaShortest).
  const text = abs.toString();
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  let point = (dot < 0 ? mantissa.length : dot) + exponent;
  let lead = 0;
  while (lead < digits.length - 1 && digits[lead] === '0') lead++;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  return { digits, point };
}

function formatE(neg: boolean, d: Digits, prec: number, expChar: 'e' | 'E'): string {
  let out = neg ? '-' : '';
  out += d.digits.length === 0 ? '0' : d.digits[0];
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += d.digits[i] ?? '0';
  }
  const exp = d.digits.length === 0 ? 0 : d.point - 1;
  const abs = Math.abs(exp);
  // Go writes at least two exponent digits: 1e+06, 1e-07, 1e+100.
  return `${out}${expChar}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function formatF(neg: boolean, d: Digits, prec: number): string {
  let out = neg ? '-' : '';
  if (d.point > 0) {
    for (let i = 0; i < d.point; i++) out += d.digits[i] ?? '0';
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.point + i - 1;
      out += j >= 0 && j < d.digits.length ? d.digits[j] : '0';
    }
  }
  return out;
}

/**
 * Go `strconv.FormatFloat(v, fmt, -1, 64)` for `fmt` in `e`, `E`, `f`, `g`, `G`.
 *
 * Shortest mode: `g` switches to the exponent form when the decimal exponent is < -4 or >= 6 (Go uses
 * precision 6 for that decision in shortest mode), so 1e6 → `1e+06`, 123456.0 → `123456`, 1.0 → `1`.
 */
export function goFormatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G'): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const d = shortestDigits(Math.abs(v));
  const nd = d.digits.length;
  switch (fmt) {
    case 'e':
    case 'E':
      return formatE(neg, d, Math.max(nd - 1, 0), fmt);
    case 'f':
      return formatF(neg, d, Math.max(nd - d.point, 0));
    case 'g':
    case 'G': {
      const exp = d.point - 1;
      if (exp < -4 || exp >= 6) return formatE(neg, d, nd - 1, fmt === 'g' ? 'e' : 'E');
      return formatF(neg, d, Math.max(nd - d.point, 0));
    }
  }
}

/**
 * A float64 as go-yaml v3 `encoder.floatv` writes it: `FormatFloat('g', -1)` with `.inf`, `-.inf`, `.nan`.
 * Note that an integral float such as 1.0 is written `1`, which reads back as an int (as in sops).
 */
export function yamlFloatText(v: number): string {
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  return goFormatFloat(v, 'g');
}

/**
 * A float64 as Go `encoding/json` writes it (`floatEncoder`, 64 bits): `f` format inside [1e-6, 1e21),
 * `e` format outside with a two-digit negative exponent shortened (`1e-07` → `1e-7`).
 *
 * @returns null for NaN and ±Inf, which `json.Marshal` rejects (`json: unsupported value`)
 */
export function jsonFloatText(v: number): string | null {
  if (!Number.isFinite(v)) return null;
  const abs = Math.abs(v);
  const useE = abs !== 0 && (abs < 1e-6 || abs >= 1e21);
  let s = goFormatFloat(v, useE ? 'e' : 'f');
  if (useE) {
    const n = s.length;
    if (n >= 4 && s[n - 4] === 'e' && s[n - 3] === '-' && s[n - 2] === '0') s = s.slice(0, n - 2) + s.slice(n - 1);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// encoding/json string escaping (json.Marshal, escapeHTML = true, Go >= 1.22)

const HEX = '0123456789abcdef';

/**
 * A string as Go `json.Marshal` writes it: HTML-unsafe `<`, `>`, `&` and U+2028/U+2029 as `\u00XX`/`\u20XX`,
 * control characters as `\b \f \n \r \t` or `\u00XX`, `"` and `\` escaped, everything else raw (Go does
 * not escape `/`, nor DEL). Lone surrogates (which cannot exist in Go's UTF-8 strings) become `\ufffd`,
 * as Go does for invalid UTF-8.
 */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        out += s[i];
        continue;
      }
      switch (c) {
        case 0x22:
          out += '\\"';
          break;
        case 0x5c:
          out += '\\\\';
          break;
        case 0x08:
          out += '\\b';
          break;
        case 0x0c:
          out += '\\f';
          break;
        case 0x0a:
          out += '\\n';
          break;
        case 0x0d:
          out += '\\r';
          break;
        case 0x09:
          out += '\\t';
          break;
        default:
          out += '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      }
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += c === 0x2028 ? '\\u2028' : '\\u2029';
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
      out += '\\ufffd';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    out += s[i];
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------------------------
// Time: go-yaml v3 timestamp resolution and Go time formatting

/** A parsed timestamp: wall-clock fields plus the UTC offset in seconds. */
export interface GoTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nanos: number;
  readonly offsetSeconds: number;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

/** Go time.Parse `getnum(s, fixed=false)`: one or two digits. */
function getnum(s: string, at: number): [number, number] | null {
  if (!isDigit(s[at])) return null;
  if (!isDigit(s[at + 1])) return [Number(s[at]), at + 1];
  return [Number(s[at]) * 10 + Number(s[at + 1]), at + 2];
}

/**
 * go-yaml v3 `parseTimestamp`: the string must start with exactly four digits and `-`, then match one of
 * the layouts `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`, `2006-1-2 15:4:5.999999999`
 * (UTC) or `2006-1-2`, under Go `time.Parse` rules (1–2 digit fields, any number of fraction digits after
 * `.` or `,` truncated to nanoseconds, offsets `Z` or `±hh:mm` with hh ≤ 24 and mm ≤ 60, day valid for the
 * month).
 *
 * @returns the parsed time, or null if the text is not a timestamp for go-yaml
 */
export function parseYamlTimestamp(s: string): GoTime | null {
  let i = 0;
  while (i < s.length && isDigit(s[i])) i++;
  if (i !== 4 || s[i] !== '-') return null;
  const year = Number(s.slice(0, 4));
  let at = 5;
  const m = getnum(s, at);
  if (!m || m[0] < 1 || m[0] > 12) return null;
  [, at] = m;
  if (s[at] !== '-') return null;
  const d = getnum(s, at + 1);
  if (!d) return null;
  at = d[1];
  const base = { year, month: m[0], day: d[0] };
  const valid = (t: GoTime): GoTime | null => (t.day < 1 || t.day > daysIn(t.month, t.year) ? null : t);
  if (at === s.length) return valid({ ...base, hour: 0, minute: 0, second: 0, nanos: 0, offsetSeconds: 0 });
  const sep = s[at];
  if (sep !== 'T' && sep !== 't' && sep !== ' ') return null;
  const h = getnum(s, at + 1);
  if (!h || h[0] >= 24 || s[h[1]] !== ':') return null;
  const mi = getnum(s, h[1] + 1);
  if (!mi || mi[0] >= 60 || s[mi[1]] !== ':') return null;
  const se = getnum(s, mi[1] + 1);
  if (!se || se[0] >= 60) return null;
  at = se[1];
  let nanos = 0;
  if ((s[at] === '.' || s[at] === ',') && isDigit(s[at + 1])) {
    let j = at + 1;
    while (isDigit(s[j])) j++;
    const frac = s.slice(at + 1, Math.min(j, at + 10));
    nanos = Number(frac.padEnd(9, '0'));
    at = j;
  }
  let offsetSeconds = 0;
  if (sep === ' ') {
    if (at !== s.length) return null;
  } else {
    if (s[at] === 'Z') {
      at++;
    } else {
      const rest = s.slice(at);
      if (rest.length < 6 || rest[3] !== ':') return null;
      const sign = rest[0];
      if (!isDigit(rest[1]) || !isDigit(rest[2]) || !isDigit(rest[4]) || !isDigit(rest[5])) return null;
      const hh = Number(rest.slice(1, 3));
      const mm = Number(rest.slice(4, 6));
      if (hh > 24 || mm > 60) return null;
      if (sign !== '+' && sign !== '-') return null;
      offsetSeconds = (sign === '-' ? -1 : 1) * (hh * 60 + mm) * 60;
      at += 6;
    }
    if (at !== s.length) return null;
  }
  return valid({ ...base, hour: h[0], minute: mi[0], second: se[0], nanos, offsetSeconds });
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Go `t.Format(time.RFC3339Nano)` (or `time.RFC3339` when `nano` is false): trailing fraction zeros are
 * dropped, a zero offset is written `Z`.
 */
export function formatGoTime(t: GoTime, nano = true): string {
  let out = `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}`;
  if (nano && t.nanos > 0) out += '.' + pad(t.nanos, 9).replace(/0+$/, '');
  if (t.offsetSeconds === 0) return out + 'Z';
  const minutes = Math.trunc(t.offsetSeconds / 60);
  const abs = Math.abs(minutes);
  return `${out}${minutes < 0 ? '-' : '+'}${pad(Math.trunc(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/**
 * The canonical RFC3339Nano text of a time scalar's value, or null if the text is not a time go-yaml
 * would accept. Time scalars should already hold this text; emitters re-check it so that a malformed value
 * never reaches a file as a "plain" timestamp.
 */
export function canonicalTimeText(text: string): string | null {
  const t = parseYamlTimestamp(text);
  return t ? formatGoTime(t) : null;
}

// ---------------------------------------------------------------------------------------------------------
// stores.ValToString (dotenv and INI values)

/**
 * sops `stores.ValToString`: how dotenv and INI write a non-string leaf. Floats use `FormatFloat('G')`
 * with a forced `.0` when the result looks like an integer (`1.0`, `1E+21`, `NaN`, `+Inf`); bools
 * `true`/`false`; times `time.RFC3339` (seconds precision); ints decimal; null `<nil>` (Go `%v` of nil);
 * bytes `[104 105]` (Go `%v` of a byte slice).
 *
 * @returns the text, or null for a value that has no text (a time that cannot be parsed)
 */
export function valToString(v: Scalar): string | null {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'int':
      return v.value.toString();
    case 'float': {
      const g = goFormatFloat(v.value, 'G');
      // Go: FormatFloat(v, 'f', 1, 64) when the 'G' text could be read as an integer. Only integral values
      // below 1e6 (and NaN/±Inf, which stay as they are) get here, so one decimal is always ".0".
      if (!g.includes('.') && !g.includes('E')) return Number.isFinite(v.value) ? `${g}.0` : g;
      return g;
    }
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'time': {
      const t = parseYamlTimestamp(v.value);
      return t ? formatGoTime(t, false) : null;
    }
    case 'bytes':
      return `[${Array.from(v.value).join(' ')}]`;
    case 'null':
      return '<nil>';
  }
}
