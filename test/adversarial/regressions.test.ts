/**
 * The bugs the adversarial suite found, each pinned by the smallest input that showed it.
 * (Size and count limits have their own file: limits.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addHost, decryptOpenSshPrivateKey, isSecretsError, matchCreationRule, parseSopsConfig, storeFor, type Format } from '@secrets/core';
import { armor as pemArmor, unarmor } from '../../packages/core/test/ssh/helpers.js';
import { enc } from './support.js';

const HOST = 'age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs';
const ADMIN = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';
const SECRET_KEY = 'AGE-SECRET-KEY-1NJT5YCS2LWU4V4QAJQ6R4JNU7LXPDX602DZ9NUFANVU5GDTGUWCQ5T59M6';

function errorOf(fn: () => unknown): { code: string; message: string; text: string } {
  try {
    fn();
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    return { code: error.code, message: error.message, text: [error.message, ...error.hints].join('\n') };
  }
  throw new Error('expected a SecretsError');
}

describe('YAML parse errors never quote the input (it may be a secret)', () => {
  // The yaml library puts source text in some messages; an unquoted password that starts with `*`, `&`
  // or `!`, or a dotenv file read as YAML, put the secret on stderr.
  it.each([
    ['an alias to no anchor (a password starting with *)', 'yaml', 'password: *hunter2!x\n'],
    ['an unresolvable tag (a password starting with !)', 'yaml', 'password: !a!hunter2!x\n'],
    ['a token the lexer does not know (text on a block scalar header line)', 'yaml', '    multi: | hunter2!x'],
    ['a block scalar header with extra characters', 'yaml', 'a: |2hunter2!x\n  x\n'],
  ] as [string, Format, string][])('%s', (_, format, text) => {
    const e = errorOf(() => storeFor(format).loadPlain(enc(text)));
    expect(e.code).toBe('SOPS_FORMAT_INVALID');
    expect(e.text).not.toContain('hunter2');
  });

  it('messages start lowercase and do not end with a period (the CLI grammar)', () => {
    for (const [format, bytes] of [['yaml', [0xff, 0x0a]], ['dotenv', [0x61, 0x3d, 0xff]], ['ini', [0x5b, 0x61, 0x5d, 0x0a, 0x62, 0x3d, 0xff]]] as const) {
      expect(errorOf(() => storeFor(format).loadPlain(new Uint8Array(bytes))).message).toMatch(/^the (YAML|dotenv|INI) input is not valid UTF-8$/);
    }
    // the escape is quoted, so a message never ends with the input's own period
    expect(errorOf(() => storeFor('yaml').loadPlain(enc('a: "\\."\n'))).message).toMatch(/: Invalid escape sequence "\\\\\."$/);
    expect(errorOf(() => parseSopsConfig('a: "\\."\n', '/c')).message).not.toMatch(/\.$/);
  });
});

describe('.sops.yaml', () => {
  it('editing a file with an alias to an undefined anchor is a CONFIG_INVALID, not a crash', () => {
    // found by the fuzzer: the yaml library parses this without an error, then throws a plain Error
    // ("Unresolved alias") when writing the edited document back
    const text = `keys:\n  - &admin_michael ${ADMIN}\n  - path_regex: x$\ncreation_rules:\n  - path_regex: x$\n    key_groups:\n    - age:\n      - *admin_michael\n      - *server_batchn\n`;
    const e = errorOf(() => addHost(text, 'newhost', HOST, 'only'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('.sops.yaml cannot be written back: an alias refers to no anchor defined before it');
  });

  it('a secret key that ends up in a path_regex or a key name is masked in messages and warnings', () => {
    const regex = errorOf(() => parseSopsConfig(`creation_rules:\n  - path_regex: (${SECRET_KEY}\n    age: ${ADMIN}\n`, '/c'));
    expect(regex.message).toContain('invalid path_regex');
    expect(regex.text).not.toContain(SECRET_KEY);
    const config = parseSopsConfig(`creation_rules:\n  - path_regex: ^${SECRET_KEY}$\n    age: ${ADMIN}\n${SECRET_KEY}: 1\n`, '/c');
    expect(config.warnings.join('\n')).not.toContain(SECRET_KEY);
    expect(errorOf(() => matchCreationRule(config, '/x.yaml')).text).not.toContain(SECRET_KEY);
  });
});

describe('OpenSSH RSA private keys', () => {
  it('a corrupted private exponent d is refused when the key is read, as Go rsa.Validate does', () => {
    const pem = readFileSync(fileURLToPath(new URL('../../packages/core/test/vectors/ssh/rsa-2048-plain', import.meta.url)), 'utf8');
    const key = decryptOpenSshPrivateKey(pem);
    if (key.type !== 'ssh-rsa') throw new Error('fixture is RSA');
    const body = unarmor(pem);
    const at = Buffer.from(body).indexOf(Buffer.from(key.d));
    expect(at).toBeGreaterThan(0);
    body[at + key.d.length - 1] = (body[at + key.d.length - 1] as number) ^ 0x02;
    const e = errorOf(() => decryptOpenSshPrivateKey(pemArmor(body)));
    expect(e.code).toBe('SSH_KEY_INVALID');
    expect(e.message).toContain('inconsistent RSA parameters');
  });
});
