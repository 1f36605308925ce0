/**
 * The packages as users get them: `npm pack` both, install the library into a scratch project and compile
 * a consumer of its public API with `tsc --strict`, `nodenext` and `skipLibCheck: false` (and no
 * `@types/node`), run it; install the CLI tarball alone into a scratch global prefix and run `secrets`
 * from another directory. Needs the build (`npm test` builds first) and the npm registry or its cache for
 * the packages' own dependencies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.js';

const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });

let scratch = '';
const tarball = (name: string): string => join(scratch, `secrets-${name}-0.1.0.tgz`);
const contents = (name: string): string[] => execFileSync('tar', ['tzf', tarball(name)], { encoding: 'utf8' }).trim().split('\n');

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'secrets-packaging-'));
  npm(['pack', '--pack-destination', scratch, '-w', 'packages/core', '-w', 'packages/cli'], REPO_ROOT);
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('tarballs', () => {
  it('carry README and LICENSE and no build leftovers; the CLI ships one copy of its code', () => {
    for (const name of ['core', 'cli']) {
      const files = contents(name);
      expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json']));
      expect(files.filter((f) => /tsbuildinfo|\.test\.|\/test\//.test(f))).toEqual([]);
    }
    // Source maps point into src/, which ships beside them.
    const core = contents('core');
    expect(core).toContain('package/src/index.ts');
    expect(core).toContain('package/dist/index.d.ts');
    // The bundle, its chunks and the vendored yaml and re2js only: no unbundled dist/*.js, no typings.
    const cli = contents('cli').filter((f) => f.startsWith('package/dist/'));
    expect(cli.filter((f) => !/^package\/dist\/(cli\.cjs|chunks\/[^/]+\.cjs|vendor\/(yaml|re2js)\.cjs)(\.cache|\.batch\.cache)?$/.test(f))).toEqual([]);
    // Each file with its two code caches (bin/secrets.js: the default and the batch profile).
    for (const file of cli.filter((f) => f.endsWith('.cjs'))) expect(cli).toEqual(expect.arrayContaining([`${file}.cache`, `${file}.batch.cache`]));
    expect(cli).toEqual(expect.arrayContaining(['package/dist/vendor/yaml.cjs', 'package/dist/vendor/re2js.cjs']));
  });
});

describe('@secrets/core in a strict TypeScript project', () => {
  it('compiles with skipLibCheck false and no @types/node, and runs', () => {
    const project = join(scratch, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', tarball('core')], project);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023'], types: [], skipLibCheck: false, outDir: 'out' },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { createSopsFile, generateX25519Identity, identityToRecipient, isSecretsError, openSopsFile, parseIdentities, parseRecipient, parseTreePath, getAtPath, storeFor, type Document } from '@secrets/core';
declare const console: { log(...values: unknown[]): void };
const identity = await generateX25519Identity();
const recipient = parseRecipient(await identityToRecipient(identity));
const document: Document = storeFor('yaml').loadPlain(new Uint8Array([...'db:\\n    password: hunter2\\n'].map((c) => c.charCodeAt(0))));
const file = await createSopsFile(document, { format: 'yaml', keyGroups: [[recipient]], now: new Date() });
const opened = await openSopsFile(file, { format: 'yaml', identities: parseIdentities(identity, 'generated') });
const value = getAtPath(opened.document, parseTreePath('["db"]["password"]'));
try {
  await openSopsFile(file, { format: 'yaml', identities: [] });
} catch (e) {
  console.log(isSecretsError(e) ? e.code : 'other', value?.kind === 'string' ? value.value : '?');
}
`,
    );
    const compiled = spawnSync(process.execPath, [TSC, '-p', project], { cwd: project, encoding: 'utf8' });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const ran = spawnSync(process.execPath, [join(project, 'out/consumer.js')], { cwd: project, encoding: 'utf8' });
    expect(ran.stderr).toBe('');
    expect(ran.stdout.trim()).toMatch(/^[A-Z_]+ hunter2$/);
  }, 180_000);
});

describe('the CLI tarball installed alone', () => {
  it('npm install -g <tarball> gives a working secrets from any directory', () => {
    const prefix = join(scratch, 'global');
    npm(['install', '-g', '--prefix', prefix, tarball('cli')], scratch);
    const secrets = join(prefix, 'bin/secrets');
    const version = spawnSync(secrets, ['--version'], { cwd: scratch, encoding: 'utf8' });
    expect(version.stdout.trim()).toBe('0.1.0');
    // Self-contained: yaml and re2js are bundled into dist/vendor/, so the install brings no dependency.
    expect(existsSync(join(prefix, 'lib/node_modules/@secrets/cli/node_modules'))).toBe(false);
    // decrypt loads the YAML store from the bundle.
    const decrypted = spawnSync(secrets, ['decrypt', '--extract', '["example_key"]', join(REPO_ROOT, 'examples/batchn/secrets/example.yaml')], {
      cwd: scratch,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: scratch, SOPS_AGE_KEY_FILE: join(REPO_ROOT, 'examples/keys/admin_michael.agekey') },
    });
    expect(decrypted.stderr).toBe('');
    expect(decrypted.stdout).toBe('example_value');
    expect(decrypted.status).toBe(0);
    // A .sops.yaml (yaml) with a path_regex (re2js): the vendored copies in dist/vendor/ are in the tarball.
    const repo = join(scratch, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, '.sops.yaml'), 'creation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    age: age1a9pr2h0ta2yshs45sezwdukhajq3yqewpyewfsuzg3xk48gfugks3qshup\n');
    writeFileSync(join(repo, 'plain.yaml'), 'db: {password: hunter2}\n');
    const encrypted = spawnSync(secrets, ['encrypt', '--filename-override', 'secrets/db.yaml', 'plain.yaml'], { cwd: repo, encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: scratch } });
    expect(encrypted.stderr).toBe('');
    expect(encrypted.stdout).toMatch(/^db:\n {4}password: ENC\[AES256_GCM,/);
    expect(encrypted.status).toBe(0);
  }, 180_000);
});
