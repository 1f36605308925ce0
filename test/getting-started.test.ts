/**
 * docs/getting-started.md runs as written: its five commands, read from the page itself, in a fresh
 * repository, and step 1 writes the `.sops.yaml` the page shows. The only stand-ins are what a test cannot have: a host to scan (an
 * `ssh-keyscan` on PATH printing the host's key, whose fingerprint is confirmed at the prompt as the page
 * says) and a person at the editor (a script writing the secrets).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess, type CliResult } from './support/cli.js';

const page = readFileSync(join(REPO_ROOT, 'docs/getting-started.md'), 'utf8');

/** The fenced block of the page with this language, nth of its kind. */
function block(lang: string, nth = 0): string {
  const blocks = [...page.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
  const found = blocks[nth];
  if (found === undefined) throw new Error(`docs/getting-started.md has no ${lang} block ${nth}`);
  return found;
}

describe('docs/getting-started.md', () => {
  const work = mkdtempSync(join(tmpdir(), 'secrets-getting-started-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs as written', async () => {
    const home = join(work, 'home');
    const repo = join(work, 'repo');
    const bin = join(work, 'bin');
    for (const d of [join(home, '.ssh'), repo, bin]) mkdirSync(d, { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(home, '.ssh/id_ed25519')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'root@batchn', '-f', join(work, 'host_key')]);
    const hostPub = readFileSync(join(work, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(join(bin, 'ssh-keyscan'), `#!/bin/sh\necho "batchn.example.org ${hostPub}"\n`, { mode: 0o755 });
    // Not named `editor`: a generic name is asked for its --version first, which this script would take for a file.
    writeFileSync(join(bin, 'fake-editor'), `#!/bin/sh\nprintf 'wifi_password: hunter2\\n' > "$1"\n`, { mode: 0o755 });
    const env = { HOME: home, USER: 'alice', PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, EDITOR: join(bin, 'fake-editor') };

    const commands = block('sh')
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter((l) => l !== '');
    expect(commands).toHaveLength(5);
    const results: CliResult[] = [];
    let written = '';
    for (const [i, command] of commands.entries()) {
      const [program, ...args] = command.split(/\s+/).map((a) => a.replace(/^~\//, `${home}/`));
      expect(program).toBe('secrets');
      // step 2 asks to compare the fingerprint: the answer the page tells you to give after comparing
      const r = await runInProcess(args, { cwd: repo, env, home, promptAnswers: i === 1 ? ['y'] : [] });
      results.push(r);
      if (i === 0) written = readFileSync(join(repo, '.sops.yaml'), 'utf8');
      expect([command, r.status, r.stderr.includes('error') ? r.stderr : '']).toEqual([command, 0, '']);
    }
    const [, added, , nix, check] = results as [CliResult, CliResult, CliResult, CliResult, CliResult];
    // step 1 wrote the .sops.yaml the page shows: your SSH key as its ssh-to-age recipient, the key beside it
    const recipient = (await runInProcess(['ssh-to-age', '-i', join(home, '.ssh/id_ed25519.pub')])).stdout.trim();
    const ssh = readFileSync(join(home, '.ssh/id_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    expect(recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(written).toBe(block('yaml').replace('age1…', recipient).replace('ssh-ed25519 AAAA…', ssh));
    expect(added.stderr).toContain('ssh-ed25519 key fingerprint is SHA256:');
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toContain('- *server_batchn');
    expect(nix.stdout).toBe('');
    expect(readFileSync(join(repo, 'hosts/batchn/secrets.nix'), 'utf8')).toContain('sops.secrets."wifi_password" = { sopsFile = ../../secrets/batchn.yaml; key = "wifi_password"; format = "yaml"; };');
    // step 5 passes, and the secrets.nix step 4 wrote (a NixOS module) is not taken for agenix rules
    expect(check.stdout).toContain('ok: 1 encrypted file match .sops.yaml\n');
    expect(check.stdout).toContain('  admin_alice: opens 1 of 1 file\n  server_batchn: opens 1 of 1 file\n');
  });
});
