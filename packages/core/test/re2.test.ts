import { describe, expect, it } from 'vitest';
import { compileRe2 } from '../src/re2.js';
import { SecretsError } from '../src/errors.js';

describe('RE2 (re2js)', () => {
  it.each<[string, string, boolean]>([
    ['^secrets/.*\\.yaml$', 'secrets/a.yaml', true],
    ['\\.yaml$', 'dir/x.yaml', true], // unanchored like Go MatchString
    ['(?i)^SECRETS/', 'secrets/x', true],
    ['(?i)(?s)a.b', 'A\nb', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['\\Afoo\\z', 'foo', true],
    ['\\Afoo\\z', 'foo\n', false],
    ['^[[:alpha:]]+[[:digit:]]$', 'abc1', true],
    ['^[^[:space:]]+$', 'no-space', true],
    ['(?P<env>prod|dev)/', 'prod/x', true],
    ['^\\pL+$', 'ключ', true],
    ['^\\p{Greek}+$', 'αβγ', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['[]a]', ']', true],
    ['(?U)a+', 'aaa', true], // ungreedy
    ['a(?i:b)', 'aB', true], // scoped flags
    ['a(?i:b)', 'AB', false],
  ])('%s on %j → %s', (re, input, expected) => {
    expect(compileRe2(re).test(input)).toBe(expected);
  });

  it.each([['(a)\\1'], ['a(?=b)'], ['a(?!b)'], ['(?<=a)b'], ['a(b'], ['[[:nope:]]']])('refuses %j with a clear error', (re) => {
    expect(() => compileRe2(re)).toThrow(SecretsError);
  });
});
