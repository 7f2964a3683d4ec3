import { runCli } from './cli';
import { outputWriteFailure } from './errors';

/**
 * Exits once stdout and stderr have taken everything written (they may be pipes) — with the failure
 * instead when a write to stdout failed (a failed write is reported as an event, which may come
 * after the command has ended).
 */
function exit(code: number): void {
  const failed = process.stdout.errored;
  if (failed && outputWriteFailure(failed)) return outputFailed(failed);
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/**
 * stdout failed: `trainyard job dump <id> | head` (the reader went away) exits 0; `> /dev/full` says
 * so in one line and exits 1. Node reports a failed write as an 'error' event, never by throwing.
 */
function outputFailed(err: unknown): void {
  const failure = outputWriteFailure(err)!;
  if (failure.message) process.stderr.write(`trainyard: ${failure.message}\n`);
  process.exit(failure.exitCode);
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (!outputWriteFailure(err)) throw err;
  outputFailed(err);
});

runCli(process.argv.slice(2)).then(exit, (err: unknown) => {
  process.stderr.write(
    `trainyard: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  exit(1);
});
