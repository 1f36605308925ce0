/**
 * POSIX-shell-like word splitting, as sops does with google/shlex for `SOPS_AGE_KEY_CMD` and `EDITOR`:
 * whitespace separates words, single quotes are literal, double quotes allow `\"`, `\\`, `\$` and `` \` ``
 * escapes, a backslash outside quotes escapes the next character. No expansion, no shell.
 */
import { SecretsError } from '../errors.js';

/**
 * Splits a command line into argv words.
 *
 * @param line - e.g. `code --wait` or `pass show "age key"`
 * @returns the words; empty for a blank line
 * @throws SecretsError USAGE on an unterminated quote or trailing backslash
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SecretsError('USAGE', 'unterminated single quote in command');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1] as string)) {
          word += line[i + 1] as string;
          i += 2;
          continue;
        }
        word += c;
        i++;
      }
      if (!closed) throw new SecretsError('USAGE', 'unterminated double quote in command');
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new SecretsError('USAGE', 'trailing backslash in command');
      word += line[i + 1] as string;
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
