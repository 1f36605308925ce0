// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * Every sops store (YAML, JSON, dotenv, INI, binary) fed mutations of valid plaintext and encrypted
 * files of every format: each load returns a tree or throws a clean SecretsError, in bounded time, and
 * errors never quote the plaintext. (Size, depth and alias limits: packages/core/test/sops/stores/limits.test.ts.)
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { FORMATS, storeFor, type Format } from '@secrets/core';
import { BINARY_PLAIN, DOTENV_PLAIN, INI_PLAIN, JSON_PLAIN, YAML_PLAIN, sopsCorpus, type SopsCase } from './fixtures.js';
import { attempt, enc, mutated, runs, vector } from './support.js';

const PLAIN: { format: Format; bytes: Uint8Array }[] = [
  { format: 'yaml', bytes: enc(YAML_PLAIN) },
  { format: 'json', bytes: enc(JSON_PLAIN) },
  { format: 'dotenv', bytes: enc(DOTENV_PLAIN) },
  { format: 'ini', bytes: enc(INI_PLAIN) },
  { format: 'binary', bytes: BINARY_PLAIN },
];
/** Plaintext tokens of the files above: an error must never quote them. */
const TOKENS = [...YAML_PLAIN.matchAll(/[\w ]+!tok\d+/g), ...JSON_PLAIN.matchAll(/[\w]+!tok\d+/g), ...DOTENV_PLAIN.matchAll(/\w+!tok\d+/g), ...INI_PLAIN.matchAll(/\w+!tok\d+/g)].map((m) => m[0].trim());

const stores = FORMATS.map((f) => storeFor(f));

/** Loads the bytes with every store, plain and encrypted. */
function loadEverywhere(bytes: Uint8Array, secrets: readonly string[]): void {
  for (const store of stores) {
    attempt(() => store.loadPlain(bytes), secrets);
    attempt(() => store.loadEncrypted(bytes), secrets);
  }
}

describe('stores on mutated files', () => {
  let encrypted: SopsCase[] = [];
  beforeAll(async () => {
    encrypted = await sopsCorpus();
  });

  it('plaintext files of every format', () => {
    fc.assert(
      fc.property(mutated(PLAIN, (p) => p.bytes), ({ bytes }) => loadEverywhere(bytes, TOKENS)),
      { numRuns: runs(300) },
    );
  });

  it('encrypted files of every format (including PGP-only sops-nix files)', () => {
    const pgp = (['secrets.json', 'secrets.env', 'secrets.ini', 'secrets.bin'] as const).map((n) => ({ bytes: vector(`sops-nix/${n}`), secrets: [] as readonly string[] }));
    const corpus = [...encrypted.map((c) => ({ bytes: c.bytes, secrets: c.secrets })), ...pgp];
    fc.assert(
      fc.property(mutated(corpus, (c) => c.bytes), ({ base, bytes }) => loadEverywhere(bytes, base.secrets)),
      { numRuns: runs(300) },
    );
  });

  it('valid files round-trip through emit after a successful load of a mutation', () => {
    // Whatever a store accepts it must be able to write back (emit never throws a non-SecretsError).
    fc.assert(
      fc.property(mutated(PLAIN, (p) => p.bytes), ({ base, bytes }) => {
        const store = storeFor(base.format);
        const doc = attempt(() => store.loadPlain(bytes), TOKENS);
        if (doc) attempt(() => store.emitPlain(doc), TOKENS);
      }),
      { numRuns: runs(200) },
    );
  });
});
