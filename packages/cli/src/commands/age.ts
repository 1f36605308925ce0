/**
 * `secrets age encrypt|decrypt`: age files with the recipients and identities age users know, plus what
 * `age` itself lacks: an SSH key opens files sent to its ssh-to-age recipient, and identities are found
 * the way sops finds them when no `-i` is given.
 */
import { SecretsError, decryptAgeStream, encryptAge, parseRecipient, type AgeRecipient } from '@secrets/core';
import type { Context } from '../context.js';
import { loadIdentities, passphrasePrompt, withPlaces } from '../identities.js';
import { readInput, readInputChunks, writeOutput, writeOutputStream } from '../io.js';

/** Options of `secrets age encrypt`. */
export interface AgeEncryptOptions {
  readonly input: string;
  readonly output: string;
  /** `-r`: recipient strings (age1…, age1pq1…, ssh-ed25519 …, ssh-rsa …). */
  readonly recipients: readonly string[];
  /** `-R`: files with one recipient per line (`#` comments allowed), like age's recipients files. */
  readonly recipientFiles: readonly string[];
  readonly armor: boolean;
}

/** Options of `secrets age decrypt`. */
export interface AgeDecryptOptions {
  readonly input: string;
  readonly output: string;
  /** `-i`: identity files; when empty, identities are discovered like sops. */
  readonly identities: readonly string[];
}

function parseRecipientsFile(text: string, origin: string): AgeRecipient[] {
  const out: AgeRecipient[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
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

/**
 * Runs `secrets age decrypt`.
 *
 * @returns exit status
 */
export async function ageDecrypt(ctx: Context, options: AgeDecryptOptions): Promise<number> {
  const input = readInputChunks(ctx, options.input);
  const { identities, places } = await loadIdentities(ctx, options.identities);
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
