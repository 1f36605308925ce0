/**
 * age's ASCII armor (C2SP age §"ASCII armor"), a strict subset of PEM: detection, and encoding and
 * decoding exactly as typage's `armor` module does them (same checks, same error texts), written out here
 * so that reading a sops data key does not load typage.
 */
import { SecretsError } from '../errors.js';
import { bufferOf, fromBase64, toBase64 } from '../bytes.js';

/** The armor's BEGIN line. */
export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';

/** Every binary age file starts with this (the version line's fixed part). */
export const AGE_MAGIC = 'age-encryption.org/';

const ARMOR_CHARS = /^[A-Za-z0-9+/=]*$/;

/** The bytes as a latin1 string, without copying them first. */
const latin1 = (bytes: Uint8Array): string => bufferOf(bytes).toString('latin1');

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Whether the bytes are an ASCII-armored age file.
 *
 * @param file - the file's bytes
 * @returns true when the first non-whitespace bytes are the armor's BEGIN line
 */
export function isArmored(file: Uint8Array): boolean {
  let i = 0;
  while (i < file.length && isSpace(file[i] as number)) i++;
  return latin1(file.subarray(i, i + ARMOR_BEGIN.length)) === ARMOR_BEGIN;
}

/**
 * Whether the bytes start like a binary age file.
 *
 * @param file - the file's bytes
 * @returns true when they start with `age-encryption.org/`
 */
export function looksLikeBinaryAge(file: Uint8Array): boolean {
  return latin1(file.subarray(0, AGE_MAGIC.length)) === AGE_MAGIC;
}

/**
 * Armors a binary age file: 64-column padded base64 between the BEGIN and END lines, final newline.
 *
 * @param file - the binary age file
 * @returns the armored text
 */
export function armorEncode(file: Uint8Array): string {
  // One encoding, then cut: 48 bytes are exactly 64 characters, so only the last line can be padded.
  const b64 = toBase64(file);
  let text = `${ARMOR_BEGIN}\n`;
  for (let i = 0; i < b64.length; i += 64) text += `${b64.slice(i, i + 64)}\n`;
  return `${text}${ARMOR_END}\n`;
}

/**
 * typage's `armor.decode`: surrounding whitespace ignored, CRLF accepted, otherwise strict (64-column
 * lines, a last line of 4…64 characters, canonical padded base64).
 *
 * @throws Error with typage's texts: invalid header, invalid footer, invalid line length, invalid base64
 */
function armorDecode(text: string): Uint8Array {
  const lines = text.trim().replaceAll('\r\n', '\n').split('\n');
  if (lines.shift() !== ARMOR_BEGIN) throw new Error('invalid header');
  if (lines.pop() !== ARMOR_END) throw new Error('invalid footer');
  const last = lines.length - 1;
  for (let i = 0; i <= last; i++) {
    const n = (lines[i] as string).length;
    if (i === last ? n === 0 || n > 64 || n % 4 !== 0 : n !== 64) throw new Error('invalid line length');
  }
  // Every line is non-empty here, so one test of the joined text is the same as one per line.
  const joined = lines.join('');
  if (!ARMOR_CHARS.test(joined)) throw new Error('invalid base64');
  const bytes = fromBase64(joined, 'required');
  if (bytes === null) throw new Error('invalid base64');
  return bytes;
}

/**
 * Whether bytes that are neither binary age nor armor are an attempt at armor (a PEM-like line at the
 * start, or the age BEGIN line after some leading garbage): reported as malformed armor, as the C2SP
 * CCTV vectors classify them (armor_lowercase, armor_wrong_type, armor_whitespace_begin,
 * armor_garbage_leading), rather than as "not an age file".
 */
function looksLikeBrokenArmor(file: Uint8Array): boolean {
  const head = Buffer.from(file.subarray(0, 1024)).toString('latin1');
  return /^\s*-----/.test(head) || head.includes(ARMOR_BEGIN);
}

/**
 * Returns the binary age file, removing the armor when there is one.
 *
 * @param file - binary or armored bytes
 * @returns the binary file (the input itself when it is not armored)
 * @throws SecretsError AGE_FILE_INVALID for malformed armor, or for bytes that are neither armor nor age
 */
export function toBinaryAgeFile(file: Uint8Array): Uint8Array {
  if (isArmored(file)) {
    let decoded: Uint8Array;
    try {
      decoded = armorDecode(latin1(file));
    } catch (error) {
      // the armor messages are fixed strings ("invalid line length", …): safe to show.
      const reason = error instanceof Error && /^[a-z ]{1,40}$/i.test(error.message) ? ` (${error.message})` : '';
      throw new SecretsError('AGE_FILE_INVALID', `invalid age file: malformed ASCII armor${reason}`, {
        hints: ['armor is strict PEM: 64-column base64 lines, nothing else inside the BEGIN/END lines'],
        cause: error,
      });
    }
    if (!looksLikeBinaryAge(decoded)) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: the armor does not hold an age file');
    return decoded;
  }
  if (!looksLikeBinaryAge(file)) {
    if (looksLikeBrokenArmor(file)) {
      throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ASCII armor (invalid header)', {
        hints: [`an armored age file starts with exactly ${ARMOR_BEGIN} (only whitespace may come before it)`],
      });
    }
    throw new SecretsError('AGE_FILE_INVALID', 'not an age file: it starts with neither "age-encryption.org/" nor an armor line');
  }
  return file;
}
