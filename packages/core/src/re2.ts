/**
 * Go RE2 regular expressions (what sops uses for `path_regex` and the encryption-selection regexes),
 * translated to JavaScript RegExp with the same meaning, or refused with a clear error where JavaScript
 * cannot express them. RE2 syntax: https://github.com/google/re2/wiki/Syntax
 */
import { SecretsError } from './errors.js';

const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function invalid(source: string, why: string): SecretsError {
  return new SecretsError('CONFIG_INVALID', `unsupported regular expression ${JSON.stringify(source)}: ${why}`);
}

/**
 * Compiles an RE2 pattern to an equivalent JavaScript RegExp (unanchored, like Go's MatchString).
 *
 * Handles leading flag groups `(?i)`, `(?s)`, `(?m)`, `\A`, `\z`, `(?P<name>…)`, POSIX classes
 * (`[[:alpha:]]`), `\pL` / `\p{Greek}` and `\Q…\E`. Refuses what RE2 itself refuses (backreferences,
 * lookaround) and the few RE2 forms JavaScript lacks (scoped flags `(?i:…)`, `(?U)`).
 *
 * @param source - the RE2 pattern
 * @returns the RegExp (never global, so `.test` is stateless)
 * @throws SecretsError CONFIG_INVALID
 */
export function compileRe2(source: string): RegExp {
  let flags = '';
  let rest = source;
  // Leading flag groups apply to the whole pattern: the common `(?i)^secrets/` form.
  for (let m = /^\(\?([imsU]+)\)/.exec(rest); m; m = /^\(\?([imsU]+)\)/.exec(rest)) {
    for (const f of m[1] as string) {
      if (f === 'U') throw invalid(source, 'the (?U) ungreedy flag has no JavaScript equivalent');
      if (!flags.includes(f)) flags += f;
    }
    rest = rest.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  let unicode = false;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] as string;
    if (ch === '\\') {
      const next = rest[i + 1];
      if (next === undefined) throw invalid(source, 'trailing backslash');
      if (next === 'Q') {
        const end = rest.indexOf('\\E', i + 2);
        const literal = end < 0 ? rest.slice(i + 2) : rest.slice(i + 2, end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? rest.length : end + 1;
        continue;
      }
      if (next === 'A' && !inClass) {
        out += '(?<![\\s\\S])';
        i++;
        continue;
      }
      if (next === 'z' && !inClass) {
        out += '(?![\\s\\S])';
        i++;
        continue;
      }
      if (/[1-9]/.test(next)) throw invalid(source, 'backreferences are not allowed in RE2');
      if (next === 'C') throw invalid(source, '\\C is not supported');
      if (next === 'p' || next === 'P') {
        unicode = true;
        const braced = rest[i + 2] === '{';
        const name = braced ? rest.slice(i + 3, rest.indexOf('}', i + 3)) : (rest[i + 2] ?? '');
        if (name === '' || (braced && rest.indexOf('}', i + 3) < 0)) throw invalid(source, 'malformed \\p class');
        const negate = name.startsWith('^');
        const bare = negate ? name.slice(1) : name;
        // Single letters and general categories stay as they are; other names are scripts in RE2.
        const js = /^[A-Z][a-z]?$/.test(bare) || bare === 'Any' ? (bare === 'Any' ? 'Any' : bare) : `Script=${bare}`;
        out += bare === 'Any' ? (next === 'P' !== negate ? '[^\\s\\S]' : '[\\s\\S]') : `\\${next === 'P' !== negate ? 'P' : 'p'}{${js}}`;
        i += braced ? name.length + 3 : 2;
        continue;
      }
      out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === '[' && rest[i + 1] === ':') {
        const end = rest.indexOf(':]', i + 2);
        const raw = end < 0 ? '' : rest.slice(i + 2, end);
        const negate = raw.startsWith('^');
        const cls = POSIX[negate ? raw.slice(1) : raw];
        if (cls === undefined) throw invalid(source, `unknown POSIX class [:${raw}:]`);
        if (negate) throw invalid(source, 'negated POSIX classes inside a bracket are not supported');
        out += cls;
        i = end + 1;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (rest[i + 1] === '^') {
        out += '^';
        i++;
      }
      // A ']' first in a class is a literal in RE2.
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (ch === '(' && rest[i + 1] === '?') {
      const tail = rest.slice(i + 2);
      if (tail.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (tail.startsWith(':') || tail.startsWith('<')) {
        if (/^<[=!]/.test(tail)) throw invalid(source, 'lookbehind is not allowed in RE2');
        out += '(?';
        i++;
        continue;
      }
      if (tail.startsWith('=') || tail.startsWith('!')) throw invalid(source, 'lookahead is not allowed in RE2');
      throw invalid(source, 'flag groups are only supported at the start of the pattern');
    }
    out += ch;
  }
  if (inClass) throw invalid(source, 'missing closing ]');
  try {
    return new RegExp(out, flags + (unicode ? 'u' : ''));
  } catch (error) {
    throw invalid(source, error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '').toLowerCase() : 'invalid');
  }
}
