/**
 * The real-world corpus (../shared/corpus: key-free files of public NixOS configurations, see its README
 * and each PROVENANCE) through `check`, `nix sops` and `agenix rekey --dry-run`, in core over an
 * in-memory view of each repository (every path of tree.txt) and through the real CLI on the files.
 *
 * Every expected value below was written by reading the files (the `.sops.yaml` rules, each file's
 * `sops:` recipients, the secrets.nix bindings and each age header's stanza tags, computed as
 * base64(sha256(key)[:4]) per the age spec), not by running this tool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRepository, decideRulesFile, planAgenixRekey, planRekey, planSopsNix, readAgenixLock, secretsNixKeyNames, sopsNixDeclarations, type CheckReport } from '@secrets/core';
import { CORPUS, MOUNT, corpusMissing, corpusRepositories, corpusView } from './support/corpus.js';
import { runProcess } from './support/cli.js';

const skip = corpusMissing();

describe('corpus availability', () => {
  it('a missing corpus skips with one line, and fails under CI=true', () => {
    expect(corpusMissing(null, {})).toBe('needs ../shared/corpus (files written by other projects, read in place), absent here');
    expect(() => corpusMissing(null, { CI: 'true' })).toThrow('../shared/corpus is missing, and CI=true requires it');
    expect(corpusMissing('/somewhere', { CI: 'true' })).toBeNull();
  });
});
const title = (name: string): string => (skip === null ? name : `${name} (skipped: ${skip})`);

/** What `check` must report for each repository: sops and agenix files checked, and the findings. */
const CHECK: Record<string, { configs: string[]; rules: string[]; checked: number; findings: Record<string, string[] | number> }> = {
  // agenix only. Rules: secrets/secrets.nix; machines/tsugumi/secrets.nix is a NixOS module (PROVENANCE).
  // magic-reboot.key.age and redis-nixcheck-password.age are for allKeys (svein sveinKaho saya tsugumi),
  // but their headers hold stanzas for svein (19FOMw), saya (/MP1ag) and tsugumi (u84oQg): no sveinKaho (swu6bg).
  'Baughn+machine-config': { configs: [], rules: ['secrets/secrets.nix'], checked: 17, findings: { 'recipients-differ': ['secrets/magic-reboot.key.age', 'secrets/redis-nixcheck-password.age'] } },
  // clan: .sops.yaml rules name terraform/secrets.enc.json and darwin/evo/test-secrets.yml only (neither
  // exists); all 321 sops files (114 sops/secrets/NAME/secret, 206 vars/…/secret, openwrt/secrets.yml) are out of reach.
  'Mic92+dotfiles': { configs: ['.sops.yaml'], rules: [], checked: 321, findings: { 'no-rule': 321 } },
  // every host file carries its host's age key and the pgp key misterio, as its rule says.
  'Misterio77+nix-config': { configs: ['.sops.yaml'], rules: [], checked: 5, findings: {} },
  // craig.sops lacks 13 of the rule's 20 keys and has 2 others; adric.cfg.sops lacks 9.
  'TUM-DSE+doctor-cluster-config': { configs: ['.sops.yaml'], rules: [], checked: 44, findings: { 'recipients-differ': ['docs/hosts/craig.sops', 'hosts/adric.cfg.sops'] } },
  // clan again: rules name configuration/… files; the 177 sops files under sops/ and vars/ are out of reach.
  'badele+nix-homelab': { configs: ['.sops.yaml'], rules: [], checked: 177, findings: { 'no-rule': 177 } },
  // rules exist for enchilada, mtl0, nuc, parrot, sparrow, xps8930, not for hkg0.
  'linyinfeng+dotfiles': { configs: ['.sops.yaml'], rules: [], checked: 13, findings: { 'no-rule': ['secrets/predefined/hosts/hkg0.yaml', 'secrets/terraform/hosts/hkg0.yaml'] } },
  // every file has stanzas for both keys of allKeys (notthebee SNTVPw, system 7IugKw).
  'notthebee+nix-config': { configs: [], rules: ['secrets/secrets.nix'], checked: 12, findings: {} },
  // agenix-rekey: .age files but no rules file; modules/secrets.nix, users/modules/secrets.nix and
  // config/secrets.nix are modules (PROVENANCE), so nothing is rules and nothing is reported.
  'oddlama+nix-config': { configs: [], rules: [], checked: 0, findings: {} },
  // every file's ssh stanzas are exactly its rule's keys (user1 V3XmEA, system1 KLPP8w); armored-secret.age is armored.
  'ryantm+agenix': { configs: [], rules: ['example/secrets.nix'], checked: 5, findings: {} },
  // X25519 stanzas are anonymous and there is no secrets.lock: uncertain, which check does not call a finding.
  'yaxitech+ragenix': { configs: [], rules: ['example/secrets.nix'], checked: 2, findings: {} },
};

/** `nix sops`: installable leaves, the names declared once, the later files giving a name already declared, and the problems. */
const NIX: Record<string, { inputs: number; declared: number; repeated: number; problems: string[] }> = {
  'Mic92+dotfiles': { inputs: 321, declared: 219, repeated: 105, problems: ['./openwrt/secrets.yml: pppoe_password'] },
  'Misterio77+nix-config': { inputs: 5, declared: 37, repeated: 0, problems: [] },
  'TUM-DSE+doctor-cluster-config': { inputs: 44, declared: 69, repeated: 245, problems: ['./secrets.yml: github_app_id'] },
  'badele+nix-homelab': { inputs: 177, declared: 117, repeated: 60, problems: [] },
  'linyinfeng+dotfiles': { inputs: 13, declared: 111, repeated: 212, problems: [] },
};

/** `agenix rekey --dry-run` from the rules file's directory: the stale files and why; the rest up to date. */
const AGENIX: Record<string, { dir: string; stale: Record<string, string>; current: number }> = {
  'Baughn+machine-config': { dir: 'secrets', stale: { 'magic-reboot.key.age': 'ssh recipients changed (new sveinKaho)', 'redis-nixcheck-password.age': 'ssh recipients changed (new sveinKaho)' }, current: 15 },
  'notthebee+nix-config': { dir: 'secrets', stale: {}, current: 12 },
  'ryantm+agenix': { dir: 'example', stale: {}, current: 5 },
  'yaxitech+ragenix': {
    dir: 'example',
    // in rule order: root.passwd.age comes first in secrets.nix
    stale: { 'root.passwd.age': 'its X25519 recipients are anonymous and secrets.lock has no record of them', 'github-runner.token.age': 'its X25519 recipients are anonymous and secrets.lock has no record of them' },
    current: 0,
  },
};

function summary(report: CheckReport): Record<string, string[] | number> {
  const out: Record<string, string[]> = {};
  for (const f of report.findings) (out[f.kind] ??= []).push(f.file);
  // Long lists are compared by count (each path is checked by the kind's own test below).
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length > 10 ? v.length : v.sort()]));
}

describe.skipIf(skip !== null)(title('real-world corpus in core (in-memory view of every tree.txt path)'), () => {
  it('covers every repository of the corpus', () => {
    expect(corpusRepositories()).toEqual(Object.keys(CHECK).sort());
  });

  for (const [repo, want] of Object.entries(CHECK)) {
    it(`check: ${repo}`, () => {
      const report = checkRepository(corpusView(repo), { root: MOUNT });
      expect(report.configs).toEqual(want.configs.map((c) => `${MOUNT}/${c}`));
      expect(report.rulesFiles).toEqual(want.rules.map((c) => `${MOUNT}/${c}`));
      expect(report.checked).toBe(want.checked);
      expect(summary(report)).toEqual(want.findings);
    });
  }

  it('check names recipients as the repository does: .sops.yaml anchors, secrets.nix bindings', () => {
    const misterio = checkRepository(corpusView('Misterio77+nix-config'), { root: MOUNT });
    expect(misterio.recipients.map((r) => [r.label, r.opens.length])).toEqual([
      ['taygeta', 2], ['misterio', 5], ['celaeno', 2], ['alcyone', 2], ['merope', 2], ['atlas', 1], ['maia', 1], ['pleione', 1],
    ]);
    const baughn = checkRepository(corpusView('Baughn+machine-config'), { root: MOUNT });
    expect(baughn.agenixRecipients.map((r) => [r.label, r.opens.length, r.cannot.length])).toEqual([['svein', 17, 0], ['saya', 5, 0], ['tsugumi', 15, 0], ['sveinKaho', 0, 2]]);
    expect(baughn.findings.map((f) => f.message)).toEqual([
      'recipients differ from its rule in secrets/secrets.nix: ssh recipients changed (new sveinKaho) (run secrets agenix rekey)',
      'recipients differ from its rule in secrets/secrets.nix: ssh recipients changed (new sveinKaho) (run secrets agenix rekey)',
    ]);
  });

  it('a sops file no rule reaches is named, with its config', () => {
    const mic92 = checkRepository(corpusView('Mic92+dotfiles'), { root: MOUNT });
    const unreached = mic92.findings.filter((f) => f.kind === 'no-rule').map((f) => f.file);
    expect(unreached).toContain('sops/secrets/bernie-password/secret');
    expect(unreached).toContain('vars/per-machine/bernie/openssh/ssh.id_ed25519/secret');
    expect(unreached).toContain('openwrt/secrets.yml');
    expect(mic92.findings[0]?.message).toBe('a sops file no creation rule of .sops.yaml reaches: it cannot be rekeyed');
  });

  it('no secrets.nix that PROVENANCE lists as not agenix rules is taken for rules or reported', () => {
    let listed = 0;
    for (const repo of corpusRepositories()) {
      const provenance = readFileSync(join(CORPUS as string, repo, 'PROVENANCE'), 'utf8');
      const line = provenance.split('\n').find((l) => l.startsWith('secrets.nix files that are NOT agenix rules'));
      const notRules = line === undefined ? [] : (line.split(': ')[1] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
      listed += notRules.length;
      const report = checkRepository(corpusView(repo), { root: MOUNT });
      for (const path of notRules) {
        expect(report.rulesFiles).not.toContain(`${MOUNT}/${path}`);
        expect(report.findings.map((f) => f.file)).not.toContain(path);
      }
    }
    expect(listed).toBe(5); // Baughn 1, linyinfeng 1, oddlama 3
  });

  it('non-rules secrets.nix files are neither rules nor findings, even beside .age files', () => {
    // oddlama's modules/secrets.nix is an agenix-rekey module; here it sits beside .age files.
    const module = '{ config, lib, ... }: {\n  age.secrets.x.rekeyFile = ./x.age;\n  age.rekey.masterIdentities = [ ./yubikey.pub ];\n}\n';
    const view = corpusView('oddlama+nix-config', new Map([[`${MOUNT}/hosts/ward/secrets/secrets.nix`, new TextEncoder().encode(module)]]));
    const report = checkRepository(view, { root: MOUNT });
    expect([report.rulesFiles, report.findings]).toEqual([[], []]);
    expect(decideRulesFile(view, `${MOUNT}/hosts/ward/secrets/secrets.nix`, false).kind).toBe('not-rules');
  });

  // rekey's plan needs no key: the same facts as check's (files to rekey = recipients differ; files no
  // rule reaches are left alone); rules with PGP keys fail only for files that would change.
  const REKEY: Record<string, { items: string[]; upToDate: number; unreached: number }> = {
    'Mic92+dotfiles': { items: [], upToDate: 0, unreached: 321 },
    'Misterio77+nix-config': { items: [], upToDate: 5, unreached: 0 },
    'TUM-DSE+doctor-cluster-config': { items: ['docs/hosts/craig.sops', 'hosts/adric.cfg.sops'], upToDate: 42, unreached: 0 },
    'badele+nix-homelab': { items: [], upToDate: 0, unreached: 177 },
    'linyinfeng+dotfiles': { items: [], upToDate: 11, unreached: 2 },
  };
  for (const [repo, want] of Object.entries(REKEY)) {
    it(`rekey plan: ${repo}`, () => {
      const plan = planRekey(corpusView(repo), { root: MOUNT });
      expect(plan.items.map((i) => i.path.slice(MOUNT.length + 1))).toEqual(want.items);
      expect([plan.upToDate.length, plan.unreached.length, plan.failures]).toEqual([want.upToDate, want.unreached, []]);
    });
  }

  for (const [repo, want] of Object.entries(NIX)) {
    it(`nix sops: ${repo}`, () => {
      const plan = planSopsNix(corpusView(repo), { root: MOUNT, base: MOUNT });
      expect(plan.unreadable).toEqual([]);
      expect(plan.inputs).toHaveLength(want.inputs);
      const { nix, problems } = sopsNixDeclarations(plan.inputs);
      const lines = nix.split('\n');
      expect(lines.filter((l) => l.startsWith('  sops.secrets.'))).toHaveLength(want.declared);
      expect(lines.filter((l) => l.startsWith('  # sops.secrets.'))).toHaveLength(want.repeated);
      expect(problems.map((p) => `${p.file}: ${p.key}`)).toEqual(want.problems);
    });
  }

  it('nix sops names clan-style whole-file secrets by their directory', () => {
    const { nix } = sopsNixDeclarations(planSopsNix(corpusView('Mic92+dotfiles'), { root: MOUNT, base: MOUNT }).inputs);
    expect(nix).toContain('  sops.secrets."bernie-password" = { sopsFile = ./sops/secrets/bernie-password/secret; format = "binary"; };\n');
    expect(nix).toContain('  sops.secrets."openssh/ssh.id_ed25519" = { sopsFile = ./vars/per-machine/bernie/openssh/ssh.id_ed25519/secret; format = "binary"; };\n');
    expect(nix).not.toContain('sops.secrets."secret"');
  });

  for (const [repo, want] of Object.entries(AGENIX)) {
    it(`agenix rekey plan: ${repo}`, () => {
      const view = corpusView(repo);
      const rulesPath = `${MOUNT}/${want.dir}/secrets.nix`;
      const decision = decideRulesFile(view, rulesPath, true);
      if (decision.kind !== 'rules') throw new Error(`not rules: ${decision.kind}`);
      const plan = planAgenixRekey(view, rulesPath, decision.rules, readAgenixLock(view, rulesPath), { names: secretsNixKeyNames(decision.text) });
      const stale = Object.fromEntries(plan.flatMap((i) => (i.state.status === 'stale' ? [[i.name, i.state.reason]] : [])));
      expect(stale).toEqual(want.stale);
      expect(plan.filter((i) => i.state.status === 'current')).toHaveLength(want.current);
      expect(plan.filter((i) => i.state.status === 'missing' || i.state.status === 'unreadable')).toEqual([]);
    });
  }
});

describe.skipIf(skip !== null)(title('real-world corpus through the CLI (read-only runs on ../shared/corpus)'), () => {
  const at = (repo: string, sub = ''): string => join(CORPUS as string, repo, sub);

  for (const [repo, want] of Object.entries(CHECK)) {
    it(`secrets check --json: ${repo}`, async () => {
      const r = await runProcess(['check', '--json'], { cwd: at(repo) });
      if (want.configs.length === 0 && want.rules.length === 0) {
        expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('secrets: error: no .sops.yaml and no agenix rules found')]);
        return;
      }
      const report = JSON.parse(r.stdout) as { checked: number; findings: { file: string; kind: string }[]; agenixRules: string[] };
      expect(report.checked).toBe(want.checked);
      expect(summary({ findings: report.findings } as unknown as CheckReport)).toEqual(want.findings);
      expect(r.status).toBe(Object.keys(want.findings).length === 0 ? 0 : 1);
    });
  }

  for (const [repo, want] of Object.entries(NIX)) {
    it(`secrets nix sops: ${repo}`, async () => {
      const r = await runProcess(['nix', 'sops'], { cwd: at(repo) });
      const lines = r.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('  sops.secrets.'))).toHaveLength(want.declared);
      expect(lines.filter((l) => l.startsWith('  # sops.secrets.'))).toHaveLength(want.repeated);
      // per-host files giving the same names is normal: only what sops-nix cannot install is warned about
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(want.problems.length);
      expect(r.status).toBe(want.problems.length === 0 ? 0 : 1);
    });
  }

  for (const [repo, want] of Object.entries(AGENIX)) {
    it(`secrets agenix rekey --dry-run: ${repo}`, async () => {
      const r = await runProcess(['agenix', 'rekey', '--dry-run'], { cwd: at(repo, want.dir) });
      expect(r.stdout).toBe(Object.entries(want.stale).map(([f, why]) => `would rekey ${f}: ${why}\n`).join(''));
      expect(r.stderr).toBe(`secrets: ${Object.keys(want.stale).length} to rekey, ${want.current} up to date\n`);
      expect(r.status).toBe(0);
    });
  }

  it('secrets agenix rekey --dry-run where there are no rules says so', async () => {
    for (const repo of Object.keys(CHECK).filter((r) => !(r in AGENIX))) {
      const r = await runProcess(['agenix', 'rekey', '--dry-run'], { cwd: at(repo) });
      expect([repo, r.status, r.stderr.split('\n')[0]]).toEqual([repo, 1, 'secrets: error: no agenix rules (secrets.nix) found here or above']);
    }
  });
});
