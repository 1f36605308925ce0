import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeRuleName, parseSecretsNix } from '../../src/agenix/secrets-nix.js';
import { SecretsError } from '../../src/errors.js';
import { pathToFileURL } from 'node:url';
import { itShared, sharedPath } from '../../../../test/support/shared.js';

const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
const text = (p: string): string => readFileSync(new URL(p, SHARED), 'utf8');

describe('secrets.nix without Nix', () => {
  itShared('vectors', 'reads agenix example/secrets.nix: let bindings, nested attribute paths, armor', () => {
    const rules = parseSecretsNix(text('agenix/example/secrets.nix'), 'secrets.nix');
    const user1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';
    const system1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJDyIr/FSz1cJdcoW69R+NrWzwGK/+3gJpqD1t8L2zE';
    expect(rules).toEqual([
      { name: 'secret1.age', publicKeys: [user1, system1], armor: false },
      { name: 'secret2.age', publicKeys: [user1], armor: false },
      { name: 'passwordfile-user1.age', publicKeys: [user1, system1], armor: false },
      { name: '-leading-hyphen-filename.age', publicKeys: [user1, system1], armor: false },
      { name: 'armored-secret.age', publicKeys: [user1], armor: true },
    ]);
  });

  itShared('vectors', 'reads ragenix secrets.nix: extra attributes are fine', () => {
    const rules = parseSecretsNix(text('ragenix/secrets.nix'), 'secrets.nix');
    expect(rules.map((r) => [r.name, r.publicKeys.length])).toEqual([
      ['root.passwd.age', 3],
      ['github-runner.token.age', 3],
    ]);
  });

  it('++, bound lists, comments', () => {
    const rules = parseSecretsNix(
      `let\n  admins = [ "age1a" ]; # people\n  hosts = [ "age1b" "age1c" ];\n  /* all */ everyone = admins ++ hosts;\nin {\n  "./x.age".publicKeys = everyone ++ [ "age1d" ];\n  "y.age".publicKeys = admins ++ hosts;\n}\n`,
      's.nix',
    );
    expect(rules).toEqual([
      { name: './x.age', publicKeys: ['age1a', 'age1b', 'age1c', 'age1d'], armor: false },
      { name: 'y.age', publicKeys: ['age1a', 'age1b', 'age1c'], armor: false },
    ]);
    expect(normalizeRuleName('./x.age')).toBe(normalizeRuleName('x.age'));
  });

  it.each([
    ['{ "a.age".publicKeys = [ "${x}" ]; }', /^s\.nix:1:27: string interpolation/],
    ['let k = import ./keys.nix; in { "a.age".publicKeys = k; }', /1:16: the path \.\/keys\.nix cannot be resolved here/],
    ['{ "a.age".publicKeys = [ who ]; }', /1:26: undefined variable "who"/],
    ['{ "a.age".publicKeys = [ "x" ]', /1:31: unexpected end of file, expecting ";"/],
    ['{ "a.age".publicKeys = [ admins ]; }', /undefined variable "admins"/],
    ['let a = [ "k" ]; in { "a.age".publicKeys = [ a ]; }', /1:46: "a.age".publicKeys must be a list of strings, not hold a list/],
    ['{ "a.age" = "x"; }', /"a.age" must be an attribute set/],
  ])('refuses %j precisely', (src, message) => {
    expect(() => parseSecretsNix(src, 's.nix')).toThrow(message);
    expect(() => parseSecretsNix(src, 's.nix')).toThrow(SecretsError);
  });
});
