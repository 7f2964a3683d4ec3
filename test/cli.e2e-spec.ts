import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './support/ports';
import { answered } from './support/http';
import { CLI_BIN, type CliRun, cliEnv, runCli, runCliJson, startCli } from './support/cli';
import { workerPid } from './support/cluster';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

// The built CLI (`npm test` builds first) as a user runs it, against the built server.
const BIN = CLI_BIN;
const QUEUE_ID = /^q_\d{13}_[0-9a-f]{8}$/;

// Each test starts several CLI processes; leave room for a busy machine.
jest.setTimeout(90_000);

type Run = CliRun;

describe('trainyard CLI (e2e, spawned server and CLI processes)', () => {
  const temp = makeTempHome('trainyard-cli-');
  let server: SpawnedServer;
  let env: Record<string, string>;

  /** Runs `node bin/trainyard.js ...args`; resolves when it exits. */
  function cli(args: string[], extraEnv: Record<string, string> = {}, cwd?: string): Promise<Run> {
    return runCli(args, { ...env, ...extraEnv }, cwd);
  }

  /** Runs a command that must succeed and parses its `--json` output. */
  const json = (args: string[]): Promise<any> => runCliJson(args, env);

  const waitStatus = (id: string, statuses: string[]) =>
    waitFor(
      async () => {
        const job = await json(['job', 'status', id]);
        return statuses.includes(job.status) ? job : undefined;
      },
      `${id} to reach ${statuses.join('/')}`,
      20_000,
    );

  beforeAll(async () => {
    server = await spawnServer(temp.home, ['--fake-gpus', '2']);
    env = cliEnv(server, temp.home);
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it('submits a command with its argv after --, lists it and shows the scheduler', async () => {
    const submitted = await cli([
      'submit',
      '--type',
      'command',
      '--name',
      'hello',
      '--',
      'echo',
      '--not-a-flag',
    ]);
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    const id = submitted.stdout.trim();
    expect(id).toMatch(QUEUE_ID);

    const job = await waitStatus(id, ['done']);
    expect(job).toMatchObject({
      name: 'hello',
      job_params: { argv: ['echo', '--not-a-flag'] },
      exit_code: 0,
    });

    const item = await json([
      'submit',
      '--type',
      'command',
      '--priority',
      '-2',
      '--env',
      'GREETING=hi=there',
      '--',
      'sh',
      '-c',
      'echo "$GREETING"',
    ]);
    expect(item).toMatchObject({
      queue_id: expect.stringMatching(QUEUE_ID),
      priority: -2,
      env: { GREETING: 'hi=there' },
    });

    const table = await cli(['sched', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^ID\s+STATUS\s+TYPE\s+NAME\s+GPUS\s+PRIO\s+AGE\s+RUNTIME\s+EXIT/,
    );
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+done\\s+command\\s+hello`));
    const listed = await json(['sched', 'list']);
    expect(listed.items.map((j: { queue_id: string }) => j.queue_id)).toEqual(
      expect.arrayContaining([id, item.queue_id]),
    );

    expect(await json(['sched', 'status'])).toMatchObject({ enabled: true, tick_count: expect.any(Number) });
    expect((await cli(['sched', 'status'])).stdout).toMatch(/^scheduler\s+running$/m);
  });

  it('runs `submit -- cmd` as a command job in the caller’s directory; a relative --cwd is the caller’s too', async () => {
    const here = join(temp.home, 'project');
    mkdirSync(join(here, 'data'), { recursive: true });
    const plain = await cli(['submit', '--', 'sh', '-c', 'pwd'], {}, here);
    expect(plain.code).toBe(0);
    const relative = await cli(['submit', '--cwd', 'data', '--', 'sh', '-c', 'pwd'], {}, here);
    expect(relative.code).toBe(0);
    for (const [run, dir] of [
      [plain, here],
      [relative, join(here, 'data')],
    ] as const) {
      const id = run.stdout.trim();
      expect(await waitStatus(id, ['done'])).toMatchObject({ job_type: 'command', cwd: dir });
      expect((await cli(['job', 'dump', id])).stdout).toContain(dir);
    }
  });

  it('sched list writes only jobs on stdout: "no … jobs" and the "N of M shown" note go to stderr, as notes', async () => {
    const none = await cli(['sched', 'list', '--status', 'terminating']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'trainyard: no terminating jobs\n' });
    const cut = await cli(['sched', 'list', '--limit', '1']);
    expect(cut.code).toBe(0);
    expect(cut.stdout.trim().split('\n')).toHaveLength(2); // the header and one job
    expect(cut.stderr).toMatch(/^trainyard: 1 of \d+ shown \(--limit to see more\)\n$/);
  });

  it("loads none of the server's framework or database for a command (they cost ~0.35 s a run)", () => {
    // The CLI's own main, as bin/trainyard.js runs it; what was loaded is read as it exits.
    const main = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
    const probe = `process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));
      process.argv = [process.argv[0], 'trainyard', ...process.argv.slice(1)];
      require(${JSON.stringify(main)});`;
    for (const args of [['--version'], ['job', 'status', 'q_1'], ['sched', 'list']]) {
      const run = spawnSync(process.execPath, ['-e', probe, '--', ...args], {
        env: { ...env, TRAINYARD_SERVER_URL: 'http://127.0.0.1:9' },
        encoding: 'utf8',
      });
      const loaded = JSON.parse(run.stderr.slice(run.stderr.lastIndexOf('["'))) as string[];
      expect(loaded).toContain(main);
      expect({
        args,
        server: loaded.filter((path) =>
          /node_modules\/(@nestjs|typeorm|better-sqlite3|class-validator)\//.test(path),
        ),
      }).toEqual({ args, server: [] });
    }
  });

  it('`help`, `help <command>` and --version exit 0; `help` of an unknown word, or a group without its subcommand, or no command at all, is a usage error (2)', async () => {
    const version = (
      JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
    ).version;
    for (const flag of ['--version', '-V'])
      expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    for (const args of [
      ['help'],
      ['help', 'sched'],
      ['sched', '--help'],
      ['help', 'job', 'tail'],
      ['help', 'job', '--json'],
    ]) {
      const run = await cli(args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).toMatch(
        new RegExp(
          `^Usage: trainyard ${args.filter((a) => !/help/.test(a) && !a.startsWith('-')).join(' ')}`,
        ),
      );
    }
    // A word it does not know is a usage error naming it and what there is, not the whole help.
    expect(await cli(['help', 'shed'])).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(
        /^trainyard: unknown command 'shed' for `trainyard`; its commands: server, submit, wait, sched, job, .*\n/,
      ),
    });
    expect((await cli(['help', 'sched', 'nosuch'])).stderr).toMatch(
      /^trainyard: unknown command 'nosuch' for `trainyard sched`; its commands: status, list, /,
    );
    // `help server` is the server's flags (the group's commander help listed none of them) and its
    // commands: the server's own entry point prints it (so a process of its own).
    for (const args of [
      ['help', 'server'],
      ['server', 'help'],
    ]) {
      const run = await cli(args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(run.stdout).toMatch(
        /^Usage: trainyard server \[options\]\n[^]* --port PORT [^]*\n {2}trainyard server stop /,
      );
    }
    // The rest of `server`'s commands and their mistakes: apps/cli/src/cli.spec.ts (in-process).
    const group = await cli(['sched']);
    expect([group.code, group.stdout, group.stderr]).toEqual([
      2,
      '',
      expect.stringMatching(/^Usage: trainyard sched /),
    ]);
    // No command at all alike (it was usage on stdout, exit 0).
    const bare = await cli([]);
    expect([bare.code, bare.stdout, bare.stderr]).toEqual([
      2,
      '',
      expect.stringMatching(/^Usage: trainyard /),
    ]);
  });

  it('a mistyped `server` word, flag or value is a usage error naming it, also while a server holds the state directory', async () => {
    // The server of this suite holds temp.home: the lock's "in use" would name the wrong problem.
    for (const [args, said] of [
      [['server', 'restrat'], "unexpected word 'restrat' (did you mean restart?)"],
      [['server', '--port', '1', '--bogus-flag'], '--bogus-flag'],
      [['server', '--fake-gpu', '2'], 'unknown option --fake-gpu (did you mean --fake-gpus?)'],
      // A bad value too (it was checked after the lock, which then named the other server).
      [['server', '--port', 'abc'], 'command line: --port must be an integer 0..65535 (got "abc")'],
    ] as const) {
      const run = await cli([...args], { TRAINYARD_HOME: temp.home });
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toContain(said);
      expect(run.stderr).not.toContain('in use');
    }
    // The server is still up, and a real second start is still refused by the lock.
    expect((await cli(['server', '--port', '1'], { TRAINYARD_HOME: temp.home })).stderr).toContain(
      'is in use by another Trainyard server',
    );
    expect(await json(['sched', 'status'])).toMatchObject({ enabled: true });
  });

  it('says in one line that it cannot write its output to a full disk (exit 1), no stack, and a short answer', async () => {
    const toFull = (args: string) =>
      runCli(
        ['-c', `exec "$0" "$1" ${args} > /dev/full`, process.execPath, CLI_BIN],
        env,
        undefined,
        '/bin/sh',
      );
    const full = 'trainyard: cannot write the output: ENOSPC: no space left on device, write';
    for (const args of ['--help', '--json sched list']) {
      expect({ args, ...(await toFull(args)) }).toEqual({
        args,
        code: 1,
        stdout: '',
        stderr: `${full} (the command was carried out)\n`,
      });
    }
    // A submit's job is queued all the same: its id is said, so a script need not submit it again.
    const submitted = await toFull('submit -- true');
    expect(submitted).toMatchObject({ code: 1, stdout: '' });
    const id = new RegExp(
      `^${full} \\(the command was carried out; the output was: (q_\\d+_[0-9a-f]+)\\)\n$`,
    ).exec(submitted.stderr)?.[1];
    expect(id).toBeDefined();
    expect((await json(['job', 'status', id!])).queue_id).toBe(id);
  });

  it('colours its own output when FORCE_COLOR asks, piped too; never with FORCE_COLOR=0 or, piped, by default', async () => {
    const ESC = '\u001b[';
    expect((await cli(['gpu', 'status'], { FORCE_COLOR: '1' })).stdout).toContain(ESC);
    expect((await cli(['gpu', 'status'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).toContain(ESC);
    const plain: Array<Record<string, string>> = [
      {},
      { FORCE_COLOR: '0' },
      { FORCE_COLOR: 'false' },
      { FORCE_COLOR: '' },
    ];
    for (const extra of plain) {
      const run = await cli(['gpu', 'status'], extra);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(ESC);
    }
  });

  it('submits from a removed current directory with an absolute --cwd; without one it says what is wrong (exit 2)', async () => {
    const gone = join(temp.home, 'gone');
    // The shell sits in a directory that is then removed (an old build dir, a cleaned checkout).
    const fromGone = (args: string[]) =>
      runCli(
        [
          '-c',
          'mkdir -p "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"',
          'sh',
          gone,
          process.execPath,
          CLI_BIN,
          ...args,
        ],
        env,
        undefined,
        '/bin/sh',
      );
    const absolute = await fromGone(['submit', '--cwd', temp.home, '--', 'true']);
    expect(absolute).toMatchObject({ code: 0, stderr: '' });
    expect(await waitStatus(absolute.stdout.trim(), ['done'])).toMatchObject({ cwd: temp.home });
    for (const args of [
      ['submit', '--', 'true'],
      ['submit', '--cwd', 'data', '--', 'true'],
    ]) {
      const refused = await fromGone(args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'trainyard: the current directory no longer exists (it was removed while this shell was in it); cd to one that exists, or give the job an absolute --cwd\n',
      );
    }
  });

  it('tails a job live and exits with its exit code, from its last lines with -n; dumps the whole log', async () => {
    const id = (
      await cli([
        'submit',
        '--type',
        'command',
        '--',
        'sh',
        '-c',
        'printf "\\033[31mred line\\033[0m\\n"; sleep 0.5; printf "\\033[32mgreen line\\033[0m\\n"; exit 3',
      ])
    ).stdout.trim();
    const tail = await cli(['job', 'tail', id]);
    expect(tail.code).toBe(3);
    expect(tail.stdout).toContain('\u001b[31mred line\u001b[0m');
    expect(tail.stdout).toContain('\u001b[32mgreen line\u001b[0m');

    const dump = await cli(['job', 'dump', id]);
    expect(dump.code).toBe(0);
    // The pseudo-terminal turns \n into \r\n.
    expect(dump.stdout.replace(/\r/g, '')).toContain(
      '\u001b[31mred line\u001b[0m\n\u001b[32mgreen line\u001b[0m\n',
    );

    // -n: the last lines only, as tail -n counts them, then what follows; a bad count names the flag.
    const last = await cli(['job', 'tail', '-n', '1', id]);
    expect(last.code).toBe(3);
    expect(last.stdout.replace(/\r/g, '')).toBe('\u001b[32mgreen line\u001b[0m\n');
    expect((await cli(['job', 'tail', '--lines', '0', id])).stdout).toBe('');
    expect((await cli(['job', 'tail', '-n', '5', id])).stdout).toContain('red line');
    expect(await cli(['job', 'tail', '-n', '-1', id])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--lines must be at least 0'),
    });

    const ok = (await cli(['submit', '--type', 'command', '--', 'true'])).stdout.trim();
    expect((await cli(['job', 'tail', ok])).code).toBe(0);
  });

  /** Runs the CLI on a pseudo-terminal (util-linux `script`), as a user at a terminal would. */
  function cliOnTty(args: string[]): Promise<Run> {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return new Promise((resolve) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
  }

  it('on a terminal, tail drops title/clipboard strings and terminal queries but keeps colours; --raw and dump do not', async () => {
    const script =
      'printf "\\033]0;pwned\\007\\033[31mred\\033[0m\\033[6n\\033]52;c;eA==\\033\\\\ \\rstep 2\\033[K\\n"';
    const id = (await cli(['submit', '--type', 'command', '--', 'sh', '-c', script])).stdout.trim();
    await waitStatus(id, ['done']);

    const filtered = await cliOnTty(['job', 'tail', id]);
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).toContain('\u001b[31mred\u001b[0m \rstep 2\u001b[K');
    for (const dropped of ['pwned', '\u001b[6n', '\u001b]52']) expect(filtered.stdout).not.toContain(dropped);

    const raw = await cliOnTty(['job', 'tail', '--raw', id]);
    expect(raw.stdout).toContain(
      '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\u001b[6n\u001b]52;c;eA==\u001b\\',
    );
    const dump = await cli(['job', 'dump', id]);
    expect(dump.stdout).toContain('\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\u001b[6n');
  });

  it('escapes control and bidi characters from job names and errors in tables', async () => {
    // Anything below U+0020 but \t and \n, and the right-to-left override.
    // eslint-disable-next-line no-control-regex
    const unsafe = /[\u0000-\u0008\u000b-\u001f\u202e]/;
    const name = 'x\u001b]0;pwned\u0007\u202eexe.txt';
    const id = (await cli(['submit', '--type', 'command', '--name', name, '--', 'true'])).stdout.trim();
    await waitStatus(id, ['done']);
    const list = await cli(['sched', 'list']);
    expect(list.stdout).toContain('x\\x1b]0;pwned\\x07\\u202eexe.txt');
    expect(list.stdout).not.toMatch(unsafe);
    const status = await cli(['job', 'status', id]);
    expect(status.stdout).toContain('x\\x1b]0;pwned\\x07\\u202eexe.txt');
    expect(status.stdout).not.toMatch(unsafe);
  });

  it('says why `job tail` of a queued job waits, and ends it with exit code 5 when it is cancelled', async () => {
    expect((await cli(['sched', 'pause'])).code).toBe(0);
    try {
      const id = (await cli(['submit', '--type', 'command', '--', 'true'])).stdout.trim();
      const tail = startCli(['job', 'tail', id], env);
      // Not silence, which reads as a hang: why it waits.
      const note = new RegExp(
        `trainyard: ${id} is queued( \\(scheduler is paused\\))?; its output follows once it starts`,
      );
      await waitFor(() => note.test(tail.stderr()), 'the tail to say why it waits');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let it connect and follow
      expect((await cli(['sched', 'cancel', id])).code).toBe(0);
      const tailed = await tail.exited;
      expect(tailed.code).toBe(5);
      expect(tailed.stderr).toContain(`${id} was cancelled`);
    } finally {
      await cli(['sched', 'resume']);
    }
  });

  it("keeps tailing and waiting across a `server restart`: no line lost or repeated, then the job's exit code", async () => {
    // Its own server on a fixed port: a restart comes back where the CLI is pointed.
    const home = makeTempHome('trainyard-cli-restart-');
    const port = await freePort();
    const own = await spawnServer(home.home, ['--port', String(port)]);
    const ownEnv = {
      ...env,
      HOME: home.home,
      TRAINYARD_SERVER_URL: own.baseUrl,
      TRAINYARD_SERVER_TOKEN: own.token!,
    };
    // Lines 6–40 come once the restart is over, so it happens mid-stream however long it takes.
    // (Before: the job printed for a fixed 4 s; on a loaded CI machine the restart came after it
    // had ended, and the tail never had to reconnect.)
    const gate = join(home.home, 'gate');
    try {
      const submitted = await cli(
        [
          'submit',
          '--type',
          'command',
          '--env',
          `GATE=${gate}`,
          '--',
          'sh',
          '-c',
          'for i in $(seq 1 5); do echo "line $i"; done; until [ -e "$GATE" ]; do sleep 0.05; done; ' +
            'for i in $(seq 6 40); do echo "line $i"; sleep 0.02; done; exit 4',
        ],
        ownEnv,
      );
      const id = submitted.stdout.trim();
      expect(id).toMatch(QUEUE_ID);
      const tail = startCli(['job', 'tail', id], ownEnv);
      const waiter = startCli(['wait', '--interval', '0.1', id], ownEnv);
      await waitFor(() => tail.stdout().includes('line 5'), 'the tail to print line 5');
      // Before: `server restart` tried to start a second server on the state directory, and failed.
      const restart = await cli(['server', 'restart'], ownEnv);
      expect(restart).toEqual({
        code: 0,
        stdout: `restarted the server at ${own.baseUrl}; running jobs keep running\n`,
        stderr: expect.any(String), // "the server is restarting; waiting for it…" when it sees the gap
      });
      writeFileSync(gate, '');

      const tailed = await tail.exited;
      expect(tailed.code).toBe(4);
      const lines = tailed.stdout.replace(/\r/g, '').trim().split('\n');
      expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
      expect(tailed.stderr).toMatch(/reconnecting/);
      expect(tailed.stderr).toMatch(/reconnected/);
      // `wait` polls through the restart's few seconds without the API instead of giving up: the
      // port stays open across a restart (a request waits for the next worker); a refused one would
      // be sent again (the token is from the environment).
      // (Its stderr with the code: a CI run once saw exit 1 here — a 503 from the closing worker.)
      const waited = await waiter.exited;
      expect({ code: waited.code, stderr: waited.stderr }).toEqual({
        code: 4,
        stderr: expect.not.stringMatching(/cannot reach|503/),
      });
    } finally {
      await own.stop();
      home.remove();
    }
  });

  it('a command sent while a crashed worker is respawned waits for it (its port refuses connections meanwhile)', async () => {
    const home = makeTempHome('trainyard-cli-refused-');
    const port = await freePort();
    const own = await spawnServer(home.home, ['--port', String(port)]);
    // TRAINYARD_HOME: the CLI asks that directory's lock whether a server is up.
    const ownEnv = {
      TRAINYARD_SERVER_URL: own.baseUrl,
      TRAINYARD_SERVER_TOKEN: own.token!,
      TRAINYARD_HOME: home.home,
    };
    const refused = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => socket.destroy() && resolve(false));
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
      });
    try {
      // A crash hands nothing over (a restart keeps the port open: server-process.e2e-spec).
      process.kill(workerPid(own), 'SIGKILL');
      await waitFor(async () => (await refused()) || undefined, 'the dead worker to let go of the port');
      const submitted = await cli(
        ['submit', '--type', 'command', '--name', 'sent-mid-restart', '--', 'true'],
        ownEnv,
      );
      expect(submitted).toMatchObject({
        code: 0,
        stderr: expect.stringContaining('the server is restarting'),
      });
      const id = submitted.stdout.trim();
      expect(id).toMatch(QUEUE_ID);
      // Sent again after a refused connection only: queued once.
      const listed = await cli(['--json', 'sched', 'list'], ownEnv);
      expect(
        (JSON.parse(listed.stdout) as { items: { queue_id: string }[] }).items.map((j) => j.queue_id),
      ).toEqual([id]);
    } finally {
      await own.stop();
    }
    // The token from the server's own state directory, whose lock no server holds: it is stopped,
    // said at once in one line.
    const started = Date.now();
    const down = await cli(['submit', '--type', 'command', '--', 'true'], {
      ...ownEnv,
      TRAINYARD_SERVER_TOKEN: '',
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^trainyard: cannot reach the Trainyard server[^\n]*\n$/);
    expect(Date.now() - started).toBeLessThan(8_000);
    home.remove();
  });

  it('finds a server of its state directory bound to one address alone there, not on 127.0.0.1', async () => {
    // Before: the CLI tried 127.0.0.1 on its port, said "the server is restarting", waited a minute
    // and failed naming 127.0.0.1.
    const home = makeTempHome('trainyard-cli-bound-');
    const own = await spawnServer(home.home, ['--host', '127.0.0.2']);
    try {
      expect(new URL(own.baseUrl).hostname).toBe('127.0.0.2');
      const started = Date.now();
      const status = await cli(['--json', 'sched', 'status'], {
        TRAINYARD_HOME: home.home,
        TRAINYARD_SERVER_URL: '',
        TRAINYARD_SERVER_TOKEN: '',
      });
      expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await own.stop();
      home.remove();
    }
  });

  it('ends a running `wait` and `job tail` promptly (exit 3) when the server is stopped, not restarted', async () => {
    const home = makeTempHome('trainyard-cli-stopped-');
    const own = await spawnServer(home.home);
    // The token from the server's own state directory: its lock says whether a server is up.
    const ownEnv = {
      TRAINYARD_SERVER_URL: own.baseUrl,
      TRAINYARD_SERVER_TOKEN: '',
      TRAINYARD_HOME: home.home,
    };
    try {
      const id = (
        await cli(['submit', '--', 'sh', '-c', 'echo started; exec sleep 61.5'], ownEnv)
      ).stdout.trim();
      expect(id).toMatch(QUEUE_ID);
      // Stopping the server leaves its jobs running: the cleanup kills this one.
      await waitFor(async () => {
        const job = JSON.parse((await cli(['--json', 'job', 'status', id], ownEnv)).stdout);
        return job.status === 'running' && job.pid ? (job.pid as number) : undefined;
      }, `${id} to run`);
      // Both must have reached the server before it stops (a server never reached is "is it
      // running?", rightly): the tail has printed the job's output; `wait` has read the job twice
      // (the tail reads it once, before following).
      const readsBefore = await answered(own, 'GET', '/api/jobs/:queue_id');
      const tail = startCli(['job', 'tail', id], ownEnv);
      const waited = startCli(['wait', '--interval', '0.1', id], ownEnv);
      await waitFor(() => tail.stdout().includes('started'), 'the tail to follow the log');
      await waitFor(
        async () => (await answered(own, 'GET', '/api/jobs/:queue_id')) >= readsBefore + 3,
        '`wait` to read the job',
      );
      await own.stop();
      const stopped = Date.now();
      // Told that it stopped and that the job is not affected, not "is it running?".
      const [tailed, waitedFor] = await Promise.all([tail.exited, waited.exited]);
      expect([tailed.code, waitedFor.code]).toEqual([3, 3]);
      expect(tailed.stderr).toContain(
        `trainyard: the server at ${own.baseUrl} stopped (it is not restarting); ${id} goes on running — run \`trainyard job tail ${id}\` again`,
      );
      expect(waitedFor.stderr).toContain(
        `trainyard: the server at ${own.baseUrl} stopped (it is not restarting); ${id} goes on running — run \`trainyard wait\` again`,
      );
      // Not the minute a restart is waited for.
      expect(Date.now() - stopped).toBeLessThan(10_000);
    } finally {
      await own.stop();
      // Kills the job (it outlives the stopped server, by design) before removing its directory.
      home.remove();
    }
  });

  it('lists services with their state and instance, and disables and enables one by name', async () => {
    // Nothing to list: a note on stderr, no row on stdout for a script to count (before: on stdout).
    const none = await cli(['service', 'list']);
    expect(none).toMatchObject({
      code: 0,
      stdout: '',
      stderr: expect.stringMatching(/^trainyard: no services \(declare them under `services:`/),
    });
    expect(JSON.parse((await cli(['--json', 'service', 'list'])).stdout)).toEqual([]);
    const created = await fetch(`${server.baseUrl}/api/services`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'command',
        name: 'ticker',
        enabled: true,
        args: { argv: ['sleep', '600'] },
      }),
    });
    expect(created.status).toBe(200);
    const running = await waitFor(async () => {
      const [s] = await json(['service', 'list']);
      return s?.state === 'running' ? s : undefined;
    }, 'the service to run');
    const table = await cli(['service', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^SERVICE\s+STATE\s+HEALTH\s+INSTANCE\s+RESTARTS\s+LAST EXIT/,
    );
    expect(table.stdout).toMatch(
      new RegExp(`command/ticker\\s+running\\s+-\\s+${running.queue_id}\\s+0\\s+-`),
    );

    const disabled = await cli(['service', 'disable', 'ticker']);
    expect(disabled.code).toBe(0);
    expect(disabled.stdout).toMatch(/^command\/ticker: (stopping \(q_|disabled)/);
    expect((await waitStatus(running.queue_id, ['aborted'])).termination_reason).toBe('user_abort');
    const enabled = await cli(['service', 'enable', 'command/ticker']);
    expect(enabled.stdout).toMatch(/^command\/ticker: (queued|starting|running) \(q_/);
    const unknown = await cli(['service', 'disable', 'nope']);
    expect([unknown.code, unknown.stderr]).toEqual([5, expect.stringContaining('no service nope')]);
    expect((await cli(['service', 'disable', 'ticker'])).code).toBe(0);
  });

  it('kills jobs; force-kill is refused without --yes; an abort its trainer does not take says so', async () => {
    const sleeper = async () => {
      const id = (await cli(['submit', '--type', 'command', '--', 'sleep', '600'])).stdout.trim();
      await waitStatus(id, ['running']);
      return id;
    };
    const first = await sleeper();
    const kill = await cli(['job', 'kill', first]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain(`${first}: SIGTERM sent`);
    expect((await waitStatus(first, ['aborted'])).termination_reason).toBe('user_abort');

    const second = await sleeper();
    const refused = await cli(['job', 'force-kill', second]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    // A common guess is pointed at the command that does it, and nothing is sent.
    const guessed = await cli(['job', 'kill', '--force', second]);
    expect(guessed.code).toBe(2);
    expect(guessed.stderr).toContain(`trainyard job force-kill --yes ${second}`);
    expect((await json(['job', 'status', second])).status).toBe('running');
    expect((await cli(['job', 'force-kill', '--yes', second])).code).toBe(0);
    await waitStatus(second, ['aborted']);

    // A trainer endpoint nobody serves: abort falls back to SIGTERM, and the line says why.
    const port = await freePort();
    const published = `echo '{"host": "127.0.0.1", "port": ${port}}' > "$TRAINYARD_CONTROL_DIR/endpoint.json"`;
    const third = (await cli(['submit', '--', 'sh', '-c', `${published}; sleep 600`])).stdout.trim();
    await waitFor(async () => (await json(['job', 'status', third])).trainer_endpoint, 'its endpoint');
    const abort = await cli(['job', 'abort', third]);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain(
      `${third}: the trainer did not take the abort (trainer control endpoint 127.0.0.1:${port} could ` +
        'not be reached (ECONNREFUSED); the request was not delivered); instead: SIGTERM sent to ',
    );
    await waitStatus(third, ['aborted']);
  });

  it('says a cancelled job that is already stopping is stopping, and why, not that it is aborted anew', async () => {
    // Ignores SIGTERM (and so does its sleep: an ignored signal stays ignored across exec).
    const id = (
      await cli(['submit', '--kill-grace', '1m', '--', 'sh', '-c', 'trap "" TERM; echo ready; sleep 62.5'])
    ).stdout.trim();
    try {
      await waitStatus(id, ['running']);
      await waitFor(
        async () => (await cli(['job', 'dump', id])).stdout.includes('ready'),
        `${id} to trap SIGTERM`,
      );
      const first = await cli(['sched', 'cancel', id]);
      expect(first).toMatchObject({ code: 0, stdout: `${id} has started: aborting it\n` });
      expect((await json(['job', 'status', id])).status).toBe('terminating');
      const again = await cli(['sched', 'cancel', id]);
      expect(again).toMatchObject({ code: 0, stdout: `${id} is already stopping (user_abort)\n` });
      // --json: the server's answer, as before.
      expect(await json(['sched', 'cancel', id])).toEqual({ queue_id: id, outcome: 'aborting' });
    } finally {
      await cli(['job', 'force-kill', '--yes', id]);
    }
    await waitStatus(id, ['aborted']);
  });

  it('says what to do instead when a queued job is killed, and names --status when it is wrong', async () => {
    expect((await cli(['sched', 'pause'])).code).toBe(0);
    try {
      const id = (await cli(['submit', '--', 'true'])).stdout.trim();
      const kill = await cli(['job', 'kill', id]);
      expect(kill.code).toBe(1);
      expect(kill.stderr).toContain(`${id} is queued and has not started`);
      expect(kill.stderr).toContain('trainyard sched cancel');
      expect((await cli(['sched', 'cancel', id])).code).toBe(0);
      const listed = await cli(['sched', 'list', '--status', 'bogus']);
      expect(listed.code).toBe(2);
      expect(listed.stderr).toContain('(--status)');
    } finally {
      await cli(['sched', 'resume']);
    }
  });

  it('`sched list --sort name` orders the list by that column (the server checks the column)', async () => {
    for (const name of ['sort-b', 'sort-c', 'sort-a']) await cli(['submit', '--name', name, '--', 'true']);
    const names = async (...args: string[]) =>
      ((await json(['sched', 'list', '--limit', '1000', ...args])).items as { name: string | null }[])
        .map((j) => j.name)
        .filter((n) => n?.startsWith('sort-'));
    expect(await names('--sort', 'name')).toEqual(['sort-a', 'sort-b', 'sort-c']);
    expect(await names('--sort', 'name', '--order', 'desc')).toEqual(['sort-c', 'sort-b', 'sort-a']);
    const bad = await cli(['sched', 'list', '--sort', 'colour']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('(--sort)')]);
    expect((await cli(['sched', 'list', '--order', 'asc'])).stderr).toBe(
      'trainyard: --order goes with --sort\n',
    );
  });

  it('lists GPUs held as #i, `-` for a job that ended without any, and the whole note into a pipe', async () => {
    const ran = (await cli(['submit', '--gpus', '1', '--name', 'ongpu', '--', 'true'])).stdout.trim();
    // It fails once its dependent is queued (a dependency that failed already is refused).
    const gate = join(temp.home, 'failing-gate');
    const failing = (
      await cli(['submit', '--', 'sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 3`])
    ).stdout.trim();
    const never = (
      await cli(['submit', '--gpus', '1', '--name', 'never', '--after', `${failing}:ok`, '--', 'true'])
    ).stdout.trim();
    writeFileSync(gate, '');
    await waitStatus(ran, ['done']);
    const aborted = await waitStatus(never, ['aborted']);
    expect(aborted.error.length).toBeGreaterThan(80);

    const list = await cli(['sched', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${ran}\\s+done\\s+command\\s+ongpu\\s+#[01]\\s`, 'm'));
    // It asked for a GPU and never got one: nothing to show, not `want 1`.
    expect(list.stdout).toMatch(new RegExp(`^${never}\\s+aborted\\s+command\\s+never\\s+-\\s`, 'm'));
    // stdout is a pipe here: a script gets the whole error, not 80 characters of it.
    expect(list.stdout).toContain(`  ${aborted.error}\n`);

    expect((await cli(['job', 'status', ran])).stdout).toMatch(/^gpus\s+#[01]$/m);
    expect((await cli(['job', 'status', never])).stdout).toMatch(/^gpus\s+- \(requested 1\)$/m);
  });

  it('`sched retry` takes a short array id, or a job of the array; a job in none points to `job resubmit`', async () => {
    const wait = async (id: string) => (await cli(['wait', '--interval', '0.2', id])).code;
    const arrayId = (
      await cli(['submit', '--array', '3', '--', 'sh', '-c', 'test {index} -eq 0 || exit 4'])
    ).stdout.trim();
    expect(await wait(arrayId)).toBe(4);

    const byShortId = await cli(['sched', 'retry', arrayId.slice(-8)]);
    expect(byShortId).toMatchObject({
      code: 0,
      stderr: `trainyard: 2 jobs of ${arrayId} submitted again as a new array\n`,
    });
    // New jobs in a new array (given by a part of its id), whose id alone is on stdout, as submit
    // prints one: `A=$(trainyard sched retry …); trainyard wait $A` (before: a sentence).
    const retried = (stdout: string) => /^(a_\d{13}_[0-9a-f]{8})\n$/.exec(stdout)?.[1];
    const again = retried(byShortId.stdout);
    expect(again).toBeDefined();
    expect(again).not.toBe(arrayId);
    expect(await wait(again!)).toBe(4);

    type Item = { queue_id: string; array_id: string | null; status: string };
    const member = ((await json(['sched', 'list'])).items as Item[]).find(
      (j) => j.array_id === again && j.status === 'failed',
    )!.queue_id;
    // A copy by `job resubmit` leaves the array, and its variables: it says so, and what keeps them.
    const copy = await cli(['job', 'resubmit', member]);
    expect(copy.code).toBe(0);
    expect(copy.stderr).toMatch(
      new RegExp(
        `^trainyard: ${member} is job \\d of array ${again}; the copy is a job of its own, without TRAINYARD_ARRAY_ID`,
      ),
    );
    expect(copy.stderr).toContain(`\`trainyard sched retry ${member}\``);
    const byJob = await cli(['sched', 'retry', member.slice(-8)]);
    expect(byJob.code).toBe(0);
    expect(byJob.stderr).toBe(
      `trainyard: ${member} is in array ${again}: retrying its failed jobs\n` +
        `trainyard: 2 jobs of ${again} submitted again as a new array\n`,
    );
    const third = retried(byJob.stdout);
    expect(third).toBeDefined();
    expect(await wait(third!)).toBe(4);

    // Retried already: the server's 409 sentence, as it says it.
    const twice = await cli(['sched', 'retry', arrayId]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(
      /^trainyard: array a_\d{13}_[0-9a-f]{8}'s failed and aborted jobs were retried already/,
    );
    expect(twice.stderr).not.toMatch(/\b409\b/); // no HTTP status (ids may hold the digits: a_1796192440915_…)

    const plain = (await cli(['submit', '--', 'true'])).stdout.trim();
    const refused = await cli(['sched', 'retry', plain.slice(-8)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${plain} is not in an array`);
    expect(refused.stderr).toContain(`trainyard job resubmit ${plain}`);
    expect((await cli(['sched', 'retry', 'ffffffff0'])).code).toBe(5);
  });

  it('`wait`, `sched cancel` and `submit --after` take a short array id too', async () => {
    expect((await cli(['sched', 'pause'])).code).toBe(0);
    try {
      const arrayId = (await cli(['submit', '--array', '2', '--', 'true'])).stdout.trim();
      const short = arrayId.slice(-8);
      const after = await cli(['--json', 'submit', '--after', `${short}:any`, '--', 'true']);
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout).depends_on).toHaveLength(2); // the array's two jobs
      const cancelled = await cli(['sched', 'cancel', short]);
      expect(cancelled).toMatchObject({ code: 0, stderr: '' });
      expect(cancelled.stdout).toBe(
        `${arrayId}: 2 queued: cancelled (kept as aborted; trainyard sched retry ${arrayId} runs them again)\n`,
      );
    } finally {
      expect((await cli(['sched', 'resume'])).code).toBe(0);
    }
    const done = (await cli(['submit', '--array', '2', '--', 'true'])).stdout.trim();
    const waited = await cli(['wait', done.slice(-8)]);
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain(done);
    // For scripts: each job with its end (before: ended_at null for every job that succeeded).
    const ends = JSON.parse((await cli(['--json', 'wait', done])).stdout);
    const jobs = JSON.stringify(ends);
    expect(jobs).not.toContain('"ended_at":null');
    expect(jobs.match(/"ended_at":"\d{4}-[^"]+Z"/g)).toHaveLength(2);
  });

  it('`wait` given one target twice (the same id, or an id and its short form) waits for it once', async () => {
    const job = (await cli(['submit', '--', 'sh', '-c', 'exit 3'])).stdout.trim();
    const array = (await cli(['submit', '--array', '2', '--', 'true'])).stdout.trim();
    const waited = await cli(['wait', '--interval', '0.1', job, job.slice(-8), array, array, job]);
    expect(waited.code).toBe(3);
    expect(waited.stdout.trim().split('\n')).toEqual([`${job} failed (exit 3)`, `${array} 2/2 done`]);
  });

  it('changes GPU policy and shows it in gpu status', async () => {
    const gpu = async (index: number) =>
      (await json(['gpu', 'status'])).gpus.find((g: { index: number }) => g.index === index);
    expect((await cli(['gpu', 'disable', '1'])).code).toBe(0);
    expect((await cli(['gpu', 'priority', '0', '-5'])).code).toBe(0);
    expect(await gpu(1)).toMatchObject({ disabled: true });
    expect(await gpu(0)).toMatchObject({ disabled: false, min_priority: -5 });
    const table = (await cli(['gpu', 'status'])).stdout;
    expect(table).toMatch(/^\s*1\s+.*disabled/m);

    expect((await cli(['gpu', 'enable', '1'])).code).toBe(0);
    const cleared = await cli(['gpu', 'clear-gate', '0']);
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toContain('GPU 0: enabled, no priority gate');
    expect(await gpu(1)).toMatchObject({ disabled: false });
    expect(await gpu(0)).toMatchObject({ min_priority: null });

    const refused = await cli(['gpu', 'kill', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
  });

  it("exits 3 when no server answers, naming the URL (after a restart's few seconds: it cannot know the server stopped)", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;

    // The token comes from the environment: the server's state directory, and its lock, are elsewhere.
    const run = await cli(['sched', 'status'], { TRAINYARD_SERVER_URL: url });
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toEqual([
      `trainyard: no answer from ${url}; trying again for 10 s in case it is restarting…`,
      expect.stringMatching(new RegExp(`^trainyard: cannot reach the Trainyard server at ${url} `)),
    ]);
  });

  it('exits 4 when the token is refused, saying where it came from', async () => {
    const wrong = await cli(['sched', 'list'], { TRAINYARD_SERVER_TOKEN: 'not-the-token' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('TRAINYARD_SERVER_TOKEN');

    const missing = await cli(['sched', 'list'], {
      TRAINYARD_SERVER_TOKEN: '',
      TRAINYARD_HOME: join(temp.home, 'nowhere'),
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(join(temp.home, 'nowhere', 'auth_token'));

    // Without the env variable the token file in TRAINYARD_HOME is used.
    const fromFile = await cli(['sched', 'status'], {
      TRAINYARD_SERVER_TOKEN: '',
      TRAINYARD_HOME: temp.home,
    });
    expect(fromFile.code).toBe(0);
  });

  it('exits 5 for unknown ids', async () => {
    for (const args of [
      ['job', 'status'],
      ['job', 'tail'],
      ['job', 'dump'],
      ['job', 'kill'],
      ['sched', 'cancel'],
    ]) {
      const run = await cli([...args, 'q_1234567890123_deadbeef']);
      expect({ args, code: run.code }).toEqual({ args, code: 5 });
      expect(run.stderr).toContain('q_1234567890123_deadbeef');
    }
  });

  it("sets a job's log cap and kill grace; a size it cannot read, or one the server refuses, names the flag", async () => {
    const help = await cli(['submit', '--help']);
    expect(help.stdout).toMatch(/--log-cap <size>/);
    expect(help.stdout).toMatch(/--kill-grace <duration>/);

    const submitted = await cli(['submit', '--log-cap', '8k', '--kill-grace', '3s', '--', 'true']);
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    const id = submitted.stdout.trim();
    const answer = await fetch(`${server.baseUrl}/api/jobs/${id}`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ log_cap_bytes: 8192, kill_grace_s: 3 });

    // Refused before asking the server.
    const unreadable = await cli(['submit', '--log-cap', '12q', '--', 'true']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('--log-cap takes a size like');
    expect(unreadable.stderr).toContain('"12q"');
    const noGrace = await cli(['submit', '--kill-grace', 'soon', '--', 'true']);
    expect(noGrace.code).toBe(2);
    expect(noGrace.stderr).toContain('--kill-grace takes a duration');

    // Readable, but the server's 400 (below its minimum, above its maximum) shown with the flag.
    const tooSmall = await cli(['submit', '--log-cap', '10', '--', 'true']);
    expect(tooSmall.code).toBe(2);
    expect(tooSmall.stderr).toMatch(/log_cap_bytes .*at least 4096.*\(--log-cap\)/);
    const tooLong = await cli(['submit', '--kill-grace', '2h', '--', 'true']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toMatch(/kill_grace_s.*\(--kill-grace\)/);
  });

  it('resubmits a job as a new one with its settings, optionally at another priority', async () => {
    const settings = ['--name', 'again', '--gpus', '1', '--priority', '3', '--kill-grace', '4s'];
    const limits = ['--log-cap', '8k', '--time-limit', '1h', '-e', 'LR=3e-4'];
    const first = await cli(['submit', ...settings, ...limits, '--', 'sh', '-c', 'exit 2']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const original = await waitStatus(first.stdout.trim(), ['failed']);
    const again = await cli(['job', 'resubmit', original.queue_id.slice(-8), '--priority', '7']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    const copy = await json(['job', 'status', again.stdout.trim()]);
    expect(copy.queue_id).not.toBe(original.queue_id);
    const kept = ['job_type', 'job_params', 'requested_gpus', 'name', 'cwd', 'env', 'kill_grace_s'] as const;
    for (const field of [...kept, 'log_cap_bytes', 'time_limit_s', 'preemptible'])
      expect([field, copy[field]]).toEqual([field, original[field]]);
    expect(copy.priority).toBe(7);
    expect((await waitStatus(copy.queue_id, ['failed'])).exit_code).toBe(2);
    expect((await cli(['job', 'resubmit', 'q_1700000000000_00000000'])).code).toBe(5);

    // Its directory is gone now: said as the job's, not as a --cwd that resubmit does not take.
    const dir = join(temp.home, 'gone-later');
    mkdirSync(dir);
    const there = await json(['submit', '--cwd', dir, '--', 'true']);
    await waitStatus(there.queue_id, ['done']);
    rmdirSync(dir);
    const refused = await cli(['job', 'resubmit', there.queue_id]);
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr: `trainyard: ${there.queue_id} cannot be submitted again as it was: cwd ${dir} does not exist; \`trainyard submit\` takes its settings with others in their place (--cwd, --env, …)\n`,
    });
  });

  it('exits 2 for invalid requests, naming the field', async () => {
    const tooMany = await cli(['submit', '--type', 'command', '--gpus', '3', '--', 'true']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/requested_gpus.*--gpus/);

    const notANumber = await cli(['submit', '--type', 'command', '--gpus', 'two', '--', 'true']);
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain('--gpus');

    const badCwd = await cli(['submit', '--type', 'command', '--cwd', '/no/such/dir', '--', 'true']);
    expect(badCwd.code).toBe(2);
    expect(badCwd.stderr).toContain('--cwd');

    // A value listed twice made the same job twice.
    const before = (await json(['sched', 'list'])).total;
    const twice = await cli(['submit', '--sweep', 'lr=0.1,0.2,0.1', '--', 'echo', '{lr}']);
    expect([twice.code, twice.stderr]).toEqual([
      2,
      'trainyard: invalid request: array.sweep.lr lists "0.1" more than once (--sweep)\n',
    ]);
    expect((await json(['sched', 'list'])).total).toBe(before);

    const unknownOption = await cli(['sched', 'list', '--no-such-flag']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain('--no-such-flag');
  });
});
