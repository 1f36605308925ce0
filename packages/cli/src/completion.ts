/**
 * Shell completion scripts (bash, zsh, fish), generated from the command tree so they never drift from
 * the real commands and options.
 */
import type { Command } from 'commander';
import { SecretsError } from '@secrets/core';

interface Spec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly string[];
}

function specs(program: Command, prefix = ''): Spec[] {
  // Hidden helpers (e.g. `textconv`, run by git) are not offered.
  return program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).flatMap((c) => {
    const name = prefix ? `${prefix} ${c.name()}` : c.name();
    const own: Spec = { name, description: c.description(), options: c.options.map((o) => o.long ?? o.short ?? '').filter((o) => o !== '') };
    return c.commands.length > 0 ? [own, ...specs(c, name)] : [own];
  });
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * The completion script for a shell.
 *
 * @throws SecretsError USAGE for an unknown shell
 */
export function completionScript(program: Command, shell: string): string {
  const all = specs(program);
  const top = all.filter((s) => !s.name.includes(' '));
  if (shell === 'bash' || shell === 'zsh') {
    const cases = all.map((s) => `    ${quote(s.name)}) opts=${quote([...s.options, '--help'].join(' '))}; subs=${quote(all.filter((t) => t.name.startsWith(`${s.name} `)).map((t) => t.name.split(' ').pop()).join(' '))} ;;`).join('\n');
    const body = `_secrets() {
  local cur words cmd opts subs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "\${COMP_CWORD}" -ge 3 ] && [ -n "\${COMP_WORDS[2]}" ] && [ "\${COMP_WORDS[2]#-}" = "\${COMP_WORDS[2]}" ]; then cmd="\${COMP_WORDS[1]} \${COMP_WORDS[2]}"; fi
  if [ "\${COMP_CWORD}" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote(top.map((s) => s.name).join(' '))} -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) opts=''; subs='' ;;
  esac
  if [ "\${COMP_CWORD}" -eq 2 ] && [ -n "$subs" ]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return; fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _secrets secrets
`;
    return shell === 'zsh' ? `#compdef secrets\nautoload -U +X bashcompinit && bashcompinit\n${body}` : body;
  }
  if (shell === 'fish') {
    const lines = ['complete -c secrets -f'];
    for (const s of top) lines.push(`complete -c secrets -n '__fish_use_subcommand' -a ${quote(s.name)} -d ${quote(s.description.slice(0, 80))}`);
    for (const s of all) {
      const words = s.name.split(' ');
      const cond = words.length === 1 ? `__fish_seen_subcommand_from ${words[0]}` : `__fish_seen_subcommand_from ${words[0]}; and __fish_seen_subcommand_from ${words[1]}`;
      if (words.length === 2) lines.push(`complete -c secrets -n '__fish_seen_subcommand_from ${words[0]}' -a ${quote(words[1] as string)} -d ${quote(s.description.slice(0, 80))}`);
      for (const o of s.options) if (o.startsWith('--')) lines.push(`complete -c secrets -n ${quote(cond)} -l ${o.slice(2)} -F`);
    }
    return `${lines.join('\n')}\n`;
  }
  throw new SecretsError('USAGE', `unknown shell ${JSON.stringify(shell)}`, { hints: ['bash, zsh or fish'] });
}
