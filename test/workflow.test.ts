/**
 * The seed workflow, as a new user runs it, in a temp git repository with the real CLI process:
 * .sops.yaml with an admin → edit a new secrets file → decrypt → add a host from its SSH public key →
 * rekey → the host decrypts with only its SSH private key → remove the admin, rekey --rotate → the old
 * admin key no longer opens it → check passes, then fails after a manual recipient edit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');

describe('the sops-nix article workflow, end to end', () => {
  it('runs as a new user would', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'secrets-workflow-'));
    execFileSync('git', ['init', '-q', repo]);
    const sopsYaml = `# who can read what
keys:
  - &admin_michael ${admin}
creation_rules:
  - path_regex: batchn/secrets/[^/]+\\.(yaml|json|env|ini)$
    key_groups:
    - age:
      - *admin_michael
`;
    writeFileSync(join(repo, '.sops.yaml'), sopsYaml);
    const asAdmin = { SOPS_AGE_KEY_FILE: adminKey };
    const asHost = { SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey };
    const file = 'batchn/secrets/example.yaml';

    // edit a new file with a scripted editor
    const editor = join(repo, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nprintf 'wifi_password: hunter2\\nrestic:\\n    repo_key: s3cret\\n' > "$1"\n`, { mode: 0o755 });
    const created = await runProcess(['edit', file], { cwd: repo, env: { ...asAdmin, EDITOR: editor } });
    // a script is not an editor secrets can harden: one warning line, nothing else
    expect(created.stderr).toMatch(/^secrets: warning: "editor\.sh" is not an editor secrets can keep from copying the plaintext: [^\n]*\n$/);
    expect(created.status).toBe(0);

    // decrypt it
    const plain = 'wifi_password: hunter2\nrestic:\n    repo_key: s3cret\n';
    expect((await runProcess(['decrypt', file], { cwd: repo, env: asAdmin })).stdout).toBe(plain);

    // add the host from its SSH public key: one line under keys:, one in the rule, then rekey
    mkdirSync(join(repo, 'hosts'));
    writeFileSync(join(repo, 'hosts/batchn.pub'), readFileSync(`${hostKey}.pub`));
    const added = await runProcess(['hosts', 'add', 'batchn', '--pubkey', 'hosts/batchn.pub', '--no-rekey'], { cwd: repo });
    expect(added.status).toBe(0);
    const hostRecipient = (await runProcess(['ssh-to-age', '-i', join(repo, 'hosts/batchn.pub')])).stdout.trim();
    expect(readFileSync(join(repo, '.sops.yaml'), 'utf8')).toBe(
      sopsYaml.replace(`  - &admin_michael ${admin}\n`, `  - &admin_michael ${admin}\n  - &server_batchn ${hostRecipient} # ${readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`).replace('      - *admin_michael\n', '      - *admin_michael\n      - *server_batchn\n'),
    );
    // before the rekey, check names the host that cannot open the file yet (sops-nix's "0 successful groups")
    const stale = await runProcess(['check', '--json'], { cwd: repo });
    expect(stale.status).toBe(1);
    const report = JSON.parse(stale.stdout) as { recipients: { name: string; opens: string[]; cannot: { file: string; reason: string }[] }[] };
    expect(report.recipients).toEqual([
      expect.objectContaining({ name: 'admin_michael', opens: [file], cannot: [] }),
      expect.objectContaining({ name: 'server_batchn', opens: [], cannot: [{ file, reason: expect.stringContaining('run secrets rekey') }] }),
    ]);
    expect((await runProcess(['check'], { cwd: repo })).stdout).toContain(`server_batchn: opens 0 of 1 file\n    cannot open ${file}: not among its recipients yet: run secrets rekey\n`);
    const before = readFileSync(join(repo, file), 'utf8');
    const rekeyed = await runProcess(['rekey', '-y'], { cwd: repo, env: asAdmin });
    expect(rekeyed.status).toBe(0);
    expect(rekeyed.stdout).toContain(`+++ ${hostRecipient}`);
    const after = readFileSync(join(repo, file), 'utf8');
    expect(after.split('sops:')[0]).toBe(before.split('sops:')[0]); // values untouched: only the sops block changed

    // the host decrypts with nothing but its SSH private key
    expect((await runProcess(['decrypt', file], { cwd: repo, env: asHost })).stdout).toBe(plain);

    // check passes
    const ok = await runProcess(['check'], { cwd: repo });
    expect(ok.stdout).toContain('ok: 1 encrypted file');
    expect(ok.stdout).toContain('recipients:\n  admin_michael: opens 1 of 1 file\n  server_batchn: opens 1 of 1 file\n');
    expect(ok.status).toBe(0);

    // remove the admin, rekey --rotate: the old admin key no longer opens the file
    writeFileSync(join(repo, '.sops.yaml'), readFileSync(join(repo, '.sops.yaml'), 'utf8').replace('      - *admin_michael\n', ''));
    const rotated = await runProcess(['rekey', '-y', '--rotate'], { cwd: repo, env: asAdmin });
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain(`--- ${admin}`);
    expect((await runProcess(['decrypt', file], { cwd: repo, env: asAdmin })).status).toBe(128);
    expect((await runProcess(['decrypt', file], { cwd: repo, env: asHost })).stdout).toBe(plain);
    expect((await runProcess(['check'], { cwd: repo })).status).toBe(0);

    // a manual recipient edit in .sops.yaml makes check fail, machine-readably too
    writeFileSync(join(repo, '.sops.yaml'), readFileSync(join(repo, '.sops.yaml'), 'utf8').replace('      - *server_batchn\n', '      - *server_batchn\n      - *admin_michael\n'));
    const drift = await runProcess(['check', '--json'], { cwd: repo });
    expect(drift.status).toBe(1);
    expect(JSON.parse(drift.stdout).findings).toEqual([expect.objectContaining({ file: file, kind: 'recipients-differ' })]);

    // a plaintext file where a rule expects an encrypted one, and a committed secret key
    writeFileSync(join(repo, 'batchn/secrets/oops.yaml'), 'password: plain\n');
    writeFileSync(join(repo, 'stray.txt'), readFileSync(adminKey));
    const kinds = (JSON.parse((await runProcess(['check', '--json'], { cwd: repo })).stdout).findings as { kind: string }[]).map((f) => f.kind).sort();
    expect(kinds).toEqual(['not-encrypted', 'recipients-differ', 'secret-key']);
  });
});
