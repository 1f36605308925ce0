/**
 * Issue 12, the sops side of the CLI against sops' own behaviour: a block scalar at the end of the input
 * (sops functional test extract_string), every command with relative, absolute, `./x`, `../x` and
 * symlinked-directory paths (reported relative to the working directory), an output that is an input,
 * `decrypt -i/--in-place` and `set --output-type` (flags sops' functional tests use), and `filestatus` on
 * a file whose sops block sops 3.13 cannot read (files of sops before 1.0: no lastmodified, no version).
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runInProcess } from './support/cli.js';

const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const env = { SOPS_AGE_KEY_FILE: adminKey };

/** A repository with a .sops.yaml rule anchored at secrets/, reached both directly and through a symlink. */
function repo(): { real: string; link: string } {
  const base = mkdtempSync(join(tmpdir(), 'secrets-exact-cli-'));
  const real = join(base, 'real');
  mkdirSync(join(real, 'secrets'), { recursive: true });
  writeFileSync(join(real, '.sops.yaml'), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${admin}\n`);
  symlinkSync(real, join(base, 'link'));
  return { real, link: join(base, 'link') };
}

describe('a block scalar ending the input (go-yaml v3: no final line break is added)', () => {
  it('sops extract_string: `multiline: |\\n  multi\\n  line` encrypts and extracts as multi\\nline', async () => {
    const { real } = repo();
    writeFileSync(join(real, 'secrets/m.yaml'), 'multiline: |\n  multi\n  line');
    expect((await runInProcess(['encrypt', '-i', 'secrets/m.yaml'], { cwd: real })).status).toBe(0);
    const r = await runInProcess(['decrypt', '--extract', '["multiline"]', 'secrets/m.yaml'], { cwd: real, env });
    expect(r.stdout).toBe('multi\nline');
  });
});

describe('paths: relative, absolute, ./x, ../x, through a symlinked directory', () => {
  it('check, rekey, decrypt, set, unset, rotate, edit, filestatus take every spelling and report paths relative to cwd', async () => {
    const { real, link } = repo();
    writeFileSync(join(real, 'secrets/a.yaml'), 'a: 1\n');
    expect((await runInProcess(['encrypt', '-i', join(link, 'secrets/a.yaml')], { cwd: real })).status).toBe(0);
    const spellings = [join(real, 'secrets/a.yaml'), join(link, 'secrets/a.yaml'), './secrets/a.yaml', 'secrets/a.yaml', 'secrets/../secrets/a.yaml'];
    // A process's working directory is physical (getcwd), even after `cd link`: that is what ctx.cwd holds.
    for (const cwd of [real]) {
      for (const file of spellings) {
        const check = await runInProcess(['check', file], { cwd });
        expect([check.status, check.stdout.split('\n').at(-2)], `check ${file} in ${cwd}`).toEqual([0, 'ok: 1 encrypted file match .sops.yaml']);
        const rekey = await runInProcess(['rekey', '-y', file], { cwd, env });
        expect([rekey.status, rekey.stderr], `rekey ${file}`).toEqual([0, 'secrets: secrets/a.yaml already up to date\n']);
        expect((await runInProcess(['decrypt', file], { cwd, env })).stdout).toBe('a: 1\n');
        expect((await runInProcess(['filestatus', file], { cwd })).stdout).toBe('{"encrypted":true}\n');
      }
    }
    const abs = join(link, 'secrets/a.yaml');
    expect((await runInProcess(['set', abs, '["b"]', '2'], { cwd: real, env })).status).toBe(0);
    expect((await runInProcess(['unset', abs, '["b"]'], { cwd: real, env })).status).toBe(0);
    expect((await runInProcess(['rotate', '-i', abs], { cwd: real, env })).status).toBe(0);
    const created = await runInProcess(['edit', '--editor', '-', join(link, 'secrets/new.yaml')], { cwd: real, env, stdin: 'n: 1\n' });
    expect([created.status, created.stderr]).toEqual([0, '']); // no "the file lies outside" warning: same tree
    // from a subdirectory: ../x, and the report relative to the working directory
    mkdirSync(join(real, 'sub'));
    const sub = await runInProcess(['rekey', '-y', join(link, 'secrets/a.yaml')], { cwd: join(real, 'sub'), env });
    expect(sub.stderr).toBe('secrets: ../secrets/a.yaml already up to date\n');
    const all = await runInProcess(['check'], { cwd: real });
    expect(all.stdout.split('\n').at(-2)).toBe('ok: 2 encrypted files match .sops.yaml');
  });

  it('a missing file or a directory is sops\' "file does not exist" (exit 100) or a read error, never an internal error', async () => {
    const { real } = repo();
    for (const command of [['check'], ['rekey', '-y']]) {
      const missing = await runInProcess([...command, join(real, 'secrets/none.yaml')], { cwd: real, env });
      expect([missing.status, missing.stderr.split('\n')[0]]).toEqual([100, `secrets: error: file ${JSON.stringify(join(real, 'secrets/none.yaml'))} does not exist`]);
      const dir = await runInProcess([...command, 'secrets'], { cwd: real, env });
      expect(dir.stderr).toContain('secrets: error: "secrets" is a directory');
    }
  });
});

describe('an output that is also an input is refused (age#491)', () => {
  it('SOPS_AGE_KEY_FILE=k.txt secrets decrypt --output k.txt; --identity k --output k; --output FILE', async () => {
    const { real } = repo();
    writeFileSync(join(real, 'k.txt'), readFileSync(adminKey));
    writeFileSync(join(real, 'secrets/a.yaml'), 'a: 1\n');
    await runInProcess(['encrypt', '-i', 'secrets/a.yaml'], { cwd: real });
    const before = readFileSync(join(real, 'k.txt'), 'utf8');
    for (const [args, e] of [
      [['decrypt', '--output', 'k.txt', 'secrets/a.yaml'], { SOPS_AGE_KEY_FILE: join(real, 'k.txt') }],
      [['decrypt', '--identity', 'k.txt', '--output', './k.txt', 'secrets/a.yaml'], {}],
      [['decrypt', '--output', 'secrets/a.yaml', 'secrets/a.yaml'], env],
    ] as const) {
      const r = await runInProcess(args, { cwd: real, env: e });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^secrets: error: the output ".*" is also an input/);
    }
    expect(readFileSync(join(real, 'k.txt'), 'utf8')).toBe(before);
  });
});

describe('flags of sops used by its own functional tests', () => {
  it('decrypt -i / --in-place replaces the file with its plaintext', async () => {
    const { real } = repo();
    for (const flag of ['-i', '--in-place']) {
      writeFileSync(join(real, 'secrets/a.yaml'), 'a: 1\nb: [x]\n');
      await runInProcess(['encrypt', '-i', 'secrets/a.yaml'], { cwd: real });
      expect(readFileSync(join(real, 'secrets/a.yaml'), 'utf8')).toContain('sops:');
      const r = await runInProcess(['decrypt', flag, 'secrets/a.yaml'], { cwd: real, env });
      expect([r.status, r.stdout]).toEqual([0, '']);
      expect(readFileSync(join(real, 'secrets/a.yaml'), 'utf8')).toBe('a: 1\nb:\n    - x\n');
    }
    const both = await runInProcess(['decrypt', '-i', '--output', 'x', 'secrets/a.yaml'], { cwd: real, env });
    expect([both.status, both.stderr.split('\n')[0]]).toEqual([8, 'secrets: error: cannot use --in-place and --output together']);
  });

  it('set --output-type writes the file back in that format', async () => {
    const { real } = repo();
    writeFileSync(join(real, 'secrets/a.yaml'), 'a: 1\n');
    await runInProcess(['encrypt', '-i', 'secrets/a.yaml'], { cwd: real });
    const r = await runInProcess(['set', '--output-type', 'json', 'secrets/a.yaml', '["b"]', '"two"'], { cwd: real, env });
    expect(r.status).toBe(0);
    const written = readFileSync(join(real, 'secrets/a.yaml'), 'utf8');
    expect(written.startsWith('{\n\t"a": "ENC[AES256_GCM,')).toBe(true);
    const back = await runInProcess(['decrypt', '--input-type', 'json', 'secrets/a.yaml'], { cwd: real, env });
    expect(back.stdout).toBe('{\n\t"a": 1,\n\t"b": "two"\n}\n');
    const bad = await runInProcess(['set', '--output-type', 'toml', 'secrets/a.yaml', '["b"]', '1'], { cwd: real, env });
    expect(bad.stderr).toContain('secrets: error: unknown --output-type "toml"');
  });
});

describe('filestatus (sops 3.13 cmd/sops/subcommand/filestatus: cfs → LoadEncryptedFile → Metadata.ToInternal; false without version or MAC)', () => {
  it('a sops block sops cannot read (a file of sops before 1.0: no lastmodified, mac or version) is an error, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-exact-fs-'));
    const pgp = '    pgp:\n    -   fp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n        created_at: "2015-10-01T00:00:00Z"\n        enc: x\n';
    writeFileSync(join(dir, 'old.yaml'), `a: ENC[AES256_GCM,data:AA==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n${pgp}`);
    const r = await runInProcess(['filestatus', 'old.yaml'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^secrets: error: cannot check file status: cannot load encrypted file: invalid sops metadata: lastmodified "" is not an RFC 3339 time/);
    // readable metadata with an empty mac/version: not encrypted (sops checks both)
    writeFileSync(join(dir, 'nomac.yaml'), `a: 1\nsops:\n${pgp}    lastmodified: "2020-01-01T00:00:00Z"\n    mac: ""\n    version: 3.13.2\n`);
    expect((await runInProcess(['filestatus', 'nomac.yaml'], { cwd: dir })).stdout).toBe('{"encrypted":false}\n');
    writeFileSync(join(dir, 'plain.yaml'), 'a: 1\n');
    expect((await runInProcess(['filestatus', 'plain.yaml'], { cwd: dir })).stdout).toBe('{"encrypted":false}\n');
  });
});
