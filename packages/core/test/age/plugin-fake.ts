/**
 * An in-memory age plugin for tests of the client: a script (the plugin side, written against the
 * spec's framing) talks to the client over two byte queues, so the state machines are tested without
 * processes. The real process path is tested with test/fixtures/plugins/age-plugin-secretstest.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { bech32 } from '@scure/base';
import type { AgePluginHost, AgePluginProcess, AgePluginRequest, AgePluginUi } from '../../src/age/index.js';
import { encodeIpcStanza, IpcReader, type IpcStanza } from '../../src/age/plugin-protocol.js';
import { SecretsError } from '../../src/errors.js';

/** The plugin side of one session. */
export interface FakePluginSide {
  readonly request: AgePluginRequest;
  /** The next stanza the client sent. */
  next(): Promise<IpcStanza>;
  /** Phase 1: everything up to the client's `done`. */
  phase1(): Promise<IpcStanza[]>;
  send(args: readonly string[], body?: Uint8Array): void;
  /** Sends a command and returns the client's response. */
  ask(args: readonly string[], body?: Uint8Array): Promise<IpcStanza>;
  /** Raw bytes, for malformed output. */
  raw(bytes: Uint8Array): void;
  stderr(text: string): void;
}

class Queue {
  private chunks: Uint8Array[] = [];
  private waiting: (() => void) | null = null;
  closed = false;
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.waiting?.();
  }
  close(): void {
    this.closed = true;
    this.waiting?.();
  }
  async pull(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.chunks.shift();
      if (c) return c;
      if (this.closed) return null;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
  }
}

/** A host whose runner starts `script` for every session; `sessions` records the requests. */
export function fakeHost(script: (side: FakePluginSide) => Promise<void>, ui: AgePluginUi | null = null): AgePluginHost & { sessions: AgePluginRequest[] } {
  const sessions: AgePluginRequest[] = [];
  return {
    sessions,
    ui,
    run: async (request) => {
      sessions.push(request);
      const toPlugin = new Queue();
      const fromPlugin = new Queue();
      let stderr = '';
      const reader = new IpcReader(() => toPlugin.pull(), (why) => new SecretsError('INTERNAL', `fake plugin: ${why}`));
      const side: FakePluginSide = {
        request,
        next: () => reader.next(),
        async phase1() {
          const out: IpcStanza[] = [];
          for (;;) {
            const s = await reader.next();
            if (s.args[0] === 'done') return out;
            out.push(s);
          }
        },
        send: (args, body) => fromPlugin.push(encodeIpcStanza(args, body)),
        async ask(args, body) {
          fromPlugin.push(encodeIpcStanza(args, body));
          return reader.next();
        },
        raw: (bytes) => fromPlugin.push(bytes),
        stderr: (text) => void (stderr += text),
      };
      const done = script(side).then(
        () => fromPlugin.close(),
        () => fromPlugin.close(),
      );
      const proc: AgePluginProcess = {
        write: async (data) => {
          if (fromPlugin.closed) throw new Error('EPIPE');
          toPlugin.push(data);
        },
        read: () => fromPlugin.pull(),
        async close() {
          toPlugin.close();
          await done;
          return { status: 0, stderr };
        },
      };
      return proc;
    },
  };
}

/** The secretstest scheme of the fixture plugin: recipient, identity, and its stanzas. */
export const secretstest = {
  recipient: (key: Uint8Array): string => bech32.encode('age1secretstest', bech32.toWords(key), false),
  identity: (key: Uint8Array): string => bech32.encode('AGE-PLUGIN-SECRETSTEST-', bech32.toWords(key), false).toUpperCase(),
  keyOf: (text: string): Uint8Array => Uint8Array.from(bech32.fromWords(bech32.decode(text as `${string}1${string}`, false).words)),
  tag: (key: Uint8Array): string => createHash('sha256').update(key).digest().subarray(0, 4).toString('base64').replace(/=+$/, ''),
  seal(key: Uint8Array, fileKey: Uint8Array): Uint8Array {
    const c = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
    return Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
  },
  open(key: Uint8Array, body: Uint8Array): Uint8Array | null {
    const d = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
    d.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    } catch {
      return null;
    }
  },
};

/** A well-behaved secretstest plugin: wraps (recipient-v1) and unwraps (identity-v1). */
export async function secretstestPlugin(side: FakePluginSide): Promise<void> {
  const commands = await side.phase1();
  if (side.request.stateMachine === 'recipient-v1') {
    const keys = commands.filter((c) => c.args[0] === 'add-recipient').map((c) => secretstest.keyOf(c.args[1] as string));
    const fileKey = commands.find((c) => c.args[0] === 'wrap-file-key')?.body as Uint8Array;
    for (const key of keys) await side.ask(['recipient-stanza', '0', 'secretstest', secretstest.tag(key)], secretstest.seal(key, fileKey));
  } else {
    const keys = commands.filter((c) => c.args[0] === 'add-identity').map((c) => secretstest.keyOf(c.args[1] as string));
    // Every file offered (its index in the stanza), each answered at most once.
    const opened = new Set<string>();
    for (const s of commands.filter((c) => c.args[0] === 'recipient-stanza' && c.args[2] === 'secretstest')) {
      const file = s.args[1] as string;
      const key = keys.find((k) => secretstest.tag(k) === s.args[3]);
      const fileKey = key && !opened.has(file) ? secretstest.open(key, s.body) : null;
      if (fileKey) {
        await side.ask(['file-key', file], fileKey);
        opened.add(file);
      }
    }
  }
  side.send(['done']);
}
