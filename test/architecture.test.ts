/**
 * The architecture you can see from the folder tree, enforced: `ssh` ← `age` ← `sops` in core; only
 * `keys/` and `config/` reach the environment, the disk or other processes, and in the CLI only its I/O
 * module (io*.ts), context.ts, cleanup.ts and main.ts; the CLI uses core's public
 * exports only; core never imports the CLI; no source file grows past 450 lines unless allow-listed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] as string);
  return specs;
}

const CORE = join(REPO_ROOT, 'packages/core/src');
const CLI = join(REPO_ROOT, 'packages/cli/src');
const layerOf = (file: string): string => {
  const rel = relative(CORE, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : '(root)';
};

// Which core folders each layer may import from. Root files (errors.ts, bytes.ts, index.ts) are shared.
const ALLOWED: Record<string, readonly string[]> = {
  '(root)': ['ssh', 'age', 'sops', 'keys', 'config', 'agenix', 'nix', 'repo', '(root)'],
  ssh: ['ssh', '(root)'],
  age: ['age', 'ssh', '(root)'],
  sops: ['sops', 'age', 'ssh', '(root)'],
  keys: ['keys', 'age', 'ssh', '(root)'],
  config: ['config', 'sops', 'age', 'ssh', 'keys', '(root)'],
  agenix: ['agenix', 'sops', 'age', 'ssh', '(root)'],
  nix: ['nix', 'sops', '(root)'],
  // Pure functions over an injected file-system view: imports config's parsing, never the disk.
  repo: ['repo', 'config', 'agenix', 'nix', 'sops', 'age', 'ssh', '(root)'],
};
const SIDE_EFFECT_MODULES = /^node:(fs|fs\/promises|child_process|os|process)$/;

// What a CLI file outside the I/O module may not import (node:net: exec-file's FIFO is fed through a Socket).
const CLI_SIDE_EFFECT_MODULES = /^node:(fs|fs\/promises|child_process|os|process|net)$/;
/** CLI files (relative to packages/cli/src) besides io*.ts, context.ts, cleanup.ts and main.ts still allowed side effects, each with why (none today). */
const CLI_IO_EXCEPTIONS: Readonly<Record<string, string>> = {};

// Files under ~400 lines is the guideline; 450 is where a test stops new growth.
const MAX_SOURCE_LINES = 450;
/** Files still over MAX_SOURCE_LINES (relative to the repository root), each with why it is allowed for now. */
// None left: a file that must grow past the limit is added here with its reason.
const OVERSIZED_FILES: Readonly<Record<string, string>> = {};
const lineCount = (file: string): number => readFileSync(file, 'utf8').split('\n').length - 1;

describe('architecture', () => {
  const coreFiles = sources(CORE);

  it('core layers import only downward: ssh ← age ← sops; keys/config above them', () => {
    const violations: string[] = [];
    for (const file of coreFiles) {
      const layer = layerOf(file);
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = join(file, '..', spec);
        if (!target.startsWith(CORE)) {
          violations.push(`${relative(REPO_ROOT, file)} imports outside core: ${spec}`);
          continue;
        }
        const targetLayer = layerOf(target.replace(/\.js$/, '.ts'));
        if (!(ALLOWED[layer] ?? []).includes(targetLayer)) violations.push(`${relative(REPO_ROOT, file)} (${layer}) imports ${targetLayer}: ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('only keys/ and config/ touch the disk, processes or the environment', () => {
    const violations: string[] = [];
    for (const file of coreFiles) {
      const layer = layerOf(file);
      if (layer === 'keys' || layer === 'config') continue;
      const text = readFileSync(file, 'utf8');
      for (const spec of imports(file)) if (SIDE_EFFECT_MODULES.test(spec)) violations.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
      if (/\bprocess\.(env|cwd|argv|exit)\b/.test(text)) violations.push(`${relative(REPO_ROOT, file)} uses process globals`);
    }
    expect(violations).toEqual([]);
  });

  it('in the CLI, only the I/O module (io*.ts), context.ts, cleanup.ts and main.ts touch the disk, processes or the environment', () => {
    // io*.ts is the one I/O module; context.ts builds the Context (env, cwd, stdio) from the process;
    // cleanup.ts installs the signal handlers and exits on a signal; main.ts, the executable's entry, hands
    // process.argv to run() and sets the exit status. Everything else gets env and cwd from the Context and
    // reaches files and programs through io*.ts.
    const allowed = (rel: string): boolean => /^io(-[a-z-]+)?\.ts$/.test(rel) || ['context.ts', 'cleanup.ts', 'main.ts'].includes(rel) || rel in CLI_IO_EXCEPTIONS;
    const violations: string[] = Object.keys(CLI_IO_EXCEPTIONS).filter((rel) => !existsSync(join(CLI, rel))).map((rel) => `CLI_IO_EXCEPTIONS names a missing file: ${rel}`);
    for (const file of sources(CLI)) {
      const rel = relative(CLI, file);
      if (allowed(rel)) continue;
      const text = readFileSync(file, 'utf8');
      for (const spec of imports(file)) if (CLI_SIDE_EFFECT_MODULES.test(spec)) violations.push(`packages/cli/src/${rel} imports ${spec}`);
      if (/\bprocess\.(env|cwd|argv|exit|exitCode|pid|ppid|getuid|geteuid|getgid|platform|umask|stdin|stdout|stderr|chdir|kill|on|once)\b/.test(text)) violations.push(`packages/cli/src/${rel} uses process globals`);
    }
    expect(violations).toEqual([]);
  });

  it('the CLI uses only @secrets/core public exports, and core never imports the CLI', () => {
    const violations: string[] = [];
    for (const file of sources(CLI)) {
      for (const spec of imports(file)) {
        if (spec.startsWith('@secrets/') && spec !== '@secrets/core') violations.push(`${relative(REPO_ROOT, file)} deep-imports ${spec}`);
        if (spec.startsWith('.') && !join(file, '..', spec).startsWith(CLI)) violations.push(`${relative(REPO_ROOT, file)} reaches outside the CLI: ${spec}`);
      }
    }
    for (const file of coreFiles) for (const spec of imports(file)) if (spec.includes('cli')) violations.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
    expect(violations).toEqual([]);
  });

  it('no source file grows past 450 lines, except the allow-listed ones still being split', () => {
    const over: string[] = [];
    const packageSources = readdirSync(join(REPO_ROOT, 'packages')).flatMap((name) => sources(join(REPO_ROOT, 'packages', name, 'src')));
    for (const file of packageSources) {
      const rel = relative(REPO_ROOT, file);
      const lines = lineCount(file);
      if (lines > MAX_SOURCE_LINES && !(rel in OVERSIZED_FILES)) over.push(`${rel}: ${lines} lines`);
    }
    expect(over).toEqual([]);
  });

  it('the allow-list names only files that exist and are still over the limit', () => {
    for (const rel of Object.keys(OVERSIZED_FILES)) expect(lineCount(join(REPO_ROOT, rel)), `${rel} is no longer oversized: drop it from OVERSIZED_FILES`).toBeGreaterThan(MAX_SOURCE_LINES);
  });

  it('every runtime dependency is declared and pinned to an exact version', () => {
    for (const pkg of ['packages/core/package.json', 'packages/cli/package.json', 'package.json']) {
      const json = JSON.parse(readFileSync(join(REPO_ROOT, pkg), 'utf8')) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'devDependencies']) {
        for (const [name, range] of Object.entries(json[field] ?? {})) expect(`${pkg} ${name}@${range}`).toMatch(/@\d+\.\d+\.\d+$/);
      }
    }
  });
});
