/**
 * Which editor runs, recognised by what it is rather than by the name it was called with, and how it is
 * kept from writing the plaintext anywhere but the private directory, whatever the user's rc files say.
 *
 * - vim (also as `vi`, `editor`, `vim.basic`, `view`… via links and Debian alternatives) and neovim:
 *   `-n` (no swap) and `-i NONE` (no viminfo/shada) on the command line; then the same options set twice:
 *   with `--cmd` before the rc files and with `-c` after them (after the file is loaded), each time also
 *   as an autocommand re-applied on every buffer read, buffer enter, write and at exit — so an rc file
 *   that sets `backup`, `undofile` or `viminfofile`, or an autocommand that does, is overridden where it
 *   matters (vim's `:help -c`, `:help --cmd`, `:help autocmd-events`).
 * - nano: `--ignorercfiles`, so no nanorc can turn on backups (`set backup`/`backupdir`) or the search and
 *   position history files.
 * - Anything else runs as it is, after a one-line warning saying what it may write.
 */
import { basename } from 'node:path';
import { SecretsError, shellSplit } from '@secrets/core';
import type { Context } from './context.js';
import { findProgram, realPathOrNull, versionLine } from './io-process.js';

/** The editors we know how to harden. */
export type EditorKind = 'vim' | 'nvim' | 'nano';

/** The command to run and what we know about it. */
export interface EditorPlan {
  /** Program and arguments, hardening included; the file's path is appended when it runs. */
  readonly argv: readonly string[];
  /** What the program is, or null for an editor we cannot harden. */
  readonly kind: EditorKind | null;
  /** The warning to print before running an editor we cannot harden, else null. */
  readonly warning: string | null;
}

/** A kind from a program's file name (after links are resolved): vim.basic, vim.gtk3, gvim, nvim, rnano… */
function kindFromName(name: string): EditorKind | null {
  if (/^(vim(\.[a-z0-9]+)?|[gmr]vim|vimdiff|[gr]view)$/.test(name)) return 'vim';
  if (/^nvim([.-].*)?$/.test(name)) return 'nvim';
  if (/^r?nano$/.test(name)) return 'nano';
  return null;
}

/**
 * Names that say nothing about the program: `vi` may be vim, nvi or busybox; `editor` and `ex` too. For
 * these the program is asked for its `--version` (all of vim, neovim, nano and busybox answer it without
 * opening anything); any other unknown name is not run an extra time.
 */
const GENERIC_NAMES = new Set(['vi', 'ex', 'editor', 'view', 'edit']);

function kindFromVersion(path: string, env: Context['env']): EditorKind | null {
  const first = versionLine(path, env);
  if (/^VIM - Vi IMproved/.test(first)) return 'vim';
  if (/^NVIM v/.test(first)) return 'nvim';
  if (/GNU nano/.test(first)) return 'nano';
  return null;
}

/** What `program` is: by its name, by the name its links resolve to, else (for generic names) by `--version`. */
export function identifyEditor(program: string, env: Context['env'], cwd: string): EditorKind | null {
  const byName = kindFromName(basename(program));
  const path = findProgram(program, env, cwd);
  if (path === null) return byName;
  const real = realPathOrNull(path);
  if (real === null) return byName;
  const resolved = kindFromName(basename(real));
  if (resolved !== null) return resolved;
  if (GENERIC_NAMES.has(basename(real)) || GENERIC_NAMES.has(basename(program))) return kindFromVersion(real, env);
  return null;
}

/** Options vim and neovim must hold while the plaintext is open; `store` is viminfo or shada. */
function vimSettings(kind: 'vim' | 'nvim'): string {
  const store = kind === 'nvim' ? 'shada= shadafile=NONE' : 'viminfo= viminfofile=NONE';
  return `set noswapfile noundofile nobackup nowritebackup patchmode= ${store}`;
}

/** The events at which the settings are applied again, after anything an rc file's autocommands did. */
const REAPPLY_EVENTS = 'BufNewFile,BufReadPre,BufReadPost,BufEnter,BufWinEnter,BufWritePre,FileWritePre,FileAppendPre,VimEnter,VimLeavePre';

/** Arguments that harden `kind`; they go before the user's own arguments. */
export function hardeningArgs(kind: EditorKind): string[] {
  if (kind === 'nano') return ['--ignorercfiles'];
  const settings = vimSettings(kind);
  // `autocmd` takes the rest of the line, `|` included, so it comes last on each line.
  const line = `${settings} | autocmd ${REAPPLY_EVENTS} * ${settings}`;
  return ['-n', '-i', 'NONE', '--cmd', line, '-c', line];
}

/** What an editor we cannot harden may write, by program name (for the warning). */
function mayWrite(name: string): string {
  if (/^(emacs|emacsclient|xemacs)/.test(name)) return 'backup (~) and auto-save (#…#) files where your init file sends them';
  if (/^(code|codium|code-insiders|cursor)$/.test(name)) return 'hot-exit backups and local history under its user data directory';
  if (name === 'micro') return 'backups under ~/.config/micro/backups';
  if (/^(nvi|elvis|busybox)$/.test(name) || name === 'vi') return 'recovery files (e.g. under /var/tmp)';
  return 'backup, swap, undo or history files';
}

/**
 * The editor to run: `SOPS_EDITOR`, else `EDITOR` (split like a shell would, arguments allowed), else
 * the first of vim, nano, vi on PATH (sops' order); `override` (from --editor) wins over all of them.
 *
 * @throws SecretsError USAGE when none is set and none is found
 */
export function editorPlan(ctx: Context, override?: string): EditorPlan {
  const configured = override || ctx.env['SOPS_EDITOR'] || ctx.env['EDITOR'];
  let words: string[];
  if (configured) words = shellSplit(configured);
  else {
    const found = ['vim', 'nano', 'vi'].find((p) => findProgram(p, ctx.env, ctx.cwd) !== null);
    if (!found) throw new SecretsError('USAGE', 'no editor found: set SOPS_EDITOR or EDITOR', { hints: ['e.g. export EDITOR=nano'] });
    words = [found];
  }
  const [program, ...args] = words as [string, ...string[]];
  const kind = identifyEditor(program, ctx.env, ctx.cwd);
  // gvim and mvim fork into the background unless told not to: the edit would end before it began.
  const foreground = kind === 'vim' && /^[gm]vim$|^gview$/.test(basename(program)) ? ['-f'] : [];
  if (kind !== null) return { argv: [program, ...foreground, ...hardeningArgs(kind), ...args], kind, warning: null };
  const name = basename(program);
  return {
    argv: [program, ...args],
    kind: null,
    warning: `${JSON.stringify(name)} is not an editor secrets can keep from copying the plaintext: it may write ${mayWrite(name)} outside the private directory`,
  };
}
