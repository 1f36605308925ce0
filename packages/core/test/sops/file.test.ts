// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * The sops engine against real sops files (../shared/vectors/sops-nix): decryption with the MAC verified,
 * the golden byte-for-byte reproduction, PGP-only files reported precisely, tampering detected.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIdentities, parseRecipient } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { createSopsFile, openSopsFile, reproduceSopsFile, updateSopsFile } from '../../src/sops/file.js';
import { shamirCombine, shamirSplit } from '../../src/sops/shamir.js';
import { formatGoFloat } from '../../src/sops/go-strconv.js';
import type { Document, MapNode, Value } from '../../src/sops/tree.js';
import { sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

const SHARED = pathToFileURL(`${sharedPath('vectors', 'sops-nix')}/`);
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, SHARED)));
const text = (name: string): string => readFileSync(new URL(name, SHARED), 'utf8');
const ageKeys = parseIdentities(text('age-keys.txt'), 'age-keys.txt');
const sshKey = parseIdentities(text('ssh-ed25519-key'), 'ssh-ed25519-key');

/** Plain JS view of a decrypted document (first branch). */
function plain(v: Value): unknown {
  switch (v.kind) {
    case 'map':
      return Object.fromEntries(v.items.filter((i) => i.kind === 'entry').map((e) => [e.key, plain(e.value)]));
    case 'seq':
      return v.items.filter((i) => i.kind !== 'comment').map((i) => plain(i));
    case 'null':
      return null;
    case 'bytes':
      return Buffer.from(v.value).toString();
    default:
      return typeof v.value === 'bigint' ? Number(v.value) : v.value;
  }
}
const first = (doc: Document): unknown => plain(doc.branches[0] as MapNode);

async function failure(p: Promise<unknown>): Promise<SecretsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SecretsError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('real sops files', () => {
  const expected = { test_key: 'test_value', a_list: ['e1', 'e3'], nested: { test: { file: 'another value' } } };

  it('secrets.yaml (sops 3.7.1) opens with age-keys.txt, MAC verified', async () => {
    const opened = await openSopsFile(bytes('secrets.yaml'), { format: 'yaml', identities: ageKeys });
    expect(first(opened.document)).toEqual(expected);
    expect(Buffer.from(opened.dataKey).toString('hex')).toBe('b9152942b7105527fd1fb9e2d9a1ee9bd03a7bb8edea26d311fda1a2e85056b2');
  });

  it('secrets.yaml opens with the SSH host key through its ssh-to-age recipient (what sops itself cannot)', async () => {
    const opened = await openSopsFile(bytes('secrets.yaml'), { format: 'yaml', identities: sshKey });
    expect(first(opened.document)).toEqual(expected);
  });

  it('secrets-native-ssh.yaml (sops 3.13.3) opens with the SSH key natively', async () => {
    const opened = await openSopsFile(bytes('secrets-native-ssh.yaml'), { format: 'yaml', identities: sshKey });
    expect(first(opened.document)).toEqual({ test_key: 'test_value' });
  });

  for (const name of ['secrets-native-ssh.yaml', 'secrets.yaml']) {
    it(`golden: ${name} re-encrypted unchanged (same key, IVs, lastmodified) is byte for byte the same`, async () => {
      const identities = name === 'secrets.yaml' ? ageKeys : sshKey;
      const opened = await openSopsFile(bytes(name), { format: 'yaml', identities });
      expect(Buffer.from(reproduceSopsFile(opened)).toString()).toBe(text(name));
    });
  }

  it('an edit changes only the edited value; the 3.7 metadata is rewritten in the 3.13 layout', async () => {
    const opened = await openSopsFile(bytes('secrets.yaml'), { format: 'yaml', identities: ageKeys });
    const root = opened.document.branches[0] as MapNode;
    const edited: Document = {
      branches: [{ kind: 'map', items: root.items.map((i) => (i.kind === 'entry' && i.key === 'test_key' ? { ...i, value: { kind: 'string', value: 'changed' } } : i)) }],
    };
    const out = Buffer.from(updateSopsFile(opened, edited, { now: new Date('2026-11-23T10:00:00.500Z') })).toString();
    const before = text('secrets.yaml').split('\n');
    const after = out.split('\n');
    expect(after[0]).not.toBe(before[0]); // test_key changed
    expect(after.slice(1, 7)).toEqual(before.slice(1, 7)); // a_list and nested kept their ciphertext
    expect(out).toContain('    lastmodified: "2026-11-23T10:00:00Z"');
    expect(out).toMatch(/sops:\n {4}age:\n {8}- enc: \|\n/); // 3.13 order: enc before recipient
    expect(out).not.toContain('kms: []');
    const reopened = await openSopsFile(new TextEncoder().encode(out), { format: 'yaml', identities: ageKeys });
    expect(first(reopened.document)).toEqual({ ...expected, test_key: 'changed' });
  });

  for (const [name, format] of [
    ['secrets.json', 'json'],
    ['secrets.bin', 'binary'],
    ['secrets.env', 'dotenv'],
    ['secrets.ini', 'ini'],
  ] as const) {
    it(`${name} is PGP-only: parsed, and the error names the PGP keys that would be needed`, async () => {
      const e = await failure(openSopsFile(bytes(name), { format, identities: ageKeys }));
      expect(e.code).toBe('SOPS_DATA_KEY_UNAVAILABLE');
      expect(e.hints.join('\n')).toContain('pgp 7FB89715AADA920D65D25E63F9BA9DEBD03F57C0: pgp keys cannot be used here (no key source for them)');
    });
  }

  it('a key that is not a recipient: every key of the file and every identity tried', async () => {
    const e = await failure(openSopsFile(bytes('secrets-native-ssh.yaml'), { format: 'yaml', identities: ageKeys }));
    expect(e.code).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    const hints = e.hints.join('\n');
    expect(hints).toMatch(/group 1: age ssh-ed25519 AAAA\S+ .*no identity matched \(stanza ssh-ed25519 \(tag /);
    expect(hints).toContain('identities tried:');
    expect(hints).toContain('age-keys.txt line 3 (X25519 age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw)');
  });

  it('tampering is always detected and releases no plaintext: flipped value byte, swapped values, removed key', async () => {
    const original = text('secrets.yaml');
    const lines = original.split('\n');
    const flipped = original.replace('data:2mP+IAdczoEr0g==', 'data:2mP+IAdczoEr0w==');
    const listSwap = [lines[0], lines[1], lines[3], lines[2], ...lines.slice(4)].join('\n');
    const removed = [lines[0], ...lines.slice(4)].join('\n');
    for (const [what, file, code] of [
      ['flipped byte', flipped, 'SOPS_VALUE_INVALID'],
      ['swapped list items', listSwap, 'SOPS_MAC_MISMATCH'],
      ['removed key', removed, 'SOPS_MAC_MISMATCH'],
    ] as const) {
      const e = await failure(openSopsFile(new TextEncoder().encode(file), { format: 'yaml', identities: ageKeys }));
      expect([what, e.code]).toEqual([what, code]);
      expect(e.message).not.toContain('test_value');
    }
    // --ignore-mac releases it, as in sops
    const opened = await openSopsFile(new TextEncoder().encode(listSwap), { format: 'yaml', identities: ageKeys, ignoreMac: true });
    expect(first(opened.document)).toEqual({ ...expected, a_list: ['e3', 'e1'] });
  });
});

describe('new files', () => {
  it('all scalar types and comments round-trip through every store that can hold them', async () => {
    const doc: Document = {
      branches: [
        {
          kind: 'map',
          items: [
            { kind: 'comment', text: ' top comment' },
            { kind: 'entry', key: 'str', value: { kind: 'string', value: 'héllo "x"' } },
            { kind: 'entry', key: 'int', value: { kind: 'int', value: 9007199254740993n } },
            { kind: 'entry', key: 'float', value: { kind: 'float', value: 1e21 } },
            { kind: 'entry', key: 'bool', value: { kind: 'bool', value: true } },
            { kind: 'entry', key: 'empty', value: { kind: 'string', value: '' } },
            { kind: 'entry', key: 'plain_unencrypted', value: { kind: 'string', value: 'visible' } },
            { kind: 'entry', key: 'list', value: { kind: 'seq', items: [{ kind: 'string', value: 'a' }, { kind: 'map', items: [{ kind: 'entry', key: 'k', value: { kind: 'null' } }] }] } },
          ],
        },
      ],
    };
    const recipient = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
    for (const format of ['yaml', 'json'] as const) {
      const file = await createSopsFile(doc, { format, keyGroups: [[recipient]], now: new Date('2026-01-02T03:04:05Z') });
      const out = Buffer.from(file).toString();
      expect(out).toContain('visible'); // _unencrypted suffix stays plain
      expect(out).not.toContain('héllo');
      const opened = await openSopsFile(file, { format, identities: ageKeys });
      // eslint-disable-next-line no-loss-of-precision -- the file's text; a JS number holds 2^53
      const expectedJs = { str: 'héllo "x"', int: 9007199254740993, float: 1e21, bool: true, empty: '', plain_unencrypted: 'visible', list: ['a', { k: null }] };
      expect(first(opened.document)).toEqual(expectedJs);
    }
  });

  it('key groups with Shamir: any threshold of groups opens the file, fewer do not', async () => {
    const a = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
    const b = parseRecipient(text('ssh-ed25519-key.pub'));
    const file = await createSopsFile({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'k', value: { kind: 'string', value: 'v' } }] }] }, {
      format: 'yaml',
      keyGroups: [[a], [b]],
      shamirThreshold: 2,
      now: new Date(),
    });
    const out = Buffer.from(file).toString();
    expect(out).toContain('key_groups:');
    expect(out).toContain('shamir_threshold: 2');
    const both = await openSopsFile(file, { format: 'yaml', identities: [...ageKeys, ...sshKey] });
    expect(first(both.document)).toEqual({ k: 'v' });
    const e = await failure(openSopsFile(file, { format: 'yaml', identities: ageKeys }));
    expect(e.message).toContain('1 of the 2 key groups needed');
  });
});

describe('binary secrets', () => {
  it('non-UTF-8 bytes survive the binary store, encrypted as type:str like sops', async () => {
    const raw = new Uint8Array([0, 0xff, 0xfe, 0x80, 0x41, 0x0a]);
    const recipient = parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw');
    const { storeFor } = await import('../../src/sops/stores/store.js');
    const file = await createSopsFile(storeFor('binary').loadPlain(raw), { format: 'binary', keyGroups: [[recipient]], now: new Date() });
    expect(Buffer.from(file).toString()).toMatch(/"data": "ENC\[AES256_GCM,data:[^\]]+,type:str\]"/);
    const opened = await openSopsFile(file, { format: 'binary', identities: ageKeys });
    expect(storeFor('binary').emitPlain(opened.document)).toEqual(raw);
  });
});

describe('building blocks', () => {
  it('Go FormatFloat(f, -1)', () => {
    const table: [number, string][] = [
      [1, '1'],
      [1.5, '1.5'],
      [0.1, '0.1'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      [123456789.123, '123456789.123'],
      [-0, '-0'],
      [NaN, 'NaN'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [1234.56789, '1234.56789'],
      [5e-324, `0.${'0'.repeat(323)}5`],
    ];
    for (const [v, s] of table) expect(formatGoFloat(v)).toBe(s);
  });

  it('Shamir split/combine for thresholds 2..5, any subset of at least threshold shares', () => {
    const secret = new Uint8Array(32).map((_, i) => i * 13);
    for (let t = 2; t <= 5; t++) {
      const shares = shamirSplit(secret, 5, t, (n) => new Uint8Array(randomBytes(n)));
      expect(shares.every((s) => s.length === 33)).toBe(true);
      expect(shares.map((s) => s[32])).toEqual([1, 2, 3, 4, 5]);
      expect(shamirCombine(shares.slice(0, t))).toEqual(secret);
      expect(shamirCombine(shares.slice(5 - t))).toEqual(secret);
      if (t > 2) expect(shamirCombine(shares.slice(0, t - 1))).not.toEqual(secret);
    }
  });

  it('Shamir known answer: threshold 2, coefficient 1, secret 0x42 → f(1)=0x43, f(2)=0x40', () => {
    // f(x) = 0x42 + 1·x in GF(2^8): f(1) = 0x43, f(2) = 0x40
    const shares = shamirSplit(new Uint8Array([0x42]), 2, 2, () => new Uint8Array([1]));
    expect([...(shares[0] as Uint8Array)]).toEqual([0x43, 1]);
    expect([...(shares[1] as Uint8Array)]).toEqual([0x40, 2]);
    expect([...shamirCombine(shares)]).toEqual([0x42]);
  });
});
