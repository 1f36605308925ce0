/**
 * Source files of the Nix reader and its errors: every error names `file:line:column`, and says whether
 * the file needs a real Nix evaluator (`details.needsNix`), hit a limit, or is wrong.
 */
import { SecretsError, type ErrorCode } from '../errors.js';

/** A file being read: its text, its absolute path (for relative paths in it) and the name shown. */
export interface SourceFile {
  readonly text: string;
  /** Absolute path, or null when the text has no file (paths in it cannot be resolved). */
  readonly path: string | null;
  /** How messages name it. */
  readonly shown: string;
}

/** Line and column (1-based, in characters) of an offset. */
export function lineColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/** Control characters escaped, so a name from a file cannot fake lines in a log. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const HINT = 'the static reader covers let, rec, with, inherit, attribute paths, lists, ++, //, import and builtins.readFile/attrValues/attrNames; with Nix installed, nix-instantiate evaluates the rest (as agenix does)';

/**
 * A user error at a place in a file.
 *
 * @param src - the file
 * @param at - the offset
 * @param message - what is wrong (lowercase, no quoting of file content beyond names)
 * @param code - CONFIG_INVALID, or LIMIT_EXCEEDED for the hostile-input limits
 * @returns the error, to throw
 */
export function nixError(src: SourceFile, at: number, message: string, code: ErrorCode = 'CONFIG_INVALID'): SecretsError {
  const { line, column } = lineColumn(src.text, at);
  return new SecretsError(code, `${src.shown}:${line}:${column}: ${message}`, {
    hints: code === 'LIMIT_EXCEEDED' ? ['secrets.nix is read with limits on nesting, list sizes and evaluation steps (docs/security.md)'] : [],
    details: { line, column, file: src.shown, ...(code === 'LIMIT_EXCEEDED' ? { limit: 'secretsNix' } : {}) },
  });
}

/**
 * The error for a form only a Nix evaluator can read (functions, `map`, `if`, interpolation…).
 *
 * @returns a CONFIG_INVALID error with `details.needsNix`
 */
export function needsNix(src: SourceFile, at: number, what: string): SecretsError {
  const { line, column } = lineColumn(src.text, at);
  return new SecretsError('CONFIG_INVALID', `${src.shown}:${line}:${column}: ${what} needs a Nix evaluator`, {
    hints: [HINT, 'install Nix (Debian: nix-bin), or give the rules as JSON: nix-instantiate --eval --strict --json secrets.nix > rules.json, then --rules rules.json'],
    details: { line, column, file: src.shown, needsNix: true },
  });
}

/** Whether an error is the "needs a Nix evaluator" kind. */
export function isNeedsNix(error: unknown): boolean {
  return error instanceof SecretsError && error.details['needsNix'] === true;
}
