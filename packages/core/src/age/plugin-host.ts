/**
 * The seam between the age layer and the outside world for age plugins: how a plugin program is started
 * (a {@link AgePluginRunner}) and how its interactive requests reach the user (a {@link AgePluginUi}).
 * The age layer runs no process itself; the library's Node runner is `nodeAgePluginRunner` (keys/), and
 * deploy tools may substitute their own.
 *
 * A host is given per call (`plugins` in the encrypt/decrypt options) or set once for the process with
 * {@link setAgePluginHost}: sops and agenix files reach the age layer through code that has no options
 * for it, and the CLI sets one host per run.
 */
import { SecretsError } from '../errors.js';

/** The two state machines of C2SP age-plugin. */
export type AgePluginStateMachine = 'recipient-v1' | 'identity-v1';

/** A running plugin, as the client drives it. */
export interface AgePluginProcess {
  /** Writes to the plugin's standard input; rejects when the plugin has gone away. */
  write(data: Uint8Array): Promise<void>;
  /** The next chunk of its standard output, or null at its end. */
  read(): Promise<Uint8Array | null>;
  /**
   * Ends the conversation: closes standard input, waits briefly for the plugin to exit, then kills it.
   *
   * @returns its exit status (null when killed) and the end of its standard error
   */
  close(): Promise<{ readonly status: number | null; readonly stderr: string }>;
}

/** What to start: `program --age-plugin=STATE_MACHINE`. */
export interface AgePluginRequest {
  /** The plugin name (already checked against the spec's charset). */
  readonly plugin: string;
  /** `age-plugin-NAME`, to be found on PATH (absolute directories only, per the spec). */
  readonly program: string;
  readonly stateMachine: AgePluginStateMachine;
}

/**
 * Starts a plugin.
 *
 * @throws SecretsError when the program is not on PATH or cannot be started (the message names it)
 */
export type AgePluginRunner = (request: AgePluginRequest) => Promise<AgePluginProcess>;

/** The user interface a plugin's phase-2 requests are shown on (C2SP age-plugin `msg`, `confirm`, `request-*`). */
export interface AgePluginUi {
  /**
   * Shows a message (e.g. "touch your YubiKey").
   *
   * @returns false when it cannot be shown
   */
  message(plugin: string, text: string): Promise<boolean>;
  /**
   * Asks for a value; `secret` turns echo off.
   *
   * @returns the answer, or null when there is no one to ask
   */
  request(plugin: string, prompt: string, secret: boolean): Promise<string | null>;
  /**
   * Asks the user to choose between `yes` and (when given) `no`.
   *
   * @returns true for yes, false for no, null when there is no one to ask
   */
  confirm(plugin: string, prompt: string, yes: string, no: string | undefined): Promise<boolean | null>;
}

/** How plugins are run and talked to. */
export interface AgePluginHost {
  readonly run: AgePluginRunner;
  /** Null: every request is answered `fail` (messages are dropped). */
  readonly ui: AgePluginUi | null;
}

let processHost: AgePluginHost | null = null;

/**
 * Sets the host used for plugin recipients and identities when a call gives none.
 *
 * @param host - the host, or null to forget it
 */
export function setAgePluginHost(host: AgePluginHost | null): void {
  processHost = host;
}

/**
 * The host for a call: the given one, else the one set with {@link setAgePluginHost}.
 *
 * @param given - the call's own host
 * @param plugin - the plugin about to run, for the message
 * @throws SecretsError USAGE when there is none
 */
export function resolvePluginHost(given: AgePluginHost | undefined, plugin: string): AgePluginHost {
  const host = given ?? processHost;
  if (host === null) {
    throw new SecretsError('USAGE', `age plugin ${JSON.stringify(plugin)} cannot run: no age plugin host is set`, {
      hints: ['library users: setAgePluginHost({ run: nodeAgePluginRunner(), ui }) or pass `plugins` to encryptAge/decryptAge'],
    });
  }
  return host;
}
