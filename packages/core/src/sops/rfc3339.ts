/**
 * RFC 3339 times the way Go's `time` package reads and writes them, for the three places sops uses them:
 * `lastmodified` and `created_at` in the metadata (`time.Parse(time.RFC3339, …)`, written with
 * `Format(time.RFC3339)`), and `type:time` values (`MarshalText`/`UnmarshalText`, RFC3339Nano).
 *
 * Go accepts fractional seconds when parsing even with the RFC3339 layout, requires an upper-case `T` and
 * `Z`, and writes a zero offset as `Z`.
 */

/** The fields of a parsed RFC 3339 time; the offset is kept as written (Go keeps the zone). */
export interface Rfc3339Time {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Fractional second digits, at most 9 (Go truncates nanoseconds beyond that); '' when none. */
  readonly fraction: string;
  /** Offset from UTC in minutes (0 for `Z`). */
  readonly offsetMinutes: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses an RFC 3339 time as Go's `time.Parse(time.RFC3339, …)` accepts it.
 *
 * @param text - e.g. `2026-08-01T09:00:14Z` or `2001-12-14T21:59:43.10-05:00`
 * @returns the fields, or null when Go would reject the text
 */
export function parseRfc3339(text: string): Rfc3339Time | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const n = (i: number): number => Number(m[i]);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = n(10);
    const om = n(11);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return { year, month, day, hour, minute, second, fraction: (m[7] ?? '').slice(0, 9), offsetMinutes };
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/**
 * Formats a time as Go does with `time.RFC3339` (whole seconds) or `time.RFC3339Nano` (fraction without
 * trailing zeros). A zero offset is written `Z`.
 *
 * @param time - from {@link parseRfc3339}
 * @param nano - include the fractional seconds (RFC3339Nano, what `MarshalText` writes)
 * @returns the text
 */
export function formatRfc3339(time: Rfc3339Time, nano: boolean): string {
  const date = `${pad(time.year, 4)}-${pad(time.month, 2)}-${pad(time.day, 2)}T${pad(time.hour, 2)}:${pad(time.minute, 2)}:${pad(time.second, 2)}`;
  const fraction = nano ? time.fraction.replace(/0+$/, '') : '';
  const abs = Math.abs(time.offsetMinutes);
  const zone = time.offsetMinutes === 0 ? 'Z' : `${time.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
  return `${date}${fraction ? `.${fraction}` : ''}${zone}`;
}

/**
 * The canonical text of an RFC 3339 time: what Go prints after parsing it.
 *
 * @param text - the time as written
 * @param nano - RFC3339Nano (values) or RFC3339 (metadata)
 * @returns the canonical text, or null when the text does not parse
 */
export function canonicalRfc3339(text: string, nano: boolean): string | null {
  const parsed = parseRfc3339(text);
  return parsed ? formatRfc3339(parsed, nano) : null;
}
