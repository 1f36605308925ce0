/**
 * `secrets agenix export` in a repository with a nested `.sops.yaml`: each sops file's recipients come
 * from its nearest `.sops.yaml`, as `rekey` and `check` have it; `--config` still names one for all.
 * Everything through the real CLI process.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
const ADMIN = 'age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup';
const HOST_AGE = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const HOST_SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPf2B6VTK1coYAXIXsK0R4l4vzpfU533PY/O/LNsnrzI';

/**
 * A repository whose root `.sops.yaml` encrypts to the admin only, and whose `team/.sops.yaml` adds the
 * host (its SSH key noted, so the export encrypts to it natively); one sops file under each.
 */
async function nestedRepo(): Promise<string> {
  const repo = mkdtempSync(join(tmpdir(), 'secrets-export-nested-'));
  mkdirSync(join(repo, 'team'));
  writeFileSync(join(repo, '.sops.yaml'), `keys:\n  - &admin ${ADMIN}\ncreation_rules:\n  - path_regex: \\.yaml$\n    key_groups:\n      - age:\n          - *admin\n`);
  writeFileSync(
    join(repo, 'team/.sops.yaml'),
    `keys:\n  - &admin ${ADMIN}\n  - &team_host ${HOST_AGE} # ${HOST_SSH}\ncreation_rules:\n  - path_regex: \\.yaml$\n    key_groups:\n      - age:\n          - *admin\n          - *team_host\n`,
  );
  writeFileSync(join(repo, 'top.yaml'), 'a: top secret\n');
  writeFileSync(join(repo, 'team/inner.yaml'), 'b: team secret\n');
  // Each encrypted from its own directory, where sops (and secrets encrypt) find that directory's config.
  for (const [cwd, file] of [[repo, 'top.yaml'], [join(repo, 'team'), 'inner.yaml']] as const) {
    const r = await runProcess(['encrypt', '-i', file], { cwd });
    expect([file, r.status, r.stderr]).toEqual([file, 0, '']);
  }
  return repo;
}

const env = { SOPS_AGE_KEY_FILE: adminKey };
const hostDecrypt = (file: string) => runProcess(['agenix', 'decrypt', '-i', hostKey, file]);

describe('secrets agenix export with a nested .sops.yaml', () => {
  it('each file is encrypted to the rule of its nearest .sops.yaml, walked or named; --config names one for all', async () => {
    const repo = await nestedRepo();

    // No file named: the walk from the root finds both, each with its own rule.
    const walked = await runProcess(['agenix', 'export', '--all', '--out', 'agenix'], { cwd: repo, env });
    expect(walked.status).toBe(0);
    expect(walked.stderr).toContain('secrets: 2 written, 0 unchanged; rules in agenix/secrets.nix\n');
    const nix = readFileSync(join(repo, 'agenix/secrets.nix'), 'utf8');
    expect(nix).toContain('  "top/a.age".publicKeys = [ admin ];\n');
    expect(nix).toContain('  "inner/b.age".publicKeys = [ admin team_host ];\n');
    expect(nix).toContain(`  team_host = "${HOST_SSH}";\n`);
    expect((await hostDecrypt(join(repo, 'agenix/inner/b.age'))).stdout).toBe('team secret');
    const shutOut = await hostDecrypt(join(repo, 'agenix/top/a.age'));
    expect(shutOut.status).not.toBe(0);
    expect((await runProcess(['agenix', 'decrypt', '-i', adminKey, join(repo, 'agenix/top/a.age')])).stdout).toBe('top secret');

    // Named from the root, whose .sops.yaml covers the file: still the nested one's rule.
    const named = await runProcess(['agenix', 'export', '--all', '--out', 'named', 'team/inner.yaml'], { cwd: repo, env });
    expect(named.status).toBe(0);
    expect(readFileSync(join(repo, 'named/secrets.nix'), 'utf8')).toContain('  "inner/b.age".publicKeys = [ admin team_host ];\n');
    expect((await hostDecrypt(join(repo, 'named/inner/b.age'))).stdout).toBe('team secret');

    // --config: one .sops.yaml for every file, as before.
    const forced = await runProcess(['agenix', 'export', '--all', '--out', 'forced', '--config', '.sops.yaml'], { cwd: repo, env });
    expect(forced.status).toBe(0);
    const forcedNix = readFileSync(join(repo, 'forced/secrets.nix'), 'utf8');
    expect(forcedNix).toContain('  "inner/b.age".publicKeys = [ admin ];\n');
    expect(forcedNix).not.toContain('team_host');
    expect((await hostDecrypt(join(repo, 'forced/inner/b.age'))).status).not.toBe(0);
  });

  it('a broken nested .sops.yaml stops the export with its error instead of passing its files over', async () => {
    const repo = await nestedRepo();
    writeFileSync(join(repo, 'team/.sops.yaml'), 'creation_rules: [\n');
    const r = await runProcess(['agenix', 'export', '--all', '--out', 'agenix'], { cwd: repo, env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^secrets: error: .*team\/\.sops\.yaml:\d+:\d+: /m);
  });
});
