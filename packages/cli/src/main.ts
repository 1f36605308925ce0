/**
 * The `secrets` executable: runs the CLI in the real process context and exits with its status.
 * Invoked under the name `sops` (a symlink to bin/secrets.js), it takes sops' command line as sops does.
 * No top-level await: the bundle that users run is CommonJS (see scripts/bundle.mjs).
 */
import { basename } from 'node:path';
import { processContext } from './context.js';
import { run } from './run.js';

const asSops = basename(process.argv[1] ?? '').replace(/\.js$/, '') === 'sops';
void run(process.argv.slice(2), processContext(), { asSops }).then((status) => {
  process.exitCode = status;
});
