// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
/**
 * A sample of mutated files through the real CLI process (`secrets decrypt`, `secrets age decrypt`,
 * `secrets ssh-to-age`): the exit status is the one documented for the error the library reports for the
 * same input, stderr keeps the error grammar with no stack trace, and a failing run prints nothing on
 * stdout. The in-process fuzzers cover the parsers in depth; this checks the process boundary.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SecretsError,
  convertPublicKeys,
  decryptAge,
  decryptOpenSshPrivateKey,
  ed25519PrivateKeyToAgeIdentity,
  inspectOpenSshPrivateKey,
  isSecretsError,
  openSopsFile,
  parseIdentities,
  storeFor,
} from '@secrets/core';
import { exitCodeFor } from '../../packages/cli/src/exit-codes.js';
import { grammarViolations, runProcess, type CliResult } from '../support/cli.js';
import { AGE_KEYS_TXT, KEY_SECRETS, ageCorpus, leaves, sopsCorpus, type AgeCase, type SopsCase } from './fixtures.js';
import { SLOW, VECTORS, dec, enc, mutated, vector, vectorText } from './support.js';

const KEY_FILE = join(VECTORS, AGE_KEYS_TXT);
const keyFileIdentities = parseIdentities(vector(AGE_KEYS_TXT), 'keys');
/** Processes per command: a handful in CI (each start costs ~0.3 s), 200 with SLOW=1. */
const SAMPLE = SLOW ? 200 : 4;
const TIMEOUT = SLOW ? 600_000 : 60_000;
/** Exit statuses documented in docs/errors.md. */
const DOCUMENTED = new Set([0, 1, 2, 3, 7, 8, 25, 51, 91, 92, 100, 128, 200, 201, 203]);

const work = mkdtempSync(join(tmpdir(), 'secrets-cli-mut-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;
const write = (ext: string, bytes: Uint8Array): string => {
  const p = join(work, `m${counter++}${ext}`);
  writeFileSync(p, bytes);
  return p;
};

/** The status the library's own outcome maps to (0 on success). */
async function expectedStatus(fn: () => unknown): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    return exitCodeFor(error.code);
  }
}

/** The process-boundary checks common to every command. */
function expectWellBehaved(r: CliResult, expected: number, secrets: readonly string[], what: string): void {
  expect(DOCUMENTED.has(r.status), `${what}: undocumented status ${r.status}`).toBe(true);
  expect(r.status, `${what}\n${r.stderr}`).toBe(expected);
  expect(grammarViolations(r.stderr)).toEqual([]);
  expect(r.stderr).not.toMatch(/^\s+at |internal error|TypeError|RangeError/m);
  if (r.status !== 0) expect(r.stdout, `${what}: output on failure`).toBe('');
  for (const s of secrets) if (s.length >= 6) expect(r.stderr).not.toContain(s);
}

/** Runs the cases a few at a time (2 cores). */
async function inBatches<T>(items: readonly T[], fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 3) await Promise.all(items.slice(i, i + 3).map(fn));
}

let sops: SopsCase[] = [];
let age: AgeCase[] = [];
beforeAll(async () => {
  // what SOPS_AGE_KEY_FILE=age-keys.txt opens: our files and the sops-nix one
  sops = (await sopsCorpus()).filter((c) => c.name.startsWith('generated') || c.name === 'sops-nix/secrets.yaml');
  age = (await ageCorpus()).filter((c) => c.name.startsWith('x25519') || c.name.startsWith('ssh-ed25519'));
});

describe('mutated files through the real CLI', () => {
  it('secrets decrypt', async () => {
    const ext = { yaml: '.yaml', json: '.json', dotenv: '.env', ini: '.ini', binary: '.bin' } as const;
    const samples = fc.sample(mutated(sops, (c) => c.bytes), SAMPLE);
    await inBatches(samples, async ({ base, bytes }) => {
      const expected = await expectedStatus(async () => {
        const opened = await openSopsFile(bytes, { format: base.format, identities: keyFileIdentities });
        storeFor(base.format).emitPlain(opened.document);
      });
      const r = await runProcess(['decrypt', write(ext[base.format], bytes)], { env: { SOPS_AGE_KEY_FILE: KEY_FILE } });
      expectWellBehaved(r, expected, [...base.secrets, ...KEY_SECRETS], `decrypt of a mutated ${base.name}`);
      if (r.status === 0) expect(leaves(storeFor(base.format).loadPlain(r.stdoutBytes))).toEqual(leaves(base.document));
    });
  }, TIMEOUT);

  it('secrets age decrypt', async () => {
    const samples = fc.sample(mutated(age, (c) => c.bytes), SAMPLE);
    await inBatches(samples, async ({ base, bytes }) => {
      const expected = await expectedStatus(() => decryptAge(bytes, keyFileIdentities));
      const r = await runProcess(['age', 'decrypt', '-i', KEY_FILE, write('.age', bytes)]);
      expectWellBehaved(r, expected, [...KEY_SECRETS, dec(base.plaintext).trim()], `age decrypt of a mutated ${base.name}`);
      if (r.status === 0) expect(r.stdout).toBe(dec(base.plaintext));
    });
  }, TIMEOUT);

  it('secrets ssh-to-age (public and private keys)', async () => {
    const keys = [
      { text: vectorText('ssh-to-age/id_ed25519'), private: true },
      { text: vectorText('sops-nix/ssh-ed25519-key'), private: true },
      { text: vectorText('ssh-to-age/keyscan.txt'), private: false },
      { text: vectorText('ssh-to-age/id_ed25519.pub'), private: false },
    ];
    const samples = fc.sample(mutated(keys, (k) => enc(k.text)), SAMPLE);
    await inBatches(samples, async ({ base, bytes }) => {
      const text = dec(bytes);
      // the command's own steps: inspect, refuse non-ed25519 keys, decrypt, convert
      const expected = await expectedStatus(() => {
        if (!base.private) return convertPublicKeys(text);
        if (inspectOpenSshPrivateKey(text).keyType !== 'ssh-ed25519') throw new SecretsError('SSH_KEY_UNSUPPORTED', 'not ed25519');
        const key = decryptOpenSshPrivateKey(text);
        if (key.type !== 'ssh-ed25519') throw new SecretsError('SSH_KEY_UNSUPPORTED', 'not ed25519');
        return ed25519PrivateKeyToAgeIdentity(key);
      });
      const args = base.private ? ['ssh-to-age', '--private-key', '-i', write('', bytes)] : ['ssh-to-age', '-i', write('.pub', bytes)];
      const r = await runProcess(args);
      expectWellBehaved(r, expected, KEY_SECRETS, `ssh-to-age on a mutated key`);
      if (base.private && r.status === 0) expect(r.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    });
  }, TIMEOUT);
});
