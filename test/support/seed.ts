/**
 * One seed for every fast-check property and fuzz test, so that a failure in CI replays exactly:
 * fast-check prints the seed and counterexample path of a failing property. The seed is fixed unless
 * `SECRETS_TEST_SEED` names another (vitest.config.ts draws and prints one for `SLOW=1` runs).
 */
import fc from 'fast-check';

/** The seed of ordinary runs, CI's included. */
export const FIXED_SEED = 20261206;

const given = process.env['SECRETS_TEST_SEED'];
const seed = given === undefined || given === '' ? FIXED_SEED : Number(given);
if (!Number.isSafeInteger(seed)) throw new Error(`SECRETS_TEST_SEED must be an integer, got ${JSON.stringify(given)}`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
