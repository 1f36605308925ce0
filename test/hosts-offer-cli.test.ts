/**
 * The rekey `hosts add/rm` and `users add/rm` offer after changing `.sops.yaml`: the per-file summary (the
 * recipients added or removed, by their anchors) comes first, then one question, `Rekey N files? [y/N]`;
 * after a removal `r` rekeys with new data keys; `-y` asks nothing; without a terminal a warning says how
 * to finish. The order on screen is checked on a real terminal (tmux), the rest in-process.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runInProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';
import { TmuxSession } from './support/tmux.js';

const noTmux = peerSkipReason(['tmux'], 'tmux');
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const HOST = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const NUC = 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk';
const env = { SOPS_AGE_KEY_FILE: adminKey };
const CONFIG = `keys:\n  - &admin_michael ${admin}\n  - &server_batchn ${HOST}\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n          - *server_batchn\n`;
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A repository with the admin and batchn in its rule and two files encrypted to both. */
async function repo(): Promise<{ dir: string; read: (f: string) => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-offer-'));
  roots.push(dir);
  writeFileSync(join(dir, '.sops.yaml'), CONFIG);
  mkdirSync(join(dir, 'secrets'));
  for (const f of ['a', 'b']) expect((await runInProcess(['edit', '--editor', '-', `secrets/${f}.yaml`], { cwd: dir, env, stdin: `${f}: 1\n` })).status).toBe(0);
  return { dir, read: (f) => readFileSync(join(dir, f), 'utf8') };
}

describe('hosts/users add/rm: the summary, then one question', () => {
  it('add: one line per file naming the new key, one question; "n" (or Enter) leaves the files and says how', async () => {
    const { dir, read } = await repo();
    const before = read('secrets/a.yaml');
    const r = await runInProcess(['hosts', 'add', 'nuc', '--age', NUC], { cwd: dir, env, promptAnswers: [''] });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('Rekeying changes 2 files:\n  secrets/a.yaml: + server_nuc\n  secrets/b.yaml: + server_nuc\n');
    expect(r.stderr).toContain('secrets: warning: the files are not rekeyed yet: run `secrets rekey` so the change reaches them\n');
    expect(read('secrets/a.yaml')).toBe(before);
    expect(read('.sops.yaml')).toContain(`- &server_nuc ${NUC}`);
    // "y": one answer is all it takes (a second question would have no answer and fail the run)
    const u = await runInProcess(['users', 'add', 'alice', '--age', 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'], { cwd: dir, env, promptAnswers: ['y'] });
    expect(u.status).toBe(0);
    expect(u.stdout).toBe('Rekeying changes 2 files:\n  secrets/a.yaml: + server_nuc, + admin_alice\n  secrets/b.yaml: + server_nuc, + admin_alice\n');
    expect(read('secrets/a.yaml')).toContain(NUC);
  });

  it('without a terminal and without -y: .sops.yaml is changed, the files are not, and the warning names -y', async () => {
    const { dir, read } = await repo();
    const before = read('secrets/b.yaml');
    const r = await runInProcess(['hosts', 'rm', 'batchn'], { cwd: dir, env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  secrets/b.yaml: - server_batchn\n');
    expect(r.stderr).toContain('secrets: warning: the files are not rekeyed yet (no terminal to ask on): run `secrets rekey --rotate`, or pass -y\n');
    expect(read('secrets/b.yaml')).toBe(before);
    expect(read('.sops.yaml')).not.toContain(HOST);
    // -y: no question, rekeyed
    const y = await runInProcess(['hosts', 'add', 'nuc', '--age', NUC, '-y'], { cwd: dir, env });
    expect(y.status).toBe(0);
    expect(y.stdout).toContain('secrets/a.yaml: + server_nuc, - age1c4ug68…mtsmfl\n'); // batchn left .sops.yaml: a short key
    expect(read('secrets/b.yaml')).toContain(NUC);
    expect(read('secrets/b.yaml')).not.toContain(HOST);
    // a repository with no sops file yet (just after init): said, not asked, not an error
    const empty = mkdtempSync(join(tmpdir(), 'secrets-offer-empty-'));
    roots.push(empty);
    writeFileSync(join(empty, '.sops.yaml'), CONFIG);
    const fresh = await runInProcess(['hosts', 'add', 'nuc', '--age', NUC], { cwd: empty, env, promptAnswers: [] });
    expect([fresh.status, fresh.stdout]).toEqual([0, '']);
    expect(fresh.stderr).toContain('secrets: no sops file to rekey yet\n');
  });

  it.skipIf(noTmux !== null)('on a terminal: the summary is on screen above the question; "r" after a removal rotates the data keys', async () => {
    const { dir, read } = await repo();
    const values = (f: string): string[] => read(f).match(/ENC\[[^\]]+\]/g) ?? [];
    const before = values('secrets/a.yaml');
    const tmp = mkdtempSync(join(tmpdir(), 'secrets-offer-pty-'));
    roots.push(tmp);
    const tmux = new TmuxSession(tmp, `'${process.execPath}' '${CLI_BIN}' hosts rm batchn`, dir, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: join(tmp, 'nohome'), TERM: 'xterm', SOPS_AGE_KEY_FILE: adminKey });
    try {
      const screen = await tmux.waitFor('[y/N/r]:');
      const lines = screen.split('\n');
      const at = (text: string): number => lines.findIndex((l) => l.includes(text));
      expect(at('secrets/a.yaml: - server_batchn')).toBeGreaterThan(-1);
      expect(at('secrets/b.yaml: - server_batchn')).toBeGreaterThan(at('secrets/a.yaml: - server_batchn'));
      expect(at('Rekey 2 files? (r: rekey with new data keys, as --rotate) [y/N/r]:')).toBeGreaterThan(at('secrets/b.yaml: - server_batchn'));
      expect(screen.match(/Rekey 2 files\?/g)).toHaveLength(1);
      tmux.type('r');
      tmux.press('Enter');
      const { status, screen: end } = await tmux.exitStatus();
      expect([status, end.match(/Rekey \d+ files?\?/g)?.length]).toEqual([0, 1]);
    } finally {
      tmux.close();
    }
    expect(read('secrets/a.yaml')).not.toContain(HOST);
    expect(values('secrets/a.yaml').some((v, i) => v === before[i])).toBe(false);
  });
});
