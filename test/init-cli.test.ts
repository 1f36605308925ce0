/**
 * `secrets init` as a new user runs it, through the real CLI: the first `.sops.yaml` from the key found
 * where sops looks (an age key, else ~/.ssh/id_ed25519 as its ssh-to-age recipient), or a new age key
 * (0600, where sops reads it, never over a file, its public key the one age-keygen -y derives); the file
 * reads back with the sops-compatible parser and `secrets edit` creates a new file from it that its
 * recipients open; an existing `.sops.yaml` or key file is never overwritten.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSopsConfig } from '@secrets/core';
import { REPO_ROOT, grammarViolations, runProcess } from './support/cli.js';
import { peerSkipReason } from './support/peers.js';

const missing = peerSkipReason(['age-keygen', 'ssh-keygen'], 'age openssh-client');
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostPubFile = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub');
const HOST = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl'; // ssh-to-age of the example host key

function workspace(): { home: string; repo: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-init-'));
  const home = join(dir, 'home');
  const repo = join(dir, 'repo');
  mkdirSync(home);
  mkdirSync(repo);
  return { home, repo };
}

/** The recipients of the rule that `file` matches, as sops reads the config. */
function ruleFor(text: string, file: string): { pathRegex: string | null; recipients: string[] } {
  const config = parseSopsConfig(text, '.sops.yaml');
  const rule = config.creationRules.find((r) => r.regex === null || r.regex.test(file));
  if (!rule) throw new Error(`no rule for ${file}`);
  return { pathRegex: rule.pathRegex, recipients: rule.keyGroups.flat().map((k) => (k.type === 'age' ? k.recipient : k.value)) };
}

describe('secrets init', () => {
  if (missing !== null) it.skip(missing, () => undefined);

  it.skipIf(missing !== null)('without any key: makes an age key (0600, where sops looks), prints its public key, and a .sops.yaml that edit uses', async () => {
    const { home, repo } = workspace();
    const env = { USER: 'alice' };
    const r = await runProcess(['init'], { cwd: repo, home, env });
    expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('secrets: created a new age key in ') as unknown]);
    const keyFile = join(home, '.config/sops/age/keys.txt');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.config/sops/age')).mode & 0o777).toBe(0o700);
    const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    expect(r.stdout).toBe(`${recipient}\n`);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[a-z0-9]+\nAGE-SECRET-KEY-1[A-Z0-9]+\n$/);
    const text = readFileSync(join(repo, '.sops.yaml'), 'utf8');
    expect(text).toBe(
      `keys:\n  - &admin_alice ${recipient}\ncreation_rules:\n  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$\n    key_groups:\n      - age:\n          - *admin_alice\n`,
    );
    expect(ruleFor(text, 'secrets/example.yaml')).toEqual({ pathRegex: 'secrets/[^/]+\\.(yaml|json|env|ini)$', recipients: [recipient] });
    // the next step works: a new file from the rule, opened with the new key (found by discovery)
    const made = await runProcess(['edit', '--editor', '-', 'secrets/example.yaml'], { cwd: repo, home, stdin: 'db_password: hunter2\n' });
    expect(made.status).toBe(0);
    const back = await runProcess(['decrypt', 'secrets/example.yaml'], { cwd: repo, home });
    expect(back.stdout).toBe('db_password: hunter2\n');
    // a second init overwrites nothing: neither .sops.yaml nor the key
    const key = readFileSync(keyFile, 'utf8');
    const again = await runProcess(['init'], { cwd: repo, home, env });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('secrets: error: .sops.yaml already exists: not overwritten\n');
    expect(again.stderr).toContain('secrets: hint: add a person: secrets users add NAME');
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toBe(text);
    const other = workspace().repo;
    const newKey = await runProcess(['init', '--new-key'], { cwd: other, home, env });
    expect(newKey.status).toBe(1);
    expect(newKey.stderr).toContain('already exists: a key file is never overwritten');
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(existsSync(join(other, '.sops.yaml'))).toBe(false);
  });

  it.skipIf(missing !== null)('with ~/.ssh/id_ed25519: its ssh-to-age recipient, the SSH key noted, named by $USER; hosts add and edit follow', async () => {
    const { home, repo } = workspace();
    mkdirSync(join(home, '.ssh'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@laptop', '-f', join(home, '.ssh/id_ed25519')]);
    const r = await runProcess(['init', 'secrets/.*\\.yaml$'], { cwd: repo, home, env: { USER: 'alice' } });
    expect(r.status).toBe(0);
    const converted = (await runProcess(['ssh-to-age', '-i', join(home, '.ssh/id_ed25519.pub')])).stdout.trim();
    const ssh = readFileSync(join(home, '.ssh/id_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const text = readFileSync(join(repo, '.sops.yaml'), 'utf8');
    expect(text.split('\n')[1]).toBe(`  - &admin_alice ${converted} # ${ssh}`);
    expect(ruleFor(text, 'secrets/a.yaml').recipients).toEqual([converted]);
    expect(existsSync(join(home, '.config'))).toBe(false); // no key made
    const added = await runProcess(['hosts', 'add', 'batchn', '--pubkey', hostPubFile, '-y'], { cwd: repo, home });
    expect(added.status).toBe(0);
    expect(ruleFor(readFileSync(join(repo, '.sops.yaml'), 'utf8'), 'secrets/a.yaml').recipients).toEqual([converted, HOST]);
    expect((await runProcess(['edit', '--editor', '-', 'secrets/a.yaml'], { cwd: repo, home, stdin: 'a: 1\n' })).status).toBe(0);
    const host = await runProcess(['decrypt', 'secrets/a.yaml'], { cwd: repo, env: { SOPS_AGE_SSH_PRIVATE_KEY_FILE: join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key') } });
    expect(host.stdout).toBe('a: 1\n');
  });

  it('an age key (SOPS_AGE_KEY_FILE) comes first; --path and positional regexes give a rule each; --host joins them all', async () => {
    const { home, repo } = workspace();
    const r = await runProcess(['init', 'hosts/.*/secrets\\.yaml$', '--path', 'secrets/shared: x.yaml', '--name', 'michael', '--host', `batchn=${hostPubFile}`], {
      cwd: repo,
      home,
      env: { SOPS_AGE_KEY_FILE: adminKey },
    });
    expect([r.status, r.stderr]).toEqual([0, expect.stringContaining(`from SOPS_AGE_KEY_FILE (${adminKey})`) as unknown]);
    const text = readFileSync(join(repo, '.sops.yaml'), 'utf8');
    const config = parseSopsConfig(text, '.sops.yaml');
    expect(config.creationRules.map((rule) => rule.pathRegex)).toEqual(['hosts/.*/secrets\\.yaml$', 'secrets/shared: x.yaml']);
    expect(ruleFor(text, 'hosts/batchn/secrets.yaml').recipients).toEqual([admin, HOST]);
    expect(ruleFor(text, 'secrets/shared: x.yaml').recipients).toEqual([admin, HOST]);
    expect(text).toContain('  - path_regex: "secrets/shared: x.yaml"\n');
    expect([...config.names.values()]).toEqual(['admin_michael', 'server_batchn']);
  });

  it('refuses a path regex that is not RE2 and a bad name before making any key', async () => {
    const { home, repo } = workspace();
    for (const args of [['init', 'secrets/(?=x)'], ['init', '--name', 'a b'], ['init', '--host', `bad/name=${admin}`]]) {
      const r = await runProcess(args, { cwd: repo, home });
      expect(r.status).toBe(1);
      expect(grammarViolations(r.stderr)).toEqual([]);
      expect(r.stderr).toMatch(/secrets: error: invalid (path regex|name)/);
    }
    expect(existsSync(join(home, '.config'))).toBe(false);
    expect(existsSync(join(repo, '.sops.yaml'))).toBe(false);
    // --age names the key without any discovery
    writeFileSync(join(home, 'unused'), '');
    expect((await runProcess(['init', '--age', admin, '--name', 'm'], { cwd: repo, home })).status).toBe(0);
    expect(ruleFor(readFileSync(join(repo, '.sops.yaml'), 'utf8'), 'secrets/x.env').recipients).toEqual([admin]);
  });
});
