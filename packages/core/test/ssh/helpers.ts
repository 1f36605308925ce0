/**
 * Shared test helpers for the ssh layer: fixture loading, error capture and an openssh-key-v1 builder for
 * structural tests (files ssh-keygen would never write).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SecretsError } from '../../src/errors.js';
import { WireWriter } from '../../src/ssh/wire.js';
import { sharedPath } from '../../../../test/support/shared.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../vectors/ssh/', import.meta.url));
/** ../shared/vectors, next to the repository root. */
export const SHARED_DIR = `${sharedPath('vectors')}/`;

/** Reads a fixture of test/vectors/ssh as text. */
export function fixture(name: string): string {
  return readFileSync(`${FIXTURES_DIR}${name}`, 'utf8');
}

/** One key of test/vectors/ssh/vectors.json. */
export interface FixtureKey {
  readonly file: string;
  readonly type: string;
  readonly cipher: string;
  readonly kdf: string;
  readonly kdf_rounds: number;
  readonly passphrase: string | null;
  readonly public_key: string;
  readonly seed_hex?: string;
  readonly x25519_scalar_hex_unclamped?: string;
  readonly age_identity?: string;
  readonly age_recipient?: string;
  readonly bits?: number;
}

export interface Fixtures {
  readonly passphrase: string;
  readonly keys: readonly FixtureKey[];
  readonly pkcs8: string;
  readonly pkcs8_same_key_as: string;
  readonly ecdsa_public: string;
  readonly other_formats: readonly { file: string; format: string; same_key_as: string }[];
}

export const fixtures = JSON.parse(fixture('vectors.json')) as Fixtures;

/** The fixture key named `file`. */
export function fixtureKey(file: string): FixtureKey {
  const key = fixtures.keys.find((k) => k.file === file);
  if (!key) throw new Error(`no fixture ${file}`);
  return key;
}

/** Runs `fn` and returns the SecretsError it throws; fails on success or on any other exception. */
export function errorOf(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretsError) return error;
    throw new Error(`expected a SecretsError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a SecretsError, but the call succeeded');
}

/** The code of the SecretsError `fn` throws. */
export function codeOf(fn: () => unknown): string {
  return errorOf(fn).code;
}

/** Everything a SecretsError shows a user or a tool. */
export function shownText(error: SecretsError): string {
  return [error.message, ...error.hints, JSON.stringify(error.details)].join('\n');
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The binary body of an OpenSSH private key file. */
export function unarmor(pem: string): Uint8Array {
  const body = pem.split('-----BEGIN OPENSSH PRIVATE KEY-----')[1]?.split('-----END OPENSSH PRIVATE KEY-----')[0] ?? '';
  return new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}

/** Wraps a binary body in the OpenSSH armor, 70 columns as ssh-keygen writes it. */
export function armor(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** The fields of an openssh-key-v1 body (PROTOCOL.key), for building odd files. */
export interface KeyFileParts {
  cipher?: string;
  kdf?: string;
  kdfOptions?: Uint8Array;
  count?: number;
  publics: Uint8Array[];
  secret: Uint8Array;
  tag?: Uint8Array;
  trailing?: Uint8Array;
}

/** Builds an openssh-key-v1 body. */
export function buildKeyFile(parts: KeyFileParts): Uint8Array {
  const w = new WireWriter()
    .raw(new TextEncoder().encode('openssh-key-v1\0'))
    .string(parts.cipher ?? 'none')
    .string(parts.kdf ?? 'none')
    .string(parts.kdfOptions ?? new Uint8Array(0))
    .uint32(parts.count ?? parts.publics.length);
  for (const p of parts.publics) w.string(p);
  w.string(parts.secret);
  if (parts.tag) w.raw(parts.tag);
  if (parts.trailing) w.raw(parts.trailing);
  return w.finish();
}

/** The pieces of an openssh-key-v1 file as read by a tiny independent parser (no code under test). */
export interface ParsedKeyFile {
  cipher: string;
  kdf: string;
  salt: Uint8Array;
  rounds: number;
  publics: Uint8Array[];
  secret: Uint8Array;
  rest: Uint8Array;
}

/** Splits an openssh-key-v1 body without using the code under test. */
export function splitKeyFile(body: Uint8Array): ParsedKeyFile {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let o = 15;
  const str = (): Uint8Array => {
    const n = view.getUint32(o);
    const s = body.slice(o + 4, o + 4 + n);
    o += 4 + n;
    return s;
  };
  const text = (): string => new TextDecoder().decode(str());
  const cipher = text();
  const kdf = text();
  const options = str();
  const count = view.getUint32(o);
  o += 4;
  const publics: Uint8Array[] = [];
  for (let i = 0; i < count; i++) publics.push(str());
  const secret = str();
  let salt = new Uint8Array(0);
  let rounds = 0;
  if (options.length > 0) {
    const ov = new DataView(options.buffer, options.byteOffset, options.byteLength);
    const n = ov.getUint32(0);
    salt = options.slice(4, 4 + n);
    rounds = ov.getUint32(4 + n);
  }
  return { cipher, kdf, salt, rounds, publics, secret, rest: body.slice(o) };
}
