import { isAbsolute, resolve } from 'node:path';
import { CliError, EXIT } from './errors';

/**
 * The shell's current directory, or null when it no longer exists (removed while the shell was in
 * it: `process.cwd()` then fails with ENOENT).
 */
export function shellCwd(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * A job's working directory, absolute (the API takes no other): `--cwd` (`given`) resolved against
 * the caller's directory, which is the default. An absolute `--cwd` needs no current directory; a
 * relative one, or none, needs one that exists (exit 2 naming the problem otherwise).
 */
export function jobCwd(caller: string | null, given: string | undefined): string {
  if (given !== undefined && isAbsolute(given)) return resolve(given);
  if (caller === null)
    throw new CliError(
      'the current directory no longer exists (it was removed while this shell was in it); cd to one that exists, or give the job an absolute --cwd',
      EXIT.invalid,
    );
  return resolve(caller, given ?? '.');
}
