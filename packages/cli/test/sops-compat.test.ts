import { describe, expect, it } from 'vitest';
import { rewriteSopsArgs, splitSetArgument } from '../src/sops-compat.js';

const COMMANDS = new Set(['decrypt', 'encrypt', 'edit', 'set', 'unset', 'rotate', 'rekey', 'hosts', 'check', 'filestatus']);
const rewrite = (args: string[], asSops = false, existing: string[] = []): string[] =>
  rewriteSopsArgs(args, { exists: (p) => existing.includes(p), commands: COMMANDS, asSops }).args;

describe('rewriteSopsArgs', () => {
  it.each([
    [['-d', 'f.yaml'], ['decrypt', 'f.yaml']],
    [['--decrypt', '--extract', '["a"]', 'f.yaml'], ['decrypt', '--extract', '["a"]', 'f.yaml']],
    [['-d', '-i', 'f.yaml'], ['decrypt', '--in-place', 'f.yaml']],
    [['-i', '-e', 'f.yaml'], ['encrypt', '--in-place', 'f.yaml']],
    [['-e', '--age', 'age1x', '-i', 'f.yaml'], ['encrypt', '--in-place', '--age', 'age1x', 'f.yaml']],
    [['--output', 'out.yaml', '-e', 'f.yaml'], ['encrypt', '--output', 'out.yaml', 'f.yaml']],
    [['-r', '-i', '--add-age', 'age1x', 'f.yaml'], ['rotate', '--in-place', '--add-age', 'age1x', 'f.yaml']],
    [['--set', '["a"]["b c"] {"x": 1}', 'f.yaml'], ['set', 'f.yaml', '["a"]["b c"]', '{"x": 1}']],
    [['--set=["a"][0] "v"', 'f.yaml'], ['set', 'f.yaml', '["a"][0]', '"v"']],
    [['--ignore-mac', 'f.yaml'], ['edit', '--ignore-mac', 'f.yaml']],
    [['-s', 'f.yaml'], ['edit', '--show-master-keys', 'f.yaml']],
    [['--show-master-keys', '--ignore-mac', 'f.yaml'], ['edit', '--ignore-mac', '--show-master-keys', 'f.yaml']],
    [['-d', '-s', 'f.yaml'], ['decrypt', 'f.yaml']],
    [['updatekeys', '-y', 'a.yaml', 'b.yaml'], ['rekey', '-y', 'a.yaml', 'b.yaml']],
    [['-d', '--verbose', '--indent', '2', 'f.yaml'], ['decrypt', '--indent', '2', 'f.yaml']],
    [['-r', '-i', '--indent', '2', 'f.yaml'], ['rotate', '--in-place', 'f.yaml']],
    [['decrypt', '--verbose', 'f.yaml'], ['decrypt', 'f.yaml']],
    [['new.yaml'], ['edit', 'new.yaml']],
    [['check'], ['check']],
    [['agenix', '-i', 'key'], ['agenix', '-i', 'key']],
    [['--help'], ['--help']],
  ])('%j → %j', (args, want) => {
    expect(rewrite(args)).toEqual(want);
  });

  it('a bare name without a dot is a file only when it exists, or under the name sops', () => {
    expect(rewrite(['decrpyt', 'x'])).toEqual(['decrpyt', 'x']);
    expect(rewrite(['secret'], false, ['secret'])).toEqual(['edit', 'secret']);
    expect(rewrite(['secret'], true)).toEqual(['edit', 'secret']);
  });

  it('--indent is kept for decrypt and encrypt, reported as ignored elsewhere', () => {
    const env = { exists: (): boolean => false, commands: COMMANDS, asSops: false };
    expect(rewriteSopsArgs(['-d', '--indent=2', 'f.yaml'], env).warnings).toEqual([]);
    expect(rewriteSopsArgs(['--indent=2', 'f.yaml'], env)).toEqual({ args: ['edit', 'f.yaml'], warnings: [expect.stringContaining('--indent is ignored by edit')] });
    expect(rewriteSopsArgs(['set', '--indent', '2', 'f.yaml', '["a"]', '"b"'], env).args).toEqual(['set', 'f.yaml', '["a"]', '"b"']);
  });

  it('leaves everything after -- alone: the command exec-env runs keeps its own --verbose, --indent and --kms', () => {
    const env = { exists: (): boolean => false, commands: COMMANDS, asSops: false };
    const argv = ['exec-env', '--verbose', 'f.yaml', '--', 'cmd', '--verbose', '--indent', '2', '--kms', 'k'];
    expect(rewriteSopsArgs(argv, env)).toEqual({ args: ['exec-env', 'f.yaml', '--', 'cmd', '--verbose', '--indent', '2', '--kms', 'k'], warnings: [] });
  });

  it.each([
    [['--kms', 'arn', '-e', 'f.yaml'], /--kms is not supported.*AWS KMS/],
    [['encrypt', '--hc-vault-transit=https://v/keys/k', 'f.yaml'], /--hc-vault-transit is not supported/],
    [['-d', '-r', 'f.yaml'], /cannot use -d and -r together/],
    [['-d'], /no file specified/],
    [['-d', 'a.yaml', 'b.yaml'], /one file expected, got 2/],
  ])('%j is refused', (args, message) => {
    expect(() => rewrite(args)).toThrow(message);
  });
});

describe('splitSetArgument', () => {
  it.each([
    ['["a"] "v"', '["a"]', '"v"'],
    ['["a"]["b"] 5', '["a"]["b"]', '5'],
    ['["a b"]["c]d"] true', '["a b"]["c]d"]', 'true'],
    ['["a\\"] x"]   "v w"', '["a\\"] x"]', '"v w"'],
    ['[0] null', '[0]', 'null'],
  ])('%s', (arg, path, value) => {
    expect(splitSetArgument(arg)).toEqual({ path, value });
  });

  it.each(['["a"]', '', '"v"', '["a"]"v"', '["a" "v"'])('%j is exit 7', (arg) => {
    expect(() => splitSetArgument(arg)).toThrow(expect.objectContaining({ code: 'SOPS_SET_VALUE_INVALID' }));
  });
});
