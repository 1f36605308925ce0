// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Text configuration files, mutated: `.sops.yaml` (parse, rule matching, the hosts add/rm editor),
 * agenix `secrets.nix` and age identity files (keys.txt). Each parses or fails with a clean SecretsError;
 * a secret key pasted into a config, or held in an identity file, is never quoted; and an identity file
 * never yields an identity that was not in the original (bech32 checksums).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addHost, matchCreationRule, parseIdentities, parseSecretsNix, parseSopsConfig, removeHost } from '@secrets/core';
import { attempt, dec, enc, mutated, repoFile, runs, vectorText } from './support.js';

const ADMIN = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const HOST = 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs';
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBI1+Q+ntzANebtnicCiAY29uqLGWOaOGLEa8bUqOVmS';
const PASTED = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6';

const CONFIGS = [
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
  `creation_rules:
  - key_groups:
      - age: [${ADMIN}]
        merge:
          - age: [${ADMIN}, ${HOST}]
      - age: [${HOST}]
    shamir_threshold: 2
    unencrypted_comment_regex: "^ *sops:ignore"
    mac_only_encrypted: true
destination_rules:
  - s3_bucket: x
`,
  `creation_rules:\n  - path_regex: ^prod/\n    age:\n      - ${PASTED}\n`,
];

const RULES = [vectorText('agenix/example/secrets.nix'), vectorText('ragenix/secrets.nix'), vectorText('ragenix/secrets-configuration.nix'), vectorText('ragenix/secrets-plugin.nix')];

const KEYS = [
  vectorText('sops-nix/age-keys.txt'),
  vectorText('ragenix/keys/key.txt'),
  Buffer.from(repoFile('examples/keys/admin_michael.agekey')).toString('utf8'),
  `${vectorText('sops-nix/age-keys.txt').trim()}\r\n\r\n# two on a line\r\n${vectorText('ragenix/keys/key.txt').split('\n')[2]} ${vectorText('sops-nix/age-keys.txt').split('\n')[2]}\r\n`,
  vectorText('ragenix/keys/example_plugin_key.txt'),
];
const IDENTITY_SECRETS = [...new Set(KEYS.join('\n').match(/AGE-SECRET-KEY-1[0-9A-Z]+/g) ?? [])];

describe('.sops.yaml', () => {
  it('mutated: parse, match and edit, or fail cleanly, never echoing a pasted secret key', () => {
    fc.assert(
      fc.property(mutated(CONFIGS, enc), fc.constantFrom('batchn/secrets/a.yaml', 'shared/x.json', 'prod/db.env', 'other'), ({ bytes }, file) => {
        const text = dec(bytes);
        const config = attempt(() => parseSopsConfig(text, '/repo/.sops.yaml'), [PASTED]);
        if (config) attempt(() => matchCreationRule(config, `/repo/${file}`), [PASTED]);
        for (const w of config?.warnings ?? []) expect(w).not.toContain(PASTED);
        attempt(() => addHost(text, 'newhost', HOST, 'only'), [PASTED]);
        attempt(() => removeHost(text, 'server_batchn'), [PASTED]);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('secrets.nix', () => {
  it('mutated: rules or a clean error with a position', () => {
    fc.assert(
      fc.property(mutated(RULES, enc), ({ bytes }) => {
        const rules = attempt(() => parseSecretsNix(dec(bytes), '/repo/secrets.nix'));
        if (rules) for (const r of rules) expect(Array.isArray(r.publicKeys)).toBe(true);
      }),
      { numRuns: runs(400) },
    );
  });
});

describe('keys.txt identity files', () => {
  it('mutated: only identities of the original, or a clean error that names a line but never a key', () => {
    fc.assert(
      fc.property(mutated(KEYS, enc), ({ bytes }) => {
        const found = attempt(() => parseIdentities(bytes, 'keys.txt'), IDENTITY_SECRETS);
        for (const id of found ?? []) {
          if (id.kind === 'x25519') expect(IDENTITY_SECRETS).toContain(id.secret);
          expect(JSON.stringify(id)).not.toMatch(/AGE-SECRET-KEY-1/);
        }
      }),
      { numRuns: runs(400) },
    );
  });
});
