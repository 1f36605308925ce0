/**
 * The plugin IPC framing (C2SP age-plugin §"IPC protocol"): every command and response is an age stanza,
 * serialized exactly as in the v1 header with the explicit body encoding (lines of 64 base64 characters,
 * then a final shorter line, empty when the body fills its last line):
 *
 *     -> COMMAND ARG…
 *     BASE64…
 *
 * The reader is strict (canonical unpadded base64, arguments of 1*VCHAR separated by one space) and
 * bounded: a plugin is a program from PATH, but its output still must not fill memory.
 */
import { SecretsError } from '../errors.js';
import { fromBase64, toBase64, utf8 } from '../bytes.js';

/** One IPC stanza: `args[0]` is the command. */
export interface IpcStanza {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** Bounds on what one plugin process may send. */
export interface IpcLimits {
  /** The most bytes read from the plugin over the whole session. */
  readonly maxBytes: number;
  /** The longest line. */
  readonly maxLineBytes: number;
  /** The largest stanza body. */
  readonly maxBodyBytes: number;
}

/** Defaults: a plugin session exchanges a few stanzas of a few hundred bytes. */
export const DEFAULT_IPC_LIMITS: IpcLimits = { maxBytes: 16 * 1024 * 1024, maxLineBytes: 64 * 1024, maxBodyBytes: 1024 * 1024 };

const VCHARS = /^[\x21-\x7e]+$/;
const COLUMNS = 64;

/**
 * Serializes one stanza.
 *
 * @param args - the command and its arguments, each 1*VCHAR
 * @param body - the data (may be empty)
 * @returns the bytes to write
 * @throws SecretsError INTERNAL for an argument that is not 1*VCHAR (a bug or a malformed header stanza)
 */
export function encodeIpcStanza(args: readonly string[], body: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (args.length === 0 || !args.every((a) => VCHARS.test(a))) throw new SecretsError('INTERNAL', 'an age plugin command argument is not printable ASCII');
  const lines = [`-> ${args.join(' ')}\n`];
  const text = toBase64(body, false);
  for (let i = 0; i + COLUMNS <= text.length; i += COLUMNS) lines.push(`${text.slice(i, i + COLUMNS)}\n`);
  lines.push(`${text.slice(text.length - (text.length % COLUMNS))}\n`);
  return utf8(lines.join(''));
}

/** Reads stanzas from a plugin's standard output, chunk by chunk. */
export class IpcReader {
  private buffer = new Uint8Array(0);
  private total = 0;
  private ended = false;

  /**
   * @param read - the next chunk of output, or null at its end
   * @param fail - builds the error for a protocol violation (it names the plugin)
   * @param limits - size bounds
   */
  constructor(
    private readonly read: () => Promise<Uint8Array | null>,
    private readonly fail: (why: string, code?: 'LIMIT_EXCEEDED') => SecretsError,
    private readonly limits: IpcLimits = DEFAULT_IPC_LIMITS,
  ) {}

  private async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end > this.limits.maxLineBytes) throw this.fail(`a line longer than ${this.limits.maxLineBytes} bytes`, 'LIMIT_EXCEEDED');
      if (end >= 0) {
        const bytes = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end + 1);
        // Only base64 and VCHAR arguments are valid: anything else is caught by the checks after this.
        return Buffer.from(bytes).toString('latin1');
      }
      if (this.buffer.length > this.limits.maxLineBytes) throw this.fail(`a line longer than ${this.limits.maxLineBytes} bytes`, 'LIMIT_EXCEEDED');
      if (this.ended) throw this.fail(this.buffer.length === 0 ? 'it ended the conversation early' : 'its output ends in the middle of a line');
      const chunk = await this.read();
      if (chunk === null) {
        this.ended = true;
        continue;
      }
      this.total += chunk.length;
      if (this.total > this.limits.maxBytes) throw this.fail(`more than ${this.limits.maxBytes} bytes of output`, 'LIMIT_EXCEEDED');
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer);
      joined.set(chunk, this.buffer.length);
      this.buffer = joined;
    }
  }

  /**
   * The next stanza.
   *
   * @returns the stanza
   * @throws SecretsError (from `fail`) for malformed framing, an early end, or a limit
   */
  async next(): Promise<IpcStanza> {
    const first = await this.line();
    if (!first.startsWith('-> ')) throw this.fail('malformed command line (expected "-> ")');
    const args = first.slice(3).split(' ');
    if (!args.every((a) => VCHARS.test(a))) throw this.fail('malformed command arguments');
    const parts: string[] = [];
    let size = 0;
    for (;;) {
      const line = await this.line();
      if (line.length > COLUMNS) throw this.fail('a body line longer than 64 characters');
      parts.push(line);
      size += line.length;
      if (size > (this.limits.maxBodyBytes * 4) / 3 + COLUMNS) throw this.fail(`a body larger than ${this.limits.maxBodyBytes} bytes`, 'LIMIT_EXCEEDED');
      if (line.length < COLUMNS) break;
    }
    const body = fromBase64(parts.join(''), 'forbidden');
    if (body === null) throw this.fail('a body that is not canonical unpadded base64');
    return { args, body };
  }
}
