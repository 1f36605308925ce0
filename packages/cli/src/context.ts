/**
 * Everything a command may touch of the outside world, passed in explicitly so that tests run commands
 * in-process with fake streams, env and cwd, and never `chdir` or mutate `process.env`.
 */
import { homedir } from 'node:os';
import { openSync, closeSync, writeSync } from 'node:fs';
import { SecretsError } from '@secrets/core';
import { exitInterrupted, onInterrupt } from './cleanup.js';

/** A writable stream as commands see it. */
export interface Output {
  /** Whether it is a terminal (colours, progress, refusing to print binary). */
  readonly isTTY: boolean;
  write(chunk: string | Uint8Array): void;
}

/** Standard input as commands see it. */
export interface Input {
  readonly isTTY: boolean;
  /**
   * Reads all of standard input (once). With `maxBytes`, stops reading once more than that has arrived
   * (the caller then refuses the input): a huge pipe is never held whole in memory.
   */
  readAll(maxBytes?: number): Promise<Uint8Array>;
}

/** The injected world of one CLI run. */
export interface Context {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  readonly platform: NodeJS.Platform;
  readonly stdin: Input;
  readonly stdout: Output;
  readonly stderr: Output;
  /**
   * Asks the user a question on the controlling terminal; `secret` turns echo off. Null when there is no
   * terminal (CI, pipes): commands must then fail with a hint instead of hanging.
   */
  readonly prompt: ((question: string, options: { secret: boolean }) => Promise<string>) | null;
}

function streamOutput(stream: NodeJS.WriteStream): Output {
  return { isTTY: stream.isTTY, write: (chunk) => void stream.write(chunk) };
}

const PAUSE = /* @__PURE__ */ new Int32Array(new SharedArrayBuffer(4));

/**
 * Standard output or error written with write(2) on the descriptor, which is what process.stdout does on
 * Linux and macOS (synchronous for files, pipes and terminals) without setting up a stream: that costs a
 * few milliseconds of a small command's run. A reader that went away (EPIPE, `| head`) ends the output
 * quietly instead of crashing with an unhandled 'error' event.
 */
function fdOutput(fd: 1 | 2, stream: () => NodeJS.WriteStream): Output {
  let closed = false;
  return {
    get isTTY() {
      return stream().isTTY;
    },
    write(chunk) {
      if (closed) return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let offset = 0; offset < bytes.length; ) {
        try {
          offset += writeSync(fd, bytes, offset, bytes.length - offset);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            Atomics.wait(PAUSE, 0, 0, 1); // a non-blocking pipe is full: let the reader catch up
            continue;
          }
          if (code === 'EPIPE') {
            closed = true;
            return;
          }
          throw new SecretsError('IO_WRITE', `could not write to standard ${fd === 1 ? 'output' : 'error'}`, { cause: error });
        }
      }
    },
  };
}

async function readStream(stream: NodeJS.ReadableStream, maxBytes = Infinity): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(b);
    total += b.length;
    if (total > maxBytes) break; // the caller sees more than maxBytes and refuses the input
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Reads one line from /dev/tty with echo off for secrets, the way ssh-keygen and age ask for passphrases:
 * the prompt goes to stderr so stdout stays clean for piping.
 */
/** Characters typed ahead of a prompt's answer (after its Enter): the next prompt's input. */
let typedAhead = '';

async function ttyPrompt(question: string, options: { secret: boolean }): Promise<string> {
  const { ReadStream } = await import('node:tty');
  const fd = openSync('/dev/tty', 'r');
  const tty = new ReadStream(fd);
  process.stderr.write(question);
  // A SIGTERM (or a SIGINT sent with kill) while we wait must not leave the terminal in raw mode.
  const restore = onInterrupt(() => tty.setRawMode(false));
  try {
    tty.setRawMode(true);
    return await new Promise<string>((resolve) => {
      let answer = '';
      let done = false;
      const consume = (text: string): void => {
        const chars = [...text];
        for (const [i, ch] of chars.entries()) {
          if (done) return;
          if (ch === '\r' || ch === '\n') {
            done = true;
            // A passphrase and its confirmation typed (or pasted) in one go: keep the rest for the next
            // prompt; a CRLF counts as one Enter.
            typedAhead = chars.slice(ch === '\r' && chars[i + 1] === '\n' ? i + 2 : i + 1).join('');
            process.stderr.write('\n');
            resolve(answer);
            return;
          }
          if (ch === '\u0003') {
            // Ctrl+C in raw mode is a key, not a signal: act as the signal would (a quiet 130, after
            // removing temp files, locks and private dirs), with the terminal restored first.
            done = true;
            typedAhead = '';
            process.stderr.write('\n');
            tty.setRawMode(false);
            exitInterrupted('SIGINT');
          }
          if (ch === '\u007f' || ch === '\b') {
            answer = answer.slice(0, -1);
            continue;
          }
          answer += ch;
          if (!options.secret) process.stderr.write(ch);
        }
      };
      const pending = typedAhead;
      typedAhead = '';
      consume(pending);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- consume() may have set it
      if (!done) tty.on('data', (data: Buffer) => consume(data.toString('utf8')));
    });
  } finally {
    restore();
    tty.setRawMode(false);
    tty.destroy();
    try {
      closeSync(fd);
    } catch {
      // already closed by destroy()
    }
  }
}

function hasTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/** The context of a real process. */
export function processContext(): Context {
  return {
    env: process.env,
    cwd: process.cwd(),
    // A getter: node:os is loaded on first use, which a command that reads no key from home never makes.
    get homedir() {
      return homedir();
    },
    platform: process.platform,
    // A getter: touching process.stdin sets up a stream (and loads its modules), which most commands never read.
    stdin: {
      get isTTY() {
        return process.stdin.isTTY;
      },
      readAll: (maxBytes) => readStream(process.stdin, maxBytes),
    },
    stdout: process.platform === 'win32' ? streamOutput(process.stdout) : fdOutput(1, () => process.stdout),
    stderr: process.platform === 'win32' ? streamOutput(process.stderr) : fdOutput(2, () => process.stderr),
    prompt: hasTerminal() ? ttyPrompt : null,
  };
}
