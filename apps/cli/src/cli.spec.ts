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

describe('`server` and its commands', () => {
  /** Runs the CLI in this process; the state directory has no server. */
  async function cli(argv: string[]) {
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(argv, { env: { TRAINYARD_HOME: '/nonexistent' }, stdout, stderr });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('`server help <command>` is that command’s help', async () => {
    const run = await cli(['server', 'help', 'restart']);
    expect(run).toEqual({
      code: EXIT.ok,
      stdout: expect.stringMatching(/^Usage: trainyard server restart /),
      stderr: '',
    });
  });

  it('a mistake is a usage error (2) that says what is wrong', async () => {
    const refusal = (line: RegExp) => ({
      code: EXIT.invalid,
      stdout: '',
      stderr: expect.stringMatching(line),
    });
    expect(await cli(['help', 'server', 'nosuch'])).toEqual(
      refusal(/^trainyard: unknown command 'nosuch' for `trainyard server`; its commands: stop, restart\n/),
    );
    // Before: `server stop now` took `now` as an option of a server to start ("unknown option stop").
    expect(await cli(['server', 'stop', 'now'])).toEqual(
      refusal(/^trainyard: too many arguments for 'stop'/),
    );
    expect(await cli(['server', 'restart', 'now'])).toEqual(
      refusal(/^trainyard: too many arguments for 'restart'/),
    );
    // `server stop` signals the server of this state directory: given --server, it refuses rather than
    // stop a server other than the one named.
    for (const argv of [
      ['--server', 'http://127.0.0.1:9', 'server', 'stop'],
      ['server', 'stop', '--server', 'http://127.0.0.1:9'],
    ])
      expect(await cli(argv)).toEqual(
        refusal(
          /^trainyard: `server stop` stops the server of this state directory \(TRAINYARD_HOME\) and takes no --server;/,
        ),
      );
    // A global option before `server` (start): said, not the group's help.
    expect(await cli(['--json', 'server', '--port', '1'])).toEqual(
      refusal(/^trainyard: start a server with `trainyard server \[flags\]`: its flags come after `server`/),
    );
  });

  it('`server stop` with no server of the state directory says so (exit 3)', async () => {
    expect(await cli(['server', 'stop'])).toEqual({
      code: EXIT.unreachable,
      stdout: '',
      stderr:
        "trainyard: no server holds /nonexistent (set TRAINYARD_HOME to the server's state directory)\n",
    });
  });
});

describe('usage errors', () => {
  const run = async (argv: string[]) => {
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(argv, { env: { TRAINYARD_HOME: '/nonexistent' }, stdout, stderr });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  // Commander's hint lines came bare after its error: "(Did you mean --limit?)" and "(run with --help
  // for usage)", with no `trainyard:` and no word of which command's usage.
  it.each([
    [
      ['sched', 'list', '--limt', '3'],
      "trainyard: unknown option '--limt' (did you mean --limit?)\n" +
        'trainyard: `trainyard sched list --help` shows its usage\n',
    ],
    [
      ['sched', 'lsit'],
      "trainyard: unknown command 'lsit' (did you mean list?)\n" +
        'trainyard: `trainyard sched --help` shows its usage\n',
    ],
    [
      ['job', 'tail'],
      "trainyard: missing required argument 'id'\ntrainyard: `trainyard job tail --help` shows its usage\n",
    ],
    [['bogus'], "trainyard: unknown command 'bogus'\ntrainyard: `trainyard --help` shows its usage\n"],
  ])(
    '%j says what is wrong and where the usage is, each line a trainyard: line (exit 2)',
    async (argv, said) => {
      expect(await run(argv)).toEqual({ code: EXIT.invalid, stdout: '', stderr: said });
    },
  );
});
