import { SecretsError } from '../../src/errors.js';

/** The SecretsError `fn` throws; fails the test when it throws something else or nothing. */
export function thrownSecretsError(fn: () => unknown): SecretsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SecretsError) return e;
    throw e;
  }
  throw new Error('expected an error');
}
