/**
 * Files whose keys mix PGP and age, as a user runs the CLI with the real gpg: key groups with Shamir,
 * rekey keeping a PGP wrapping byte for byte, the PGP → age migration (rekey to a rule without the PGP
 * key), rotate and groups add; and the key-free commands (check, rekey --json, nix sops, hosts add)
 * naming PGP keys by fingerprint.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, runProcess } from './support/cli.js';
import { ScratchGnupg } from './support/gpg.js';
import { peerSkipReason } from './support/peers.js';

const skip = peerSkipReason(['gpg', 'gpgconf'], 'gnupg');
const adminKey = join(REPO_ROOT, 'examples/keys/admin_michael.agekey');
const admin = (readFileSync(adminKey, 'utf8').match(/age1[a-z0-9]+/) as RegExpMatchArray)[0];
const hostKey = join(REPO_ROOT, 'examples/keys/hosts/batchn_ssh_host_ed25519_key');
const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');

interface SopsBlock {
  readonly pgp?: { fp: string; enc: string; created_at: string }[];
  readonly age?: { recipient: string; enc: string }[];
  readonly key_groups?: { pgp?: { fp: string; enc: string }[]; age: { recipient: string }[] }[];
  readonly shamir_threshold?: number;
  readonly mac: string;
}
const sopsOf = (path: string): SopsBlock => (parse(readFileSync(path, 'utf8')) as { sops: SopsBlock }).sops;

describe.skipIf(skip !== null)(`PGP and age keys in one file${skip ? ` (${skip})` : ''}`, () => {
  const gnupg = new ScratchGnupg();
  const empty = new ScratchGnupg('secrets-gpg-empty-');
  const repo = mkdtempSync(join(tmpdir(), 'secrets-pgp-repo-'));
  let alice = '';
  let bob = '';
  // gpg with alice's and bob's secret keys; age identities: the admin key unless told otherwise
  const withGpg = (extra: Record<string, string> = {}): Record<string, string> => ({ GNUPGHOME: gnupg.home, SOPS_AGE_KEY_FILE: adminKey, ...extra });
  const noGpgKey = (extra: Record<string, string> = {}): Record<string, string> => ({ GNUPGHOME: empty.home, SOPS_AGE_KEY_FILE: adminKey, ...extra });
  const config = (rules: string): void => writeFileSync(join(repo, '.sops.yaml'), `keys:\n  - &admin ${admin}\n  - &alice ${alice}\n  - &bob ${bob}\ncreation_rules:\n${rules}`);
  const cli = (args: string[], env: Record<string, string>, stdin?: string) => runProcess(args, { cwd: repo, env, ...(stdin === undefined ? {} : { stdin }) });

  beforeAll(() => {
    alice = gnupg.generate('alice <alice@example.invalid>');
    bob = gnupg.generate('bob <bob@example.invalid>');
    // the empty home knows the public keys only: it can encrypt to them, not decrypt
    empty.gpg(['--import'], gnupg.gpg(['--export', alice, bob]));
    mkdirSync(join(repo, 'secrets'));
  });
  afterAll(() => {
    gnupg.dispose();
    empty.dispose();
  });

  it('.sops.yaml pgp: (a comma-separated string, as sops parses it) and age: one group; either key opens it', async () => {
    config(`  - path_regex: ^secrets/one\\.yaml$\n    pgp: "${alice}, ${bob}"\n    age:\n      - *admin\n`);
    const file = join(repo, 'secrets/one.yaml');
    const made = await cli(['edit', '--editor', '-', 'secrets/one.yaml'], noGpgKey(), 'token: s3cret\n');
    expect([made.status, made.stderr]).toEqual([0, '']);
    expect(sopsOf(file).pgp?.map((k) => k.fp)).toEqual([alice, bob]);
    expect(sopsOf(file).age?.map((k) => k.recipient)).toEqual([admin]);
    // gpg alone (no age identity), or the age key alone (gpg without a secret key)
    expect((await cli(['decrypt', '--extract', '["token"]', file], withGpg({ SOPS_AGE_KEY_FILE: join(repo, 'none') }))).stdout).toBe('s3cret');
    expect((await cli(['decrypt', '--extract', '["token"]', file], noGpgKey())).stdout).toBe('s3cret');
  });

  it('key-free commands name the PGP keys: check, rekey --json, nix sops', async () => {
    const checked = await cli(['check'], { GNUPGHOME: empty.home });
    expect(checked.status).toBe(0);
    expect(checked.stdout).toContain('  alice: opens 1 of 1 file');
    const plan = await cli(['rekey', '--json'], { GNUPGHOME: empty.home });
    expect(plan.status).toBe(0);
    expect((JSON.parse(plan.stdout) as { files: { status: string }[] }).files.map((f) => f.status)).toEqual(['up to date']);
    const nix = await cli(['nix', 'sops'], { GNUPGHOME: empty.home });
    expect(nix.status).toBe(0);
    expect(nix.stdout).toContain('sops.secrets."token"');
  });

  it('rekey after hosts add: the PGP wrappings stay byte for byte; then the PGP → age migration', async () => {
    const file = join(repo, 'secrets/one.yaml');
    const before = sopsOf(file);
    const added = await cli(['hosts', 'add', 'batchn', '--pubkey', `${hostKey}.pub`, '--rule', '0', '-y'], noGpgKey());
    // hosts add rekeys the files of the rule it changed: with the age key alone, gpg holding no secret key
    expect([added.status, added.stderr]).toEqual([0, expect.stringContaining('synced with new keys')]);
    const after = sopsOf(file);
    expect(after.pgp).toEqual(before.pgp);
    expect(after.age?.length).toBe(2);
    // the migration: the rule names no PGP key any more; the file is rekeyed to age only, by an age key holder
    config(`  - path_regex: ^secrets/one\\.yaml$\n    age: "${admin}"\n`);
    const plan = await cli(['rekey', '--json'], noGpgKey());
    const removed = (JSON.parse(plan.stdout) as { files: { groups: { removed: { recipient: string; name: string | null }[] }[] }[] }).files[0]?.groups[0]?.removed;
    expect(removed?.map((r) => [r.recipient, r.name])).toEqual([[`pgp:${alice}`, 'alice'], [`pgp:${bob}`, 'bob'], [expect.stringMatching(/^age1/), null]]);
    // the same plan as people read it, with no key at all; nothing changes
    const unchanged = readFileSync(file);
    const dry = await cli(['rekey', '--dry-run'], { GNUPGHOME: empty.home });
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`  --- alice (pgp:${alice})`);
    expect(dry.stderr).toBe('secrets: dry run: 1 file would be rekeyed, nothing changed\n');
    expect(readFileSync(file)).toEqual(unchanged);
    const migrated = await cli(['rekey', '-y', '--rotate'], noGpgKey());
    expect(migrated.status).toBe(0);
    const done = sopsOf(file);
    expect([done.pgp, done.age?.map((k) => k.recipient)]).toEqual([undefined, [admin]]);
    expect((await cli(['decrypt', '--extract', '["token"]', file], noGpgKey())).stdout).toBe('s3cret');
    expect((await cli(['decrypt', file], withGpg({ SOPS_AGE_KEY_FILE: join(repo, 'none') }))).status).toBe(128);
  });

  it('key_groups mixing PGP and age with Shamir: threshold groups open it; rotate keeps every kind', async () => {
    config(`  - path_regex: ^secrets/shamir\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - pgp: [*alice]\n      - age: [*admin]\n      - pgp: [*bob]\n        age: ["${hostPub}"]\n`);
    const file = join(repo, 'secrets/shamir.yaml');
    const made = await cli(['edit', '--editor', '-', 'secrets/shamir.yaml'], noGpgKey(), 'k: v\n');
    expect([made.status, made.stderr]).toEqual([0, '']);
    const block = sopsOf(file);
    expect([block.shamir_threshold, block.key_groups?.map((g) => [g.pgp?.map((k) => k.fp) ?? [], g.age.length])]).toEqual([2, [[[alice], 0], [[], 1], [[bob], 1]]]);
    // gpg (groups 1 and 3) alone; the admin and host keys (groups 2 and 3) alone; the admin key alone is one group too few
    expect((await cli(['decrypt', file], withGpg({ SOPS_AGE_KEY_FILE: join(repo, 'none') }))).stdout).toBe('k: v\n');
    expect((await cli(['decrypt', file], noGpgKey({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey }))).stdout).toBe('k: v\n');
    const short = await cli(['decrypt', file], noGpgKey());
    expect([short.status, short.stderr]).toEqual([128, expect.stringContaining('1 of the 2 key groups needed could be opened')]);
    expect(short.stderr).toContain(`group 1: pgp ${alice}: gpg could not decrypt it`);
    // rotate: a new data key, wrapped again for every key of every group (PGP through gpg, public keys only)
    const rotated = await cli(['rotate', '-i', file], noGpgKey({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: hostKey }));
    expect([rotated.status, rotated.stderr]).toEqual([0, '']);
    const next = sopsOf(file);
    expect(next.mac).not.toBe(block.mac);
    expect(next.key_groups?.[0]?.pgp?.[0]?.enc).not.toBe(block.key_groups?.[0]?.pgp?.[0]?.enc);
    expect((await cli(['decrypt', file], withGpg({ SOPS_AGE_KEY_FILE: join(repo, 'none') }))).stdout).toBe('k: v\n');
  });

  it('groups add --pgp and rotate --rm-pgp / --add-pgp, as sops', async () => {
    config(`  - path_regex: ^secrets/groups\\.yaml$\n    age: *admin\n`);
    const file = join(repo, 'secrets/groups.yaml');
    expect((await cli(['edit', '--editor', '-', 'secrets/groups.yaml'], noGpgKey(), 'a: b\n')).status).toBe(0);
    const grouped = await cli(['groups', 'add', '--file', file, '--pgp', alice, '--shamir-secret-sharing-threshold', '2', '-i'], noGpgKey());
    expect([grouped.status, grouped.stderr]).toEqual([0, '']);
    expect(sopsOf(file).key_groups?.map((g) => g.pgp?.map((k) => k.fp) ?? [])).toEqual([[], [alice]]);
    // both groups are needed: the age key and gpg
    expect((await cli(['decrypt', file], withGpg())).stdout).toBe('a: b\n');
    expect((await cli(['decrypt', file], noGpgKey())).status).toBe(128);
    const added = await cli(['rotate', '-i', '--add-pgp', bob, file], withGpg());
    expect([added.status, added.stderr]).toEqual([0, '']);
    expect(sopsOf(file).key_groups?.map((g) => g.pgp?.map((k) => k.fp) ?? [])).toEqual([[bob], [alice]]);
    // removal is by fingerprint in every group; a group left empty is refused
    const emptied = await cli(['rotate', '-i', '--rm-pgp', alice, file], withGpg());
    expect([emptied.status, emptied.stderr]).toEqual([1, expect.stringContaining('rotating would leave a key group without recipients')]);
  });
});
