/**
 * Driving a real terminal program (vim, neovim, nano) in tests: a private tmux server (its own socket,
 * no tmux.conf) runs the command in a pane, keys are sent as a user would type them, and the screen is
 * read back. Waits poll the screen or a file for what must appear, with a generous bound only to turn a
 * hang into a failure: nothing here asserts on time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Sessions started by this test file: each gets its own socket (see the constructor). */
let started = 0;

/** One tmux server with one pane running one command. */
export class TmuxSession {
  private readonly socket: string;
  private readonly statusFile: string;

  /**
   * Starts `command` (a shell command line) in `cwd` with exactly `env` (the server's environment).
   *
   * @param dir - a scratch directory for the socket and the exit status file
   */
  constructor(dir: string, command: string, cwd: string, env: Record<string, string>) {
    // A socket of its own: `kill-server` returns before the old server is gone, and a new session on the
    // same socket could reach the dying one ("server exited unexpectedly" under load).
    this.socket = join(dir, `tmux-${++started}.sock`);
    this.statusFile = join(dir, 'status');
    const wrapped = `${command}; echo $? > '${this.statusFile}'; sleep 600`;
    const r = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', 'new-session', '-d', '-x', '120', '-y', '40', '-c', cwd, 'sh', '-c', wrapped], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux did not start: ${r.stderr}`);
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** The visible screen. */
  screen(): string {
    return this.tmux('capture-pane', '-p');
  }

  /** Types `text` literally. */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  /** Presses named keys (tmux names: Enter, Escape, C-s, C-x, M-/ …). */
  press(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** Waits until the screen shows `pattern`; throws with the screen after `boundMs`. */
  async waitFor(pattern: RegExp | string, boundMs = 20_000): Promise<string> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      const screen = this.screen();
      if (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never showed ${String(pattern)}:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for the command to exit and returns its status (the screen is kept for messages). */
  async exitStatus(boundMs = 30_000): Promise<{ status: number; screen: string }> {
    const deadline = Date.now() + boundMs;
    while (!existsSync(this.statusFile) || readFileSync(this.statusFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`the command never exited:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { status: Number(readFileSync(this.statusFile, 'utf8').trim()), screen: this.screen() };
  }

  /** Ends the server and everything in it. */
  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
  }
}
