import { describe, expect, it } from 'vitest';
import { classifySecretsNix, classifySecretsNixStatic, readAgenixRules, readRulesStatic, secretsNixRecipientNames } from '../../src/agenix/rules.js';
import { thrownSecretsError } from '../support/thrown.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';
const K2 = 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk';

/** An in-memory repository at /repo: absolute path → text; directories are the prefixes of the paths. */
function repo(files: Record<string, string>): { root: string; file: string; readFile: (p: string) => string } {
  return {
    root: '/repo',
    file: '/repo/secrets/secrets.nix',
    readFile: (p: string): string => {
      if (p in files) return files[p] as string;
      if (Object.keys(files).some((f) => f.startsWith(`${p}/`))) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
  };
}

const keysOf = (text: string, files: Record<string, string> = {}): Record<string, readonly string[]> =>
  Object.fromEntries(readRulesStatic(text, 'secrets.nix', repo(files)).map((r) => [r.name, r.publicKeys]));

const thrown = thrownSecretsError;

describe('static secrets.nix reader: the forms real rules files use', () => {
  it('attribute selection and dotted bindings in let (users.alice, darwin.ssh-host = …)', () => {
    const text = `let\n  users = { alice = "${K1}"; };\n  darwin.ssh-host = "${K2}";\n  darwin.other = "x";\nin { "a.age".publicKeys = [ users.alice darwin.ssh-host ]; }`;
    expect(keysOf(text)).toEqual({ 'a.age': [K1, K2] });
  });

  it('with, inherit, inherit (x) a b;, rec { }, let … in, // and ++', () => {
    const text = `let
  keys = rec { alice = "${K1}"; bob = "${K2}"; both = [ alice bob ]; };
  inherit (keys) alice bob;
  extra = { c = "k3"; } // { c = "k4"; d = "k5"; };
in {
  "w.age".publicKeys = with keys; [ alice bob ];
  "i.age" = { inherit (keys) publicKeys; } // { publicKeys = [ alice ]; };
  "r.age".publicKeys = keys.both ++ [ extra.c extra.d ];
  inherit (keys) ;
}`;
    expect(keysOf(text)).toEqual({ 'w.age': [K1, K2], 'i.age': [K1], 'r.age': [K1, K2, 'k4', 'k5'] });
  });

  it("lexical names win over with, inner with over outer (Nix's scoping)", () => {
    const text = `let a = "lexical"; in with { a = "with"; b = "outer"; }; with { b = "inner"; }; { "x.age".publicKeys = [ a b ]; }`;
    expect(keysOf(text)).toEqual({ 'x.age': ['lexical', 'inner'] });
  });

  it("''indented strings'' follow Nix's indentation rule", () => {
    const text = "let k = ''\n    ssh-ed25519 AAAA\n      x\n  ''; e = ''''$ '''' ''\\t''; in { \"a.age\".publicKeys = [ k e ]; }";
    expect(keysOf(text)).toEqual({ 'a.age': ['ssh-ed25519 AAAA\n  x\n', "$ ''' \t"] });
  });

  it('builtins.attrValues sorts by name (byte order: upper case first), attrNames too', () => {
    const text = `let s = { oracle = "o"; "Alex-PC" = "A"; xyber = "x"; }; in { "a.age".publicKeys = builtins.attrValues s ++ builtins.attrNames s; }`;
    expect(keysOf(text)).toEqual({ 'a.age': ['A', 'o', 'x', 'Alex-PC', 'oracle', 'xyber'] });
  });

  it('import ./keys.nix (relative to the importing file, a directory means default.nix) and builtins.readFile', () => {
    const files = {
      '/repo/keys.nix': `{ alice = "${K1}"; hosts = import ./hosts; }`,
      '/repo/hosts/default.nix': '{ web = builtins.readFile ./web.pub; }',
      '/repo/hosts/web.pub': `${K2}\n`,
    };
    const text = 'let k = import ../keys.nix; in { "a.age".publicKeys = [ k.alice k.hosts.web ]; }';
    expect(keysOf(text, files)).toEqual({ 'a.age': [K1, `${K2}\n`] });
  });

  it('refuses paths outside the repository, missing files and import cycles, with file:line:column', () => {
    expect(thrown(() => keysOf('{ "a.age".publicKeys = [ (builtins.readFile /etc/passwd) ]; }')).message).toBe('secrets.nix:1:27: "../../etc/passwd" is outside the repository');
    expect(thrown(() => keysOf('{ "a.age".publicKeys = import ../../x.nix; }')).message).toMatch(/^secrets\.nix:1:24: "\.\.\/\.\.\/x\.nix" is outside the repository$/);
    expect(thrown(() => keysOf('{ "a.age".publicKeys = import ./k.nix; }')).message).toBe('secrets.nix:1:24: "k.nix" does not exist');
    const cycle = { '/repo/secrets/a.nix': 'import ./b.nix', '/repo/secrets/b.nix': 'import ./a.nix' };
    const e = thrown(() => keysOf('{ "a.age".publicKeys = import ./a.nix; }', cycle));
    expect(e.message).toMatch(/^b\.nix:1:1: import cycle: the file imports itself$/);
  });

  it('is lazy like Nix: an unused binding that needs Nix does not matter', () => {
    expect(keysOf(`let f = x: x; unused = map f [ ]; in { "a.age".publicKeys = [ "${K1}" ]; }`)).toEqual({ 'a.age': [K1] });
  });

  it.each([
    ['{ "a.age".publicKeys = map (x: x) [ "k" ]; }', /1:24: "map" needs a Nix evaluator/],
    ['let f = x: [ x ]; in { "a.age".publicKeys = f "k"; }', /1:45: calling a function needs a Nix evaluator/],
    ['{ "a.age".publicKeys = if true then [ ] else [ ]; }', /1:24: "if" needs a Nix evaluator/],
    ['let u = "k"; in { "a.age".publicKeys = [ "${u}" ]; }', /1:43: string interpolation \$\{…\} needs a Nix evaluator/],
    ['{ "a.age".publicKeys = builtins.concatMap (x: x) [ ]; }', /builtins\.concatMap needs a Nix evaluator/],
    ['{ "a.age".publicKeys = import <keys>; }', /the search path <keys> needs a Nix evaluator/],
    ['{ ${"a"}.publicKeys = [ ]; }', /dynamic attribute name needs a Nix evaluator/],
  ])('%j needs Nix: a clear result, not a crash', (src, message) => {
    const e = thrown(() => keysOf(src));
    expect(e.message).toMatch(message);
    expect(e.details['needsNix']).toBe(true);
  });

  it.each([
    ['{ a = 1; a = 2; }', /1:10: attribute "a" already defined/],
    ['{ a.b = 1; a = { b = 2; }; }', /already defined/],
    ['{ "x.age".publicKeys = [ "k" ]; unused = nobody; }', /1:42: undefined variable "nobody"/],
    ['let a = a; in { "x.age".publicKeys = a; }', /infinite recursion/],
    ['{ "x.age".publicKeys = [ ./a/ ]; }', /path has a trailing slash/],
  ])('%j is an error Nix also gives', (src, message) => {
    expect(thrown(() => keysOf(src)).message).toMatch(message);
  });

  it('merges attribute sets written in parts as Nix does ({ a = { b = 1; }; a.c = 2; })', () => {
    expect(keysOf('let k = { a = { b = "1"; }; a.c = "2"; }; in { "x.age".publicKeys = builtins.attrValues k.a; }')).toEqual({ 'x.age': ['1', '2'] });
  });
});

describe('classifySecretsNix: is this secrets.nix agenix rules?', () => {
  const classify = (text: string) => classifySecretsNix(text, 'secrets.nix', repo({}));

  it('rules, by shape (even when keys need Nix and Nix is absent)', async () => {
    expect((await classify(`{ "a.age".publicKeys = [ "${K1}" ]; }`)).kind).toBe('rules');
    const v = await classify('{ "a.age".publicKeys = map (x: x) [ ]; }');
    expect(v.kind === 'unreadable' && v.looksLikeRules).toBe(true);
  });

  it.each([
    ['{ config, pkgs, ... }: { sops.secrets.x = { }; }', /a function/],
    ['{ sops.secrets.x.sopsFile = ./x.yaml; }', /"sops" is not a rule/],
    ['{ }', /empty/],
    ['\u0000\u0001binary', /not valid Nix/],
    ['[ "a" ]', /a list/],
  ])('%j is not rules, and not an error', async (text, reason) => {
    const v = await classify(text);
    expect(v.kind).toBe('not-rules');
    expect(v.kind === 'not-rules' && v.reason).toMatch(reason);
  });

  it('classifySecretsNixStatic: the same verdicts, synchronously, with needsNix on what Nix could decide', () => {
    const v = classifySecretsNixStatic('let f = x: x; in { "a.age" = f { publicKeys = [ ]; }; }', 'secrets.nix', repo({}));
    expect(v.kind).toBe('unreadable');
    expect(v.kind === 'unreadable' && [v.looksLikeRules, v.error.details['needsNix']]).toEqual([false, true]);
    expect(classifySecretsNixStatic(`{ "a.age".publicKeys = [ "${K1}" ]; }`, 'secrets.nix')).toEqual({ kind: 'rules', via: 'static', rules: [{ name: 'a.age', publicKeys: [K1], armor: false }] });
    expect(classifySecretsNixStatic('{ pkgs, ... }: { }', 'secrets.nix').kind).toBe('not-rules');
  });

  it('JSON rules are rules', async () => {
    expect(await classify(JSON.stringify({ 'a.age': { publicKeys: [K1], armor: true } }))).toEqual({ kind: 'rules', via: 'json', rules: [{ name: 'a.age', publicKeys: [K1], armor: true }] });
  });
});

describe('rules as JSON (nix eval --json output)', () => {
  it('reads the shape, ignores extra attributes, refuses wrong types by name', async () => {
    const json = JSON.stringify({ 'a.age': { publicKeys: [K1, K2], armor: false, extra: 'x' }, 'b.age': { publicKeys: [] } });
    expect(await readAgenixRules(json, 'rules.json')).toEqual({
      via: 'json',
      rules: [
        { name: 'a.age', publicKeys: [K1, K2], armor: false },
        { name: 'b.age', publicKeys: [], armor: false },
      ],
    });
    await expect(readAgenixRules('{"a.age":{"publicKeys":"k"}}', 'rules.json')).rejects.toThrow('rules.json: "a.age".publicKeys must be a list of strings');
    await expect(readAgenixRules('{"a.age":{"publicKeys":[],"armor":1}}', 'rules.json')).rejects.toThrow('"a.age".armor must be true or false');
  });
});

describe('secretsNixRecipientNames: recipients named as the repository names them', () => {
  it('let bindings, bound sets two levels deep, imported sets; the first name wins; what needs Nix has none', () => {
    const files = { '/repo/secrets/keys.nix': `{ bob = "${K2}"; }` };
    const text = `let
  alice = "${K1}";
  again = "${K1}";
  users = { carol = "k3"; nested = { dave = "k4"; }; };
  keys = import ./keys.nix;
  fn = map (x: x) [ ];
  all = [ alice ];
in { "a.age".publicKeys = all; }`;
    expect(Object.fromEntries(secretsNixRecipientNames(text, 'secrets.nix', repo(files)))).toEqual({ [K1]: 'alice', k3: 'users.carol', k4: 'users.nested.dave', [K2]: 'keys.bob' });
    expect(secretsNixRecipientNames('{ not nix', 'secrets.nix').size).toBe(0);
  });
});
