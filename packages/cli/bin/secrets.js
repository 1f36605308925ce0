#!/usr/bin/env node
// The installed `secrets` command: a committed shim, because npm links bins before `prepare` builds
// dist/ on a fresh `npm ci`, and skips links whose target does not exist yet.
//
// It runs the bundle (dist/cli.cjs and its chunks, see scripts/bundle.mjs) the way require() would, but
// compiles each file with the V8 code cache the build wrote beside it: compiling is a large part of a
// small command's run time, and Node 20 has no module.enableCompileCache. A missing or rejected cache
// (another Node version) only costs the compile. CommonJS (bin/package.json): Node starts it faster.
// The build runs one command with SECRETS_WRITE_CODE_CACHE=1 so that the caches also hold the functions
// that command compiled while running (writing is best effort: dist/ may be read-only), and one with
// =vendor for the caches of dist/vendor/ only.
// `yaml` and `re2js` are bundled apart into dist/vendor/NAME.cjs (see scripts/bundle.mjs), loaded here the
// same way, with their code caches.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname, resolve } = require('node:path');
const { Script } = require('node:vm');

const requireOutside = require;
const loaded = new Map();
const scripts = [];
const vendor = resolve(__dirname, '../dist/vendor');
const VENDORED = new Set(['yaml', 're2js']);
const writeCache = process.env.SECRETS_WRITE_CODE_CACHE;
if (writeCache === '1' || writeCache === 'vendor') {
  process.on('exit', () => {
    for (const [file, script] of scripts) {
      if (writeCache === 'vendor' && dirname(file) !== vendor) continue;
      try {
        writeFileSync(`${file}.cache`, script.createCachedData());
      } catch {
        // not writable: keep the build's cache
      }
    }
  });
}

function load(file) {
  const known = loaded.get(file);
  if (known) return known.exports;
  const module = { exports: {} };
  loaded.set(file, module);
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // no cache: compile
  }
  // Module.wrap's wrapper, written out: loading node:module costs more than this line.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  const script = new Script(source, { filename: file, cachedData });
  scripts.push([file, script]);
  // Relative ids are chunks; anything else (node: builtins) resolves from here as from dist/: bin/ and
  // dist/ are siblings in the package.
  const require = (id) =>
    id.startsWith('./') || id.startsWith('../') ? load(resolve(dirname(file), id)) : VENDORED.has(id) ? load(resolve(vendor, `${id}.cjs`)) : requireOutside(id);
  script.runInThisContext().call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}

load(resolve(__dirname, '../dist/cli.cjs'));
