/**
 * age plugins for one CLI run: programs started from PATH (core's Node runner, with the run's
 * environment), their messages on standard error, their questions (`request-public`, `request-secret`,
 * `confirm`) on the terminal. Without a terminal a question is answered `fail` (C2SP age-plugin), and
 * the error names the question when the plugin then gives up.
 */
import { nodeAgePluginRunner, type AgePluginHost } from '@secrets/core';
import type { Context } from './context.js';
import { escapeControl } from './output.js';

/** The most times a `confirm` with two choices is asked again after an answer that is neither. */
const CONFIRM_TRIES = 3;

/**
 * The plugin host of a run.
 *
 * @param ctx - the run's context (environment, standard error, terminal prompt)
 * @returns the host to give `setAgePluginHost`
 */
export function agePluginHost(ctx: Context): AgePluginHost {
  // Plugin texts arrive escaped by core; escaped again here in case a host embeds this one.
  const label = (plugin: string, text: string): string => `age-plugin-${plugin}: ${escapeControl(text)}`;
  return {
    run: nodeAgePluginRunner({ env: ctx.env }),
    ui: {
      message(plugin, text) {
        ctx.stderr.write(`${label(plugin, text)}\n`);
        return Promise.resolve(true);
      },
      async request(plugin, prompt, secret) {
        if (!ctx.prompt) return null;
        return ctx.prompt(`${label(plugin, prompt)} `, { secret });
      },
      async confirm(plugin, prompt, yes, no) {
        if (!ctx.prompt) return null;
        if (no === undefined) {
          await ctx.prompt(`${label(plugin, prompt)} (press Enter for "${escapeControl(yes)}") `, { secret: false });
          return true;
        }
        for (let i = 0; i < CONFIRM_TRIES; i++) {
          const answer = (await ctx.prompt(`${label(plugin, prompt)} [1: ${escapeControl(yes)}, 2: ${escapeControl(no)}] `, { secret: false })).trim();
          if (answer === '1') return true;
          if (answer === '2') return false;
        }
        return null;
      },
    },
  };
}
