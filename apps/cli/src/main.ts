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
 * stdout failed (`trainyard job dump <id> | head`: the reader went away, exit 0; `> /dev/full`: one
 * line, exit 1). A pipe reports it as an event; a file throws from the write.
 */
function outputFailed(err: unknown): void {
  const failure = outputWriteFailure(err)!;
  if (failure.message) {
    try {
      process.stderr.write(`trainyard: ${failure.message}\n`);
    } catch {
      // stderr is gone too: the exit code says it
    }
  }
  process.exit(failure.exitCode);
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (!outputWriteFailure(err)) throw err;
  outputFailed(err);
});

runCli(process.argv.slice(2)).then(exit, (err: unknown) => {
  if (outputWriteFailure(err)) return outputFailed(err);
  process.stderr.write(
    `trainyard: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  exit(1);
});
