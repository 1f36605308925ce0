#!/usr/bin/env node
// The installed `secrets` command: a committed shim, because npm links bins before `prepare` builds
// dist/ on a fresh `npm ci`, and skips links whose target does not exist yet.
//
// It runs the bundle (dist/cli.cjs and its chunks, see scripts/bundle.mjs) the way require() would, but
// compiles each file with the V8 code cache the build wrote beside it: compiling is a large part of a
// small command's run time, and Node 20 has no module.enableCompileCache. A missing or rejected cache
// (another Node version) only costs the compile. CommonJS (bin/package.json): Node starts it faster.
// `yaml` and `re2js` are bundled apart into dist/vendor/NAME.cjs (see scripts/bundle.mjs), loaded here the
// same way, with their code caches.
//
// Two profiles, each with its own caches (V8 takes a cache only under the flags it was made with):
// - repository-wide commands (rekey and the commands that offer one, check, agenix rekey) run the same
//   functions over hundreds of files in a process that lives about a second. There TurboFan's background
//   compiles cost more CPU than the optimized code gives back (measured: ~30% of `rekey`'s CPU over 500
//   files, docs/benchmarks.md), so functions tier up only after a larger interrupt budget; their caches
//   hold what a rekey compiles.
// - every other command keeps V8's defaults; its caches hold what decrypting a small file compiles, so a
//   small command deserializes no more than it runs.
//
// SECRETS_CODE_CACHE (the build's, scripts/bundle.mjs): `write` writes the caches of the files this run
// loaded on exit (so they hold the functions it compiled), `write-vendor` those of dist/vendor/ only,
// `write-all` compiles every file and writes its cache without running a command, `check` prints each
// file whose cache V8 rejects. The profile comes from the command line in every mode.
'use strict';
const BATCH_COMMANDS = new Set(['rekey', 'updatekeys', 'hosts', 'users', 'check']);
const args = process.argv.slice(2);
const batch = BATCH_COMMANDS.has(args[0]) || (args[0] === 'agenix' && args.some((a) => a === 'rekey' || a === '-r' || a === '--rekey'));
// V8 11's default is 132 KiB of bytecode executed per function; 1 MB measured best for rekey (500 files:
// 0.75x the CPU time of the default, wall time no worse; 4 MB and --no-opt were no better).
if (batch) require('node:v8').setFlagsFromString('--interrupt-budget=1000000');
const CACHE = batch ? '.batch.cache' : '.cache';

const { readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { Script } = require('node:vm');

const requireOutside = require;
const loaded = new Map();
const scripts = [];
const dist = resolve(__dirname, '../dist');
const vendor = join(dist, 'vendor');
const VENDORED = new Set(['yaml', 're2js']);
const mode = process.env.SECRETS_CODE_CACHE;

/** A bundle file as a vm script, with its cache unless `fresh`. Module.wrap's wrapper, written out: loading node:module costs more. */
function compile(file, fresh) {
  let cachedData;
  if (!fresh) {
    try {
      cachedData = readFileSync(`${file}${CACHE}`);
    } catch {
      // no cache: compile
    }
  }
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  return new Script(source, { filename: file, cachedData });
}

function writeCaches(list) {
  for (const [file, script] of list) {
    try {
      writeFileSync(`${file}${CACHE}`, script.createCachedData());
    } catch {
      // not writable (dist/ may be read-only): keep the build's cache
    }
  }
}

function load(file) {
  const known = loaded.get(file);
  if (known) return known.exports;
  const module = { exports: {} };
  loaded.set(file, module);
  const script = compile(file, false);
  scripts.push([file, script]);
  // Relative ids are chunks; anything else (node: builtins) resolves from here as from dist/: bin/ and
  // dist/ are siblings in the package.
  const require = (id) =>
    id.startsWith('./') || id.startsWith('../') ? load(resolve(dirname(file), id)) : VENDORED.has(id) ? load(join(vendor, `${id}.cjs`)) : requireOutside(id);
  script.runInThisContext().call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}

if (mode === 'write-all' || mode === 'check') {
  const files = [join(dist, 'cli.cjs'), ...['chunks', 'vendor'].flatMap((d) => readdirSync(join(dist, d)).filter((f) => f.endsWith('.cjs')).map((f) => join(dist, d, f)))];
  if (mode === 'write-all') writeCaches(files.map((f) => [f, compile(f, true)]));
  else for (const f of files) if (compile(f, false).cachedDataRejected !== false) process.stdout.write(`${f}${CACHE}\n`);
} else {
  if (mode === 'write' || mode === 'write-vendor') {
    process.on('exit', () => writeCaches(mode === 'write' ? scripts : scripts.filter(([file]) => dirname(file) === vendor)));
  }
  load(join(dist, 'cli.cjs'));
}
