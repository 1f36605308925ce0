/**
 * Telling armored age files from binary ones (C2SP age §"ASCII armor"). typage's `armor.decode` is
 * strict about the PEM block itself but does not detect armor; this file does, tolerating whitespace
 * around the block (as Go age and typage do) and CRLF line endings (typage converts them).
 */
import { armor } from 'age-encryption';
import { SecretsError } from '../errors.js';

/** The armor's BEGIN line. */
export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/** Every binary age file starts with this (the version line's fixed part). */
export const AGE_MAGIC = 'age-encryption.org/';

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
  return Buffer.from(file.subarray(i, i + ARMOR_BEGIN.length)).toString('latin1') === ARMOR_BEGIN;
}

/**
 * Whether the bytes start like a binary age file.
 *
 * @param file - the file's bytes
 * @returns true when they start with `age-encryption.org/`
 */
export function looksLikeBinaryAge(file: Uint8Array): boolean {
  return Buffer.from(file.subarray(0, AGE_MAGIC.length)).toString('latin1') === AGE_MAGIC;
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
      decoded = armor.decode(Buffer.from(file).toString('latin1'));
    } catch (error) {
      // typage's armor messages are fixed strings ("invalid line length", …): safe to show.
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
    throw new SecretsError('AGE_FILE_INVALID', 'not an age file: it starts with neither "age-encryption.org/" nor an armor line');
  }
  return file;
}
