/**
 * A minimal reading of an age header, for diagnostics only (which stanza types and SSH tags a file
 * has). Decryption itself goes through typage's strict parser.
 */
import { armor } from 'age-encryption';
import { SecretsError } from '../errors.js';

const VERSION_LINE = 'age-encryption.org/v1';
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/** One stanza's opening line. */
export interface StanzaInfo {
  readonly type: string;
  readonly args: readonly string[];
}

/** Whether the bytes are an ASCII-armored age file (leading whitespace allowed). */
export function isArmored(file: Uint8Array): boolean {
  const head = Buffer.from(file.subarray(0, 1100)).toString('latin1').trimStart();
  return head.startsWith(ARMOR_BEGIN);
}

/**
 * Returns the binary age file, de-armoring when needed.
 *
 * @throws SecretsError AGE_FILE_INVALID for bad armor or a file that is not age at all
 */
export function binaryAgeFile(file: Uint8Array): Uint8Array {
  if (isArmored(file)) {
    try {
      return armor.decode(Buffer.from(file).toString('latin1'));
    } catch {
      throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: malformed ASCII armor');
    }
  }
  if (!Buffer.from(file.subarray(0, VERSION_LINE.length + 1)).toString('latin1').startsWith(`${VERSION_LINE}\n`)) {
    throw new SecretsError('AGE_FILE_INVALID', 'not an age file (no age-encryption.org/v1 header)');
  }
  return file;
}

/**
 * Lists the stanzas of an age file's header.
 *
 * @param file - binary or armored
 * @throws SecretsError AGE_FILE_INVALID
 */
export function inspectAgeHeader(file: Uint8Array): { stanzas: StanzaInfo[] } {
  const bytes = binaryAgeFile(file);
  const end = Buffer.from(bytes).indexOf('\n---');
  if (end < 0) throw new SecretsError('AGE_FILE_INVALID', 'invalid age file: header has no end');
  const lines = Buffer.from(bytes.subarray(0, end)).toString('latin1').split('\n');
  const stanzas: StanzaInfo[] = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith('-> ')) continue;
    const [type = '', ...args] = line.slice(3).split(' ');
    stanzas.push({ type, args });
  }
  return { stanzas };
}

/** A one-line summary such as `X25519 ×2, ssh-ed25519 (tags KLPP8w, V3XmEA)`. */
export function summarizeStanzas(stanzas: readonly StanzaInfo[]): string {
  const byType = new Map<string, StanzaInfo[]>();
  for (const s of stanzas) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
  return [...byType.entries()]
    .map(([type, list]) => {
      const count = list.length > 1 ? ` ×${list.length}` : '';
      const tags = type === 'ssh-ed25519' || type === 'ssh-rsa' ? ` (tag${list.length > 1 ? 's' : ''} ${list.map((s) => s.args[0]).join(', ')})` : '';
      return `${type}${count}${tags}`;
    })
    .join(', ');
}
