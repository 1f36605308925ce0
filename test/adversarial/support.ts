/**
 * Shared machinery of the adversarial suite: mutations of valid files (byte flips, truncations,
 * insertions, line and chunk duplications, splices between files), the outcome check every parser must
 * pass (the right result, or a well-formed SecretsError that leaks nothing), and run counts.
 *
 * Run counts: a few hundred cases per file in CI; `SLOW=1` raises every property to at least 10 000 cases.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { isSecretsError, type SecretsError } from '@secrets/core';
import { exitCodeFor } from '../../packages/cli/src/exit-codes.js';
import { REPO_ROOT, SHARED } from '../support/cli.js';

/** Whether the slow suite runs (`npm run test:slow`). */
export const SLOW = Boolean(process.env['SLOW']);

/** Cases per property: `ci` normally, at least 10 000 with SLOW=1. */
export function runs(ci: number, slow = 10_000): number {
  return SLOW ? Math.max(slow, ci) : ci;
}

/** The longest a single parse or decryption may take before it counts as a hang (2 shared cores). */
export const CASE_LIMIT_MS = 3_000;

export const VECTORS = join(SHARED, 'vectors');
export const vector = (path: string): Uint8Array => new Uint8Array(readFileSync(join(VECTORS, path)));
export const vectorText = (path: string): string => readFileSync(join(VECTORS, path), 'utf8');
export const repoFile = (path: string): Uint8Array => new Uint8Array(readFileSync(join(REPO_ROOT, path)));

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

// ---- mutations ------------------------------------------------------------------------------------

/** Bytes and snippets that mean something to one of our parsers. */
const TOKENS = [
  '\n', '\r\n', '\r', ' ', '\t', '\0', '"', "'", '\\', ':', ': ', '- ', '#', '=', ',', '[', ']', '{', '}',
  '&a ', '*a', '<<: *a', '!!binary ', '!!str ', '---\n', '...\n', '|', '>', '%YAML 1.2\n', '\uFEFF', 'é', '\u2028',
  'ENC[', 'ENC[AES256_GCM,data:,iv:,tag:,type:str]', ',type:int]', ',type:bytes]', 'data:', 'iv:', 'tag:', 'type:',
  'sops:', 'sops_', 'mac', '__map_', '__list_', '[sops]\n', 'version: 3.7.1\n',
  '-> ', '-> X25519 ', '-> ssh-ed25519 ', '--- ', 'age-encryption.org/v1\n', '-----BEGIN AGE ENCRYPTED FILE-----\n', '-----END AGE ENCRYPTED FILE-----\n',
  'AAAA', '====', '=', '/', '+', 'openssh-key-v1', 'ssh-ed25519 ', 'ssh-rsa ', '-----BEGIN OPENSSH PRIVATE KEY-----\n',
  'AGE-SECRET-KEY-1', 'age1', '${', '"${x}"', '/*', '*/', ';', '++', 'let ', 'in ', 'rec ', '\\u0000', '\\uD800', '1e999', '-0', '0x', '9'.repeat(30),
];

/** One edit of a file; `other` is another file of the same corpus (for splices). */
export type Mutation = (bytes: Uint8Array, other: Uint8Array) => Uint8Array;

const at = (n: number, length: number): number => (length === 0 ? 0 : n % (length + 1));
const lineStarts = (b: Uint8Array): number[] => {
  const out = [0];
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a && i + 1 < b.length) out.push(i + 1);
  return out;
};
const lineAt = (b: Uint8Array, n: number): [number, number] => {
  const starts = lineStarts(b);
  const start = starts[n % starts.length] as number;
  const nl = b.indexOf(0x0a, start);
  return [start, nl < 0 ? b.length : nl + 1];
};
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const nat = fc.nat({ max: 1 << 20 });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  // flip bits of a byte
  fc.tuple(nat, fc.integer({ min: 1, max: 255 })).map(([i, x]): Mutation => (b) => {
    if (b.length === 0) return b;
    const m = b.slice();
    const j = i % b.length;
    m[j] = (m[j] as number) ^ x;
    return m;
  }),
  // set a byte to one that matters to text parsers
  fc.tuple(nat, fc.constantFrom(0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x23, 0x27, 0x2c, 0x2d, 0x3a, 0x3d, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80, 0xc3, 0xff)).map(([i, v]): Mutation => (b) => {
    if (b.length === 0) return b;
    const m = b.slice();
    m[i % b.length] = v;
    return m;
  }),
  // delete a run of bytes
  fc.tuple(nat, fc.integer({ min: 1, max: 64 })).map(([i, n]): Mutation => (b) => {
    const j = at(i, b.length);
    return cat(b.subarray(0, j), b.subarray(j + n));
  }),
  // insert a token or random bytes
  fc.tuple(nat, fc.oneof(fc.constantFrom(...TOKENS).map(enc), fc.uint8Array({ minLength: 1, maxLength: 16 }))).map(([i, ins]): Mutation => (b) => {
    const j = at(i, b.length);
    return cat(b.subarray(0, j), ins, b.subarray(j));
  }),
  // truncate
  nat.map((i): Mutation => (b) => b.slice(0, at(i, b.length))),
  // duplicate a line
  nat.map((n): Mutation => (b) => {
    const [s, e] = lineAt(b, n);
    return cat(b.subarray(0, e), b.subarray(s, e), b.subarray(e));
  }),
  // delete a line
  nat.map((n): Mutation => (b) => {
    const [s, e] = lineAt(b, n);
    return cat(b.subarray(0, s), b.subarray(e));
  }),
  // swap two lines
  fc.tuple(nat, nat).map(([n, m]): Mutation => (b) => {
    let [s1, e1] = lineAt(b, n);
    let [s2, e2] = lineAt(b, m);
    if (s1 === s2) return b;
    if (s2 < s1) [s1, e1, s2, e2] = [s2, e2, s1, e1];
    return cat(b.subarray(0, s1), b.subarray(s2, e2), b.subarray(e1, s2), b.subarray(s1, e1), b.subarray(e2));
  }),
  // duplicate a chunk somewhere else
  fc.tuple(nat, fc.integer({ min: 1, max: 200 }), nat).map(([i, n, j]): Mutation => (b) => {
    const s = at(i, b.length);
    const chunk = b.slice(s, s + n);
    const to = at(j, b.length);
    return cat(b.subarray(0, to), chunk, b.subarray(to));
  }),
  // splice: the head of this file and the tail of another
  fc.tuple(nat, nat).map(([i, j]): Mutation => (b, other) => cat(b.subarray(0, at(i, b.length)), other.subarray(at(j, other.length)))),
  // replace a line with a line of another file
  fc.tuple(nat, nat).map(([n, m]): Mutation => (b, other) => {
    const [s, e] = lineAt(b, n);
    const [os, oe] = lineAt(other, m);
    return cat(b.subarray(0, s), other.subarray(os, oe), b.subarray(e));
  }),
);

/** A mutated file: which corpus entry, and the result of 1–`max` edits. */
export interface Mutated<T> {
  readonly base: T;
  readonly bytes: Uint8Array;
}

/**
 * Mutations of the files of a corpus (each a valid file of one kind).
 *
 * @param corpus - the valid files with whatever the check needs (expected plaintext…)
 * @param bytesOf - the file's bytes
 * @param max - most edits per case
 */
export function mutated<T>(corpus: readonly T[], bytesOf: (t: T) => Uint8Array, max = 3): fc.Arbitrary<Mutated<T>> {
  return fc
    .tuple(fc.nat(corpus.length - 1), fc.nat(corpus.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: max }))
    .map(([i, j, edits]) => {
      const base = corpus[i] as T;
      const other = bytesOf(corpus[j] as T);
      return { base, bytes: edits.reduce((b, m) => m(b, other), bytesOf(base)) };
    });
}

// ---- outcomes -------------------------------------------------------------------------------------

/**
 * Asserts a failure is a well-formed SecretsError: a known code (one with an exit status), a one-line
 * lowercase message without a trailing period, and none of `secrets` in its message or hints.
 *
 * Anything else (TypeError, RangeError, a plain Error from a dependency) is re-thrown, failing the case.
 */
export function expectCleanError(error: unknown, secrets: readonly string[] = []): SecretsError {
  if (!isSecretsError(error)) throw error;
  expect(typeof exitCodeFor(error.code), `unknown code ${error.code}`).toBe('number');
  expect(error.message).toMatch(/^[^A-Z\s][^\n]*[^.\s]$/);
  for (const hint of error.hints) expect(hint).not.toMatch(/\n/);
  // Mapping keys are user input that messages quote on purpose ("mapping key "x" already defined"); a
  // mutation can turn a value into a key, so quoted keys are not searched.
  const text = [error.message, ...error.hints, JSON.stringify(error.details)].join('\n').replace(/key "(?:[^"\\]|\\.)*"/g, 'key "…"');
  for (const s of secrets) if (s.length >= 6) expect(text, 'error text leaks a secret').not.toContain(s);
  return error;
}

/** Runs `fn`, failing when it takes longer than {@link CASE_LIMIT_MS}. */
export function timed<R>(fn: () => R): R {
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  expect(ms, 'a single case took too long (a hang or a blow-up)').toBeLessThan(CASE_LIMIT_MS);
  return result;
}

/** {@link timed} for async work. */
export async function timedAsync<R>(fn: () => Promise<R>): Promise<R> {
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  expect(ms, 'a single case took too long (a hang or a blow-up)').toBeLessThan(CASE_LIMIT_MS);
  return result;
}

/** Runs a parser: returns its result, or undefined after checking the error it threw. */
export function attempt<R>(fn: () => R, secrets: readonly string[] = []): R | undefined {
  return timed(() => {
    try {
      return fn();
    } catch (error) {
      expectCleanError(error, secrets);
      return undefined;
    }
  });
}

/** {@link attempt} for async work; returns `{ ok }` or `{ error }`. */
export async function attemptAsync<R>(fn: () => Promise<R>, secrets: readonly string[] = []): Promise<{ ok: R } | { error: SecretsError }> {
  return timedAsync(async () => {
    try {
      return { ok: await fn() };
    } catch (error) {
      return { error: expectCleanError(error, secrets) };
    }
  });
}
