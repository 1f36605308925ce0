// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * age files, binary and armored (agenix, ragenix with X25519 + ssh-ed25519 + ssh-rsa + grease stanzas, and
 * our own), mutated: the header reader and armor decoder fail cleanly, and decryption with identities that
 * open the originals gives exactly the original plaintext or a clean SecretsError.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptAge, inspectAgeHeader } from '@secrets/core';
import { parseAgeHeader } from '../../packages/core/src/age/header.js';
import { toBinaryAgeFile } from '../../packages/core/src/age/armor.js';
import { KEY_SECRETS, ageCorpus, identities, type AgeCase } from './fixtures.js';
import { attempt, attemptAsync, dec, enc, mutated, runs } from './support.js';

let corpus: AgeCase[] = [];
const secretsOf = (c: AgeCase): string[] => [...KEY_SECRETS, ...dec(c.plaintext).split('\n').filter((l) => l.length >= 6)];

beforeAll(async () => {
  corpus = await ageCorpus();
});

describe('mutated age files', () => {
  it('header and armor parsing fail cleanly', () => {
    fc.assert(
      fc.property(mutated(corpus, (c) => c.bytes), ({ base, bytes }) => {
        const binary = attempt(() => toBinaryAgeFile(bytes), secretsOf(base));
        if (binary) attempt(() => parseAgeHeader(binary), secretsOf(base));
        attempt(() => inspectAgeHeader(bytes), secretsOf(base));
      }),
      { numRuns: runs(600) },
    );
  });

  it('decrypt to the original plaintext or fail cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(corpus, (c) => c.bytes), async ({ base, bytes }) => {
        const outcome = await attemptAsync(() => decryptAge(bytes, identities), secretsOf(base));
        if ('ok' in outcome) expect(dec(outcome.ok)).toBe(dec(base.plaintext));
      }),
      { numRuns: runs(250) },
    );
  });

  it('armor: one character inserted anywhere gives the plaintext or a clean error', async () => {
    const armored = corpus.filter((c) => dec(c.bytes).startsWith('-----BEGIN'));
    expect(armored.length).toBeGreaterThan(1);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(' ', '\n', '\r\n', '\t', '=', 'A', '\0', '-----'), fc.nat(), async (n, ins, where) => {
        const base = armored[n % armored.length] as AgeCase;
        const text = dec(base.bytes);
        const i = where % (text.length + 1);
        const outcome = await attemptAsync(() => decryptAge(enc(text.slice(0, i) + ins + text.slice(i)), identities), secretsOf(base));
        if ('ok' in outcome) expect(dec(outcome.ok)).toBe(dec(base.plaintext));
      }),
      { numRuns: runs(150, 2000) },
    );
  });
});
