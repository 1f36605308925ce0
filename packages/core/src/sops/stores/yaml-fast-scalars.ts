/**
 * Scalar rules of the fast YAML reader (`yaml-fast.ts`): where a plain scalar may start, and YAML's
 * double-quoted escapes. Anything outside them makes the reader decline (the full reader takes over).
 *
 * @internal
 */

/** Thrown inside the fast reader to give up; never escapes `loadYamlFast`. */
export const DECLINE = Symbol('decline');

// DECLINE is a sentinel thrown without a stack (the fast path must stay cheap); loadYamlFast catches it.
/* eslint-disable @typescript-eslint/only-throw-error */

/** Whether a plain scalar may start with this text's first character in block context (conservatively). */
export function plainStart(text: string): boolean {
  const c = text[0] as string;
  if ('#,[]{}&*!|>\'"%@`?:'.includes(c)) return false;
  if (c === '-') return /^-[0-9.]/.test(text);
  return true;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** YAML double-quoted escapes; declines unknown escapes and code points that are not Unicode scalars. */
export function unescapeDouble(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    if (e.length === 1) {
      const out = ESCAPES[e];
      if (out === undefined) throw DECLINE;
      return out;
    }
    const cp = Number.parseInt(e.slice(1), 16);
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) throw DECLINE;
    return String.fromCodePoint(cp);
  });
}
