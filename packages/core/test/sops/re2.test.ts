import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { compileRe2, foldOrbit, re2ErrorReason } from '../../src/re2.js';

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
  ['\\1', /backreferences/],
  ['(a)\\1', /backreferences/],
  ['\\8', /invalid escape/],
  ['(?=a)', /lookaround/],
  ['(?!a)', /lookaround/],
  ['(?<=a)b', /lookaround/],
  ['(?<!a)b', /lookaround/],
  ['a{1001}', /repeat count/],
  ['a{3,2}', /repeat count/],
  ['\\Z', /invalid escape/],
  ['\\u0041', /invalid escape/],
  ['\\k<x>', /invalid escape/],
  ['[z-a]', /character class range/],
  ['[[:nope:]]', /character class range/],
  ['\\p{Nope}', /Unicode class/],
  ['\\pé', /character class range/],
  ['(?P<x', /named capture/],
  ['(?P<>x)', /named capture/],
  ['(?P<a>x)(?P<a>y)', /duplicate capture group name/],
  ['(?)', /missing flags/],
  ['(?i-)', /missing flags/],
  ['(?x)', /Perl syntax/],
  ['x\\', /trailing backslash/],
  ['[a-\\d]', /invalid escape/],
  ['\\x{110000}', /too large/],
  ['\\xZ1', /invalid escape/],
];

/** Valid RE2 that JavaScript cannot express: refused, with a reason. */
const UNSUPPORTED: readonly string[] = ['\\C', '(?i)\\P{L}', 'a(?i:\\pL)'];

describe('RE2 → JavaScript RegExp', () => {
  for (const [pattern, input, expected] of MATCHES) {
    it(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      const re = compileRe2(pattern);
      expect(re.flags).not.toMatch(/[gy]/);
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

  for (const pattern of UNSUPPORTED) {
    it(`refuses ${JSON.stringify(pattern)}: valid RE2 without a JavaScript equivalent`, () => {
      let error: unknown;
      try {
        compileRe2(pattern);
      } catch (err) {
        error = err;
      }
      expect(re2ErrorReason(error)).toBe('unsupported');
      expect((error as SecretsError).message).toContain('no JavaScript equivalent');
    });
  }

  it('(?U) swaps greedy and lazy', () => {
    expect(compileRe2('(?U)a+').source).toBe('a+?');
    expect(compileRe2('(?U)a+?').source).toBe('a+');
    expect(/^(a+)/u.exec('aaa')?.[1]).toBe('aaa');
  });

  it('uses the JavaScript i flag only when the whole pattern folds', () => {
    expect(compileRe2('(?i)^secrets/.*\\.yaml$').flags).toBe('iu');
    expect(compileRe2('(?i:a)b').flags).toBe('u');
  });

  it('case folding orbits agree with the JavaScript engine', () => {
    for (const cp of [0x61, 0x6b, 0x73, 0x3c3, 0x1e9e, 0xdf, 0x130, 0x131, 0x10400]) {
      const re = new RegExp(`^\\u{${cp.toString(16)}}$`, 'iu');
      for (const other of foldOrbit(cp) ?? [cp]) expect(re.test(String.fromCodePoint(other))).toBe(true);
    }
    expect(foldOrbit(0x6b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(foldOrbit(0x131)).toBeUndefined(); // dotless i has no simple folding
  });
});
