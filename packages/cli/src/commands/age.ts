/**
 * `secrets age encrypt|decrypt`: age files with the recipients and identities age users know, plus what
 * `age` itself lacks: an SSH key opens files sent to its ssh-to-age recipient, and identities are found
 * the way sops finds them when no `-i` is given.
 */
import {
  SecretsError,
  decryptAgeStream,
  decryptAgeWithPassphrase,
  encryptAge,
  encryptAgeWithPassphrase,
  isPassphraseEncrypted,
  parseRecipient,
  type AgeRecipient,
} from '@secrets/core';
import type { Context } from '../context.js';
import { loadIdentities, passphrasePrompt, withPlaces } from '../identities.js';
import { MAX_INPUT_BYTES, readInput, readInputChunks, tooLarge, writeOutput, writeOutputStream } from '../io.js';
import { refuseOutputIsInput } from '../paths.js';

/** Options of `secrets age encrypt`. */
export interface AgeEncryptOptions {
  readonly input: string;
  readonly output: string;
  /** `-r`: recipient strings (age1…, age1pq1…, ssh-ed25519 …, ssh-rsa …). */
  readonly recipients: readonly string[];
  /** `-R`: files with one recipient per line (`#` comments allowed), like age's recipients files. */
  readonly recipientFiles: readonly string[];
  readonly armor: boolean;
  /** `-p`: encrypt with a passphrase asked for on the terminal (scrypt), as `age -p`. */
  readonly passphrase?: boolean;
}

/** Options of `secrets age decrypt`. */
export interface AgeDecryptOptions {
  readonly input: string;
  readonly output: string;
  /** `-i`: identity files; when empty, identities are discovered like sops. */
  readonly identities: readonly string[];
}

/**
 * age's recipients files (cmd/age/parse.go): one recipient per line, lines starting with `#` and empty
 * lines skipped, a CR before the LF dropped; anything else, an indented line included, must be a
 * recipient ("malformed recipient at line N").
 */
function parseRecipientsFile(text: string, origin: string): AgeRecipient[] {
  const out: AgeRecipient[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) continue;
    if (line.trim() !== line) {
      throw new SecretsError('AGE_RECIPIENT_INVALID', `${origin} line ${index + 1}: malformed recipient (space before or after it)`, {
        hints: ['age reads recipients files line by line, without trimming: remove the spaces'],
      });
    }
    try {
      out.push(parseRecipient(line));
    } catch (error) {
      // age: "malformed recipient at line N". The line is not quoted: a file given as -R by mistake may
      // be a secrets file (app.env), and its line would end up in a terminal or a CI log.
      if (error instanceof SecretsError) throw new SecretsError(error.code, `${JSON.stringify(origin)}: malformed recipient at line ${index + 1}`, { hints: error.hints });
      throw error;
    }
  }
  return out;
}

/**
 * Runs `secrets age encrypt`.
 *
 * @returns exit status
 */
export async function ageEncrypt(ctx: Context, options: AgeEncryptOptions): Promise<number> {
  refuseOutputIsInput(ctx, options.output, [options.input, ...options.recipientFiles], '-o/--output');
  if (options.passphrase === true) return encryptWithPassphrase(ctx, options);
  const recipients: AgeRecipient[] = options.recipients.map((r) => parseRecipient(r));
  for (const file of options.recipientFiles) {
    recipients.push(...parseRecipientsFile(Buffer.from(await readInput(ctx, file, { streams: true })).toString('utf8'), file));
  }
  if (recipients.length === 0) {
    throw new SecretsError('USAGE', 'no recipients', { hints: ['give at least one -r RECIPIENT or -R FILE'] });
  }
  if (!options.armor && options.output === '-' && ctx.stdout.isTTY) {
    // age: "refusing to output binary to the terminal"
    throw new SecretsError('USAGE', 'refusing to write binary to the terminal', { hints: ['use -a for armored output, or -o FILE'] });
  }
  const plaintext = await readInput(ctx, options.input, { streams: true });
  const file = await encryptAge(plaintext, recipients, { armor: options.armor });
  await writeOutput(ctx, options.output, file);
  return 0;
}

/** Asks on the terminal, never echoing; a clear error without a terminal (age does the same). */
async function askPassphrase(ctx: Context, question: string, why: string): Promise<string> {
  if (!ctx.prompt) {
    throw new SecretsError('SSH_PASSPHRASE_REQUIRED', `${why}, but there is no terminal to ask for the passphrase on`, {
      hints: ['run it on a terminal: the passphrase is read from /dev/tty, never from stdin or the environment'],
    });
  }
  return ctx.prompt(question, { secret: true });
}

async function encryptWithPassphrase(ctx: Context, options: AgeEncryptOptions): Promise<number> {
  if (options.recipients.length > 0 || options.recipientFiles.length > 0) {
    throw new SecretsError('USAGE', '-p/--passphrase cannot be combined with -r/-R recipients', { hints: ['a passphrase-encrypted file has no other recipient (age -p)'] });
  }
  if (!options.armor && options.output === '-' && ctx.stdout.isTTY) {
    throw new SecretsError('USAGE', 'refusing to write binary to the terminal', { hints: ['use -a for armored output, or -o FILE'] });
  }
  const plaintext = await readInput(ctx, options.input);
  const passphrase = await askPassphrase(ctx, 'Enter passphrase: ', 'encrypting with a passphrase');
  if (passphrase === '') throw new SecretsError('USAGE', 'the passphrase is empty', { hints: ['type a passphrase; an empty one protects nothing'] });
  if ((await askPassphrase(ctx, 'Confirm passphrase: ', 'encrypting with a passphrase')) !== passphrase) {
    throw new SecretsError('USAGE', 'the passphrases did not match');
  }
  await writeOutput(ctx, options.output, await encryptAgeWithPassphrase(plaintext, passphrase, { armor: options.armor }));
  return 0;
}

/** Whether the file has a scrypt stanza; a malformed file is left to decryptAge's own diagnostics. */
/** Bytes looked at before choosing between the passphrase and the identity route. */
const HEADER_PEEK_BYTES = 64 * 1024;

/** The first bytes of a stream of chunks (at least `min`, unless it ends sooner), and the whole stream. */
async function peek(chunks: AsyncIterable<Uint8Array>, min: number): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < min) {
    const next = await iterator.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    seen.push(next.value);
    size += next.value.length;
  }
  async function* all(): AsyncIterable<Uint8Array> {
    yield* seen;
    if (ended) return;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { head: Buffer.concat(seen), all: all() };
}

/** A whole (passphrase-encrypted) age file from its chunks, up to the input limit. */
async function collect(chunks: AsyncIterable<Uint8Array>, shown: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) throw tooLarge(shown, null, MAX_INPUT_BYTES);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function passphraseEncrypted(file: Uint8Array): boolean {
  try {
    return isPassphraseEncrypted(file);
  } catch {
    return false;
  }
}

/**
 * Runs `secrets age decrypt`.
 *
 * @returns exit status
 */
export async function ageDecrypt(ctx: Context, options: AgeDecryptOptions): Promise<number> {
  if ([options.input, ...options.identities].filter((p) => p === '-').length > 1) {
    throw new SecretsError('USAGE', 'standard input (-) is given more than once', { hints: ['it can be read once: as the file or as one -i identity file'] });
  }
  const keyFiles = options.identities.length > 0 ? [] : [ctx.env['SOPS_AGE_KEY_FILE'], ctx.env['SOPS_AGE_SSH_PRIVATE_KEY_FILE']];
  refuseOutputIsInput(ctx, options.output, [options.input, ...options.identities, ...keyFiles], '-o/--output');
  // The header decides the route: it sits in the first bytes (an armored file's too, when it is small).
  const { head, all: input } = await peek(readInputChunks(ctx, options.input), HEADER_PEEK_BYTES);
  if (passphraseEncrypted(head)) {
    // age: a passphrase-encrypted file is opened with its passphrase only.
    if (options.identities.length > 0) {
      throw new SecretsError('USAGE', 'the file is passphrase-encrypted but identities were given with -i/--identity', {
        hints: ['remove the -i/--identity options to decrypt a passphrase-encrypted file'],
      });
    }
    const file = await collect(input, JSON.stringify(options.input));
    const plaintext = await decryptAgeWithPassphrase(file, () => askPassphrase(ctx, 'Enter passphrase: ', 'the file is passphrase-encrypted'));
    await writeOutput(ctx, options.output, plaintext, { mode: 0o600 });
    return 0;
  }
  const { identities, places } = await loadIdentities(ctx, options.identities, '-i FILE');
  // Streamed: a file of any size in memory bounded by a chunk (core decryptAgeStream); the plaintext
  // goes to stdout as each chunk authenticates, or to a new file written 0600 and renamed into place
  // only once the whole file decrypted: it is a secret.
  const plaintext = decryptAgeStream(input, identities, { passphrase: passphrasePrompt(ctx) });
  try {
    await writeOutputStream(ctx, options.output, plaintext, { mode: 0o600 });
  } catch (error) {
    throw withPlaces(error, places);
  }
  return 0;
}
