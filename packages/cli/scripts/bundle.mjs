/**
 * Bundles the built CLI (dist/main.js and @secrets/core's dist) into dist/cli.cjs plus chunks that load
 * on demand (dist/chunks/): one per command, typage and noble only when the native age path cannot
 * answer. Startup is most of a small command's time, and resolving, compiling and evaluating ~100 modules
 * is most of startup. `yaml` and `re2js` stay out of the bundle: core loads them synchronously with
 * require(), yaml when its fast YAML reader declines and re2js for the first regex. Each is bundled on its
 * own into dist/vendor/NAME.cjs (from the pinned package in node_modules), which bin/secrets.js loads for
 * `require('NAME')`: loaded from the package, each was ~100 CommonJS modules (yaml) or one large file
 * compiled without a code cache, ~40-50 ms of CPU for every command that reads a `.sops.yaml`. Core as a
 * library still imports the real packages.
 * Each output file gets two V8 code caches (`<file>.cache`, `<file>.batch.cache`: one per profile of
 * bin/secrets.js), which bin/secrets.js uses.
 *
 * Run by the root `build` script after tsc; bin/secrets.js loads the result.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

// Module ids (paths) that go into the `common` chunk, and those kept out of it. A captured module brings
// its dependencies along, so core's index (which re-exports everything) stays out: with it, the whole
// of core, repository scanning and the Nix evaluator included, was loaded by every command.
const COMMON = /\/packages\/(core\/dist\/|cli\/dist\/(identities|io|output|context|exit-codes)\.js$)/;
const LAZY = /\/(config|agenix|nix|repo)\/|\/core\/dist\/index\.js$|\/(decrypt-session|encrypt-typage|ssh-ed25519|ssh-rsa|private-key|bcrypt-pbkdf|run-process)\.js$/;
const common = (id) => COMMON.test(id.replaceAll('\\', '/')) && !LAZY.test(id.replaceAll('\\', '/'));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const packageVersion = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')).version;

/** commander requires child_process up front for executable subcommands, which we do not use. */
const lazyChildProcess = {
  name: 'lazy-child-process',
  transform(code, id) {
    if (!/commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) throw new Error('commander changed: update the lazy-child-process plugin');
    return code.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };");
  },
};

/**
 * Node builtins that Node's own start-up has already loaded (and `vm`, which bin/secrets.js loads): free to
 * require. Any other builtin costs the compile and run of its internal modules on first require (measured:
 * node:crypto and the streams stack it brings ~3 ms, node:child_process with net and dgram ~1.5 ms,
 * node:fs/promises with readline ~1 ms), so a chunk that imports it only requires it on first use.
 */
const LOADED_AT_START = new Set(['node:fs', 'node:path', 'node:url', 'node:module', 'node:vm', 'node:events', 'node:buffer', 'node:util', 'node:process']);

/**
 * Turns a chunk's top-level `let node_x = require("node:x");` into an object whose properties require the
 * builtin on first access. Runs before minification, on rolldown's own naming: a builtin namespace is
 * only ever used as `node_x.member` (`(0, node_x.fn)(…)`), which is checked; any other use of the name
 * keeps that require as it was.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  renderChunk(code) {
    const out = code.replace(/^let (node_\w+) = require\("(node:[\w/]+)"\);$/gm, (line, name, id) => {
      if (LOADED_AT_START.has(id)) return line;
      const uses = [...code.matchAll(new RegExp(`(?<![\\w$.])${name}(?![\\w$])(\\.[A-Za-z_$][\\w$]*)?`, 'g'))].slice(1);
      if (uses.length === 0 || uses.some((m) => m[1] === undefined)) return line;
      const members = [...new Set(uses.map((m) => m[1].slice(1)))];
      return `let ${name} = ((load) => { let m; const o = {}; for (const k of ${JSON.stringify(members)}) Object.defineProperty(o, k, { get: () => (m ??= load())[k] }); return o; })(() => require(${JSON.stringify(id)}));`;
    });
    return out === code ? null : { code: out };
  },
};

/**
 * Fails the build if a file is not all ASCII. The outputs are written with `charset: 'ascii'` (non-ASCII
 * characters as \u escapes): a source that is all ASCII is a one-byte string, which bin/secrets.js reads
 * and V8 takes faster (measured on the common chunk: read 0.95 -> 0.31 ms, compile with its cache
 * 1.4 -> 0.9 ms). rolldown leaves tagged template quasis alone (their raw text is observable).
 */
function checkAscii(code, file) {
  const at = code.search(/[^\x00-\x7f]/);
  if (at !== -1) throw new Error(`${file}: a non-ASCII character at ${at} (a tagged template?): the file would load as a two-byte string`);
}

/** The packages bundled apart into dist/vendor/ (see above), and the core modules that require them. */
const VENDORED = ['yaml', 're2js'];

/**
 * core requires yaml and re2js through createRequire(import.meta.url), which is Node's own require: in the
 * bundle it is the plain `require` bin/secrets.js hands each file, which loads dist/vendor/NAME.cjs.
 */
const vendorRequire = {
  name: 'vendor-require',
  transform(code, id) {
    const m = /core[\\/]dist[\\/](?:sops[\\/]stores[\\/]yaml-lib|re2)\.js$/.exec(id);
    if (!m) return null;
    const eager = /createRequire\(import\.meta\.url\)\('(yaml|re2js)'\)/;
    if (!eager.test(code)) throw new Error(`${id} changed: update the vendor-require plugin`);
    return code.replace(eager, "require('$1')");
  },
};

await rm(join(dist, 'chunks'), { recursive: true, force: true });
await rm(join(dist, 'vendor'), { recursive: true, force: true });
const bundle = await rolldown({
  input: { cli: `${dist}main.js` },
  platform: 'node',
  external: VENDORED,
  plugins: [lazyChildProcess, lazyBuiltins, vendorRequire],
  // cliVersion() (run.ts) returns this instead of reading package.json on every run.
  transform: { define: { SECRETS_CLI_VERSION: JSON.stringify(packageVersion) } },
  logLevel: 'warn',
});
await bundle.write({
  dir: dist,
  // CommonJS: Node starts a CommonJS entry faster, and require() loads a chunk with less work than the
  // ES module loader (resolution, linking); dynamic import() becomes a deferred require().
  format: 'cjs',
  // import() of node: builtins as require(): bin/secrets.js runs the files as vm scripts, which have no
  // dynamic import hook.
  dynamicImportInCjs: false,
  entryFileNames: '[name].cjs',
  chunkFileNames: 'chunks/[name]-[hash].cjs',
  minify: true,
  charset: 'ascii',
  // Every module has a price at startup: what nearly every command needs goes into one chunk. Left out,
  // to load only on demand: what imports yaml (config, agenix, nix), typage or noble.
  codeSplitting: {
    groups: [{ name: 'common', test: common }],
  },
});
await bundle.close();

// The vendored packages, each into one file with its licence on top (the minifier drops comments).
const requireHere = createRequire(import.meta.url);
for (const name of VENDORED) {
  const entry = requireHere.resolve(name); // its CommonJS build, which require() gets
  const packageDir = entry.slice(0, entry.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}/`.length);
  const { version, license } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
  const licenseText = (await readFile(join(packageDir, 'LICENSE'), 'utf8')).trim().replaceAll('*/', '* /');
  const vendor = await rolldown({ input: entry, platform: 'node', logLevel: 'warn' });
  await vendor.write({
    file: join(dist, 'vendor', `${name}.cjs`),
    format: 'cjs',
    minify: true,
    charset: 'ascii',
    banner: `/*! ${name} ${version} (${license}), bundled from its npm package.\n${licenseText}\n*/`,
  });
  await vendor.close();
}

// Every output is ASCII (one-byte strings compile faster from a cache) and has no import() left.
const outputs = [
  join(dist, 'cli.cjs'),
  ...(await readdir(join(dist, 'chunks'))).filter((f) => f.endsWith('.cjs')).map((f) => join(dist, 'chunks', f)),
  ...VENDORED.map((name) => join(dist, 'vendor', `${name}.cjs`)),
];
for (const file of outputs) {
  const code = await readFile(file, 'utf8');
  checkAscii(code, file);
  if (/\bimport\(\s*[`'"]/.test(code)) throw new Error(`${file}: a dynamic import() survived bundling`);
}

// Code caches, made by bin/secrets.js itself (SECRETS_CODE_CACHE), so that each profile's caches are
// compiled under that profile's V8 flags, with its wrapper and file names: first every file, then warmed
// with what running commands compiles.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = join(root, 'examples/batchn/secrets/example.yaml');
const key = join(root, 'examples/keys/admin_michael.agekey');
const bin = fileURLToPath(new URL('../bin/secrets.js', import.meta.url));
/** Runs the built CLI with SECRETS_CODE_CACHE=`mode` (see bin/secrets.js); `args` also choose the profile. */
function cacheRun(mode, args, cwd = root) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dist, SOPS_AGE_KEY_FILE: key, SECRETS_CODE_CACHE: mode };
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`writing the code caches failed (${mode} ${args.join(' ')}): ${run.stderr}`);
}
cacheRun('write-all', []);
cacheRun('write-all', ['rekey']);
if (existsSync(example) && existsSync(key)) {
  // Default profile: decrypting the repository's example (with its public throwaway key) runs the code
  // every command shares: dispatch, identities, age, the YAML store.
  cacheRun('write', ['decrypt', example]);
  const scratch = await mkdtemp(join(tmpdir(), 'secrets-bundle-'));
  try {
    // Then the vendored packages' caches (only theirs: the bundle's stay what decrypt needs), warmed by what
    // every command that reads a `.sops.yaml` runs: the config parser (yaml), a path_regex (re2js), and
    // yaml for a plaintext the fast reader declines (flow collections).
    const recipient = /^# public key: (age1\w+)$/m.exec(await readFile(key, 'utf8'))?.[1];
    const rule = (keys) => `creation_rules:\n  - path_regex: secrets/[^/]+\\.yaml$\n    key_groups:\n      - age:\n${keys.map((k) => `          - "${k}"\n`).join('')}`;
    await writeFile(join(scratch, '.sops.yaml'), rule([recipient]));
    await mkdir(join(scratch, 'secrets'));
    await writeFile(join(scratch, 'secrets/new.yaml'), 'db: {user: app, password: hunter2}\nports: [80, 443]\n');
    cacheRun('write-vendor', ['encrypt', 'secrets/new.yaml'], scratch);
    // Batch profile, each run adding to the caches the last one wrote: the example gets a new recipient
    // (the host's SSH key: an ssh-ed25519 wrap, as hosts add gives), then a new data key, then a check.
    await rm(join(scratch, 'secrets/new.yaml'));
    await writeFile(join(scratch, 'secrets/example.yaml'), await readFile(example));
    // The example's host recipient (as the repository's .sops.yaml names it): kept, not removed.
    const server = 'age1c4ug68scj9xkkqvn4lncxn4nlzh8urj0srfy6uszpnh34g9wfq9smtsmfl';
    const host = (await readFile(join(root, 'examples/keys/hosts/batchn_ssh_host_ed25519_key.pub'), 'utf8')).trim();
    await writeFile(join(scratch, '.sops.yaml'), rule([recipient, server, host]));
    cacheRun('write', ['rekey', '-y'], scratch);
    cacheRun('write', ['rekey', '-y', '--rotate'], scratch);
    cacheRun('write', ['check'], scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
