/**
 * A strict reader of the age v1 header (C2SP age §Header, ABNF):
 *
 *     header    = v1-line 1*stanza end
 *     v1-line   = "age-encryption.org/v1" LF
 *     stanza    = arg-line *full-line final-line
 *     arg-line  = "-> " argument *(SP argument) LF      ; argument = 1*VCHAR
 *     full-line = 64base64char LF
 *     final-line = *63base64char LF                     ; always present, maybe empty
 *     end       = "--- " 43base64char LF
 *
 * base64 is canonical and unpadded. Used to list stanzas for diagnostics and to cut the header off the
 * file; typage parses it again (more leniently) when it unwraps and checks the MAC.
 */
import { SecretsError } from '../errors.js';
import { bufferOf, fromBase64 } from '../bytes.js';
import { AGE_MAGIC, toBinaryAgeFile } from './armor.js';

const VERSION_LINE = 'age-encryption.org/v1';
const LF = 0x0a;
const COLUMNS = 64;
const VCHARS = /^[\x21-\x7e]+$/;

/** One stanza's opening line: its type and the arguments after it. */
export interface StanzaInfo {
  /** The first argument, e.g. `X25519`, `ssh-ed25519`. */
  readonly type: string;
  /** The other arguments (for ssh-* stanzas, args[0] is the key tag). */
  readonly args: readonly string[];
}

/** A parsed stanza, with its body. */
export interface ParsedStanza extends StanzaInfo {
  readonly body: Uint8Array;
}

/** A parsed header. */
export interface ParsedHeader {
  readonly stanzas: readonly ParsedStanza[];
  /** Bytes from the start of the file through the MAC line's LF: what typage's `decryptHeader` takes. */
  readonly length: number;
  /** The 32-byte header MAC, decoded from the last line. */
  readonly mac: Uint8Array;
}

const invalid = (why: string): SecretsError => new SecretsError('AGE_FILE_INVALID', `invalid age file: ${why}`);

/**
 * The most stanzas an age header may have. A real file has one per recipient: the largest in our corpus
 * of public NixOS repositories has 3, and a sops `enc` block always 1. Each stanza costs about an X25519
 * exchange per identity tried (nothing in an X25519 stanza says whom it is for), so without a cap a
 * header of 100 000 bogus stanzas kept a decryption busy for minutes.
 */
export const MAX_AGE_STANZAS = 1000;

/** Options of {@link parseAgeHeader}. */
export interface ParseHeaderOptions {
  /** The most stanzas accepted (default {@link MAX_AGE_STANZAS}). */
  readonly maxStanzas?: number;
}

function tooManyStanzas(max: number): SecretsError {
  return new SecretsError('LIMIT_EXCEEDED', `the age header has more than ${max} recipient stanzas`, {
    hints: ['a real file has one per recipient; this one was made to waste time'],
    details: { limit: 'ageStanzas', max },
  });
}

/**
 * Parses the header of a binary age file, strictly.
 *
 * @param binary - the binary age file (see {@link toBinaryAgeFile})
 * @param options - the stanza limit
 * @returns the stanzas and the header's length
 * @throws SecretsError AGE_FILE_INVALID naming what is wrong (never quoting the file); LIMIT_EXCEEDED for
 *   more than {@link MAX_AGE_STANZAS} (or `options.maxStanzas`) stanzas
 */
export function parseAgeHeader(binary: Uint8Array, options: ParseHeaderOptions = {}): ParsedHeader {
  const maxStanzas = options.maxStanzas ?? MAX_AGE_STANZAS;
  let pos = 0;
  const nextLine = (): string | null => {
    const end = binary.indexOf(LF, pos);
    if (end < 0) return null;
    for (let i = pos; i < end; i++) {
      const b = binary[i] as number;
      // The header is printable ASCII with LF line ends; CR included, anything else is a header failure.
      if (b < 0x20 || b > 0x7e) throw invalid('non-printable byte in the header');
    }
    const line = bufferOf(binary.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return line;
  };

  const version = nextLine();
  if (version !== VERSION_LINE) {
    if (version !== null && version.startsWith(AGE_MAGIC)) throw invalid('unsupported version (only age-encryption.org/v1 is known)');
    throw invalid(version === null ? 'the header is truncated' : 'missing the age-encryption.org/v1 version line');
  }
  const stanzas: ParsedStanza[] = [];
  for (;;) {
    const line = nextLine();
    if (line === null) throw invalid('the header is truncated (no MAC line)');
    if (line.startsWith('---')) {
      const mac = line.startsWith('--- ') && line.length === 4 + 43 ? fromBase64(line.slice(4), 'forbidden') : null;
      if (mac === null || mac.length !== 32) throw invalid('malformed header MAC line');
      if (stanzas.length === 0) throw invalid('the header has no recipient stanza');
      return { stanzas, length: pos, mac };
    }
    if (!line.startsWith('->')) throw invalid('unexpected line in the header');
    if (stanzas.length >= maxStanzas) throw tooManyStanzas(maxStanzas);
    const args = line.startsWith('-> ') ? line.slice(3).split(' ') : [];
    if (args.length === 0 || !args.every((a) => VCHARS.test(a))) throw invalid('malformed stanza line');
    const parts: Uint8Array[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === null) throw invalid('the header is truncated (in a stanza body)');
      if (bodyLine.startsWith('->') || bodyLine.startsWith('---')) {
        // Go age: "stanza body ends without a short final line" (files from age betas look like this).
        throw invalid('a stanza body has no final short line');
      }
      if (bodyLine.length > COLUMNS) throw invalid('a stanza body line is longer than 64 columns');
      const bytes = fromBase64(bodyLine, 'forbidden');
      if (bytes === null) throw invalid('a stanza body is not canonical unpadded base64');
      parts.push(bytes);
      if (bodyLine.length < COLUMNS) break;
    }
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      body.set(p, offset);
      offset += p.length;
    }
    const [type, ...rest] = args as [string, ...string[]];
    stanzas.push({ type, args: rest, body });
  }
}

/**
 * Lists the stanzas of an age file's header, for diagnostics (which recipient types, which SSH keys by
 * tag). Parses strictly: a malformed header is an error, not a partial list.
 *
 * @param file - the age file, binary or armored
 * @param options - the stanza limit
 * @returns the stanzas' types and arguments, in file order
 * @throws SecretsError AGE_FILE_INVALID when the file is not a well-formed age file; LIMIT_EXCEEDED for
 *   too many stanzas
 */
export function inspectAgeHeader(file: Uint8Array, options: ParseHeaderOptions = {}): { stanzas: StanzaInfo[] } {
  const { stanzas } = parseAgeFile(file, options).header;
  return { stanzas: stanzas.map((s) => ({ type: s.type, args: [...s.args] })) };
}

/** An age file read once for decryption: its binary form and its parsed header. */
export interface ParsedAgeFile {
  /** The binary file (the armor removed). */
  readonly binary: Uint8Array;
  readonly header: ParsedHeader;
}

/**
 * Reads an age file for decryption (`decryptParsedAge`) and for counting its stanzas, parsing it once:
 * the same checks and errors as {@link inspectAgeHeader}.
 *
 * @param file - the age file, binary or armored
 * @param options - the stanza limit
 * @returns the binary file and its header
 * @throws SecretsError AGE_FILE_INVALID when the file is not a well-formed age file; LIMIT_EXCEEDED for
 *   too many stanzas
 */
export function parseAgeFile(file: Uint8Array, options: ParseHeaderOptions = {}): ParsedAgeFile {
  const binary = toBinaryAgeFile(file);
  return { binary, header: parseAgeHeader(binary, options) };
}

/** Stanza types are arbitrary VCHAR strings (grease!): keep them short in messages. */
function shortType(type: string): string {
  return type.length > 32 ? `${type.slice(0, 32)}…` : type;
}

/**
 * A one-line summary of a header's stanzas, e.g. `X25519 ×2, ssh-ed25519 (tags KLPP8w, V3XmEA), u-grease`.
 *
 * @param stanzas - from {@link inspectAgeHeader} or {@link parseAgeHeader}
 * @returns the summary (types in first-seen order; SSH tags listed)
 */
export function summarizeStanzas(stanzas: readonly StanzaInfo[]): string {
  const byType = new Map<string, StanzaInfo[]>();
  for (const s of stanzas) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
  return [...byType.entries()]
    .map(([type, list]) => {
      if (type === 'ssh-ed25519' || type === 'ssh-rsa') {
        const tags = list.map((s) => (s.args[0] !== undefined && /^[A-Za-z0-9+/]{1,12}$/.test(s.args[0]) ? s.args[0] : '?'));
        return `${type} (tag${tags.length > 1 ? 's' : ''} ${tags.join(', ')})`;
      }
      return `${shortType(type)}${list.length > 1 ? ` ×${list.length}` : ''}`;
    })
    .join(', ');
}
