/**
 * Go RE2 regular expressions, as sops uses them for `path_regex` and the encryption-selection regexes,
 * run by `re2js`: a port of Go's `regexp` (same parser, same Perl flags as `regexp.Compile`, same
 * automata), so matching takes time linear in the input whatever the pattern. A backtracking engine
 * (JavaScript's RegExp) takes exponential time on patterns like `^(a+)+$`, and every pattern here comes
 * from a repository: `.sops.yaml` or a sops file's own metadata.
 *
 * Matching is unanchored, like Go's `MatchString` (use `^…$` to anchor).
 * RE2 syntax: https://github.com/google/re2/wiki/Syntax
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';
import { SecretsError } from './errors.js';

let lib: typeof Re2js | undefined;
/** re2js, loaded on the first pattern: most commands never compile one, and it is a large module. */
function re2js(): typeof Re2js {
  return (lib ??= createRequire(import.meta.url)('re2js') as typeof Re2js);
}

/** Why a pattern was refused: RE2 rejects it (`syntax`) or it is over our size limit (`too-large`). */
export type Re2ErrorReason = 'syntax' | 'too-large';

/** A compiled RE2 pattern. */
export interface Re2Regex {
  /** The pattern as written. */
  readonly source: string;
  /**
   * Whether the pattern matches anywhere in `input` (Go `MatchString`); linear in `input`'s length.
   *
   * @param input - the text to search
   */
  test(input: string): boolean;
}

/**
 * The largest program a pattern may expand to, estimated from its counted repetitions (`x{n}` is n
 * copies of x). Go allows about 1.4 million instructions, which re2js compiles in seconds and hundreds
 * of MiB; real `path_regex` values expand to a few dozen. 10 000 compiles in well under 100 ms.
 */
export const MAX_RE2_PROGRAM_SIZE = 10_000;

/** One nesting level of {@link programSizeBound}: the level's size so far and its last atom's. */
interface Level {
  total: number;
  last: number;
}

/**
 * An upper bound of the program size of a pattern: every atom (literal, class, escape, group) counts 1
 * and a counted repetition multiplies the atom before it. It does not validate (re2js does that);
 * malformed input only yields some number.
 */
function programSizeBound(source: string): number {
  const stack: Level[] = [{ total: 0, last: 0 }];
  let top = stack[0] as Level;
  const atom = (size: number): void => {
    top.total += size;
    top.last = size;
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const stop = end < 0 ? source.length : end;
        atom(Math.max(1, stop - i - 2));
        i = end < 0 ? source.length : end + 2;
        continue;
      }
      // \p{…}, \x{…}: skip to the brace.
      if ((next === 'p' || next === 'P' || next === 'x') && source[i + 2] === '{') {
        const end = source.indexOf('}', i);
        i = end < 0 ? source.length : end + 1;
      } else i += 2;
      atom(1);
    } else if (c === '[') {
      // A class is one instruction. Skip to its `]` (a leading `]` is literal; escapes and [:name:]).
      let k = i + 1;
      if (source[k] === '^') k++;
      if (source[k] === ']') k++;
      while (k < source.length && source[k] !== ']') {
        if (source[k] === '\\') k += 2;
        else if (source.startsWith('[:', k)) {
          const end = source.indexOf(':]', k + 2);
          k = end < 0 ? k + 1 : end + 2;
        } else k++;
      }
      i = k + 1;
      atom(1);
    } else if (c === '(') {
      top = { total: 0, last: 0 };
      stack.push(top);
      i++;
    } else if (c === ')' && stack.length > 1) {
      const group = (stack.pop() as Level).total + 1;
      top = stack[stack.length - 1] as Level;
      atom(group);
      i++;
    } else if (c === '{') {
      const m = /^\{(\d{1,8})(,(\d{0,8}))?\}/.exec(source.slice(i, i + 20));
      if (m) {
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3]);
        const times = Math.max(min, max, 1);
        top.total += top.last * (times - 1);
        top.last *= times;
        i += m[0].length;
      } else {
        atom(1);
        i++;
      }
    } else {
      atom(1);
      i++;
    }
    if (top.total > MAX_RE2_PROGRAM_SIZE) return top.total;
  }
  while (stack.length > 1) {
    const group = (stack.pop() as Level).total;
    (stack[stack.length - 1] as Level).total += group;
  }
  return (stack[0] as Level).total;
}

function refusal(source: string, reason: Re2ErrorReason, why: string): SecretsError {
  const what = reason === 'syntax' ? 'invalid regular expression' : 'regular expression too large';
  return new SecretsError('CONFIG_INVALID', `${what} ${JSON.stringify(source)}: ${why}`, { details: { regex: source, reason } });
}

/**
 * Compiles an RE2 pattern (Go `regexp` syntax and semantics, as sops uses it).
 *
 * @param source - the RE2 pattern
 * @returns the compiled pattern; its `test` is stateless and unanchored (Go `MatchString`)
 * @throws SecretsError CONFIG_INVALID when Go's `regexp.Compile` would reject the pattern (`details.reason`
 *   `syntax`, the message is Go's), or when its counted repetitions expand past
 *   {@link MAX_RE2_PROGRAM_SIZE} (`too-large`)
 */
export function compileRe2(source: string): Re2Regex {
  if (programSizeBound(source) > MAX_RE2_PROGRAM_SIZE) {
    throw refusal(source, 'too-large', `its repetitions expand to more than ${MAX_RE2_PROGRAM_SIZE} instructions`);
  }
  const { RE2JS, RE2JSException } = re2js();
  let compiled: Re2js.RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    // re2js words its errors as Go does: "error parsing regexp: missing closing ): `(a`".
    throw refusal(source, 'syntax', error.message.replace(/^error parsing regexp: /, ''));
  }
  return { source, test: (input) => compiled.test(input) };
}

/**
 * Why {@link compileRe2} refused a pattern, from the error it threw.
 *
 * @param error - anything caught
 * @returns `syntax`, `too-large`, or undefined when the error is not a refusal by compileRe2
 */
export function re2ErrorReason(error: unknown): Re2ErrorReason | undefined {
  if (!(error instanceof SecretsError) || error.code !== 'CONFIG_INVALID') return undefined;
  const reason = error.details.reason;
  return reason === 'syntax' || reason === 'too-large' ? reason : undefined;
}
