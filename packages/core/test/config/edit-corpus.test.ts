/**
 * @needs-shared corpus
 *
 * `hosts add`/`users add` and their `rm` on copies of every real `.sops.yaml` of ../shared/corpus. The
 * expected diffs were written by reading each file (its line numbers, indentation and anchor names): one
 * line under keys: (a `keys:` block below the header where the file had none), one alias per chosen rule,
 * nothing else; removing what was added gives the file back byte for byte.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { addKey, removeKey, type RuleSelector } from '../../src/index.js';
import { describeShared, sharedPath } from '../../../../test/support/shared.js';
import { lineDiff } from './line-diff.js';

const HOST = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
const ADMIN = 'age1wl3fqfvyml0c5eaj00j0frad4vhspgx9t8sngq4342j7rzjw4pqs80euxk';

const read = (repo: string): string => readFileSync(sharedPath('corpus', repo, '.sops.yaml'), 'utf8');

interface Case {
  readonly repo: string;
  readonly select: RuleSelector;
  readonly host: readonly string[];
  readonly user: readonly string[];
}

// Added lines, `+N text` with N the line in the new file.
const ADDS: readonly Case[] = [
  {
    // flat keys:, plain anchor names (&evo, &mic92-darwin): the new ones are plain too
    repo: 'Mic92+dotfiles',
    select: { path: 'darwin/evo/test-secrets.yml' },
    host: [`+5   - &newhost ${HOST}`, '+17           - *newhost'],
    user: [`+5   - &alice ${ADMIN}`, '+17           - *alice'],
  },
  {
    // keys grouped under `- &users:` / `- &hosts:` (sequences at their key's column in the rules)
    repo: 'Misterio77+nix-config',
    select: { path: 'hosts/common/secrets.yaml' },
    host: [`+14     - &newhost ${HOST}`, '+51       - *newhost'],
    user: [`+5     - &alice ${ADMIN}`, '+51       - *alice'],
  },
  {
    // groups with trailing comments on their lines, blank lines between rules, `- *hype10 ` with a space
    repo: 'badele+nix-homelab',
    select: { index: 1 },
    host: [`+18     - &newhost ${HOST}`, '+41           - *newhost'],
    user: [`+6     - &alice ${ADMIN}`, '+41           - *alice'],
  },
  {
    // no keys: and no header: the block goes first, in the file's unindented sequence style
    repo: 'linyinfeng+dotfiles',
    select: { index: 5 },
    host: ['+1 keys:', `+2 - &server_newhost ${HOST}`, '+35     - *server_newhost'],
    user: ['+1 keys:', `+2 - &admin_alice ${ADMIN}`, '+35     - *admin_alice'],
  },
  {
    // no keys:, a two-line header comment: the block goes below the header, above creation_rules:
    repo: 'TUM-DSE+doctor-cluster-config',
    select: { path: 'hosts/ace.yml' },
    host: ['+3 keys:', `+4   - &server_newhost ${HOST}`, '+52           - *server_newhost'],
    user: ['+3 keys:', `+4   - &admin_alice ${ADMIN}`, '+52           - *admin_alice'],
  },
];

// Removals of keys the files already have, `-N text` with N the line in the file.
const REMOVALS = [
  { repo: 'Mic92+dotfiles', kind: 'host', name: 'evo', rules: [1], lines: ['-4   - &evo age165555xde02v7u74m04qw9m92kqc9quwdy6nq0cg3na89pdg7he0sfff9zy', '-15           - *evo'] },
  {
    repo: 'Misterio77+nix-config',
    kind: 'host',
    name: 'merope',
    rules: [3, 4],
    lines: ['-8     - &merope age1709qfrwglm75v5x8lpuhryt83k6p6c90npplzzec6a5w8ct93ejscpqpc3', '-36       - *merope', '-44       - *merope'],
  },
  {
    // an admin's PGP fingerprint: its aliases go from every pgp: list
    repo: 'Misterio77+nix-config',
    kind: 'user',
    name: 'misterio',
    rules: [0, 1, 2, 3, 4],
    lines: ['-4     - &misterio 7088C7421873E0DB97FF17C2245CAB70B4C225E9', ...[20, 26, 32, 38, 51].map((n) => `-${n}       - *misterio`)],
  },
  {
    repo: 'badele+nix-homelab',
    kind: 'host',
    name: 'hype10',
    rules: [1, 9],
    lines: ['-17     - &hype10 age1atc7mzjz8k58l7wh5na8d9k5y5fl5qf75m5dtl53l6wvwmrr7pvqxchgtf', '-39           - *hype10 ', '-87           - *hype10'],
  },
  {
    repo: 'badele+nix-homelab',
    kind: 'user',
    name: 'badele',
    rules: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12],
    lines: ['-4     - &badele age15js628ku59g94njn0vup20r4xx34guesgsj5dqsken5hma2zqg2szjed66', ...[23, 30, 44, 50, 56, 62, 68, 74, 80, 86, 105].map((n) => `-${n}           - *badele`)],
  },
] as const;

describeShared('corpus', '.sops.yaml edits on every real file of ../shared/corpus', () => {
  it('covers every .sops.yaml of the corpus (a repository added to it must be added here)', () => {
    const all = readdirSync(sharedPath('corpus'), { recursive: true, encoding: 'utf8' }).filter((p) => basename(p) === '.sops.yaml');
    expect(all.sort()).toEqual(ADDS.map((c) => `${c.repo}/.sops.yaml`).sort());
  });

  for (const c of ADDS) {
    for (const kind of ['host', 'user'] as const) {
      it(`${c.repo}: ${kind} add is ${c[kind].length} added lines, rm gives the file back`, () => {
        const text = read(c.repo);
        const name = kind === 'host' ? 'newhost' : 'alice';
        const added = addKey(text, kind, name, kind === 'host' ? HOST : ADMIN, c.select);
        expect(lineDiff(text, added.text)).toEqual(c[kind]);
        expect(added.keyAdded).toBe(true);
        expect(addKey(added.text, kind, name, kind === 'host' ? HOST : ADMIN, c.select).text).toBe(added.text); // already present
        const removed = removeKey(added.text, kind, name);
        expect(removed.text).toBe(text);
        expect(removed.rules).toEqual(added.rules);
      });
    }
  }

  for (const r of REMOVALS) {
    it(`${r.repo}: ${r.kind === 'host' ? 'hosts' : 'users'} rm ${r.name} removes exactly its lines`, () => {
      const text = read(r.repo);
      const removed = removeKey(text, r.kind, r.name);
      expect(lineDiff(text, removed.text)).toEqual(r.lines);
      expect(removed.rules).toEqual(r.rules);
    });
  }

  it('hosts rm refuses an admin of a grouped file, and names the command to use', () => {
    expect(() => removeKey(read('badele+nix-homelab'), 'host', 'badele')).toThrow(/&badele in \.sops\.yaml is an admin key, not a host/);
    expect(() => removeKey(read('TUM-DSE+doctor-cluster-config'), 'host', 'ace')).toThrow(/no host "ace" in \.sops\.yaml/);
  });
});
