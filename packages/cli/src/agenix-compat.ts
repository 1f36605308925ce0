/**
 * agenix's and ragenix's command-line forms, rewritten into our `agenix edit|decrypt|rekey` before
 * commander parses them, so an agenix user's muscle memory and scripts keep working.
 *
 * agenix (pkgs/agenix.sh): exactly one of `-e|--edit FILE`, `-d|--decrypt FILE`, `-r|--rekey`;
 * `-i|--identity KEY` (repeatable); `-v|--verbose` (set -x: we have no extra logging); the rules file
 * from `RULES` (our subcommands read it too). ragenix (src/cli.rs) adds `--rules FILE`, `--editor CMD`
 * (`-` reads stdin) and `-s|--schema`, which we do not have. Stdin that is not a terminal is the new
 * content of `-e` in both, as in our `agenix edit`.
 */
import { SecretsError } from '@secrets/core';

type Mode = 'edit' | 'decrypt' | 'rekey';

/** Mode flags; edit and decrypt take the FILE as their value. */
const MODE_FLAGS: Readonly<Record<string, Mode>> = { '-e': 'edit', '--edit': 'edit', '-d': 'decrypt', '--decrypt': 'decrypt', '-r': 'rekey', '--rekey': 'rekey' };

/** Value flags, our option each maps to, and the modes that take it. */
const VALUE_FLAGS: Readonly<Record<string, { option: string; modes: readonly Mode[] }>> = {
  '-i': { option: '--identity', modes: ['edit', 'decrypt', 'rekey'] },
  '--identity': { option: '--identity', modes: ['edit', 'decrypt', 'rekey'] },
  '--rules': { option: '--rules', modes: ['edit', 'rekey'] },
  '--editor': { option: '--editor', modes: ['edit'] },
};

function usage(message: string, hints: string[] = ['e.g. secrets agenix -e secret1.age, -d secret1.age, -r; or: secrets agenix --help']): SecretsError {
  return new SecretsError('USAGE', message, { hints });
}

/** `--name=value` → [name, value]; anything else → [arg, undefined]. */
function splitInline(arg: string): [string, string | undefined] {
  if (!arg.startsWith('--') || !arg.includes('=')) return [arg, undefined];
  return [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
}

/**
 * `secrets agenix -e FILE …` and the other agenix/ragenix forms → our argv (`agenix edit FILE …`).
 * Anything that is not such a form (a subcommand, `--help`) is returned unchanged.
 *
 * @throws SecretsError USAGE for several modes, none, a missing value, a flag the mode does not take
 */
export function rewriteAgenixArgs(argv: readonly string[]): string[] {
  const first = argv[1];
  if (argv[0] !== 'agenix' || first === undefined || !first.startsWith('-') || first === '-h' || first === '--help') return [...argv];
  const modes: string[] = [];
  let mode: Mode | null = null;
  let file: string | undefined;
  const options: { flag: string; option: string; value: string }[] = [];
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = splitInline(args[i] as string);
    const m = MODE_FLAGS[name];
    const valueFlag = VALUE_FLAGS[name];
    if (m !== undefined) {
      modes.push(name);
      mode = m;
      if (m !== 'rekey') {
        file = inline ?? args[++i];
        if (file === undefined) throw usage(`${name} needs a file`, [`e.g. secrets agenix ${name} secret1.age`]);
      }
    } else if (valueFlag !== undefined) {
      const value = inline ?? args[++i];
      if (value === undefined) throw usage(`${name} needs a value`);
      options.push({ flag: name, option: valueFlag.option, value });
    } else if (name === '-v' || name === '--verbose') {
      continue;
    } else if (name === '-s' || name === '--schema') {
      throw usage(`${name} is not supported: secrets has no JSON schema to print`, ['secrets agenix rekey --dry-run and secrets check validate the rules file']);
    } else {
      throw usage(`unknown agenix option ${JSON.stringify(name)}`);
    }
  }
  if (modes.length > 1) throw usage(`cannot use ${modes.join(' and ')} together`, ['give one of -e FILE, -d FILE, -r']);
  if (mode === null) throw usage('no action given: one of -e FILE, -d FILE or -r is needed');
  const out: string[] = ['agenix', mode];
  for (const { flag, option, value } of options) {
    if (!VALUE_FLAGS[flag]?.modes.includes(mode)) throw usage(`${flag} has no meaning with ${modes[0] ?? mode}`);
    out.push(`${option}=${value}`);
  }
  if (file !== undefined) out.push('--', file);
  return out;
}
