// @needs-shared vectors: built around files written by other tools (public test keys and files), read in place.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sopsNixDeclarations } from '../../src/nix/sops-nix.js';
import { storeFor, type Format } from '../../src/sops/stores/store.js';
import { sharedPath } from '../../../../test/support/shared.js';
import { pathToFileURL } from 'node:url';

const SHARED = pathToFileURL(`${sharedPath('vectors')}/`);
const load = (name: string, format: Format, nixPath = `./${name}`) => ({
  nixPath,
  format,
  document: storeFor(format).loadEncrypted(new Uint8Array(readFileSync(new URL(`sops-nix/${name}`, SHARED)))).document,
});
const expected = JSON.parse(readFileSync(new URL('expected.json', SHARED), 'utf8')) as {
  sops_nix: { files: { file: string; sops_nix_key_lookups?: Record<string, string> }[] };
};

describe('sops-nix declarations', () => {
  it('declares exactly the leaves sops-nix can install, per the vectors\' lookups', () => {
    const lookups = expected.sops_nix.files.find((f) => f.file === 'secrets.yaml')?.sops_nix_key_lookups ?? {};
    const { nix, problems } = sopsNixDeclarations([load('secrets.yaml', 'yaml')]);
    for (const [key, outcome] of Object.entries(lookups)) {
      if (outcome.startsWith('ERROR')) expect(problems.map((p) => p.key)).toContain(key);
      else expect(nix).toContain(`sops.secrets."${key}" = { sopsFile = ./secrets.yaml; key = "${key}"; format = "yaml"; };`);
    }
    expect(nix.match(/sops\.secrets\./g)).toHaveLength(2);
  });

  it('whole-file formats are declared once; JSON nesting, non-strings and odd paths are flagged or quoted', () => {
    const json = { nixPath: './app.json', format: 'json' as const, document: storeFor('json').loadPlain(new TextEncoder().encode('{"a": {"b": "x"}, "n": 5, "s": "ok"}')) };
    const { nix, problems } = sopsNixDeclarations([load('secrets.env', 'dotenv'), load('secrets.ini', 'ini', './my secrets.ini'), json]);
    expect(nix).toContain('sops.secrets."secrets.env" = { sopsFile = ./secrets.env; format = "dotenv"; };');
    expect(nix).toContain('sops.secrets."my secrets.ini" = { sopsFile = (./. + "/my secrets.ini"); format = "ini"; };');
    expect(nix).toContain('sops.secrets."s" = { sopsFile = ./app.json; key = "s"; format = "json"; };');
    expect(problems.map((p) => [p.key, p.reason.split(' ').slice(0, 3).join(' ')])).toEqual([
      ['a', 'nested keys in'],
      ['n', 'the value is'],
    ]);
  });
});
