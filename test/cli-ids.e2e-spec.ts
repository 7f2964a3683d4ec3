import { type CliRun, runCli, runCliJson } from './support/cli';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

/** Short job ids as the console shows them, the `--` hint, and the banner's line for the CLI. */
describe('trainyard CLI: short ids and hints (e2e, spawned server and CLI processes)', () => {
  const temp = makeTempHome('trainyard-cli-ids-');
  let server: SpawnedServer;
  let env: Record<string, string>;

  function cli(args: string[], extraEnv: Record<string, string> = env): Promise<CliRun> {
    return runCli(args, extraEnv);
  }
  const json = (args: string[]): Promise<any> => runCliJson(args, env);

  beforeAll(async () => {
    server = await spawnServer(temp.home);
    // What the banner tells a user to run for a server on a port other than the CLI's default.
    const exported = /export TRAINYARD_SERVER_URL=(\S+)/.exec(server.output())?.[1];
    env = {
      PATH: process.env.PATH ?? '',
      HOME: temp.home,
      TRAINYARD_HOME: temp.home,
      ...(exported && { TRAINYARD_SERVER_URL: exported }),
    };
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it('prints the export line that points the CLI at this server', async () => {
    expect(server.output()).toContain(`CLI:          export TRAINYARD_SERVER_URL=${server.baseUrl}\n`);
    expect(env.TRAINYARD_SERVER_URL).toBe(server.baseUrl);
    expect((await cli(['sched', 'status'])).code).toBe(0);
  });

  it('takes the 8-hex suffix, or any unique prefix or suffix, wherever a job id goes', async () => {
    await json(['sched', 'pause']);
    const first = (await json(['submit', '--name', 'first', '--', 'sleep', '300'])).queue_id as string;
    const second = (await json(['submit', '--name', 'second', '--', 'sleep', '300'])).queue_id as string;
    const suffix = first.slice(-8);

    expect((await json(['job', 'status', suffix])).queue_id).toBe(first);
    const after = await json(['submit', '--after', `${suffix}:any`, '--', 'true']);
    expect(after.depends_on).toEqual([{ queue_id: first, condition: 'after_any' }]);
    expect((await cli(['submit', '--after', 'ffffffff0', '--', 'true'])).code).toBe(5);
    // A whole id that exists nowhere is "not found" too (it was the server's 400: exit 2, as for bad usage).
    for (const [id, what] of [
      ['q_1700000000000_deadbeef', 'job'],
      ['a_1700000000000_deadbeef', 'array'],
    ]) {
      const missing = await cli(['submit', '--after', `${id}:any`, '--', 'true']);
      expect([missing.code, missing.stderr]).toEqual([5, `trainyard: no ${what} ${id} (--after)\n`]);
    }
    await json(['sched', 'cancel', after.queue_id]);
    expect((await json(['job', 'status', second.slice(-5)])).queue_id).toBe(second);
    expect((await json(['job', 'status', second.slice(0, -3)])).queue_id).toBe(second);

    const ambiguous = await cli(['job', 'status', 'q_']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"q_" matches 2 jobs');
    expect(ambiguous.stderr).toContain(first);

    const unknown = await cli(['job', 'kill', 'ffffffff0']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toBe('trainyard: no job id starts or ends with "ffffffff0"\n');

    const cancelled = await json(['sched', 'cancel', suffix]);
    expect(cancelled).toMatchObject({ queue_id: first, outcome: 'removed' });
    await json(['sched', 'cancel', second.slice(-8)]);

    await json(['sched', 'resume']);
    const done = (await json(['submit', '--', 'echo', 'hello'])).queue_id as string;
    const short = done.slice(-8);
    await waitFor(async () => (await json(['job', 'status', short])).status === 'done', `${done} to finish`);
    expect((await cli(['job', 'dump', short])).stdout).toContain('hello');
    expect((await cli(['job', 'tail', short])).code).toBe(0);
    // An empty id (`sched cleanup "$JOB"` with JOB unset) is refused: it removed every finished job.
    const empty = await cli(['sched', 'cleanup', '']);
    expect([empty.code, empty.stderr]).toEqual([2, 'trainyard: a job id cannot be empty\n']);
    // Nor is no argument at all (`sched cleanup $JOB` unquoted): before, it removed every finished job.
    const bare = await cli(['sched', 'cleanup']);
    expect([bare.code, bare.stderr]).toEqual([
      2,
      'trainyard: give a job id, --older-than/--status, or --all to remove every finished job and its log\n',
    ]);
    expect((await json(['job', 'status', short])).status).toBe('done');
    expect((await json(['sched', 'cleanup', short])).deleted).toEqual([done]);
  });

  it('--after takes an array id: the job waits for every job of the array', async () => {
    await json(['sched', 'pause']);
    try {
      const arrayId = (await cli(['submit', '--array', '2', '--', 'sleep', '300'])).stdout.trim();
      expect(arrayId).toMatch(/^a_\d{13}_[0-9a-f]{8}$/);
      type Item = { queue_id: string; array_id: string; array_index: number };
      const elements = ((await json(['sched', 'list'])).items as Item[])
        .filter((i) => i.array_id === arrayId)
        .sort((a, b) => a.array_index - b.array_index)
        .map((i) => i.queue_id);
      expect(elements).toHaveLength(2);
      const after = await json(['submit', '--after', `${arrayId}:any`, '--', 'true']);
      expect(after.depends_on).toEqual(elements.map((queue_id) => ({ queue_id, condition: 'after_any' })));
      await json(['sched', 'cancel', after.queue_id]);
      await json(['sched', 'cancel', arrayId]);
    } finally {
      await json(['sched', 'resume']);
    }
  });

  it('says to put the command after -- when an option of it reaches submit', async () => {
    const run = await cli(['submit', '--name', 'x', 'python3', '-c', 'print("a b")']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '-c'");
    expect(run.stderr).toContain(
      `\ntrainyard: put the command after --: trainyard submit --name x -- python3 -c 'print("a b")'\n`,
    );
    const plain = await cli(['submit', '--bogus']);
    expect(plain.stderr).not.toContain('put the command after');
  });

  it('sched cleanup --status / --older-than removes only the finished jobs they name (retention)', async () => {
    const ended = async (argv: string[], status: string) => {
      const id = (await json(['submit', '--', ...argv])).queue_id as string;
      await waitFor(async () => (await json(['job', 'status', id])).status === status, `${id} ${status}`);
      return id;
    };
    // What earlier tests left, out of the way.
    await json(['sched', 'cleanup', '--all']);
    const ok = await ended(['true'], 'done');
    const bad = await ended(['false'], 'failed');
    expect((await json(['sched', 'cleanup', '--status', 'failed'])).deleted).toEqual([bad]);
    // gc counts the files of jobs that still exist apart: they are no orphans being kept.
    const gc = await cli(['sched', 'gc']);
    expect(gc.stdout).toMatch(/^removed 0 orphan log file\(s\); [1-9]\d* file\(s\) of existing jobs kept\n$/);
    // Nothing ended an hour ago; once a second has passed, the job that ended before it goes.
    expect((await json(['sched', 'cleanup', '--older-than', '1h'])).deleted).toEqual([]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (await json(['sched', 'cleanup', '--older-than', '1s', '--status', 'done,aborted'])).deleted,
    ).toEqual([ok]);
    // Wrong input is refused, naming what is wrong; nothing is removed.
    const queued = await cli(['sched', 'cleanup', '--status', 'queued']);
    expect(queued.code).toBe(2);
    expect(queued.stderr).toContain('status must be a comma-separated list of done, failed, aborted');
    expect((await cli(['sched', 'cleanup', '--older-than', 'soon'])).code).toBe(2);
    // Past any date the API can take: named, not "unexpected error: Invalid time value" (exit 1).
    for (const age of ['999999d', '99999999999d']) {
      const tooOld = await cli(['sched', 'cleanup', '--older-than', age]);
      expect([tooOld.code, tooOld.stderr]).toEqual([
        2,
        `trainyard: --older-than must be at most 36500d (100 years), got "${age}"\n`,
      ]);
    }
    expect((await cli(['sched', 'cleanup', ok, '--status', 'done'])).stderr).toContain('not both');
  });
});
