/**
 * The `secrets` executable: runs the CLI in the real process context and exits with its status.
 * No top-level await: the bundle that users run is CommonJS (see scripts/bundle.mjs).
 */
import { processContext } from './context.js';
import { run } from './run.js';

void run(process.argv.slice(2), processContext()).then((status) => {
  process.exitCode = status;
});
