import { spawn } from 'node:child_process';
import { join } from 'node:path';

const USAGE = `Usage: trainyard <command> [options]

Commands:
  server [flags]   start the Trainyard server (see: trainyard server --help)
`;

/** `trainyard server` runs the server's own entry point so flags, signals and exit codes pass straight through. */
function runServer(args: string[]): void {
  const main = join(__dirname, '..', '..', 'server', 'src', 'main.js');
  const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      return runServer(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`trainyard: unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2));
