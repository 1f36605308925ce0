// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Whole encrypted sops files, mutated (every format, real sops/sops-nix files and our own), opened with
 * identities that open the originals: the result is the original plaintext (every authenticated leaf
 * equal; a mutation may only drop comments, null values or change formatting) or a clean SecretsError.
 * Never a partial or altered tree, never another exception type, never a hang.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSopsFile } from '@secrets/core';
import { KEY_SECRETS, identities, leaves, sopsCorpus, type SopsCase } from './fixtures.js';
import { attemptAsync, mutated, runs } from './support.js';

let corpus: SopsCase[] = [];
beforeAll(async () => {
  corpus = await sopsCorpus();
});

async function check(base: SopsCase, bytes: Uint8Array, format = base.format): Promise<void> {
  const outcome = await attemptAsync(() => openSopsFile(bytes, { format, identities }), [...base.secrets, ...KEY_SECRETS]);
  if ('ok' in outcome) expect(leaves(outcome.ok.document)).toEqual(leaves(base.document));
}

describe('mutated encrypted sops files', () => {
  it('open to the original plaintext or fail cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(corpus, (c) => c.bytes), ({ base, bytes }) => check(base, bytes)),
      { numRuns: runs(250) },
    );
  });

  it('the unmutated corpus opens (the property above is not vacuous)', async () => {
    for (const c of corpus) await check(c, c.bytes);
    expect(corpus.map((c) => c.format).sort()).toEqual(['binary', 'dotenv', 'ini', 'json', 'yaml', 'yaml', 'yaml', 'yaml']);
  });

  it('files read with the wrong format fail cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom('yaml', 'json', 'dotenv', 'ini', 'binary') as fc.Arbitrary<SopsCase['format']>, async (n, format) => {
        const base = corpus[n % corpus.length] as SopsCase;
        fc.pre(format !== base.format && !(base.format === 'json' && format === 'binary') && !(base.format === 'binary' && format === 'json'));
        const outcome = await attemptAsync(() => openSopsFile(base.bytes, { format, identities }), [...base.secrets, ...KEY_SECRETS]);
        // JSON is YAML: a JSON file read as YAML opens, with the same leaves.
        if ('ok' in outcome) expect(leaves(outcome.ok.document)).toEqual(leaves(base.document));
      }),
      { numRuns: runs(40, 1000) },
    );
  });
});
