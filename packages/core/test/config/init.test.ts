import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIdentities } from '../../src/age/index.js';
import { addKey, removeKey } from '../../src/config/edit.js';
import { adminKeyOf, ageKeyFileText, initialSopsConfig, DEFAULT_PATH_REGEX } from '../../src/config/init.js';
import { parseSopsConfig } from '../../src/config/schema.js';
import { thrownSecretsError } from '../support/thrown.js';

const ADMIN = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const HOST = 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs';
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI1+Q+ntzANebtnicCiAY29uqLGWOaOGLEa8bUqOVmS';
const examples = new URL('../../../../examples/keys/', import.meta.url);

const error = thrownSecretsError;

describe('initialSopsConfig', () => {
  it("writes the sops-nix README's shape, which reads back as asked", () => {
    const text = initialSopsConfig({ admin: { name: 'alice', recipient: ADMIN }, pathRegexes: [DEFAULT_PATH_REGEX] });
    expect(text).toBe(`keys:\n  - &admin_alice ${ADMIN}\ncreation_rules:\n  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$\n    key_groups:\n      - age:\n          - *admin_alice\n`);
    const config = parseSopsConfig(text, '.sops.yaml');
    expect(config.names.get(ADMIN)).toBe('admin_alice');
    expect(config.creationRules[0]?.regex?.test('secrets/wifi.env')).toBe(true);
    expect(config.creationRules[0]?.regex?.test('secrets/sub/wifi.env')).toBe(false);
  });

  it('hosts join every rule; the result is what hosts add and rm edit later', () => {
    const text = initialSopsConfig({ admin: { name: 'alice', recipient: ADMIN, note: SSH }, pathRegexes: ['a/.*', 'b: c#d'], hosts: [{ name: 'batchn', recipient: HOST }] });
    expect(text).toContain(`  - &admin_alice ${ADMIN} # ${SSH}\n  - &server_batchn ${HOST}\n`);
    expect(text).toContain('  - path_regex: "b: c#d"\n');
    const rules = parseSopsConfig(text, '.sops.yaml').creationRules;
    expect(rules.map((r) => [r.pathRegex, r.keyGroups.flat().map((k) => (k.type === 'age' ? k.recipient : ''))])).toEqual([
      ['a/.*', [ADMIN, HOST]],
      ['b: c#d', [ADMIN, HOST]],
    ]);
    expect(removeKey(text, 'host', 'batchn').text).toBe(initialSopsConfig({ admin: { name: 'alice', recipient: ADMIN, note: SSH }, pathRegexes: ['a/.*', 'b: c#d'] }));
    expect(addKey(text, 'user', 'bob', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', { index: 0 }).text).toContain('  - &admin_bob age1ql3z');
  });

  type Change = { name?: string; recipient?: string; pathRegexes?: string[] };
  it.each<[Change, RegExp]>([
    [{ name: 'a b' }, /invalid name/],
    [{ pathRegexes: ['(?=x)'] }, /invalid path regex/],
    [{ pathRegexes: ['a\nb'] }, /control characters/],
    [{ pathRegexes: [] }, /no path regex/],
    [{ recipient: 'age1nope' }, /./],
  ])('refuses %j', (change, message) => {
    const e = error(() => initialSopsConfig({ admin: { name: change.name ?? 'a', recipient: change.recipient ?? ADMIN }, pathRegexes: change.pathRegexes ?? ['x'] }));
    expect(e.message).toMatch(message);
  });
});

describe('adminKeyOf', () => {
  const age = parseIdentities(readFileSync(new URL('admin_michael.agekey', examples), 'utf8'), 'keys.txt');
  const ssh = parseIdentities(readFileSync(new URL('hosts/batchn_ssh_host_ed25519_key', examples), 'utf8'), '~/.ssh/id_ed25519');
  const adminRecipient = (readFileSync(new URL('admin_michael.agekey', examples), 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];

  it('prefers an age key, else an ssh-ed25519 key as its ssh-to-age recipient with the SSH key as a note; none: null', async () => {
    expect(await adminKeyOf([...ssh, ...age])).toEqual({ origin: expect.stringContaining('keys.txt') as unknown, recipient: adminRecipient });
    const fromSsh = await adminKeyOf(ssh);
    expect(fromSsh?.recipient).toBe('age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl');
    expect(fromSsh?.note).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\S+$/);
    expect(await adminKeyOf([])).toBeNull();
  });

  it('ageKeyFileText is age-keygen\'s layout', () => {
    expect(ageKeyFileText('AGE-SECRET-KEY-1X', 'age1x', new Date('2026-01-02T03:04:05.678Z'))).toBe('# created: 2026-01-02T03:04:05Z\n# public key: age1x\nAGE-SECRET-KEY-1X\n');
  });
});
