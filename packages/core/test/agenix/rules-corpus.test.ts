/**
 * Every real agenix rules file of ../shared/corpus (the `secrets.nix` of each repository, see PROVENANCE,
 * and `secrets-nix/` per INDEX.tsv), read without Nix and with nix-instantiate:
 * (a) at least 80% are read without Nix; (b) with Nix, every file it can evaluate from the repository
 * alone is read; (c) both paths agree on every file both read. Expected counts are facts from reading the
 * files, not from running our reader.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgenixRule, readAgenixRules } from '../../src/agenix/rules.js';
import { repositoryFileReader } from '../../src/config/repository-files.js';
import { runProcess } from '../../src/keys/run-process.js';
import { describeShared, hasShared, sharedPath } from '../../../../test/support/shared.js';

const CORPUS = `${sharedPath('corpus')}/`;
const HAVE_CORPUS = hasShared('corpus');
const HAVE_NIX = spawnSync('nix-instantiate', ['--version']).status === 0;
const IN_CI = process.env['CI'] === 'true';

/** What reading each file shows. `keys`: rule → number of publicKeys (some rules; all when `allKeys`). */
interface Fact {
  readonly rules: number;
  readonly keys: Readonly<Record<string, number>>;
  /** How it can be read: statically (and so by Nix), by Nix only, or not from the corpus at all. */
  readonly read: 'static' | 'nix-only' | 'neither';
  readonly armored?: number;
}

const FACTS: Readonly<Record<string, Fact>> = {
  'Baughn+machine-config/secrets/secrets.nix': { rules: 17, read: 'static', keys: { 'magic-reboot.key.age': 4, 'wireguard-saya.age': 2, 'cloudflare-dyndns-token.age': 3 } },
  'notthebee+nix-config/secrets/secrets.nix': { rules: 12, read: 'static', keys: { 'paperless.age': 2, 'hashedUserPassword.age': 2 } },
  'ryantm+agenix/example/secrets.nix': { rules: 5, read: 'static', armored: 1, keys: { 'secret2.age': 1, '-leading-hyphen-filename.age': 2 } },
  'yaxitech+ragenix/example/secrets.nix': { rules: 2, read: 'static', keys: { 'root.passwd.age': 3 } },
  'secrets-nix/0x15BA88FF+cosmos/secrets/secrets.nix': { rules: 2, read: 'static', keys: { 'password-user-null.age': 2, 'luks-secret-stellar.age': 1 } },
  'secrets-nix/0xB10C+peer-observer-infra-demo/secrets/secrets.nix': { rules: 4, read: 'static', keys: { 'wireguard-private-key-hal.age': 2 } },
  'secrets-nix/1randomguy+nixconfig/secrets/secrets.nix': { rules: 16, read: 'static', keys: { 'wireguard_work.age': 2, 'porkbun.age': 4 } },
  'secrets-nix/2m+lab-nix/secrets/secrets.nix': { rules: 15, read: 'static', armored: 15, keys: { 'cloudflare_token.age': 3, 'restic_password.age': 2 } },
  'secrets-nix/38B+nix/secrets/secrets.nix': { rules: 2, read: 'static', keys: { 'secret.age': 2 } },
  'secrets-nix/5225225+dotfiles/secrets/secrets.nix': { rules: 6, read: 'static', keys: { 'lastfm.age': 2 } },
  // A genAttrs written with listToAttrs and map: only an evaluator reads it.
  'secrets-nix/6iovan+nix-config/secrets/secrets.nix': { rules: 2, read: 'nix-only', keys: { 'mihomo.yaml.age': 1, 'nix-access-tokens.age': 1 } },
  'secrets-nix/8-sided-oregon+nixos/secrets/secrets.nix': { rules: 1, read: 'static', keys: { 'yggdrasil-lachesis.age': 1 } },
  // `darwin.ssh-host = …` in let: a dotted binding, selected back as darwin.ssh-host.
  'secrets-nix/AVGVSTVS96+nixos-config/secrets/secrets.nix': { rules: 5, read: 'static', keys: { 'primary.age': 2 } },
  'secrets-nix/AidoP+nix-systems/secrets/secrets.nix': { rules: 3, read: 'static', keys: { 'trifuse-xyz-cert.age': 1 } },
  'secrets-nix/AlexBMJ+NixOS-config/secrets/secrets.nix': { rules: 10, read: 'static', keys: { 'maroka-password.age': 2, 'v00334-password.age': 1, 'lego-env.age': 3 } },
  // builtins.attrValues of two sets and users.alexw / systems.xyber selections.
  'secrets-nix/AlexWright1324+nixos-configuration/secrets.nix': { rules: 8, read: 'static', keys: { 'hosts/xyber/secrets/cloudflared/home-assistant.age': 2, 'secrets/cloudflared.age': 4 } },
  'secrets-nix/BonusPlay+sysconf/secrets/secrets.nix': { rules: 33, read: 'static', keys: { 'beszel-env.age': 12, 'docker-registry-service-account.age': 1 } },
  'secrets-nix/Callum-Leach+raddservernix/secrets/secrets.nix': { rules: 3, read: 'static', keys: { 'vaultwarden.age': 2 } },
  'secrets-nix/Erethon+hesperidOS/secrets.nix': { rules: 1, read: 'static', keys: { 'secrets/hass-bearer.age': 1 } },
  // builtins.readFile ./hosts/*/ssh_host_ed25519_key.pub: those files are not in the corpus.
  'secrets-nix/GearKite+servers/secrets.nix': { rules: 5, read: 'neither', keys: {} },
  // `if builtins.pathExists "/etc/ssh/ed25519_key.pub"`: outside the repository, restricted evaluation sees
  // no such file, so Nix gives every rule the one key "".
  'secrets-nix/Icy-Thought+snowflake/hosts/thinkpad-e595/secrets/secrets.nix': { rules: 6, read: 'nix-only', keys: { 'ClosedAI.age': 1, 'aletheia.age': 1 } },
  // import ./identities.nix: not in the corpus.
  'secrets-nix/fufexan+dotfiles/secrets/secrets.nix': { rules: 1, read: 'neither', keys: {} },
};

/** The rules files of the corpus: each repository's secrets.nix files, and INDEX.tsv's entries. */
function corpusRulesFiles(): { file: string; root: string }[] {
  const out: { file: string; root: string }[] = [];
  const walk = (dir: string, root: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, root);
      else if (name === 'secrets.nix') out.push({ file: path.slice(CORPUS.length), root });
    }
  };
  for (const repo of readdirSync(CORPUS)) {
    if (repo === 'secrets-nix' || !existsSync(join(CORPUS, repo, 'PROVENANCE'))) continue;
    walk(join(CORPUS, repo), join(CORPUS, repo));
  }
  for (const line of readFileSync(join(CORPUS, 'secrets-nix/INDEX.tsv'), 'utf8').split('\n')) {
    const [repo, , path] = line.split('\t');
    if (repo && path) out.push({ file: `secrets-nix/${repo}/${path}`, root: join(CORPUS, 'secrets-nix', repo) });
  }
  return out;
}

const byName = (rules: readonly AgenixRule[]): AgenixRule[] => [...rules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

async function readWith(entry: { file: string; root: string }, nix: 'never' | 'always'): Promise<AgenixRule[] | null> {
  const file = join(CORPUS, entry.file);
  const options = { file, root: entry.root, readFile: repositoryFileReader(entry.root), nix, nixOptions: { run: runProcess, env: process.env } };
  try {
    return (await readAgenixRules(readFileSync(file, 'utf8'), entry.file, options)).rules;
  } catch {
    return null;
  }
}


describe('corpus presence', () => {
  it.runIf(IN_CI)('../shared/corpus is present under CI', () => expect(HAVE_CORPUS).toBe(true));
  it.runIf(IN_CI)('nix-instantiate is installed under CI (.ci/run installs nix-bin)', () => expect(HAVE_NIX).toBe(true));
});

describeShared('corpus', 'agenix rules of the real-world corpus', () => {
  const entries = corpusRulesFiles();

  it('every rules file of the corpus has its facts written down here', () => {
    expect(entries.map((e) => e.file).sort()).toEqual(Object.keys(FACTS).sort());
  });

  it('(a) at least 80% are read without Nix, exactly the ones the facts say, with the counts read from the files', async () => {
    let read = 0;
    for (const entry of entries) {
      const fact = FACTS[entry.file] as Fact;
      const rules = await readWith(entry, 'never');
      expect(rules !== null, entry.file).toBe(fact.read === 'static');
      if (!rules) continue;
      read++;
      expect(rules.length, entry.file).toBe(fact.rules);
      for (const [name, count] of Object.entries(fact.keys)) expect(rules.find((r) => r.name === name)?.publicKeys.length, `${entry.file} ${name}`).toBe(count);
      expect(rules.filter((r) => r.armor).length, entry.file).toBe(fact.armored ?? 0);
    }
    expect(read / entries.length).toBeGreaterThanOrEqual(0.8);
  });

  it('reads attrValues in Nix order and selections exactly (AlexWright1324)', async () => {
    const rules = await readWith({ file: 'secrets-nix/AlexWright1324+nixos-configuration/secrets.nix', root: join(CORPUS, 'secrets-nix/AlexWright1324+nixos-configuration') }, 'never');
    const keys = rules?.find((r) => r.name === 'secrets/cloudflared.age')?.publicKeys;
    // systems sorted by name ("Alex-PC-NixOS" < "oracle" < "xyber"), then the one user.
    expect(keys).toEqual([
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPwCLIiihT2QxI6RPeBSOp5iZ21oXCkFK8JOLb+7JkHI',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID0lw1aR48cuhhj7GJBTYkoOu/j6zIR03KYMv3dAxM4b',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIk0NQz5atzhlYuHHCzaUvkXOQGm5yX+LeRhQEceFw6P',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOdRGCnjfnn+e7iIPZ0VLBZkpoY1m3uh769iKLYsDi5f',
    ]);
  });

  it.runIf(HAVE_NIX)('(b) with nix-instantiate every file it can evaluate from the repository alone is read; (c) both paths agree', async () => {
    for (const entry of entries) {
      const fact = FACTS[entry.file] as Fact;
      const viaNix = await readWith(entry, 'always');
      expect(viaNix !== null, entry.file).toBe(fact.read !== 'neither');
      if (!viaNix) continue;
      expect(viaNix.length, entry.file).toBe(fact.rules);
      for (const [name, count] of Object.entries(fact.keys)) expect(viaNix.find((r) => r.name === name)?.publicKeys.length, `${entry.file} ${name}`).toBe(count);
      const viaStatic = await readWith(entry, 'never');
      if (viaStatic) expect(byName(viaStatic), entry.file).toEqual(byName(viaNix));
    }
  });
});
