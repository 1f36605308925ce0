/**
 * Programmatic entry to the CLI, for tests and embedding: run a command line in an explicit context.
 *
 * @packageDocumentation
 */
export { run, cliVersion, type RunOptions } from './run.js';
export { processContext, type Context, type Input, type Output } from './context.js';
export { exitCodeFor, EXIT } from './exit-codes.js';
