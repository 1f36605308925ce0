/**
 * `--json` on `secrets rekey` (the plan; with -y each file's result) and on `secrets nix sops`
 * (declarations and problems), through the real CLI: what a script or CI job reads.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const example = join(REPO_ROOT, 'examples/batchn/secrets/example.yaml');

interface RekeyJson {
  configs: string[];
  rotate: boolean;
  applied: boolean;
  files: { file: string; status: string; reason?: string; groups?: { kept: { recipient: string; name: string | null }[]; added: { recipient: string; name: string | null }[]; removed: unknown[] }[] }[];
}

/** A repository whose rule names admin and a new host; a.yaml and b.yaml are encrypted to admin only */
async function repo(): Promise<{ dir: string; host: string }> {
  const host = await identityToRecipient(await generateX25519Identity());
  const dir = mkdtempSync(join(tmpdir(), 'secrets-json-'));
  mkdirSync(join(dir, 'secrets'));
  const rule = (keys: string): string => `keys:\n  - &admin_michael ${admin}\n${keys}creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - age:\n          - *admin_michael\n`;
  writeFileSync(join(dir, '.sops.yaml'), rule(''));
  for (const name of ['a', 'b']) {
    writeFileSync(join(dir, `secrets/${name}.yaml`), `token: ${name}\n`);
    const r = await runProcess(['encrypt', '-i', `secrets/${name}.yaml`], { cwd: dir });
    expect(r.status).toBe(0);
  }
  writeFileSync(join(dir, '.sops.yaml'), `${rule(`  - &server_batchn ${host}\n`)}          - *server_batchn\n`);
  return { dir, host };
}

describe('secrets rekey --json', () => {
  it('without -y prints the plan and writes nothing; with -y the result per file', async () => {
    const { dir, host } = await repo();
    const before = readFileSync(join(dir, 'secrets/a.yaml'), 'utf8');
    const plan = await runProcess(['rekey', '--json'], { cwd: dir });
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    const planned = JSON.parse(plan.stdout) as RekeyJson;
    expect(planned.applied).toBe(false);
    expect(planned.configs).toEqual(['.sops.yaml']);
    expect(planned.files.map((f) => [f.file, f.status])).toEqual([
      ['secrets/a.yaml', 'to rekey'],
      ['secrets/b.yaml', 'to rekey'],
    ]);
    expect(planned.files[0]?.groups).toEqual([{ kept: [{ recipient: admin, name: 'admin_michael' }], added: [{ recipient: host, name: 'server_batchn' }], removed: [] }]);
    expect(readFileSync(join(dir, 'secrets/a.yaml'), 'utf8')).toBe(before);

    // b.yaml re-encrypted to someone else only: the admin's key cannot open it, so it fails; a.yaml is rekeyed.
    const stranger = await identityToRecipient(await generateX25519Identity());
    writeFileSync(join(dir, 'secrets/b.yaml'), 'token: b\n');
    expect((await runProcess(['encrypt', '-i', '--age', stranger, 'secrets/b.yaml'], { cwd: dir })).status).toBe(0);
    const applied = await runProcess(['rekey', '--json', '-y'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: adminKey } });
    expect(applied.status).toBe(1);
    const result = JSON.parse(applied.stdout) as RekeyJson;
    expect(result.applied).toBe(true);
    const byFile = new Map(result.files.map((f) => [f.file, f]));
    expect(byFile.get('secrets/a.yaml')?.status).toBe('rekeyed');
    expect(byFile.get('secrets/b.yaml')?.status).toBe('failed');
    expect(byFile.get('secrets/b.yaml')?.reason).toMatch(/./);
    expect(readFileSync(join(dir, 'secrets/a.yaml'), 'utf8')).toContain(host);

    const again = JSON.parse((await runProcess(['rekey', '--json', '-y', 'secrets/a.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: adminKey } })).stdout) as RekeyJson;
    expect(again.files).toEqual([{ file: 'secrets/a.yaml', status: 'up to date' }]);
  }, 60_000);

  it('without a key, -y reports every planned file as failed with the reason, and still prints JSON only on stdout', async () => {
    const { dir } = await repo();
    const r = await runProcess(['rekey', '--json', '-y'], { cwd: dir });
    expect(r.status).toBe(1);
    const result = JSON.parse(r.stdout) as RekeyJson;
    expect(result.files.map((f) => f.status)).toEqual(['failed', 'failed']);
    for (const f of result.files) expect(f.reason).toMatch(/identit|key/);
  }, 60_000);
});

describe('secrets nix sops --json', () => {
  it('lists the declarations and the problems; the exit status is the same as without --json', async () => {
    const r = await runProcess(['nix', 'sops', '--json', example], { cwd: REPO_ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { declarations: unknown[]; problems: { file: string; key: string; reason: string }[]; unreadable: unknown[] };
    expect(out.declarations).toContainEqual({ name: 'hello', sopsFile: './examples/batchn/secrets/example.yaml', key: 'hello', format: 'yaml' });
    expect(out.problems).toContainEqual({ file: './examples/batchn/secrets/example.yaml', key: 'example_number', reason: expect.stringContaining('the value is a float') });
    expect(out.unreadable).toEqual([]);
  });

  it('names a key declared by two files once, and says which file declared it first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-json-nix-'));
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${admin}\n`);
    for (const name of ['one', 'two']) {
      writeFileSync(join(dir, `${name}.yaml`), 'db: x\n');
      expect((await runProcess(['encrypt', '-i', `${name}.yaml`], { cwd: dir })).status).toBe(0);
    }
    const r = await runProcess(['nix', 'sops', '--json'], { cwd: dir });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { declarations: { name: string; sopsFile: string; firstDeclaredIn?: string }[] };
    expect(out.declarations).toEqual([
      { name: 'db', sopsFile: './one.yaml', key: 'db', format: 'yaml' },
      { name: 'db', sopsFile: './two.yaml', key: 'db', format: 'yaml', firstDeclaredIn: './one.yaml' },
    ]);
  });
});
