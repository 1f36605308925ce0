/**
 * Hostile secrets.nix (issue 13): what once killed node after 3.4 GB or gave an internal error now stops
 * at a documented limit with a clean LIMIT_EXCEEDED error naming file, line and column.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySecretsNix, readRulesStatic } from '../../src/agenix/rules.js';
import { DEFAULT_NIX_READ_LIMITS } from '../../src/agenix/nix-eval.js';
import { SecretsError } from '../../src/errors.js';
import { thrownSecretsError } from '../support/thrown.js';

const thrown = thrownSecretsError;

const read = (text: string, limits = {}) => readRulesStatic(text, 'secrets.nix', { file: '/repo/secrets.nix', root: '/repo', readFile: () => '[ ]', limits });

describe('secrets.nix limits', () => {
  it('40 lines of aN = aM ++ aM stop at the list-size limit, at the ++ that crosses it', () => {
    const lines = ['let', '  a0 = [ "x" ];'];
    for (let i = 1; i <= 40; i++) lines.push(`  a${i} = a${i - 1} ++ a${i - 1};`);
    lines.push('in { "x.age".publicKeys = a40; }');
    const e = thrown(() => read(lines.join('\n')));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    // a17 (line 19) is the first list of 2^17 = 131072 > 100000 elements; its ++ is at column 13.
    expect(e.message).toBe('secrets.nix:19:13: a list or set of 131072 elements is over the limit of 100000');
  });

  it('lists nested 5,000 deep stop at the nesting limit', () => {
    const e = thrown(() => read(`{ "x.age".publicKeys = ${'['.repeat(5000)}${']'.repeat(5000)}; }`));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/^secrets\.nix:1:(\d+): expressions nest deeper than 200 levels$/);
    const column = Number(/:1:(\d+):/.exec(e.message)?.[1]);
    expect(column).toBeGreaterThan(24); // inside the brackets, which start at column 24
    expect(column).toBeLessThan(24 + 5000);
  });

  it.each([
    ['parentheses 100,000 deep', `{ "x.age".publicKeys = ${'('.repeat(100_000)}[ ]${')'.repeat(100_000)}; }`, /expressions nest deeper than 200 levels/],
    ['interpolations nested 5,000 deep', `{ "x.age".publicKeys = [ ${'"${'.repeat(5000)}"x"${'}"'.repeat(5000)} ]; }`, /strings nest deeper than 200 levels/],
    ['a let chain 200,000 long', `let a0 = "k"; ${Array.from({ length: 200_000 }, (_, i) => `a${i + 1} = a${i};`).join(' ')} in { "x.age".publicKeys = [ a200000 ]; }`, /evaluation nests deeper than 1000 levels/],
    ['a set of 200,000 attributes', `{ "x.age".publicKeys = builtins.attrValues { ${Array.from({ length: 200_000 }, (_, i) => `k${i} = "v";`).join(' ')} }; }`, /a list or set of 200000 elements is over the limit of 100000/],
    ['a list of 2,000,000 names (tokens are capped before anything is parsed)', `{ "x.age".publicKeys = [ ${'a '.repeat(2_000_000)}]; }`, /more tokens than the limit/],
    ["an ''indented string'' of 1,000,000 escapes", `{ "x.age".publicKeys = [ ''${"''$".repeat(1_000_000)}'' ]; }`, /more tokens than the limit/],
    ['lambdas nested 100,000 deep', `${'x: '.repeat(100_000)}{ }`, /expressions nest deeper than 200 levels/],
  ])('%s: a clean limit error, no stack overflow', (_name, text, message) => {
    const e = thrown(() => read(text));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toMatch(/^secrets\.nix:\d+:\d+: /);
    expect(e.message).toMatch(message);
  });

  it('evaluation steps, values produced and files read are capped too', () => {
    const text = '{ "x.age".publicKeys = [ "a" "b" "c" ] ++ [ "d" ]; "y.age".publicKeys = import ./k.nix; }';
    expect(thrown(() => read(text, { maxSteps: 5 })).message).toMatch(/^secrets\.nix:1:\d+: evaluation takes more than 5 steps$/);
    expect(thrown(() => read(text, { maxProduced: 5 })).message).toMatch(/more than 5 values produced/);
    expect(thrown(() => read(text, { maxFiles: 0 })).message).toBe('secrets.nix:1:73: more than 0 files read');
    expect(DEFAULT_NIX_READ_LIMITS.maxSteps).toBe(1_000_000);
  });

  it('property (fixed seed): any soup of Nix fragments gives rules or a SecretsError, never anything else', async () => {
    const fragments = ['let', 'in', 'rec', 'with', 'inherit', '(', ')', '{', '}', '[', ']', ';', '=', '.', '++', '//', '?', 'or', 'x', 'y', '"s"', "''\n  i\n''", '"${x}"', './k.nix', 'import', 'builtins.attrValues', 'x:', '{ a, ... }:', 'if', 'then', 'else', '"a.age".publicKeys', '#c\n', '/* c */', '${', '1', '-', '!'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), async (parts) => {
        const text = parts.join(' ');
        try {
          read(text);
        } catch (error) {
          expect(error).toBeInstanceOf(SecretsError);
          expect(['CONFIG_INVALID', 'LIMIT_EXCEEDED']).toContain((error as SecretsError).code);
        }
        const verdict = await classifySecretsNix(text, 'secrets.nix', { file: '/repo/secrets.nix', root: '/repo', readFile: () => '[ ]' });
        expect(['rules', 'not-rules', 'unreadable']).toContain(verdict.kind);
      }),
      { seed: 1306, numRuns: 400 },
    );
  });
});
