/**
 * The `secrets` executable: runs the CLI in the real process context and exits with its status.
 */
import { processContext } from './context.js';
import { run } from './run.js';

const status = await run(process.argv.slice(2), processContext());
process.exitCode = status;
