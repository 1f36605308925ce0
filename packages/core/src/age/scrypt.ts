/**
 * Passphrase-encrypted age files (`age -p`): the `scrypt` recipient type (C2SP age §"The scrypt recipient
 * type"), read and written as Go age does it:
 *
 *     -> scrypt <salt: 16 bytes, canonical unpadded base64> <log2(N): decimal, no leading zero>
 *     <file key sealed with ChaCha20-Poly1305, zero nonce, key = scrypt(passphrase,
 *      "age-encryption.org/v1/scrypt" || salt, N, r = 8, p = 1, 32)>
 *
 * A scrypt stanza must be the only stanza of its header (it carries no authentication of the recipient
 * set). Decryption refuses work factors above age's own cap, 2^22 (age `NewScryptIdentity`,
 * maxWorkFactor = 22): a hostile file cannot make us spend minutes and gigabytes. typage caps at 2^20,
 * lower than age, so the key derivation here is ours (node:crypto's OpenSSL scrypt); the header MAC and
 * the payload stay on typage.
 */
import { scrypt as nodeScrypt, createDecipheriv } from 'node:crypto';
import { SecretsError } from '../errors.js';
import { concatBytes, fromBase64, utf8, wipe } from '../bytes.js';
import { armorEncode, toBinaryAgeFile } from './armor.js';
import { parseAgeHeader, type ParsedStanza } from './header.js';

/** The highest scrypt work factor (log2 N) accepted when decrypting: age's cap. */
export const MAX_SCRYPT_WORK_FACTOR = 22;
/** The work factor `age -p` writes (log2 N = 18, about a second). */
export const DEFAULT_SCRYPT_WORK_FACTOR = 18;

const LABEL = 'age-encryption.org/v1/scrypt';
const FILE_KEY_BYTES = 16;
const TAG_BYTES = 16;

const invalid = (why: string): SecretsError => new SecretsError('AGE_FILE_INVALID', `invalid age file: ${why}`);

/**
 * Whether an age file is passphrase-encrypted (its header has a `scrypt` stanza).
 *
 * @param file - the age file, binary or armored
 * @returns true for `age -p` files
 * @throws SecretsError AGE_FILE_INVALID when the file is not a well-formed age file
 */
export function isPassphraseEncrypted(file: Uint8Array): boolean {
  return parseAgeHeader(toBinaryAgeFile(file)).stanzas.some((s) => s.type === 'scrypt');
}

/** The checked arguments of the file's one scrypt stanza (age scrypt.go `Unwrap`). */
function scryptStanza(stanzas: readonly ParsedStanza[]): { salt: Uint8Array; logN: number; body: Uint8Array } {
  const found = stanzas.filter((s) => s.type === 'scrypt');
  const stanza = found[0];
  if (stanza === undefined) {
    throw new SecretsError('AGE_NO_IDENTITY_MATCHED', 'the file is not passphrase-encrypted', {
      hints: ['it is encrypted to recipients: decrypt it with an identity (-i FILE, or a discovered key)'],
    });
  }
  if (stanzas.length !== 1) throw invalid('a scrypt stanza must be the only stanza of the header');
  if (stanza.args.length !== 2) throw invalid('malformed scrypt stanza (it takes a salt and a work factor)');
  const [saltText, factorText] = stanza.args as [string, string];
  const salt = fromBase64(saltText, 'forbidden');
  if (salt === null || salt.length !== 16) throw invalid('malformed scrypt stanza (the salt is not 16 bytes of canonical base64)');
  // Decimal without sign or leading zero, as age parses it; compared as text first so that no huge
  // number is ever converted.
  if (!/^[1-9][0-9]{0,8}$/.test(factorText)) throw invalid('malformed scrypt stanza (the work factor is not a positive decimal number)');
  const logN = Number(factorText);
  if (logN > MAX_SCRYPT_WORK_FACTOR) {
    throw invalid(`the scrypt work factor 2^${logN} is above age's limit of 2^${MAX_SCRYPT_WORK_FACTOR}`);
  }
  if (stanza.body.length !== FILE_KEY_BYTES + TAG_BYTES) throw invalid('malformed scrypt stanza (the wrapped file key is not 16 bytes)');
  return { salt, logN, body: stanza.body };
}

function deriveKey(passphrase: string, salt: Uint8Array, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; OpenSSL's default cap (32 MiB) is below age's default work factor.
    nodeScrypt(utf8(passphrase), concatBytes(utf8(LABEL), salt), 32, { N, r: 8, p: 1, maxmem: 129 * 8 * N + 2 ** 20 }, (error, key) => {
      if (error) reject(new SecretsError('AGE_DECRYPT_FAILED', 'the scrypt key derivation failed', { cause: error }));
      else resolve(key);
    });
  });
}

function openFileKey(key: Uint8Array, body: Uint8Array): Uint8Array | null {
  const d = createDecipheriv('chacha20-poly1305', key, new Uint8Array(12), { authTagLength: TAG_BYTES });
  d.setAuthTag(body.subarray(FILE_KEY_BYTES));
  try {
    return concatBytes(d.update(body.subarray(0, FILE_KEY_BYTES)), d.final());
  } catch {
    return null;
  }
}

/**
 * Decrypts a passphrase-encrypted age file (`age -p`), binary or armored.
 *
 * The header is checked before the passphrase is asked for: a file that is not passphrase-encrypted, or
 * whose scrypt stanza is malformed or too costly, never prompts.
 *
 * @param file - the age file
 * @param passphrase - the passphrase, or a function asked for it once (e.g. a terminal prompt)
 * @returns the plaintext
 * @throws SecretsError AGE_NO_IDENTITY_MATCHED when the file has no scrypt stanza; AGE_FILE_INVALID for a
 *   malformed header or scrypt stanza, a work factor above {@link MAX_SCRYPT_WORK_FACTOR}, a header MAC
 *   mismatch or a corrupted payload; AGE_DECRYPT_FAILED for an incorrect passphrase
 */
export async function decryptAgeWithPassphrase(file: Uint8Array, passphrase: string | (() => Promise<string>)): Promise<Uint8Array> {
  const binary = toBinaryAgeFile(file);
  const header = parseAgeHeader(binary);
  const { salt, logN, body } = scryptStanza(header.stanzas);
  if (binary.length - header.length < 16) throw invalid('the payload nonce is missing or truncated');
  const key = await deriveKey(typeof passphrase === 'string' ? passphrase : await passphrase(), salt, logN);
  const fileKey = openFileKey(key, body);
  wipe(key);
  if (fileKey === null) throw new SecretsError('AGE_DECRYPT_FAILED', 'incorrect passphrase');
  const { Decrypter } = await import('age-encryption');
  const d = new Decrypter();
  d.addIdentity({ unwrapFileKey: () => Uint8Array.from(fileKey) });
  try {
    try {
      await d.decryptHeader(binary.subarray(0, header.length));
    } catch (error) {
      // The stanza opened (authenticated), so the file was written with this passphrase and then changed.
      throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the header MAC does not match (the file was modified or is corrupted)', { cause: error });
    }
    try {
      return await d.decrypt(binary);
    } catch (error) {
      throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the payload is truncated or corrupted', { cause: error });
    }
  } finally {
    fileKey.fill(0);
  }
}

/** Options for {@link encryptAgeWithPassphrase}. */
export interface EncryptAgeWithPassphraseOptions {
  /** PEM-armor the output, as `age -a`. */
  readonly armor?: boolean;
  /** log2 of scrypt's N; default {@link DEFAULT_SCRYPT_WORK_FACTOR}, at most {@link MAX_SCRYPT_WORK_FACTOR}. */
  readonly workFactor?: number;
}

/**
 * Encrypts with a passphrase, as `age -p` does (one scrypt stanza, work factor 2^18 by default).
 *
 * @param plaintext - the data
 * @param passphrase - a non-empty passphrase
 * @param options - armor, work factor
 * @returns the age file (binary, or armored text's bytes)
 * @throws SecretsError USAGE for an empty passphrase or a work factor outside 1…{@link MAX_SCRYPT_WORK_FACTOR}
 */
export async function encryptAgeWithPassphrase(plaintext: Uint8Array, passphrase: string, options: EncryptAgeWithPassphraseOptions = {}): Promise<Uint8Array> {
  if (passphrase === '') throw new SecretsError('USAGE', 'the passphrase is empty');
  const workFactor = options.workFactor ?? DEFAULT_SCRYPT_WORK_FACTOR;
  if (!Number.isInteger(workFactor) || workFactor < 1 || workFactor > MAX_SCRYPT_WORK_FACTOR) {
    throw new SecretsError('USAGE', `the scrypt work factor must be an integer from 1 to ${MAX_SCRYPT_WORK_FACTOR}`);
  }
  const { Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  e.setPassphrase(passphrase);
  e.setScryptWorkFactor(workFactor);
  const file = await e.encrypt(plaintext);
  return options.armor === true ? utf8(armorEncode(file)) : file;
}
