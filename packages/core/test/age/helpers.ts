/**
 * Shared fixtures for the age layer's tests: the interop vectors in ../shared/vectors (public test keys
 * written by other tools), and a helper to catch SecretsErrors.
 */
import { readFileSync } from 'node:fs';
import { SecretsError } from '../../src/errors.js';
import { lazyShared, sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

/** `<repo>/../shared/vectors/`, from this file's location (`<repo>/packages/core/test/age/`). */
export const VECTORS = pathToFileURL(`${sharedPath('vectors')}/`);

/** A vector file's bytes. */
export const readVector = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, VECTORS)));
/** A vector file's text. */
export const vectorText = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');

/** The parts of expected.json these tests use. */
export interface Expected {
  agenix: { files: { file: string; recipients: string[]; plaintext: string }[]; ssh_ed25519_stanza_tags: Record<string, string> };
  ragenix: { files: { file: string; plaintext: string; stanzas: string[] }[] };
}
/** expected.json, parsed. */
export const expected = lazyShared(() => JSON.parse(vectorText('expected.json')) as Expected);

/** The data key sops-nix's secrets.yaml and secrets-native-ssh.yaml wrap (hex). */
export const SOPS_NIX_DATA_KEY = 'b9152942b7105527fd1fb9e2d9a1ee9bd03a7bb8edea26d311fda1a2e85056b2';

/**
 * The armored age blocks of a sops YAML file with the recipient each is for (sops writes one `enc` per
 * recipient; 3.7 puts `recipient` first, 3.13 after `enc`).
 */
export function sopsAgeBlocks(path: string): { recipient: string; armored: string }[] {
  const text = vectorText(path);
  const out: { recipient: string; armored: string }[] = [];
  for (const entry of text.split(/\n\s*- /).slice(1)) {
    const recipient = /recipient: (.+)/.exec(entry)?.[1]?.trim();
    const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/.exec(entry)?.[0];
    if (recipient && armored) out.push({ recipient, armored: `${armored.replace(/^ +/gm, '')}\n` });
  }
  return out;
}

/**
 * Awaits a promise that must fail with a SecretsError, and returns the error.
 *
 * @param promise - the operation (or a function running it, to catch synchronous throws too)
 */
export async function failure(promise: Promise<unknown> | (() => unknown)): Promise<SecretsError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    if (e instanceof SecretsError) return e;
    throw e;
  }
  throw new Error('expected a SecretsError, got success');
}

/** UTF-8 helpers. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
