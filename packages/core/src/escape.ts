/**
 * Text from a repository (a file name, an anchor, a key comment, a rule name) made safe to print on one
 * line: every control character is escaped (`\n`, `\r`, `\t`, else `\xNN`, and `\u2028`/`\u2029`), so a
 * newline in a name cannot fake a `secrets: hint:` line in a CI log and no escape sequence reaches the
 * terminal.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with every control character escaped.
 *
 * @param text - anything that may come from a file or a repository
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}
