import { runCli } from './cli';
import { outputWriteFailure } from './errors';

/** The start of what the command wrote to stdout: said on stderr when stdout fails (see outputWriteFailure). */
const written = { text: '' };
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
  if (written.text.length <= 1024)
    written.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  return writeStdout(chunk, ...rest);
};

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
  const failure = outputWriteFailure(err, written.text)!;
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
