// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * The six encryption-selection rules, each on the same file: which values end up in plaintext.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIdentities, parseRecipient } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { createSopsFile, openSopsFile } from '../../src/sops/file.js';
import type { CryptRules } from '../../src/sops/rules.js';
import { storeFor } from '../../src/sops/stores/store.js';
import { sharedPath } from '../../../../test/support/shared.js';

const identities = parseIdentities(readFileSync(sharedPath('vectors', 'sops-nix/age-keys.txt'), 'utf8'), 'k');
const recipient = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
const SOURCE = `# top comment
name: app!
password_enc: hunter2!
plain_unencrypted: visible!
data:
    user: us3r!
    # sops:nocrypt
    token: t0k!
    # sops:crypt
    key: k3y!
`;

/**
 * Which of the values appear in plaintext in the encrypted file. Every token contains `!`, which base64
 * never does, so a token cannot turn up inside a ciphertext by chance.
 */
async function plainValues(rules: CryptRules): Promise<string[]> {
  const doc = storeFor('yaml').loadPlain(new TextEncoder().encode(SOURCE));
  const file = Buffer.from(await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], rules, now: new Date() })).toString();
  const reopened = await openSopsFile(new TextEncoder().encode(file), { format: 'yaml', identities });
  expect(Buffer.from(storeFor('yaml').emitPlain(reopened.document)).toString()).toBe(SOURCE);
  const data = file.split('\nsops:')[0] as string;
  return ['top comment', 'app!', 'hunter2!', 'visible!', 'us3r!', 'sops:nocrypt', 't0k!', 'sops:crypt', 'k3y!'].filter((v) => data.includes(v));
}

describe('encryption-selection rules (sops shouldBeEncrypted)', () => {
  it.each<[string, CryptRules, string[]]>([
    ['default: unencrypted_suffix _unencrypted', {}, ['visible!']],
    ['unencrypted_suffix', { unencryptedSuffix: '_enc' }, ['hunter2!']],
    ['encrypted_suffix: only keys with the suffix; top-level comments stay plain', { encryptedSuffix: '_enc' }, ['top comment', 'app!', 'visible!', 'us3r!', 'sops:nocrypt', 't0k!', 'sops:crypt', 'k3y!']],
    ['unencrypted_regex', { unencryptedRegex: '^(name|user)$' }, ['app!', 'us3r!']],
    ['encrypted_regex: a matching parent encrypts its whole subtree', { encryptedRegex: '^data$' }, ['top comment', 'app!', 'hunter2!', 'visible!']],
    ['unencrypted_comment_regex: the marker and the value after it stay plain', { unencryptedCommentRegex: 'sops:nocrypt' }, ['sops:nocrypt', 't0k!']],
    ['encrypted_comment_regex: only the value after the marker; the marker stays plain', { encryptedCommentRegex: 'sops:crypt' }, ['top comment', 'app!', 'hunter2!', 'visible!', 'us3r!', 'sops:nocrypt', 't0k!', 'sops:crypt']],
  ])('%s', async (_name, rules, expected) => {
    expect(await plainValues(rules)).toEqual(expected);
  });

  it('at most one rule: two together are refused (exit 8 in the CLI)', async () => {
    const doc = storeFor('yaml').loadPlain(new TextEncoder().encode(SOURCE));
    const e = await createSopsFile(doc, { format: 'yaml', keyGroups: [[recipient]], rules: { encryptedRegex: 'a', unencryptedSuffix: 'b' }, now: new Date() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SecretsError);
    expect((e as SecretsError).code).toBe('SOPS_RULES_CONFLICT');
  });
});
