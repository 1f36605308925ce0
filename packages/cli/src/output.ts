/**
 * The one error grammar of the CLI (after age's cmd/age/tui.go): every line on stderr starts with
 * `secrets: error: `, `secrets: warning: ` or `secrets: hint: `, lowercase, no trailing period.
 */
import type { Context } from './context.js';

const PREFIX = 'secrets: ';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with every control character escaped (`\n`, `\x1b`, `\u2028`…). Names, paths and rule names
 * come from repositories: a newline in one must not print a line of its own (a fake `secrets: hint:` in
 * a CI log), nor an escape sequence rewrite the terminal.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}

/** Prints `secrets: error: <message>` and its hints, one line each (control characters escaped). */
export function printError(ctx: Context, message: string, hints: readonly string[] = []): void {
  ctx.stderr.write(`${PREFIX}error: ${escapeControl(message)}\n`);
  for (const hint of hints) ctx.stderr.write(`${PREFIX}hint: ${escapeControl(hint)}\n`);
}

/** Prints `secrets: warning: <message>` on one line (control characters escaped). */
export function printWarning(ctx: Context, message: string): void {
  ctx.stderr.write(`${PREFIX}warning: ${escapeControl(message)}\n`);
}

/** Prints an informational line (progress, notes) on stderr, keeping stdout for data (control characters escaped). */
export function printNote(ctx: Context, message: string): void {
  ctx.stderr.write(`${escapeControl(message)}\n`);
}

/** Whether colour may be used on a stream: a TTY and no NO_COLOR (https://no-color.org). */
export function useColor(ctx: Context, stream: 'stdout' | 'stderr'): boolean {
  const noColor = ctx.env['NO_COLOR'];
  return ctx[stream].isTTY && (noColor === undefined || noColor === '');
}
