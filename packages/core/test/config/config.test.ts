import { describe, expect, it } from 'vitest';
import { findConfig, matchCreationRule, pathForRules, type ConfigFs } from '../../src/config/find.js';
import { parseSopsConfig } from '../../src/config/schema.js';
import { thrownSecretsError } from '../support/thrown.js';

const ADMIN = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const HOST = 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs';
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI1+Q+ntzANebtnicCiAY29uqLGWOaOGLEa8bUqOVmS';

const error = thrownSecretsError;

describe('.sops.yaml parsing', () => {
  it('reads the sops-nix article layout: anchors, key_groups, first matching rule wins', () => {
    const config = parseSopsConfig(
      `keys:
  - &admin_michael ${ADMIN}
  - &server_batchn ${HOST}
creation_rules:
  - path_regex: batchn/secrets/[^/]+\\.(yaml|json|env|ini)$
    key_groups:
    - age:
      - *admin_michael
      - *server_batchn
  - path_regex: (?i)^SHARED/
    age: ${ADMIN}, ${SSH}
    encrypted_regex: ^(data|stringData)$
  - age:
      - ${ADMIN}
stores:
  yaml:
    indent: 2
`,
      '/repo/.sops.yaml',
    );
    expect(config.warnings).toEqual([]);
    expect(config.creationRules).toHaveLength(3);
    const [first, second, third] = config.creationRules;
    expect(first?.keyGroups).toEqual([[expect.objectContaining({ type: 'age', recipient: ADMIN }), expect.objectContaining({ type: 'age', recipient: HOST })]]);
    expect(second?.keyGroups[0]?.map((k) => (k.type === 'age' ? k.recipient : ''))).toEqual([ADMIN, SSH]);
    expect(second?.encryptedRegex).toBe('^(data|stringData)$');
    expect(third?.pathRegex).toBeNull();
    expect(config.stores.yamlIndent).toBe(2);
    expect(matchCreationRule(config, '/repo/batchn/secrets/example.yaml').index).toBe(0);
    expect(matchCreationRule(config, '/repo/shared/x.yaml').index).toBe(1); // (?i) honoured
    expect(matchCreationRule(config, '/repo/other.yaml').index).toBe(2);
  });

  it('merge flattens nested groups and keys are deduplicated per group', () => {
    const config = parseSopsConfig(
      `creation_rules:
  - key_groups:
      - age: [${ADMIN}]
        merge:
          - age: [${ADMIN}, ${HOST}]
      - age: [${HOST}]
    shamir_threshold: 2
`,
      '/r/.sops.yaml',
    );
    const rule = config.creationRules[0];
    expect(rule?.keyGroups.map((g) => g.length)).toEqual([2, 1]);
    expect(rule?.shamirThreshold).toBe(2);
  });

  it('a secret key pasted as a recipient is refused at its line, without echoing it', () => {
    const secret = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6';
    const e = error(() => parseSopsConfig(`creation_rules:\n  - age:\n      - ${secret}\n`, '/r/.sops.yaml'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/^\/r\/\.sops\.yaml:3:9: a secret key is pasted where an age recipient belongs$/);
    expect(`${e.message}\n${e.hints.join('\n')}`).not.toContain(secret);
  });

  it('a bad regex, an unknown recipient type, a YAML error and conflicting rules are located', () => {
    expect(error(() => parseSopsConfig('creation_rules:\n  - path_regex: "a(b"\n', '/c')).message).toMatch(/^\/c:2:17: invalid path_regex "a\(b"/);
    expect(error(() => parseSopsConfig('creation_rules:\n  - age: pgp-not-age\n', '/c')).message).toBe('/c:2:10: unknown recipient type: "pgp-not-age"');
    expect(error(() => parseSopsConfig('creation_rules:\n  - age: [\n', '/c')).message).toMatch(/^\/c:\d+:\d+: invalid YAML/);
    expect(error(() => parseSopsConfig('creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: b\n', '/c')).message).toMatch(/at most one/);
  });

  it('unknown keys warn instead of failing (sops is non-strict)', () => {
    const config = parseSopsConfig('creation_rules:\n  - filename_regex: x\n    colour: blue\nextra: 1\n', '/c');
    expect(config.warnings).toEqual(['/c:3:5: unknown key "colour" in creation_rules[0] ignored', '/c:4:1: unknown key "extra" ignored']);
    // a rule with only filename_regex (Python era) is a catch-all, as in sops
    expect(config.creationRules[0]?.regex).toBeNull();
  });

  it('no matching rule names the relative path and each rule tried', () => {
    const config = parseSopsConfig(`creation_rules:\n  - path_regex: ^prod/\n    age: ${ADMIN}\n`, '/repo/.sops.yaml');
    const e = error(() => matchCreationRule(config, '/repo/dev/a.yaml'));
    expect(e.code).toBe('CONFIG_NO_MATCHING_RULE');
    expect(e.message).toBe('no creation rule in /repo/.sops.yaml matches "dev/a.yaml"');
    expect(e.hints.join('\n')).toContain('creation_rules[0] (line 2): path_regex "^prod/"');
  });

  it('matches against the path relative to the config directory, absolute outside it', () => {
    expect(pathForRules('/repo/.sops.yaml', '/repo/a/b.yaml')).toBe('a/b.yaml');
    expect(pathForRules('/repo/.sops.yaml', '/elsewhere/b.yaml')).toBe('/elsewhere/b.yaml');
  });
});

describe('finding .sops.yaml', () => {
  const fsWith = (files: string[]): ConfigFs => ({
    exists: async (p) => files.includes(p),
    readFile: async () => '',
  });

  it('searches upward from the working directory, like sops', async () => {
    const found = await findConfig({ cwd: '/repo/a/b', env: {}, fs: fsWith(['/repo/.sops.yaml']) });
    expect(found).toEqual({ path: '/repo/.sops.yaml', source: 'cwd' });
  });

  it('also searches from the file when the cwd config does not cover it, and says so', async () => {
    const found = await findConfig({ cwd: '/home/u', env: {}, target: '/work/infra/secrets/x.yaml', fs: fsWith(['/home/.sops.yaml', '/work/infra/.sops.yaml']) });
    expect(found?.path).toBe('/work/infra/.sops.yaml');
    expect(found?.source).toBe('file');
    expect(found?.note).toContain('/work/infra/.sops.yaml');
  });

  it('--config and SOPS_CONFIG win; a missing one is an error', async () => {
    expect((await findConfig({ cwd: '/r', env: { SOPS_CONFIG: 'c.yaml' }, fs: fsWith(['/r/c.yaml']) }))?.source).toBe('env');
    expect((await findConfig({ cwd: '/r', env: { SOPS_CONFIG: 'c.yaml' }, explicit: '/x.yaml', fs: fsWith(['/x.yaml']) }))?.source).toBe('flag');
    await expect(findConfig({ cwd: '/r', env: {}, explicit: 'nope.yaml', fs: fsWith([]) })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });

  it('warns about .sops.yml, which sops ignores', async () => {
    const warnings: string[] = [];
    const found = await findConfig({ cwd: '/r', env: {}, fs: fsWith(['/r/.sops.yml']), warn: (m) => warnings.push(m) });
    expect(found).toBeNull();
    expect(warnings).toEqual(['ignoring /r/.sops.yml: the config file must be called ".sops.yaml"']);
  });
});
