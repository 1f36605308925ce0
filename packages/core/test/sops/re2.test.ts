import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { MAX_RE2_PROGRAM_SIZE, compileRe2, re2ErrorReason } from '../../src/re2.js';

/** [RE2 pattern, input, Go MatchString result] */
const MATCHES: readonly (readonly [string, string, boolean])[] = [
  // unanchored, like MatchString
  ['abc', 'xxabcxx', true],
  ['', 'anything', true],
  ['a|', 'zzz', true],
  // ^ and $ are start/end of text; RE2's $ does not match before a final newline
  ['^abc$', 'abc', true],
  ['^abc$', 'abc\n', false],
  ['^b', 'a\nb', false],
  ['(?m)^b$', 'a\nb\nc', true],
  ['(?m)^b$', 'a\r\nb\r\n', false], // only \n ends a line in RE2
  ['\\Aab\\z', 'ab', true],
  ['\\Aab\\z', 'ab\n', false],
  ['(?m)\\Ab', 'a\nb', false],
  // . excludes only \n; (?s) includes it
  ['a.c', 'a\rc', true],
  ['a.c', 'a\u2028c', true],
  ['a.c', 'a\nc', false],
  ['(?s)a.c', 'a\nc', true],
  ['(?s:a.)c|x', 'a\nc', true],
  // . and classes match code points, not UTF-16 units
  ['^.{3}$', '😀😀😀', true],
  ['^[^a]$', '😀', true],
  // RE2's ASCII \s, \d, \w
  ['\\s', '\v', false],
  ['\\s', '\u00a0', false],
  ['\\s', '\f', true],
  ['\\d', '٣', false],
  ['\\w', 'é', false],
  ['[[:space:]]', '\v', true],
  // POSIX classes, negated ones too
  ['^[[:alpha:]]+$', 'Secret', true],
  ['^[[:alpha:]]+$', 'Secr3t', false],
  ['[[:^alpha:]]', 'abc', false],
  ['[[:^alpha:]]', 'ab1', true],
  ['^[[:xdigit:][:punct:]]+$', 'ff-0A!', true],
  ['[[:a]', ':', true], // not a POSIX class: a plain bracket expression
  // Unicode classes
  ['^\\pL+$', 'héllo', true],
  ['^\\p{Greek}+$', 'αβγ', true],
  ['\\p{Greek}', 'abc', false],
  ['^\\PL$', '1', true],
  ['^\\p{^Greek}$', 'a', true],
  ['^[\\p{Lu}\\d]+$', 'AB12', true],
  ['\\p{Any}', '\n', true],
  // case-insensitivity: whole pattern, scoped, turned off, folding orbits
  ['(?i)secret', 'SECRET', true],
  ['(?i)^prod/', 'PROD/x', true],
  ['(?i:ab)c', 'ABc', true],
  ['(?i:ab)c', 'ABC', false],
  ['(?i)a(?-i)b', 'Ab', true],
  ['(?i)a(?-i)b', 'AB', false],
  ['(?i)k', '\u212a', true], // KELVIN SIGN folds with k
  ['(?i:s)x', '\u017fx', true], // LATIN SMALL LETTER LONG S folds with s
  ['(?i)[^a]', 'A', false],
  ['(?i:[[:^lower:]])', 'A', false],
  ['(?i:[[:^lower:]])', '1', true],
  ['(?i)[a-c]x', 'Bx', true],
  ['(?i)\\pL', 'a', true],
  // flags inside groups end with the group
  ['(a(?i)b)c', 'aBc', true],
  ['(a(?i)b)c', 'aBC', false],
  // escapes
  ['\\Qa.b*\\E', 'a.b*', true],
  ['\\Qa.b\\E', 'axb', false],
  ['\\Qa.b', 'a.b', true],
  ['\\x41\\x{263a}\\101\\0', 'A☺A\0', true],
  ['\\.\\-\\#\\ \\/', '.-# /', true],
  ['\\a\\f\\t\\n\\r\\v', '\x07\f\t\n\r\v', true],
  // brackets: ] first is literal, - at the ends is literal
  ['^[]a]+$', ']a]', true],
  ['^[^]a]$', 'b', true],
  ['^[a-]+$', 'a-a', true],
  ['^[-a]+$', '-a', true],
  ['^[\\d-z]+$', '1-z', true],
  // repetition, literal braces
  ['^a{2,3}$', 'aaa', true],
  ['^a{2,3}$', 'aaaa', false],
  ['^a{2,}$', 'aaaaa', true],
  ['^a{,3}$', 'a{,3}', true],
  ['^x{$', 'x{', true],
  ['^}]$', '}]', true],
  ['^(?:ab)+$', 'abab', true],
  ['^a*?b$', 'aab', true],
  ['^(?U)a+$', 'aaa', true],
  ['^*', 'x', true],
  // named groups (both spellings) and plain groups
  ['^(?P<name>x)(?<other>y)$', 'xy', true],
  ['\\bword\\b', 'a word here', true],
  ['\\bword\\b', 'swordfish', false],
  ['\\Bor\\B', 'word', true],
];

/** [pattern, why] that Go's regexp.Compile rejects. */
const SYNTAX_ERRORS: readonly (readonly [string, RegExp])[] = [
  ['(a', /missing closing \)/],
  ['a)', /unexpected \)/],
  ['[a', /missing closing \]/],
  ['[]', /missing closing \]/],
  ['a**', /nested repetition/],
  ['a{2}{3}', /nested repetition/],
  ['*a', /missing argument/],
  ['a|*', /missing argument/],
  ['(?i)*', /missing argument/],
  ['\\1', /invalid escape sequence: `\\1`/], // a backreference
  ['(a)\\1', /invalid escape sequence/],
  ['\\8', /invalid escape/],
  ['(?=a)', /invalid or unsupported Perl syntax/], // lookaround
  ['(?!a)', /invalid or unsupported Perl syntax/],
  ['(?<=a)b', /invalid named capture/], // Go reads `(?<` as a named group
  ['(?<!a)b', /invalid named capture/],
  ['a{1001}', /repeat count/],
  ['a{3,2}', /repeat count/],
  ['\\Z', /invalid escape/],
  ['\\u0041', /invalid escape/],
  ['\\k<x>', /invalid escape/],
  ['[z-a]', /character class range/],
  ['[[:nope:]]', /character class range/],
  ['\\p{Nope}', /invalid character class range: `\\p\{Nope\}`/],
  ['\\pé', /character class range/],
  ['(?P<x', /named capture/],
  ['(?P<>x)', /named capture/],
  ['(?P<a>x)(?P<a>y)', /duplicate capture group name/],
  ['(?i-)', /invalid or unsupported Perl syntax/],
  ['(?i-:a)', /invalid or unsupported Perl syntax/],
  ['(?x)', /Perl syntax/],
  ['x\\', /trailing backslash/],
  ['[a-\\d]', /invalid escape/],
  ['\\x{110000}', /invalid escape sequence/], // above U+10FFFF
  ['\\C', /invalid escape sequence/], // any byte: not supported by Go
  ['\\xZ1', /invalid escape/],
];


/** Valid in Go, refused by the old translation to JavaScript RegExp: re2js runs them as Go does. */
const ONCE_UNSUPPORTED: readonly (readonly [string, string, boolean])[] = [
  ['(?i)\\P{L}', 'a', false], // RE2 folds the class, then negates it
  ['(?i)\\P{L}', '1', true],
  ['a(?i:\\pL)', 'aB', true],
  ['(?)a', 'a', true], // an empty flag group is accepted by Go's parsePerlFlags
];

describe('RE2 (re2js, Go regexp semantics)', () => {
  for (const [pattern, input, expected] of [...MATCHES, ...ONCE_UNSUPPORTED]) {
    it(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      const re = compileRe2(pattern);
      expect(re.source).toBe(pattern);
      expect(re.test(input)).toBe(expected);
      expect(re.test(input)).toBe(expected); // stateless
    });
  }

  for (const [pattern, why] of SYNTAX_ERRORS) {
    it(`refuses ${JSON.stringify(pattern)} like RE2`, () => {
      let error: unknown;
      try {
        compileRe2(pattern);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SecretsError);
      expect((error as SecretsError).code).toBe('CONFIG_INVALID');
      expect(re2ErrorReason(error)).toBe('syntax');
      expect((error as SecretsError).message).toMatch(why);
      expect((error as SecretsError).message).toContain(JSON.stringify(pattern));
    });
  }

  it('(?U) swaps greedy and lazy (no effect on whether it matches)', () => {
    expect(compileRe2('^(?U)a+$').test('aaa')).toBe(true);
    expect(compileRe2('^(?U)a+?b$').test('aab')).toBe(true);
  });
});

describe('RE2 in linear time', () => {
  // Each of these takes longer than the age of the universe in a backtracking engine (exponential in the
  // input's length: about 2^5000 steps); an automaton answers at once. No timing is measured: a
  // backtracking implementation simply never finishes and the test times out.
  const evil = `secrets/${'a'.repeat(5000)}!`;
  it.each([
    ['^secrets/(a+)+$', evil],
    ['^secrets/(a|a)*$', evil],
    ['^secrets/(a|aa)+$', evil],
    ['^(.*a){20}$', `${'a'.repeat(5000)}b`],
    ['^(\\w+\\s?)*$', `${'word '.repeat(1000)}!`],
  ])('%s does not match a long near-miss', (pattern, input) => {
    expect(compileRe2(pattern).test(input)).toBe(false);
  });

  it('^secrets/(a+)+$ still matches what it should', () => {
    expect(compileRe2('^secrets/(a+)+$').test(`secrets/${'a'.repeat(5000)}`)).toBe(true);
  });
});

describe('RE2 program size limit', () => {
  it('refuses counted repetitions that expand past the limit, before compiling them', () => {
    // 1000 × a{1000} is valid Go (under its ~1.4M instruction limit) but takes re2js seconds and ~1 GB.
    for (const pattern of ['a{1000}'.repeat(1000), '(a{100}){100}', '(?:[a-z]{1000}b){11}', `(${'x'.repeat(11)}){1000}`]) {
      let error: unknown;
      try {
        compileRe2(pattern);
      } catch (err) {
        error = err;
      }
      expect(re2ErrorReason(error)).toBe('too-large');
      expect((error as SecretsError).message).toContain(String(MAX_RE2_PROGRAM_SIZE));
    }
  });

  it('accepts what real patterns use, and repetition up to the limit', () => {
    for (const pattern of ['^secrets/(terraform|predefined)/hosts/[^/]+(\\.plain)?\\.yaml$', '^[0-9a-f]{64}$', '.{1,255}', 'a{1000}'.repeat(9), '\\p{Greek}{1000}', '[[:alpha:]]{1000}']) {
      expect(() => compileRe2(pattern)).not.toThrow();
    }
    expect(compileRe2('^[0-9a-f]{64}$').test('a'.repeat(64))).toBe(true);
  });
});
