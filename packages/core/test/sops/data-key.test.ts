import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretsError } from '../../src/errors.js';
import { generateDataKey, recoverDataKey, wrapDataKey, type GroupAttempt } from '../../src/sops/data-key.js';
import type { KeySource, KeyTarget } from '../../src/sops/key-source.js';
import { opaqueKey, pgpKey, type KeyGroup, type MasterKey, type OpaqueKey } from '../../src/sops/metadata.js';
import { e, map, str } from './tree-helpers.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const PGP: MasterKey = pgpKey('7FB89715AADA920D65D25E63F9BA9DEBD03F57C0', '-----BEGIN PGP MESSAGE-----', new Date('2020-07-12T08:03:51Z'));
const KMS: OpaqueKey = opaqueKey('kms', map(e('arn', str('arn:aws:kms:eu-west-1:1:key/k')), e('enc', str('x')), e('created_at', str('2020-07-12T08:03:51Z'))));

/** A stand-in for the age key source: "encrypts" by labelling, "decrypts" for the recipients it holds identities for. */
class FakeWrapper implements KeySource {
  readonly calls: string[] = [];
  constructor(
    private readonly identities: ReadonlySet<string>,
    private readonly failing: Readonly<Record<string, Error>> = {},
  ) {}
  describe(key: MasterKey | KeyTarget): string {
    return key.type === 'age' ? key.recipient : '?';
  }
  async wrap(target: KeyTarget, secret: Uint8Array): Promise<MasterKey> {
    const recipient = target.type === 'age' ? target.recipient : '?';
    return { type: 'age', recipient, enc: `fake:${recipient}:${hex(secret)}` };
  }
  async unwrap(key: MasterKey): Promise<Uint8Array | null> {
    const { recipient, enc } = key.type === 'age' ? key : { recipient: '?', enc: '' };
    this.calls.push(recipient);
    const failure = this.failing[recipient];
    if (failure) throw failure;
    if (!this.identities.has(recipient)) return null;
    return new Uint8Array(Buffer.from(enc.split(':')[2] as string, 'hex'));
  }
  explainFailure(): readonly string[] {
    return ['identities tried:', '  fake identity'];
  }
}

async function failure(p: Promise<unknown>): Promise<SecretsError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof SecretsError) return error;
    throw error;
  }
  throw new Error('expected a SecretsError');
}

const age = (recipient: string) => ({ type: 'age' as const, recipient });

describe('data key generation and wrapping', () => {
  it('32 random bytes from the injected source', () => {
    expect(generateDataKey(() => new Uint8Array(32).fill(1))).toEqual(new Uint8Array(32).fill(1));
    expect(() => generateDataKey(() => new Uint8Array(16))).toThrow(RangeError);
  });

  it('one group: every key wraps the whole data key', async () => {
    const key = random(32);
    const w = await wrapDataKey(key, [[age('age1a'), age('age1b')]], { threshold: 0, sources: { age: new FakeWrapper(new Set()) }, random });
    expect(w.keyGroups).toEqual([
      [
        { type: 'age', recipient: 'age1a', enc: `fake:age1a:${hex(key)}` },
        { type: 'age', recipient: 'age1b', enc: `fake:age1b:${hex(key)}` },
      ],
    ]);
    expect(w.shamirThreshold).toBe(0);
  });

  it('several groups: group i wraps Shamir share i (33 bytes, x = i+1); threshold 0 means all groups', async () => {
    const key = random(32);
    const w = await wrapDataKey(key, [[age('a')], [age('b'), age('b2')], [age('c')]], { threshold: 0, sources: { age: new FakeWrapper(new Set()) }, random });
    expect(w.shamirThreshold).toBe(3);
    const shares = w.keyGroups.map((g) => g.map((k) => (k.type === 'age' ? k.enc : '').split(':')[2] as string));
    expect(shares.map((g) => g.map((s) => [s.length, s.slice(-2)]))).toEqual([[[66, '01']], [[66, '02'], [66, '02']], [[66, '03']]]);
    expect(shares[1]?.[0]).toBe(shares[1]?.[1]);
  });

  it('refuses what sops refuses, and key types it cannot use', async () => {
    const wrapper = new FakeWrapper(new Set());
    const key = random(32);
    const cases: [Parameters<typeof wrapDataKey>[1], number, RegExp][] = [
      [[], 0, /no key groups/],
      [[[age('a')], []], 0, /empty key group/],
      [[[age('a')], [age('b')]], 1, /at least 2/],
      [[[age('a')], [age('b')]], 3, /more than the 2 key groups/],
      [[[age('a'), KMS]], 0, /kms arn:aws:kms:eu-west-1:1:key\/k: secrets cannot use kms keys/],
    ];
    for (const [groups, threshold, message] of cases) {
      const error = await failure(wrapDataKey(key, groups, { threshold, sources: { age: wrapper }, random }));
      expect([error.code, error.message]).toEqual(['USAGE', expect.stringMatching(message)]);
    }
  });
});

describe('data key recovery', () => {
  const key = random(32);
  const groupsOf = async (groups: Parameters<typeof wrapDataKey>[1], threshold: number): Promise<{ keyGroups: KeyGroup[]; shamirThreshold: number }> => {
    const w = await wrapDataKey(key, groups, { threshold, sources: { age: new FakeWrapper(new Set()) }, random });
    return { keyGroups: w.keyGroups.map((g) => [...g]), shamirThreshold: w.shamirThreshold };
  };

  it('one group: age keys are tried before other types, the first that opens wins', async () => {
    const { keyGroups } = await groupsOf([[age('a'), age('b')]], 0);
    const metadata = { keyGroups: [[PGP, ...(keyGroups[0] as KeyGroup)]], shamirThreshold: 0 };
    const wrapper = new FakeWrapper(new Set(['b']));
    expect(await recoverDataKey(metadata, { age: wrapper })).toEqual(key);
    expect(wrapper.calls).toEqual(['a', 'b']);
  });

  it('a custom decryption order', async () => {
    const { keyGroups } = await groupsOf([[age('a')]], 0);
    const metadata = { keyGroups: [[PGP, ...(keyGroups[0] as KeyGroup)]], shamirThreshold: 0 };
    const error = await failure(recoverDataKey(metadata, { age: new FakeWrapper(new Set()) }, { decryptionOrder: ['pgp', 'age'] }));
    expect(error.hints.slice(1, 3)).toEqual(['  group 1: pgp 7FB89715AADA920D65D25E63F9BA9DEBD03F57C0: pgp keys cannot be used here (no key source for them)', '  group 1: age a: no identity matched']);
  });

  it('Shamir: threshold groups suffice; later groups are not tried', async () => {
    const metadata = await groupsOf([[age('a')], [age('b')], [age('c')]], 2);
    const wrapper = new FakeWrapper(new Set(['a', 'b', 'c']));
    expect(await recoverDataKey(metadata, { age: wrapper })).toEqual(key);
    expect(wrapper.calls).toEqual(['a', 'b']);
    expect(await recoverDataKey(metadata, { age: new FakeWrapper(new Set(['a', 'c'])) })).toEqual(key);
  });

  it('failure report: every group and key with its reason, plus what the wrapper tried', async () => {
    const metadata = await groupsOf([[age('a'), age('a2')], [age('b')], [age('c')]], 3);
    const wrapper = new FakeWrapper(new Set(['a2', 'c']), { b: new SecretsError('AGE_DECRYPT_FAILED', 'incorrect passphrase for ~/.ssh/id_ed25519') });
    const error = await failure(recoverDataKey(metadata, { age: wrapper }));
    expect(error.code).toBe('SOPS_DATA_KEY_UNAVAILABLE');
    expect(error.message).toBe('could not decrypt the data key: 2 of the 3 key groups needed could be opened');
    expect(error.hints).toEqual([
      'keys in the file:',
      '  group 1: age a: no identity matched',
      '  group 1: age a2: opened',
      '  group 2: age b: incorrect passphrase for ~/.ssh/id_ed25519',
      '  group 3: age c: opened',
      'identities tried:',
      '  fake identity',
    ]);
    const groups = error.details.groups as GroupAttempt[];
    expect(groups.map((g) => g.status)).toEqual(['opened', 'failed', 'opened']);
    expect(error.message).not.toMatch(/0 successful groups/);
  });

  it('one group, nothing opens: a message that says so, not "0 successful groups required"', async () => {
    const metadata = { keyGroups: [[PGP]], shamirThreshold: 0 };
    const error = await failure(recoverDataKey(metadata, { age: new FakeWrapper(new Set()) }));
    expect(error.message).toBe("could not decrypt the data key with any of the file's keys");
    expect(error.hints[1]).toBe('  group 1: pgp 7FB89715AADA920D65D25E63F9BA9DEBD03F57C0: pgp keys cannot be used here (no key source for them)');
  });

  it('a secret of the wrong length does not count; unexpected errors propagate', async () => {
    const metadata = { keyGroups: [[{ type: 'age' as const, recipient: 'a', enc: 'fake:a:0102' }]], shamirThreshold: 0 };
    const error = await failure(recoverDataKey(metadata, { age: new FakeWrapper(new Set(['a'])) }));
    expect(error.hints[1]).toBe('  group 1: age a: it holds 2 bytes, not a data key');
    await expect(recoverDataKey(metadata, { age: new FakeWrapper(new Set(), { a: new TypeError('bug') }) })).rejects.toThrow(TypeError);
  });
});

describe('keys labelled with our recipient are tried first', () => {
  class HintedWrapper extends FakeWrapper {
    constructor(
      identities: ReadonlySet<string>,
      private readonly labels: ReadonlySet<string>,
    ) {
      super(identities);
    }
    likelyOpens(key: MasterKey): boolean {
      return key.type === 'age' && this.labels.has(key.recipient);
    }
  }

  it('tries the hinted key first, reports keys in file order', async () => {
    const key = random(32);
    const { keyGroups } = await wrapDataKey(key, [[age('age1a'), age('age1b'), age('age1c')]], { threshold: 0, sources: { age: new FakeWrapper(new Set()) }, random });
    const w = new HintedWrapper(new Set(['age1c']), new Set(['age1c']));
    expect(hex(await recoverDataKey({ keyGroups: keyGroups, shamirThreshold: 0 }, { age: w }))).toBe(hex(key));
    expect(w.calls).toEqual(['age1c']);
    // a label that lies: it is tried first, then the others in order, and the report keeps file order
    const liar = new HintedWrapper(new Set(['age1b']), new Set(['age1c']));
    expect(hex(await recoverDataKey({ keyGroups: keyGroups, shamirThreshold: 0 }, { age: liar }))).toBe(hex(key));
    expect(liar.calls).toEqual(['age1c', 'age1a', 'age1b']);
    const none = new HintedWrapper(new Set(), new Set(['age1c']));
    const error = await failure(recoverDataKey({ keyGroups: keyGroups, shamirThreshold: 0 }, { age: none }));
    expect((error.details as { groups: GroupAttempt[] }).groups[0]?.keys.map((k) => k.name)).toEqual(['age1a', 'age1b', 'age1c']);
  });
});
