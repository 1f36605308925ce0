// @needs-shared vectors: the agenix example repository and its keys are the rules and files it runs on.
/**
 * `secrets agenix` with rules the static reader reads, rules that need Nix (`--nix`/`--no-nix`), and rules
 * given as JSON (`--rules rules.json`), through the real CLI.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess, SHARED } from './support/cli.js';

const HAVE_NIX = spawnSync('nix-instantiate', ['--version']).status === 0;
const USER1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';
const SYSTEM1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPJDyIr/FSz1cJdcoW69R+NrWzwGK/+3gJpqD1t8L2zE';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The agenix example in a fresh git repository (its secrets.nix, read by us: 5 rules, user1/system1). */
function exampleRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-rules-'));
  made.push(dir);
  cpSync(join(SHARED, 'vectors/agenix/example'), dir, { recursive: true });
  mkdirSync(join(dir, '.git'));
  return dir;
}

describe('secrets agenix: rules as JSON, imports, and the Nix switch', () => {
  it('--rules rules.json (nix-instantiate --eval --strict --json output) reads like the secrets.nix it came from', async () => {
    const dir = exampleRepo();
    const both = { publicKeys: [USER1, SYSTEM1] };
    const json = { '-leading-hyphen-filename.age': both, 'armored-secret.age': { armor: true, publicKeys: [USER1] }, 'passwordfile-user1.age': both, 'secret1.age': both, 'secret2.age': { publicKeys: [USER1] } };
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(json));
    const viaJson = await runProcess(['agenix', 'rekey', '--dry-run', '--rules', 'rules.json'], { cwd: dir });
    expect([viaJson.status, viaJson.stderr]).toEqual([0, 'secrets: 0 to rekey, 5 up to date\n']);
    delete (json as Record<string, unknown>)['secret2.age'];
    json['secret1.age'] = { publicKeys: [USER1] };
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(json));
    const changed = await runProcess(['agenix', 'rekey', '--dry-run', '--rules', 'rules.json'], { cwd: dir });
    expect(changed.stderr).toContain('secrets: 1 to rekey, 3 up to date');
  });

  it('import ./keys.nix and builtins.readFile are read without Nix; a symlink out of the repository is refused', async () => {
    const dir = exampleRepo();
    writeFileSync(join(dir, 'keys.nix'), `{ user1 = "${USER1}"; system1 = builtins.readFile ./system1.pub; }`);
    writeFileSync(join(dir, 'system1.pub'), SYSTEM1);
    writeFileSync(join(dir, 'secrets.nix'), 'let k = import ./keys.nix; in with k; { "secret1.age".publicKeys = [ user1 system1 ]; "secret2.age".publicKeys = [ k.user1 ]; }');
    const ok = await runProcess(['agenix', 'rekey', '--dry-run', '--no-nix'], { cwd: dir });
    expect([ok.status, ok.stderr]).toEqual([0, 'secrets: 0 to rekey, 2 up to date\n']);
    symlinkSync('/etc/passwd', join(dir, 'system1.pub.link'));
    writeFileSync(join(dir, 'secrets.nix'), '{ "secret1.age".publicKeys = [ (builtins.readFile ./system1.pub.link) ]; }');
    const out = await runProcess(['agenix', 'rekey', '--dry-run', '--no-nix'], { cwd: dir });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toBe(`secrets: error: ${join(dir, 'secrets.nix')}:1:33: "system1.pub.link" leads outside the repository (through a symlink)\n`);
  });

  it('--no-nix: a form that needs Nix is a clean error with line, column and what to do', async () => {
    const dir = exampleRepo();
    writeFileSync(join(dir, 'secrets.nix'), `let keys = [ "${USER1}" ];\nin builtins.listToAttrs (map (n: { name = n; value.publicKeys = keys; }) [ "secret2.age" ])\n`);
    const r = await runProcess(['agenix', 'rekey', '--dry-run', '--no-nix'], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`secrets: error: ${join(dir, 'secrets.nix')}:2:4: builtins.listToAttrs needs a Nix evaluator`);
    expect(r.stderr).toContain('secrets: hint: install Nix (Debian: nix-bin), or give the rules as JSON');
  });

  it.runIf(HAVE_NIX)('with Nix installed, the same file is evaluated by nix-instantiate (default and --nix)', async () => {
    const dir = exampleRepo();
    writeFileSync(join(dir, 'secrets.nix'), `let keys = [ "${USER1}" ];\nin builtins.listToAttrs (map (n: { name = n; value.publicKeys = keys; }) [ "secret2.age" ])\n`);
    for (const flags of [[], ['--nix']]) {
      const r = await runProcess(['agenix', 'rekey', '--dry-run', ...flags], { cwd: dir });
      expect([r.status, r.stderr]).toEqual([0, 'secrets: 0 to rekey, 1 up to date\n']);
    }
  });
});
