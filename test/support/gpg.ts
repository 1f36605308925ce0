/**
 * A scratch GnuPG home for tests that drive the real gpg: keys generated without a passphrase or
 * imported (the interop vectors' published test keys), everything in `--batch`, and the agent the home
 * started killed at the end so no process is left behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One GNUPGHOME (mode 0700) under the run's private tmp dir. */
export class ScratchGnupg {
  readonly home: string;

  constructor(prefix = 'secrets-gpg-') {
    // gpg-agent's socket path must stay short (108 bytes): the run's TMPDIR is.
    this.home = mkdtempSync(join(tmpdir(), prefix));
    // The agent calibrates passphrase hashing to ~100 ms a round and spends seconds protecting a new key;
    // test keys need no such cost.
    writeFileSync(join(this.home, 'gpg-agent.conf'), 's2k-count 65536\n');
  }

  /** Runs gpg in this home, in batch mode; returns stdout. */
  gpg(args: readonly string[], input?: Uint8Array | string): Buffer {
    return execFileSync('gpg', ['--batch', ...args], { env: { ...process.env, GNUPGHOME: this.home }, input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Generates an unprotected key (ed25519 + cv25519) and returns its fingerprint. */
  generate(uid: string): string {
    this.gpg(['--passphrase', '', '--quick-gen-key', uid, 'future-default', 'default', 'never']);
    return this.fingerprint(uid);
  }

  /** Imports armored keys (public or secret). */
  import(path: string): void {
    this.gpg(['--import', path]);
  }

  /** The primary key's fingerprint of the first key matching `uid`. */
  fingerprint(uid: string): string {
    const colons = this.gpg(['--with-colons', '--list-keys', uid]).toString('utf8');
    const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]+):/m.exec(colons);
    if (!fpr) throw new Error(`no fingerprint for ${uid}`);
    return fpr[1] as string;
  }

  /** gpg --decrypt of an armored message: what sops' enc holds. */
  decrypt(armored: string): Buffer {
    return this.gpg(['--decrypt'], armored);
  }

  /** Kills the agent this home started, then removes the home. */
  dispose(): void {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: this.home }, stdio: 'ignore' });
    rmSync(this.home, { recursive: true, force: true });
  }
}
