/**
 * `check`, `rekey` and `nix sops` over whole repositories: nested `.sops.yaml` files, catch-all rules,
 * keys of kinds this tool cannot use, and the ways issue 13 found to get past `check` (a file over
 * 1 MiB, a secret key at the end of a padded file, a link where a secret belongs, a FIFO, a link to
 * /dev/zero named on the command line). Core over in-memory views; the bypasses through the real CLI on
 * real files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bech32 } from '@scure/base';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRepository, encryptAge, memoryView, parseRecipient, planRekey, planSopsNix, type MemoryEntry } from '@secrets/core';
import { REPO_ROOT, runProcess } from './support/cli.js';

const EXAMPLE = readFileSync(join(REPO_ROOT, 'examples/batchn/secrets/example.yaml'));
// The example file's two recipients (examples/README.md): the admin and the host batchn.
const ADMIN = 'age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup';
const HOST = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const PLUGIN = bech32.encode('age1yubikey', bech32.toWords(new Uint8Array(33).fill(1)), false);
const ED_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL0idNvgGiucWgup/mP78zyC23uFjYq0evcWdjGQUaBH';
const FAKE_KEY = `AGE-SECRET-KEY-1${'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}`;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const view = (files: Record<string, string | Uint8Array>) => memoryView(new Map<string, MemoryEntry>(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? text(v) : v])));
const rule = (regex: string | null, keys: string[]): string => `  - ${regex === null ? '' : `path_regex: ${regex}\n    `}key_groups:\n      - age:\n${keys.map((k) => `          - ${k}\n`).join('')}`;
const config = (rules: string[], anchors = `keys:\n  - &admin ${ADMIN}\n  - &batchn ${HOST}\n`): string => `${anchors}creation_rules:\n${rules.join('')}`;

describe('nested .sops.yaml: each file belongs to the nearest one above it', () => {
  // none at the root; macs/ asks for the admin only, infra/ for both (what the example file has)
  const repo = view({
    '/r/macs/.sops.yaml': config([rule('secrets/', ['*admin'])]),
    '/r/macs/secrets/a.yaml': EXAMPLE,
    '/r/infra/.sops.yaml': config([rule('secrets/', ['*admin', '*batchn'])]),
    '/r/infra/secrets/b.yaml': EXAMPLE,
    '/r/README.md': '# notes\n',
  });

  it('check at the root covers all of them', () => {
    const report = checkRepository(repo, { root: '/r' });
    expect([...report.configs].sort()).toEqual(['/r/infra/.sops.yaml', '/r/macs/.sops.yaml']);
    expect(report.checked).toBe(2);
    expect(report.findings).toEqual([{ file: 'macs/secrets/a.yaml', kind: 'recipients-differ', message: 'recipients differ from creation rule 0 of macs/.sops.yaml; not in .sops.yaml: batchn (run secrets rekey)' }]);
  });

  it('rekey plans each file against its own config', () => {
    const plan = planRekey(repo, { root: '/r' });
    expect(plan.items.map((i) => [i.path, i.diff.groups])).toEqual([['/r/macs/secrets/a.yaml', [{ kept: [ADMIN], added: [], removed: [HOST] }]]]);
    expect(plan.upToDate).toEqual(['/r/infra/secrets/b.yaml']);
    expect(plan.failures).toEqual([]);
  });

  it('nix sops does not call a Nix module that mentions sops an unreadable sops file', () => {
    const module = view({ '/m/hosts/x/secrets.nix': '{ config, ... }: {\n  sops.secrets.mac = { sopsFile = ./x.yaml; };\n  system.stateVersion = "24.05";\n}\n', '/m/broken.yaml': 'a: 1\nsops:\n  mac: [\n' });
    expect(planSopsNix(module, { root: '/m', base: '/m' }).unreadable.map((u) => u.path)).toEqual(['/m/broken.yaml']);
  });

  it('nix sops declares the files of every config', () => {
    expect(planSopsNix(repo, { root: '/r', base: '/r' }).inputs.map((i) => i.nixPath)).toEqual(['./infra/secrets/b.yaml', './macs/secrets/a.yaml']);
  });
});

describe('rules and files', () => {
  it('a rule without path_regex governs sops files but does not demand every file be one', () => {
    const repo = view({ '/r/.sops.yaml': config([rule(null, ['*admin', '*batchn'])]), '/r/secrets/a.yaml': EXAMPLE, '/r/flake.lock': '{}\n', '/r/LICENSE': 'MIT\n', '/r/hosts/x.nix': '{ }\n' });
    const report = checkRepository(repo, { root: '/r' });
    expect([report.checked, report.findings]).toEqual([1, []]);
  });

  it('a .sops.yaml that cannot be read is one finding; the files under it are not judged against it', () => {
    const repo = view({ '/r/.sops.yaml': 'creation_rules: [\n', '/r/secrets/a.yaml': EXAMPLE });
    const report = checkRepository(repo, { root: '/r' });
    expect(report.findings.map((f) => [f.file, f.kind])).toEqual([['.sops.yaml', 'unreadable']]);
  });

  it('a directory named on the command line is walked like the root', () => {
    const repo = view({ '/r/.sops.yaml': config([rule('^secrets/', ['*admin', '*batchn'])]), '/r/secrets/a.yaml': EXAMPLE, '/r/secrets/plain.yaml': 'x: 1\n', '/r/other/b.txt': 'b\n' });
    const report = checkRepository(repo, { root: '/r', files: ['/r/secrets'] });
    expect([report.checked, report.findings.map((f) => f.file)]).toEqual([1, ['secrets/plain.yaml']]);
  });

  it('a sops file no rule reaches is reported; a plaintext file a path_regex names is too', () => {
    const repo = view({ '/r/.sops.yaml': config([rule('^secrets/', ['*admin', '*batchn'])]), '/r/other/a.yaml': EXAMPLE, '/r/secrets/plain.yaml': 'password: x\n' });
    expect(checkRepository(repo, { root: '/r' }).findings.map((f) => [f.file, f.kind])).toEqual([
      ['other/a.yaml', 'no-rule'],
      ['secrets/plain.yaml', 'not-encrypted'],
    ]);
  });

  it('an .age file no agenix rule names is reported; the named ones are checked', async () => {
    const ageFile = await encryptAge(text('x'), [parseRecipient(HOST)]);
    const repo = view({ '/r/secrets/secrets.nix': `{ "a.age".publicKeys = [ "${HOST}" ]; }\n`, '/r/secrets/a.age': ageFile, '/r/secrets/old/b.age': ageFile });
    const report = checkRepository(repo, { root: '/r' });
    expect(report.findings).toEqual([{ file: 'secrets/old/b.age', kind: 'no-rule', message: 'an .age file no rule of secrets/secrets.nix names: agenix cannot rekey it' }]);
    expect(report.agenixChecked).toBe(1);
  });

  it('a link where an agenix file belongs is one finding', () => {
    const repo = memoryView(new Map<string, MemoryEntry>([
      ['/r/s/secrets.nix', text(`{ "a.age".publicKeys = [ "${ED_KEY}" ]; }\n`)],
      ['/r/s/a.age', { link: '/etc/shadow' }],
    ]));
    expect(checkRepository(repo, { root: '/r' }).findings.map((f) => [f.file, f.kind])).toEqual([['s/a.age', 'symlink']]);
  });

  it('an age plugin recipient in agenix rules does not make its file unreadable: the other keys are judged', async () => {
    const ageFile = await encryptAge(text('x'), [parseRecipient(ED_KEY)]);
    const repo = view({ '/r/s/secrets.nix': `let\n  alice = "${ED_KEY}";\n  yubi = "${PLUGIN}";\nin { "a.age".publicKeys = [ alice yubi ]; }\n`, '/r/s/a.age': ageFile });
    const report = checkRepository(repo, { root: '/r' });
    expect([report.findings, report.agenixChecked]).toEqual([[], 1]);
    expect(report.agenixRecipients.map((r) => [r.label, r.opens, r.cannot.map((c) => c.reason)])).toEqual([
      ['alice', ['s/a.age'], []],
      ['yubi', [], ['cannot tell: age plugin stanzas do not name their key, and secrets.lock has no valid record (one secrets agenix rekey writes it)']],
    ]);
  });

  it('an age plugin recipient and a PGP key are compared as strings: no abort, named in the finding', () => {
    const repo = view({
      '/r/.sops.yaml': `keys:\n  - &admin ${ADMIN}\n  - &batchn ${HOST}\n  - &yubikey ${PLUGIN}\n  - &alice 7088C7421873E0DB97FF17C2245CAB70B4C225E9\ncreation_rules:\n  - path_regex: secrets/\n    key_groups:\n      - age: [*admin, *batchn, *yubikey]\n        pgp: [*alice]\n`,
      '/r/secrets/a.yaml': EXAMPLE,
    });
    const report = checkRepository(repo, { root: '/r' });
    expect(report.findings.map((f) => f.message)).toEqual(['recipients differ from creation rule 0 of .sops.yaml; missing: yubikey, alice (run secrets rekey)']);
    expect(report.recipients.map((r) => [r.label, r.opens.length, r.cannot.length])).toEqual([['admin', 1, 0], ['batchn', 1, 0], ['yubikey', 0, 1], ['alice', 0, 1]]);
    // the PGP key is a key rekey wraps for (through gpg); the plugin recipient is the age layer's to judge
    const plan = planRekey(repo, { root: '/r' });
    expect(plan.items.length + plan.failures.length).toBe(1);
    expect(plan.failures.map((f) => f.error.message).filter((m) => /pgp/i.test(m))).toEqual([]);
  });
});

describe('check cannot be bypassed (issue 13), through the CLI on real files', () => {
  const work = mkdtempSync(join(tmpdir(), 'secrets-check-bypass-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('scans any size, streams across chunks, and reports links and FIFOs where secrets belong', async () => {
    for (const d of ['secrets', 'notes']) mkdirSync(join(work, d));
    writeFileSync(join(work, '.sops.yaml'), config([rule('^secrets/', ['*admin', '*batchn'])]));
    writeFileSync(join(work, 'secrets/example.yaml'), EXAMPLE);
    // plaintext where a secret belongs, padded past the old 1 MiB skip
    writeFileSync(join(work, 'secrets/padded.yaml'), `# ${'x'.repeat(1_100_000)}\npassword: hunter2\n`);
    // a secret key at the end of a 1.1 MB file
    writeFileSync(join(work, 'notes/padded.txt'), `${'filler line\n'.repeat(100_000)}${FAKE_KEY}\n`);
    // a secret key straddling the reader's 1 MiB chunks
    writeFileSync(join(work, 'notes/straddle.txt'), `${'y'.repeat((1 << 20) - 20)}\n${FAKE_KEY}\n`);
    writeFileSync(join(work, 'notes/plain.yaml'), 'password: hunter2\n');
    symlinkSync('../notes/plain.yaml', join(work, 'secrets/link.yaml'));
    symlinkSync('/nix/store/abc-system', join(work, 'result')); // nix's result link: not a secrets path
    execFileSync('mkfifo', [join(work, 'secrets/pipe.yaml')]);
    const r = await runProcess(['check', '--json'], { cwd: work });
    const findings = (JSON.parse(r.stdout) as { findings: { file: string; kind: string; message: string }[] }).findings;
    expect(findings.map((f) => [f.file, f.kind])).toEqual([
      ['notes/padded.txt', 'secret-key'],
      ['notes/straddle.txt', 'secret-key'],
      ['secrets/padded.yaml', 'not-encrypted'],
      ['secrets/link.yaml', 'symlink'],
      ['secrets/pipe.yaml', 'not-regular'],
    ]);
    expect(findings[0]?.message).toBe('line 100001 holds an age secret key');
    expect(findings[1]?.message).toBe('line 2 holds an age secret key');
    expect(findings[3]?.message).toBe('a symbolic link to "../notes/plain.yaml" where a secret belongs: check does not follow links; commit the file itself');
    expect(r.status).toBe(1);
  });

  it('file names are printed with control characters escaped: a newline cannot fake a hint line', async () => {
    const dir = mkdtempSync(join(work, 'names-'));
    writeFileSync(join(dir, '.sops.yaml'), config([rule('^secrets/', ['*admin'])]));
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets/x\nsecrets: hint: all good.yaml'), 'password: plain\n');
    const r = await runProcess(['check'], { cwd: dir });
    expect(r.stdout).toBe('secrets/x\\nsecrets: hint: all good.yaml: a creation rule matches it, but it is not encrypted\n1 problem found\n');
  });

  it('a link to /dev/zero named on the command line is a finding, not an endless read', async () => {
    const dir = mkdtempSync(join(work, 'zero-'));
    writeFileSync(join(dir, '.sops.yaml'), config([rule('^secrets/', ['*admin'])]));
    mkdirSync(join(dir, 'secrets'));
    symlinkSync('/dev/zero', join(dir, 'secrets/zero.yaml'));
    const r = await runProcess(['check', 'secrets/zero.yaml'], { cwd: dir });
    expect([r.status, r.stdout]).toEqual([1, 'secrets/zero.yaml: a symbolic link to "/dev/zero" where a secret belongs: check does not follow links; commit the file itself\n1 problem found\n']);
  });
});

describe('nix sops carries on past unreadable files', () => {
  const work = mkdtempSync(join(tmpdir(), 'secrets-nix-sops-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reports each unreadable file by name and still declares the others', async () => {
    mkdirSync(join(work, 'hosts'));
    writeFileSync(join(work, 'hosts/a.yaml'), EXAMPLE);
    writeFileSync(join(work, 'hosts/b.yaml'), EXAMPLE);
    writeFileSync(join(work, 'hosts/broken.yaml'), 'sops:\n  mac: [\n');
    writeFileSync(join(work, 'hosts/plain.yaml'), 'password: x\n');
    const r = await runProcess(['nix', 'sops', 'hosts/broken.yaml', 'hosts/a.yaml', 'hosts/plain.yaml', 'hosts/b.yaml'], { cwd: work });
    expect(r.status).toBe(1);
    const unreadable = r.stderr.split('\n').filter((l) => l.includes(': not declared:'));
    expect(unreadable.map((w) => w.split(': not declared:')[0])).toEqual(['secrets: warning: hosts/broken.yaml', 'secrets: warning: hosts/plain.yaml']);
    expect(r.stderr).not.toContain('already declared');
    // the same key names in a second (per-host) file are not a warning: one declaration, one comment
    expect(r.stdout).toContain('  sops.secrets."hello" = { sopsFile = ./hosts/a.yaml; key = "hello"; format = "yaml"; };\n');
    expect(r.stdout).toContain('  # sops.secrets."hello" is also in ./hosts/b.yaml (declared above for ./hosts/a.yaml): declare it in that host\'s module\n');
  });
});

describe('nested .sops.yaml through the CLI: rekey at the root', () => {
  const work = mkdtempSync(join(tmpdir(), 'secrets-nested-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('rekeys each file to its own config\'s rule and says so per file; check then passes', async () => {
    const env = { SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples/keys/admin_michael.agekey') };
    for (const d of ['macs/secrets', 'infra/secrets']) mkdirSync(join(work, d), { recursive: true });
    writeFileSync(join(work, 'macs/.sops.yaml'), config([rule('secrets/', ['*admin'])]));
    writeFileSync(join(work, 'infra/.sops.yaml'), config([rule('secrets/', ['*admin', '*batchn'])]));
    writeFileSync(join(work, 'macs/secrets/a.yaml'), EXAMPLE);
    writeFileSync(join(work, 'infra/secrets/b.yaml'), EXAMPLE);
    const before = readFileSync(join(work, 'infra/secrets/b.yaml'));
    expect((await runProcess(['check'], { cwd: work })).status).toBe(1);
    const r = await runProcess(['rekey', '-y'], { cwd: work, env });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('macs/secrets/a.yaml:\n  Group 1\n      admin (');
    expect(r.stdout).toContain(`  --- batchn (${HOST})`);
    expect(r.stderr).toContain('infra/secrets/b.yaml already up to date');
    expect(readFileSync(join(work, 'infra/secrets/b.yaml'))).toEqual(before);
    const ok = await runProcess(['check'], { cwd: work });
    expect([ok.status, ok.stdout.split('\n').at(-2)]).toEqual([0, 'ok: 2 encrypted files match infra/.sops.yaml, macs/.sops.yaml']);
  });
});


describe('format selection from --input-type is one function', () => {
  it('decrypt, edit, set and filestatus refuse an unknown format with the same message', async () => {
    const file = join(REPO_ROOT, 'examples/batchn/secrets/example.yaml');
    const runs = await Promise.all([
      ['decrypt', '--input-type', 'yml', file],
      ['edit', '--input-type', 'yml', file],
      ['set', '--input-type', 'yml', file, '["a"]', '"b"'],
      ['filestatus', '--input-type', 'yml', file],
    ].map((args) => runProcess(args, { env: { EDITOR: 'false' } })));
    for (const r of runs) expect(r.stderr.split('\n')[0]).toBe('secrets: error: unknown --input-type "yml"');
    expect(readFileSync(file)).toEqual(EXAMPLE);
  });
});
