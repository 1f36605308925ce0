/**
 * The C2SP CCTV age test vectors (npm `cctv-age`, pinned), all of them, through one generic runner: each
 * vector's `expect:` class must be the class of our outcome, on every path the library has:
 * - `decryptAge`: the native node:crypto path first (`native.ts`), typage behind it;
 * - the typage path alone (`decryptWithSession`), as if the native path did not exist;
 * - `nativeDecrypt` alone: null means "ask the full path"; any answer it gives must be the vector's;
 * - passphrase vectors: `decryptAgeWithPassphrase` (scrypt on node:crypto, age's 2^22 cap).
 * Vector format (CCTV age/README): a textual header (`key: value` lines), an empty line, the age file
 * (zlib-compressed when `compressed: zlib`). `payload` is the SHA-256 of what the API releases. Our API
 * releases nothing when the payload fails (whole-file decryption), so for `payload failure` we check that
 * nothing was returned.
 */
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import * as cctv from 'cctv-age';
import { describe, expect, it } from 'vitest';
import { decryptAge, decryptAgeWithPassphrase, generateX25519Identity, parseIdentities } from '../../src/age/index.js';
import { decryptWithSession } from '../../src/age/decrypt-session.js';
import { nativeDecrypt } from '../../src/age/native.js';
import { SecretsError } from '../../src/errors.js';

type Expect = 'success' | 'no match' | 'HMAC failure' | 'header failure' | 'payload failure' | 'armor failure';

interface Vector {
  readonly name: string;
  readonly expect: Expect;
  readonly payload: string | undefined;
  readonly identities: readonly string[];
  readonly passphrases: readonly string[];
  readonly file: Uint8Array;
}

function parseVector(name: string, bytes: Uint8Array): Vector {
  const buf = Buffer.from(bytes);
  const split = buf.indexOf('\n\n');
  const fields = new Map<string, string[]>();
  for (const line of buf.subarray(0, split).toString('utf8').split('\n')) {
    const colon = line.indexOf(': ');
    const key = line.slice(0, colon);
    fields.set(key, [...(fields.get(key) ?? []), line.slice(colon + 2)]);
  }
  const body = buf.subarray(split + 2);
  const file = fields.get('compressed')?.[0] === 'zlib' ? inflateSync(body) : body;
  return {
    name,
    expect: fields.get('expect')?.[0] as Expect,
    payload: fields.get('payload')?.[0],
    identities: fields.get('identity') ?? [],
    passphrases: fields.get('passphrase') ?? [],
    file: new Uint8Array(file),
  };
}

const vectors = Object.entries(cctv as unknown as Record<string, Uint8Array>)
  .filter(([name]) => name !== 'default')
  .map(([name, bytes]) => parseVector(name, bytes))
  .sort((a, b) => a.name.localeCompare(b.name));

/** Our outcome, as a CCTV class: the error code, and for AGE_FILE_INVALID which part of the file failed. */
function classify(error: unknown): string {
  if (!(error instanceof SecretsError)) return `not a SecretsError: ${String(error)}`;
  if (error.code === 'AGE_NO_IDENTITY_MATCHED') return 'no match';
  if (error.code === 'AGE_DECRYPT_FAILED' && error.message === 'incorrect passphrase') return 'no match';
  if (error.code !== 'AGE_FILE_INVALID') return `${error.code}: ${error.message}`;
  if (error.message.includes('malformed ASCII armor')) return 'armor failure';
  if (error.message.includes('header MAC does not match')) return 'HMAC failure';
  if (error.message.includes('payload is truncated or corrupted')) return 'payload failure';
  return 'header failure';
}

async function outcome(run: () => Promise<Uint8Array>, v: Vector): Promise<string> {
  let plaintext: Uint8Array;
  try {
    plaintext = await run();
  } catch (error) {
    return classify(error);
  }
  const hash = createHash('sha256').update(plaintext).digest('hex');
  return hash === v.payload ? 'success' : `success with the wrong payload (${hash})`;
}

// A vector without an identity (empty, armor_empty) fails before any identity is used; age and we refuse
// an empty identity list first, so give those a fresh unrelated key.
const unrelated = await generateX25519Identity();
const identitiesOf = (v: Vector): ReturnType<typeof parseIdentities> =>
  parseIdentities(v.identities.length > 0 ? v.identities.join('\n') : unrelated, `${v.name} identity`);

describe('C2SP CCTV age vectors (cctv-age)', () => {
  it('the package holds the 143 vectors this suite was written for, in the six classes', () => {
    expect(vectors).toHaveLength(143);
    expect(new Set(vectors.map((v) => v.expect))).toEqual(new Set(['success', 'no match', 'HMAC failure', 'header failure', 'payload failure', 'armor failure']));
  });

  for (const v of vectors) {
    if (v.passphrases.length > 0) {
      it(`${v.name}: ${v.expect} (passphrase)`, async () => {
        for (const passphrase of v.passphrases) {
          expect(await outcome(() => decryptAgeWithPassphrase(v.file, passphrase), v)).toBe(v.expect);
        }
      });
      continue;
    }
    it(`${v.name}: ${v.expect} (decryptAge, native path first)`, async () => {
      expect(await outcome(() => decryptAge(v.file, identitiesOf(v)), v)).toBe(v.expect);
    });
    it(`${v.name}: ${v.expect} (typage path alone)`, async () => {
      expect(await outcome(() => decryptWithSession(v.file, identitiesOf(v), {}), v)).toBe(v.expect);
    });
    it(`${v.name}: the native path alone: null ("ask the full path"), or the vector's own outcome`, async () => {
      let result: ReturnType<typeof nativeDecrypt>;
      try {
        result = nativeDecrypt(v.file, identitiesOf(v));
      } catch (error) {
        // A native path that reports failures itself must report the right class.
        expect(classify(error)).toBe(v.expect);
        return;
      }
      if (result === null) return;
      if ('unmatched' in result) {
        expect(v.expect).toBe('no match');
        return;
      }
      expect(v.expect).toBe('success');
      expect(createHash('sha256').update(result.opened).digest('hex')).toBe(v.payload);
    });
  }
});
