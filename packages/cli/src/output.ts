/**
 * The one error grammar of the CLI (after age's cmd/age/tui.go): every line on stderr starts with
 * `secrets: error: `, `secrets: warning: ` or `secrets: hint: `, lowercase, no trailing period.
 */
import type { Context } from './context.js';

const PREFIX = 'secrets: ';

/** Prints `secrets: error: <message>` and its hints. */
export function printError(ctx: Context, message: string, hints: readonly string[] = []): void {
  ctx.stderr.write(`${PREFIX}error: ${message}\n`);
  for (const hint of hints) ctx.stderr.write(`${PREFIX}hint: ${hint}\n`);
}

/** Prints `secrets: warning: <message>`. */
export function printWarning(ctx: Context, message: string): void {
  ctx.stderr.write(`${PREFIX}warning: ${message}\n`);
}

/** Prints an informational line (progress, notes) on stderr, keeping stdout for data. */
export function printNote(ctx: Context, message: string): void {
  ctx.stderr.write(`${message}\n`);
}

/** Whether colour may be used on a stream: a TTY and no NO_COLOR (https://no-color.org). */
export function useColor(ctx: Context, stream: 'stdout' | 'stderr'): boolean {
  const noColor = ctx.env['NO_COLOR'];
  return ctx[stream].isTTY && (noColor === undefined || noColor === '');
}
