import { join } from 'node:path';
import type { Command } from 'commander';

/**
 * `trainyard server [flags]` runs the server's own entry point (its supervisor) in this process, so
 * flags (including --help), signals and exit codes are the server's own — and the pid a shell reports
 * for `trainyard server … &` is the server's: `kill -9 $!` stops it (its worker ends with it), where
 * a wrapper process would leave the server running. Never resolves: the server exits the process.
 */
export function runServer(args: string[]): Promise<number> {
  const main = join(__dirname, '..', '..', '..', 'server', 'src', 'main.js');
  process.argv = [process.argv[0], main, ...args];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(main);
  return new Promise(() => undefined);
}

/** Listed in `trainyard --help`; the entry point hands `server` to {@link runServer} before parsing. */
export function registerServer(program: Command): void {
  program
    .command('server')
    .summary('start the Trainyard server (flags: trainyard server --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments();
}
