/**
 * The `secrets` executable: runs the CLI in the real process context and exits with its status.
 */
import { processContext } from './context.js';
import { run } from './run.js';

// A reader that went away (`secrets --help | head`) is not an error of ours: stop quietly, as a
// SIGPIPE'd C program would, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const status = await run(process.argv.slice(2), processContext());
process.exitCode = status;
