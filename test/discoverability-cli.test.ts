/**
 * Finding one's way from the CLI itself: the top-level help leads with the daily workflow, and every
 * hint a command prints names only options that command has.
 */
import { describe, expect, it } from 'vitest';
import { runProcess } from './support/cli.js';

describe('secrets --help', () => {
  it('lists the daily workflow first (edit, hosts, users, rekey, check), then the rest, and says how to set up git and completion', async () => {
    const r = await runProcess(['--help']);
    expect(r.status).toBe(0);
    const headings = r.stdout.split('\n').filter((l) => /^[A-Z][A-Za-z ]*:/.test(l));
    expect(headings.slice(0, 3)).toEqual(['Usage: secrets [options] [command]', 'Options:', 'Daily workflow:']);
    const daily = r.stdout.split('Daily workflow:\n')[1]?.split('\n\n')[0] ?? '';
    expect(daily.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0])).toEqual(['edit', 'hosts', 'users', 'rekey', 'check']);
    const examples = r.stdout.split('Examples:\n')[1] ?? '';
    expect(examples.trimStart().startsWith('secrets edit ')).toBe(true);
    for (const line of ['secrets git-setup', 'source <(secrets completion bash)', 'source <(secrets completion zsh)', 'secrets completion fish > ~/.config/fish/completions/secrets.fish']) expect(examples).toContain(line);
    // sops' spellings stay documented where a sops user looks first
    expect(examples).toContain("sops' command lines work as written");
  });
});
