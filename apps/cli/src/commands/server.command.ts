import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';

/**
 * `trainyard server [flags]` runs the server's own entry point, so flags (including --help), signals
 * and exit codes pass straight through. Resolves with the server's exit code.
 */
export function runServer(args: string[]): Promise<number> {
  const main = join(__dirname, '..', '..', '..', 'server', 'src', 'main.js');
  const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`trainyard: cannot start the server (${main}): ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
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
