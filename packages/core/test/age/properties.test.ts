// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Properties (fast-check): encrypt → decrypt is the identity for any payload and any mix of recipient
 * kinds; mutating a file never yields plaintext from a wrong key and only ever throws SecretsError;
 * parsers never echo secrets and only throw SecretsError.
 */
import fc from 'fast-check';
import { generateHybridIdentity, identityToRecipient as typageIdentityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptAge, describeIdentity, encryptAge, parseIdentities, parseRecipient, type AgeIdentity, type AgeRecipient } from '../../src/age/index.js';
import { SecretsError } from '../../src/errors.js';
import { vectorText } from './helpers.js';

const NUM_RUNS = process.env['SLOW'] ? 200 : 20;
/** SLOW=1 runs 10× more cases: give them time. */
const TIMEOUT = process.env['SLOW'] ? 900_000 : 120_000;

interface Party {
  readonly name: string;
  readonly recipient: AgeRecipient;
  readonly identities: AgeIdentity[];
}

let classic: Party[] = [];
let quantum: Party[] = [];

beforeAll(async () => {
  const system1 = parseIdentities(vectorText('agenix/example_keys/system1'), 'system1');
  const converted = (await describeIdentity(system1[0] as AgeIdentity)).recipients[1] as string;
  classic = [
    { name: 'x25519 (sops-nix)', recipient: parseRecipient('age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw'), identities: parseIdentities(vectorText('sops-nix/age-keys.txt'), 'a') },
    { name: 'x25519 (ragenix)', recipient: parseRecipient('age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk'), identities: parseIdentities(vectorText('ragenix/keys/key.txt'), 'b') },
    { name: 'ssh-ed25519 user1', recipient: parseRecipient(vectorText('agenix/example_keys/user1.pub')), identities: parseIdentities(vectorText('agenix/example_keys/user1'), 'user1') },
    { name: 'ssh-rsa 3072', recipient: parseRecipient(/ssh-rsa [A-Za-z0-9+/=]+/.exec(vectorText('ragenix/secrets.nix'))?.[0] as string), identities: parseIdentities(vectorText('ragenix/keys/id_rsa'), 'rsa') },
    { name: 'ssh-to-age of system1', recipient: parseRecipient(converted), identities: system1 },
  ];
  quantum = await Promise.all(
    [1, 2].map(async (i) => {
      const secret = await generateHybridIdentity();
      return { name: `pq ${i}`, recipient: parseRecipient(await typageIdentityToRecipient(secret)), identities: parseIdentities(secret, `pq${i}`) };
    }),
  );
});

/** A non-empty subset of one group (post-quantum recipients are never mixed with classic ones). */
const parties = fc.oneof(
  { weight: 4, arbitrary: fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }).map((ix) => ({ group: 'classic' as const, ix })) },
  { weight: 1, arbitrary: fc.subarray([0, 1], { minLength: 1 }).map((ix) => ({ group: 'quantum' as const, ix })) },
);
const pick = (p: { group: 'classic' | 'quantum'; ix: number[] }): { inside: Party[]; outside: Party[] } => {
  const all = p.group === 'classic' ? classic : quantum;
  return { inside: p.ix.map((i) => all[i] as Party), outside: all.filter((_, i) => !p.ix.includes(i)) };
};
/** Payloads around the 64 KiB STREAM chunk size too. */
const payloads = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 65_530, maxLength: 65_545 }));

async function outcome(promise: Promise<Uint8Array>): Promise<Uint8Array | SecretsError> {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof SecretsError) return e;
    throw e; // anything else is a bug: the property fails
  }
}

describe('properties', () => {
  it('encrypt → decrypt is the identity, for every recipient alone; outsiders get AGE_NO_IDENTITY_MATCHED', async () => {
    await fc.assert(
      fc.asyncProperty(payloads, parties, fc.boolean(), async (payload, p, armor) => {
        const { inside, outside } = pick(p);
        const file = await encryptAge(payload, inside.map((x) => x.recipient), { armor });
        for (const party of inside) expect(await decryptAge(file, party.identities), party.name).toEqual(payload);
        for (const party of outside) {
          const r = await outcome(decryptAge(file, party.identities));
          expect(r instanceof SecretsError && r.code, party.name).toBe('AGE_NO_IDENTITY_MATCHED');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  }, TIMEOUT);

  it('a mutated header never decrypts, and fails only with SecretsError; a wrong key never yields plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), parties, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'delete', 'insert'), async (payload, p, at, delta, how) => {
        const { inside, outside } = pick(p);
        const file = await encryptAge(payload, inside.map((x) => x.recipient));
        const headerEnd = Buffer.from(file).indexOf('\n---') + 49;
        const i = at % headerEnd;
        const byte = file[i] as number;
        const mutated =
          how === 'flip'
            ? Uint8Array.from(file, (b, j) => (j === i ? (b + delta) & 0xff : b))
            : how === 'delete'
              ? Uint8Array.from([...file.subarray(0, i), ...file.subarray(i + 1)])
              : Uint8Array.from([...file.subarray(0, i), (byte + delta) & 0xff, ...file.subarray(i)]);
        for (const party of inside) {
          const r = await outcome(decryptAge(mutated, party.identities));
          expect(r, `${party.name} ${how}@${i}`).toBeInstanceOf(SecretsError);
        }
        for (const party of outside) {
          const r = await outcome(decryptAge(mutated, party.identities));
          expect(r, `${party.name} ${how}@${i}`).toBeInstanceOf(SecretsError);
        }
      }),
      { numRuns: NUM_RUNS * 5 },
    );
  }, TIMEOUT);

  it('a mutated payload is AGE_FILE_INVALID for the right key', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), async (payload, at, delta) => {
        const party = classic[0] as Party;
        const file = await encryptAge(payload, [party.recipient]);
        const start = Buffer.from(file).indexOf('\n---') + 49;
        const i = start + (at % (file.length - start));
        const mutated = Uint8Array.from(file, (b, j) => (j === i ? (b + delta) & 0xff : b));
        const r = await outcome(decryptAge(mutated, party.identities));
        expect(r instanceof SecretsError && r.code).toBe('AGE_FILE_INVALID');
      }),
      { numRuns: NUM_RUNS },
    );
  }, TIMEOUT);

  it('parsers only throw SecretsError, and never echo something secret-looking', () => {
    const prefixes = ['AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-PQ-1', 'AGE-PLUGIN-X-1', '-----BEGIN OPENSSH PRIVATE KEY-----\n'];
    const secretish = fc.tuple(fc.constantFrom(...prefixes), fc.stringMatching(/^[A-Z0-9]{6,60}$/)).map(([a, b]) => a + b);
    fc.assert(
      fc.property(fc.oneof(secretish, fc.string({ maxLength: 80 }), fc.constantFrom('age1', 'ssh-ed25519 ', 'ssh-rsa AAAA', 'age1pq1')), (input) => {
        const secret = prefixes.some((p) => input.startsWith(p));
        for (const parse of [() => parseRecipient(input), () => parseIdentities(input, 'src')]) {
          try {
            parse();
          } catch (e) {
            expect(e).toBeInstanceOf(SecretsError);
            const text = JSON.stringify({ m: (e as SecretsError).message, h: (e as SecretsError).hints });
            if (secret) expect(text).not.toContain(input.slice(-6));
          }
        }
      }),
      { numRuns: NUM_RUNS * 10 },
    );
  });
});
