import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { buildProgram, runCli } from './cli';
import { makeRunner } from './commands/runner';
import { EXIT } from './errors';

/** A stream that keeps what is written to it. */
function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Every command's words (`['job', 'tail']`), groups included; not `server` itself (its flags are the server's). */
function commandPaths(): string[][] {
  const quiet = sink();
  const program = buildProgram(
    makeRunner({ exitCode: 0, env: {}, stderr: quiet }),
    quiet,
    quiet,
    async () => undefined,
  );
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      if (sub.name() === 'help') continue;
      const words = [...path, sub.name()];
      if (words.join(' ') !== 'server') paths.push(words);
      walk(sub, words);
    }
  };
  walk(program, []);
  return paths;
}

describe('help of every command', () => {
  const paths = commandPaths();

  it('finds the commands', () => {
    expect(paths).toEqual(
      expect.arrayContaining([['server', 'stop'], ['server', 'restart'], ['job', 'tail'], ['submit']]),
    );
  });

  // `server restart --help` said "unknown option '--help'": the server group's own help option is
  // off (its flags are the server's), and its commands inherited that.
  it.each(paths.flatMap((path) => [[[...path, '--help']], [['help', ...path]]]))(
    '%j prints that command’s usage and exits 0',
    async (argv: string[]) => {
      const stdout = sink();
      const stderr = sink();
      const code = await runCli(argv, { env: { TRAINYARD_HOME: '/nonexistent' }, stdout, stderr });
      const path = argv.filter((word) => word !== 'help' && word !== '--help');
      expect({ code, stderr: stderr.text() }).toEqual({ code: EXIT.ok, stderr: '' });
      expect(stdout.text()).toMatch(new RegExp(`^Usage: trainyard ${path.join(' ')}[ |]`)); // `jobs|job`: an alias
    },
  );
});
