/**
 * `secrets hosts` and `secrets users` as a user runs them: parallel edits of one `.sops.yaml` by real
 * processes (none may vanish: the lock-and-compare path re-applies an edit to what another wrote), a
 * port for ssh-keyscan and its own error output, "already present", admin keys, and --rotate after a
 * removal.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { parseSopsConfig } from '@secrets/core';
import { REPO_ROOT, runInProcess, runProcess } from './support/cli.js';
import { itShared, sharedPath } from './support/shared.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostPubFile = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub');
const hostPub = readFileSync(hostPubFile, 'utf8').trim();
const HOST = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl'; // ssh-to-age of hostPub
const env = { SOPS_AGE_KEY_FILE: adminKey, PATH: process.env['PATH'] ?? '' };

async function recipients(n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => identityToRecipient(await generateX25519Identity())));
}

function repo(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-hosts-'));
  writeFileSync(join(dir, '.sops.yaml'), config);
  mkdirSync(join(dir, 'secrets'));
  return dir;
}

const BASE = `keys:\n  - &admin_michael ${admin}\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n`;

describe('parallel edits of .sops.yaml', () => {
  it('hosts add/rm and users add/rm run at once as separate processes: every edit lands', async () => {
    const [old, added, users] = await Promise.all([recipients(4), recipients(6), recipients(2)]);
    const lines = old.map((r, i) => `  - &server_old${i} ${r}\n`).join('');
    const aliases = old.map((_, i) => `          - *server_old${i}\n`).join('');
    const dir = repo(`keys:\n  - &admin_michael ${admin}\n  - &admin_gone ${HOST}\n${lines}creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n          - *admin_gone\n${aliases}`);
    const runs = [
      ...added.map((r, i) => ['hosts', 'add', `new${i}`, '--age', r, '--no-rekey']),
      ...old.map((_, i) => ['hosts', 'rm', `old${i}`, '--no-rekey']),
      ...users.map((r, i) => ['users', 'add', `u${i}`, '--age', r, '--no-rekey']),
      ['users', 'rm', 'gone', '--no-rekey'],
    ];
    const results = await Promise.all(runs.map((args) => runProcess(args, { cwd: dir })));
    for (const r of results) expect(r.stderr).not.toMatch(/error/);
    expect(results.map((r) => r.status)).toEqual(runs.map(() => 0));
    const text = readFileSync(join(dir, '.sops.yaml'), 'utf8');
    const config = parseSopsConfig(text, join(dir, '.sops.yaml'));
    const group = config.creationRules[0]?.keyGroups[0] ?? [];
    const got = group.map((k) => (k.type === 'age' ? k.recipient : k.value)).sort();
    expect(got).toEqual([admin, ...added, ...users].sort());
    // one line per key under keys:, one alias per key in the rule, nothing else
    expect(text.split('\n').length).toBe(BASE.split('\n').length + 2 * (added.length + users.length));
  }, 60_000);
});

describe('hosts add', () => {
  function withScanner(script: string): { dir: string; scanEnv: Record<string, string>; argsFile: string } {
    const dir = repo(BASE);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const argsFile = join(dir, 'args');
    writeFileSync(join(bin, 'ssh-keyscan'), `#!/bin/sh\necho "$@" > ${argsFile}\n${script}`, { mode: 0o755 });
    return { dir, scanEnv: { ...env, PATH: `${bin}:${env.PATH}` }, argsFile };
  }
  // what ssh-keyscan prints: the banner on stderr, `[host]:port` as the first field for another port
  const scanOk = `echo '# batchn:2222 SSH-2.0-OpenSSH_9.8' >&2\necho "$([ "$3" = -p ] && echo "[$5]:$4" || echo "$3") ${hostPub.split(' ').slice(0, 2).join(' ')}"\n`;

  it('--ssh-keyscan HOST:PORT, [HOST]:PORT or --port: ssh-keyscan is run with -p', async () => {
    for (const [target, extra, expected] of [
      ['batchn:2222', [], '-t ed25519 -p 2222 batchn'],
      ['batchn', ['--port', '2222'], '-t ed25519 -p 2222 batchn'],
      ['[fe80::1]:2200', [], '-t ed25519 -p 2200 fe80::1'],
      ['fe80::1', [], '-t ed25519 fe80::1'],
    ] as const) {
      const { dir, scanEnv, argsFile } = withScanner(scanOk);
      const r = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', target, ...extra, '--no-rekey'], { cwd: dir, env: scanEnv, promptAnswers: ['y'] });
      expect(r.status).toBe(0);
      expect(readFileSync(argsFile, 'utf8').trim()).toBe(expected);
      expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toContain(`&server_batchn ${HOST}`);
    }
    const { dir, scanEnv } = withScanner(scanOk);
    const both = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn:22', '--port', '2222'], { cwd: dir, env: scanEnv });
    expect(both.stderr).toBe('secrets: error: two ports for "batchn:22": 22 and --port 2222\n');
    expect((await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', '-oProxyCommand=x'], { cwd: dir, env: scanEnv })).stderr).toContain('invalid host');
  });

  it('shows ssh-keyscan\'s own error output, control characters escaped', async () => {
    const { dir, scanEnv } = withScanner(`echo 'getaddrinfo batchn: Name or service not known' >&2\nprintf 'evil\\033[2J\\n' >&2\nexit 1\n`);
    const r = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn', '--no-rekey'], { cwd: dir, env: scanEnv });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(
      'secrets: error: ssh-keyscan found no ed25519 host key at batchn\n' +
        'secrets: hint: ssh-keyscan: getaddrinfo batchn: Name or service not known\n' +
        'secrets: hint: ssh-keyscan: evil\\x1b[2J\n' +
        'secrets: hint: check the host name and the port (HOST:PORT or --port)\n',
    );
    const { dir: dir2, scanEnv: silent } = withScanner('exit 1\n');
    const quiet = await runInProcess(['hosts', 'add', 'batchn', '--ssh-keyscan', 'batchn:2222', '--no-rekey'], { cwd: dir2, env: silent });
    expect(quiet.stderr).toContain('secrets: hint: no answer: check the host name, the port (HOST:PORT or --port) and that sshd runs there\n');
  });

  it('says "already present" for a key that is there, and changes nothing', async () => {
    const dir = repo(BASE);
    const first = await runInProcess(['hosts', 'add', 'batchn', '--pubkey', hostPubFile, '--no-rekey'], { cwd: dir });
    expect(first.stderr).toContain(`secrets: added batchn (&server_batchn, ${HOST}) to ${join(dir, '.sops.yaml')}, creation rule 0\n`);
    const before = readFileSync(join(dir, '.sops.yaml'), 'utf8');
    const again = await runInProcess(['hosts', 'add', 'batchn', '--age', HOST], { cwd: dir });
    expect(again.status).toBe(0);
    expect(again.stderr).toBe(`secrets: batchn is already present in ${join(dir, '.sops.yaml')} (&server_batchn, ${HOST})\n`);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(before);
  });

  it('--pubkey takes the key line itself as users paste it, as well as a file', async () => {
    const dir = repo(BASE);
    const line = readFileSync(hostPubFile, 'utf8').trim();
    const added = await runInProcess(['hosts', 'add', 'batchn', '--pubkey', line, '--no-rekey'], { cwd: dir });
    expect(added.stderr).toContain(`secrets: added batchn (&server_batchn, ${HOST}) to ${join(dir, '.sops.yaml')}, creation rule 0\n`);
    const missing = await runInProcess(['hosts', 'add', 'other', '--pubkey', 'no-such.pub', '--no-rekey'], { cwd: dir });
    expect(missing.stderr).toContain('no-such.pub');
    expect(missing.status).not.toBe(0);
  });
});

describe('on a copy of a real .sops.yaml', () => {
  itShared('corpus', 'badele+nix-homelab: hosts add writes two lines, hosts rm gives the bytes back', async () => {
    const original = readFileSync(sharedPath('corpus', 'badele+nix-homelab', '.sops.yaml'), 'utf8');
    const dir = repo(original);
    const add = await runInProcess(['hosts', 'add', 'newhost', '--age', HOST, '--path', 'configuration/hosts/secrets.yml', '--no-rekey'], { cwd: dir });
    expect(add.stderr).toBe(`secrets: added newhost (&newhost, ${HOST}) to ${join(dir, '.sops.yaml')}, creation rule 1\n`);
    const lines = original.split('\n');
    lines.splice(17, 0, `    - &newhost ${HOST}`); // after `    - &hype10 …`, in the `- &hosts:` group
    lines.splice(40, 0, '          - *newhost'); // after `          - *hype10 ` of rule 1
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(lines.join('\n'));
    expect((await runInProcess(['hosts', 'rm', 'newhost', '--no-rekey'], { cwd: dir })).status).toBe(0);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(original);
  });
});

describe('users add/rm', () => {
  it('adds an admin from an age key or an SSH public key, removes it; hosts rm refuses an admin', async () => {
    const dir = repo(BASE);
    const [alice] = await recipients(1);
    const a = await runInProcess(['users', 'add', 'alice', '--age', alice as string, '--no-rekey'], { cwd: dir });
    expect(a.status).toBe(0);
    const b = await runInProcess(['users', 'add', 'bob', '--pubkey', hostPubFile, '--no-rekey'], { cwd: dir });
    expect(b.status).toBe(0);
    const note = hostPub.split(' ').slice(0, 2).join(' ');
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(
      `keys:\n  - &admin_michael ${admin}\n  - &admin_alice ${alice}\n  - &admin_bob ${HOST} # ${note}\ncreation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n          - *admin_alice\n          - *admin_bob\n`,
    );
    // an ssh-rsa key has no age conversion: it is the recipient itself, as sops and age take it
    const rsaDir = mkdtempSync(join(tmpdir(), 'secrets-rsa-'));
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-C', 'carol@laptop', '-f', join(rsaDir, 'id_rsa')]).status).toBe(0);
    const rsa = readFileSync(join(rsaDir, 'id_rsa.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const c = await runInProcess(['users', 'add', 'carol', '--pubkey', join(rsaDir, 'id_rsa.pub'), '--no-rekey'], { cwd: dir });
    expect(c.stderr).toBe(`secrets: added carol (&admin_carol, ${rsa}) to ${join(dir, '.sops.yaml')}, creation rule 0\n`);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toContain(`  - &admin_carol ${rsa}\n`);
    expect((await runInProcess(['hosts', 'add', 'carol', '--pubkey', join(rsaDir, 'id_rsa.pub'), '--no-rekey'], { cwd: dir })).stderr).toContain('no ssh-ed25519 key found');
    expect((await runInProcess(['users', 'rm', 'carol', '--no-rekey'], { cwd: dir })).status).toBe(0);
    const wrong = await runInProcess(['hosts', 'rm', 'alice', '--no-rekey'], { cwd: dir });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe('secrets: error: no host "alice" in .sops.yaml (no &server_alice or &alice under keys:)\n');
    const asHost = await runInProcess(['hosts', 'rm', 'admin_alice', '--no-rekey'], { cwd: dir });
    expect(asHost.stderr).toBe('secrets: error: &admin_alice in .sops.yaml is an admin key, not a host\nsecrets: hint: use: secrets users rm alice\n');
    expect((await runInProcess(['users', 'rm', 'alice', '--no-rekey'], { cwd: dir })).status).toBe(0);
    expect((await runInProcess(['users', 'rm', 'bob', '--no-rekey'], { cwd: dir })).status).toBe(0);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(BASE);
  });
});

describe('hosts rm --rotate', () => {
  async function encrypted(): Promise<{ dir: string; values: () => string[] }> {
    const dir = repo(BASE);
    await runInProcess(['hosts', 'add', 'batchn', '--age', HOST, '--no-rekey'], { cwd: dir });
    const made = await runInProcess(['edit', '--editor', '-', 'secrets/a.yaml'], { cwd: dir, env, stdin: 'a: 1\nb: two\n' });
    expect(made.status).toBe(0);
    const values = (): string[] => readFileSync(join(dir, 'secrets/a.yaml'), 'utf8').match(/ENC\[[^\]]+\]/g) ?? [];
    return { dir, values };
  }

  it('--rotate -y: the host leaves the file and every value gets a new data key', async () => {
    const { dir, values } = await encrypted();
    const before = values();
    const r = await runInProcess(['hosts', 'rm', 'batchn', '--rotate', '-y'], { cwd: dir, env });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('--rotate');
    expect(values().some((v, i) => v === before[i])).toBe(false);
    expect(readFileSync(join(dir, 'secrets/a.yaml'), 'utf8')).not.toContain(HOST);
  });

  it('without --rotate: a hint names it, and the question offers it as "r"', async () => {
    const { dir, values } = await encrypted();
    const before = values();
    const r = await runInProcess(['hosts', 'rm', 'batchn'], { cwd: dir, env, promptAnswers: ['r'] });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('secrets: hint: batchn may still hold the data keys of the files it could read: `secrets rekey --rotate` gives them new ones\n');
    expect(values().some((v, i) => v === before[i])).toBe(false);
    // -y alone rekeys without rotating: the values keep their ciphertext
    const { dir: dir2, values: values2 } = await encrypted();
    const kept = values2();
    expect((await runInProcess(['hosts', 'rm', 'batchn', '-y'], { cwd: dir2, env })).status).toBe(0);
    expect(values2()).toEqual(kept);
    expect(readFileSync(join(dir2, 'secrets/a.yaml'), 'utf8')).not.toContain(HOST);
  });
});
