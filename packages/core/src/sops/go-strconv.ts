/**
 * Go's `strconv` texts sops encrypts and hashes for numbers and bools: `FormatFloat(v, 'f', -1, 64)`,
 * `ParseFloat`, `Atoi` and `ParseBool`, with Go's exact acceptance rules.
 */

/**
 * Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that round-trip, never an exponent
 * (`1e21` → `1000000000000000000000`, `1.0` → `1`, `-0` → `-0`), and Go's `NaN`, `+Inf`, `-Inf`.
 *
 * @param value - any float64
 * @returns the text sops encrypts and hashes for a float
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // toExponential() without a fraction digit count yields the shortest round-trip digits, like Go's -1.
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // digits before the decimal point
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return value < 0 ? `-${out}` : out;
}

/** Go strconv `underscoreOK`: underscores only between digits (or right after a base prefix). */
function underscoresOk(text: string): boolean {
  let s = text.replace(/^[+-]/, '');
  let saw: 'start' | 'digit' | 'underscore' | 'other' = 'start';
  let hex = false;
  if (/^0[box]/i.test(s)) {
    hex = s[1]?.toLowerCase() === 'x';
    saw = 'digit';
    s = s.slice(2);
  }
  for (const ch of s) {
    if (/[0-9]/.test(ch) || (hex && /[a-f]/i.test(ch))) saw = 'digit';
    else if (ch === '_') {
      if (saw !== 'digit') return false;
      saw = 'underscore';
    } else {
      if (saw === 'underscore') return false;
      saw = 'other';
    }
  }
  return saw !== 'underscore';
}

/**
 * Go's `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1.8p3`) floats, `_` digit separators,
 * `inf`/`infinity`/`nan` in any case. Overflow is an error, as in Go (ErrRange).
 *
 * @param text - the text
 * @returns the number, or null when Go would return an error
 */
export function parseGoFloat(text: string): number | null {
  const special = /^([+-]?)(?:inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (text.includes('_') && !underscoresOk(text)) return null;
  const s = text.replace(/_/g, '');
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) {
    const value = Number(s);
    return Number.isFinite(value) ? value : null;
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  const digits = hex ? (hex[2] ?? '') + (hex[3] ?? '') : '';
  if (hex && digits.length > 0) {
    const frac = hex[3] ?? '';
    let value = Number(BigInt(`0x${digits}`));
    let exp = Number(hex[4]) - 4 * frac.length;
    // Scale in steps so that intermediate powers of two neither overflow nor underflow early.
    while (exp > 0 && Number.isFinite(value)) {
      const step = Math.min(exp, 1000);
      value *= 2 ** step;
      exp -= step;
    }
    while (exp < 0 && value !== 0) {
      const step = Math.min(-exp, 1000);
      value /= 2 ** step;
      exp += step;
    }
    if (!Number.isFinite(value)) return null;
    return hex[1] === '-' ? -value : value;
  }
  return null;
}

/** The smallest int64 (Go `int` on a 64-bit platform). */
export const INT64_MIN = -(2n ** 63n);
/** The largest int64. */
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, int64 range.
 *
 * @param text - the text
 * @returns the integer, or null when Go would return an error
 */
export function parseGoInt(text: string): bigint | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  if (text.replace(/^[+-]?0*/, '').length > 19) return null; // beyond int64; BigInt() of a huge text is slow
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

/**
 * Go's `strconv.ParseBool`.
 *
 * @param text - `1 t T TRUE true True 0 f F FALSE false False`
 * @returns the bool, or null for anything else
 */
export function parseGoBool(text: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return null;
}
