/**
 * The client side of the age plugin state machines (C2SP age-plugin §"Wrapping with recipient-v1",
 * §"Unwrapping with identity-v1"): phase 1 is ours (commands, then `done`), phase 2 the plugin's (it sends
 * a command, we answer, until its `done`).
 *
 * Answers in phase 2: `ok` to messages, stanzas, labels, file keys and errors; the user's reply or `fail`
 * to `request-public`, `request-secret` and `confirm`; `unsupported` to anything else (the spec's rule for
 * bi-directional phases). Everything a plugin says is shown with control characters escaped and bounded.
 */
import { SecretsError, isSecretsError, type ErrorCode } from '../errors.js';
import { fromUtf8, utf8, wipe } from '../bytes.js';
import { escapeControl } from '../escape.js';
import { MAX_AGE_STANZAS } from './header.js';
import type { AgePluginHost, AgePluginProcess, AgePluginStateMachine } from './plugin-host.js';
import { pluginBinaryName } from './plugin-names.js';
import { DEFAULT_IPC_LIMITS, IpcReader, encodeIpcStanza, type IpcLimits, type IpcStanza } from './plugin-protocol.js';

/** The most phase-2 commands one plugin session may send (stanzas, prompts, messages together). */
export const MAX_PLUGIN_COMMANDS = 4 * MAX_AGE_STANZAS;

/** Text a plugin sent, made printable: UTF-8 (invalid bytes replaced), control characters escaped, bounded. */
export function pluginText(body: Uint8Array, max = 300): string {
  let text: string;
  try {
    text = fromUtf8(body);
  } catch {
    text = Buffer.from(body).toString('latin1');
  }
  return escapeControl(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** What phase 2 handled besides the common requests. */
interface Handler {
  /** Handles a state-machine command; false when it is not one of this state machine's. */
  (command: IpcStanza): boolean;
}

/** One plugin process and its conversation. */
class PluginSession {
  private readonly reader: IpcReader;
  /** The first request that could not be put to the user (no terminal): named when the plugin fails. */
  unanswered: string | undefined;

  private constructor(
    readonly plugin: string,
    private readonly process: AgePluginProcess,
    private readonly host: AgePluginHost,
    private readonly code: ErrorCode,
    limits: IpcLimits,
  ) {
    this.reader = new IpcReader(() => this.process.read(), (why, limit) => this.error(`the plugin broke the protocol: ${why}`, limit), limits);
  }

  static async start(plugin: string, host: AgePluginHost, stateMachine: AgePluginStateMachine, code: ErrorCode): Promise<PluginSession> {
    const program = pluginBinaryName(plugin);
    const process = await host.run({ plugin, program, stateMachine });
    return new PluginSession(plugin, process, host, code, DEFAULT_IPC_LIMITS);
  }

  error(why: string, code: ErrorCode = this.code, hints: readonly string[] = []): SecretsError {
    return new SecretsError(code, `age-plugin-${this.plugin}: ${why}`, { hints, details: { plugin: this.plugin } });
  }

  async send(args: readonly string[], body?: Uint8Array): Promise<void> {
    try {
      await this.process.write(encodeIpcStanza(args, body));
    } catch (error) {
      throw isSecretsError(error) ? error : this.error('the plugin stopped reading its input (it exited early)');
    }
  }

  /** Phase 2: answers the plugin's commands until its `done`, at most `max` of them. */
  async converse(handle: Handler, max = MAX_PLUGIN_COMMANDS): Promise<void> {
    for (let count = 0; ; count++) {
      if (count > max) throw this.error(`more than ${max} commands in one session`, 'LIMIT_EXCEEDED');
      const command = await this.reader.next();
      const [type] = command.args;
      if (type === 'done') return;
      if (handle(command)) await this.send(['ok']);
      else await this.interact(command);
    }
  }

  /** `msg`, `confirm`, `request-public`, `request-secret`; `unsupported` for anything else. */
  private async interact(command: IpcStanza): Promise<void> {
    const [type, ...args] = command.args;
    const ui = this.host.ui;
    if (type === 'msg') {
      await this.send([(await ui?.message(this.plugin, pluginText(command.body, 2000))) === true ? 'ok' : 'fail']);
      return;
    }
    if (type === 'request-public' || type === 'request-secret') {
      const prompt = pluginText(command.body, 500);
      const answer = ui ? await ui.request(this.plugin, prompt, type === 'request-secret') : null;
      if (answer === null) {
        this.unanswered ??= `asked "${prompt}" and there is no terminal to ask on`;
        await this.send(['fail']);
        return;
      }
      const bytes = utf8(answer);
      try {
        await this.send(['ok'], bytes);
      } finally {
        wipe(bytes);
      }
      return;
    }
    if (type === 'confirm') {
      const decode = (arg: string | undefined): string | undefined => (arg === undefined ? undefined : pluginText(Buffer.from(arg, 'base64'), 100));
      const yes = decode(args[0]);
      const prompt = pluginText(command.body, 500);
      const choice = ui && yes !== undefined ? await ui.confirm(this.plugin, prompt, yes, decode(args[1])) : null;
      if (choice === null) {
        this.unanswered ??= `asked to confirm "${prompt}" and there is no terminal to ask on`;
        await this.send(['fail']);
      } else await this.send(['ok', choice ? 'yes' : 'no']);
      return;
    }
    await this.send(['unsupported']);
  }

  /** Closes the plugin; its standard error (escaped, last lines) becomes hints for a failure. */
  async close(): Promise<string[]> {
    const { stderr } = await this.process.close().catch(() => ({ stderr: '' }));
    const lines = stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    return lines.slice(-5).map((l) => `age-plugin-${this.plugin} said: ${escapeControl(l.slice(0, 300))}`);
  }

  /** Adds the plugin's standard error to a failure, and the unanswered request when there was one. */
  async fail(error: unknown): Promise<never> {
    const said = await this.close();
    if (!isSecretsError(error)) throw error;
    const hints = [...error.hints, ...(this.unanswered ? [`age-plugin-${this.plugin} ${this.unanswered}`] : []), ...said];
    throw new SecretsError(error.code, error.message, { hints, details: error.details, cause: error });
  }
}

/** A stanza a plugin made, as it goes into the header. */
export interface PluginStanza {
  readonly args: string[];
  readonly body: Uint8Array;
}

/** The result of {@link pluginWrap}. */
export interface PluginWrapResult {
  readonly stanzas: readonly PluginStanza[];
  /** The label set the plugin gave its stanzas (empty when it sent none: C2SP age-plugin `extension-labels`). */
  readonly labels: ReadonlySet<string>;
}

/**
 * Wraps one file key to recipients of one plugin (`recipient-v1`).
 *
 * @param plugin - the plugin name
 * @param recipients - its recipients (`age1NAME1…`)
 * @param fileKey - the 16-byte file key
 * @param host - how to run it and talk to the user
 * @returns the stanzas and their labels
 * @throws SecretsError AGE_RECIPIENT_INVALID naming the plugin and quoting its error (escaped); the
 *   runner's error when it is not installed; LIMIT_EXCEEDED for oversized output
 */
export async function pluginWrap(plugin: string, recipients: readonly string[], fileKey: Uint8Array, host: AgePluginHost): Promise<PluginWrapResult> {
  const session = await PluginSession.start(plugin, host, 'recipient-v1', 'AGE_RECIPIENT_INVALID');
  const stanzas: PluginStanza[] = [];
  const errors: string[] = [];
  let labels: Set<string> | undefined;
  try {
    for (const r of recipients) await session.send(['add-recipient', r]);
    await session.send(['wrap-file-key'], fileKey);
    await session.send(['extension-labels']);
    await session.send(['done']);
    await session.converse((command) => {
      const [type, ...args] = command.args;
      if (type === 'recipient-stanza') {
        // (recipient-stanza, FILE_INDEX STANZA...): one file key here, so index 0; never a scrypt stanza (it must be alone).
        if (args[0] !== '0' || args.length < 2) throw session.error('the plugin sent a malformed recipient-stanza');
        if (args[1] === 'scrypt') throw session.error('the plugin sent an scrypt stanza, which cannot be combined with other recipients');
        if (stanzas.length >= MAX_AGE_STANZAS) throw session.error(`more than ${MAX_AGE_STANZAS} stanzas`, 'LIMIT_EXCEEDED');
        stanzas.push({ args: args.slice(1), body: Uint8Array.from(command.body) });
        return true;
      }
      if (type === 'labels') {
        if (labels !== undefined || new Set(args).size !== args.length) throw session.error('the plugin sent labels twice or a duplicate label');
        labels = new Set(args);
        return true;
      }
      if (type === 'error') {
        const which = args[0] === 'recipient' ? recipients[Number(args[1])] : undefined;
        errors.push(`${which ? `recipient ${which}: ` : ''}${pluginText(command.body)}`);
        return true;
      }
      return false;
    });
  } catch (error) {
    return session.fail(error);
  }
  const said = await session.close();
  if (errors.length > 0) throw session.error(`could not wrap the file key: ${errors.join('; ')}`, 'AGE_RECIPIENT_INVALID', said);
  if (stanzas.length === 0) {
    const why = session.unanswered ? `: it ${session.unanswered}` : '';
    throw session.error(`returned no stanza for ${recipients.length === 1 ? recipients[0] : `${recipients.length} recipients`}${why}`, 'AGE_RECIPIENT_INVALID', said);
  }
  return { stanzas, labels: labels ?? new Set() };
}

/** The result of {@link pluginUnwrap}. */
export interface PluginUnwrapResult {
  /** The 16-byte file key, or null when the plugin opened nothing. The caller wipes it. */
  readonly fileKey: Uint8Array | null;
  /** The plugin's `error` commands (escaped), and why it could not ask the user, when that happened. */
  readonly reasons: readonly string[];
}

/** A file's stanzas, as offered to a plugin. */
export type OfferedStanzas = readonly { readonly type: string; readonly args: readonly string[]; readonly body: Uint8Array }[];

/**
 * Offers one file's stanzas to a plugin with its identities (`identity-v1`).
 *
 * @param plugin - the plugin name
 * @param identities - its identities (`AGE-PLUGIN-NAME-1…`; secret: never in messages)
 * @param stanzas - every stanza of the file's header (plugins ignore the ones they do not know)
 * @param host - how to run it and talk to the user
 * @returns the file key, or null with the plugin's reasons
 * @throws SecretsError AGE_DECRYPT_FAILED when it cannot run or breaks the protocol; LIMIT_EXCEEDED
 */
export async function pluginUnwrap(plugin: string, identities: readonly string[], stanzas: OfferedStanzas, host: AgePluginHost): Promise<PluginUnwrapResult> {
  const { fileKeys, reasons } = await pluginUnwrapFiles(plugin, identities, [stanzas], host);
  return { fileKey: fileKeys[0] ?? null, reasons };
}

/** The result of {@link pluginUnwrapFiles}. */
export interface PluginUnwrapFilesResult {
  /** Per file offered, its 16-byte file key or null. The caller wipes them. */
  readonly fileKeys: readonly (Uint8Array | null)[];
  /** The plugin's `error` commands (escaped, at most 20), and why it could not ask the user. */
  readonly reasons: readonly string[];
}

/**
 * Offers several files' stanzas to a plugin in one `identity-v1` session, each file under its index
 * (C2SP age-plugin: `recipient-stanza FILE_INDEX …`, answered by `file-key FILE_INDEX`): a plugin that
 * asks for a PIN or opens a hardware session does so once for all of them.
 *
 * @param plugin - the plugin name
 * @param identities - its identities (secret: never in messages)
 * @param files - per file, every stanza of its header
 * @param host - how to run it and talk to the user
 * @returns per file its file key or null, and the plugin's reasons
 * @throws SecretsError AGE_DECRYPT_FAILED when it cannot run or breaks the protocol; LIMIT_EXCEEDED
 */
export async function pluginUnwrapFiles(plugin: string, identities: readonly string[], files: readonly OfferedStanzas[], host: AgePluginHost): Promise<PluginUnwrapFilesResult> {
  const session = await PluginSession.start(plugin, host, 'identity-v1', 'AGE_DECRYPT_FAILED');
  const fileKeys: (Uint8Array | null)[] = files.map(() => null);
  const reasons: string[] = [];
  const stanzaCount = files.reduce((n, f) => n + f.length, 0);
  try {
    for (const id of identities) await session.send(['add-identity', id]);
    for (const [index, stanzas] of files.entries()) for (const s of stanzas) await session.send(['recipient-stanza', String(index), s.type, ...s.args], s.body);
    await session.send(['done']);
    await session.converse((command) => {
      const [type, ...args] = command.args;
      if (type === 'file-key') {
        // A file offered (a canonical index), a 16-byte key (C2SP age §"File key"), sent at most once.
        const index = /^(0|[1-9][0-9]{0,8})$/.test(args[0] ?? '') ? Number(args[0]) : -1;
        if (index < 0 || index >= files.length || command.body.length !== 16 || fileKeys[index] !== null) throw session.error('the plugin sent a malformed or second file-key');
        fileKeys[index] = Uint8Array.from(command.body);
        wipe(command.body);
        return true;
      }
      if (type === 'error') {
        if (reasons.length < 20) reasons.push(`age-plugin-${plugin} said: ${pluginText(command.body)}`);
        return true;
      }
      return false;
    }, Math.max(MAX_PLUGIN_COMMANDS, 4 * stanzaCount));
  } catch (error) {
    for (const k of fileKeys) wipe(k ?? undefined);
    return session.fail(error);
  }
  await session.close();
  if (fileKeys.some((k) => k === null) && session.unanswered) reasons.push(`age-plugin-${plugin} ${session.unanswered}`);
  return { fileKeys, reasons };
}
