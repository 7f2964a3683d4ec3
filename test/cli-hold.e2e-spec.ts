import { type CliRun, runCli, runCliJson, cliEnv, startCli } from './support/cli';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

/** `trainyard sched hold <id>` / `release <id>`: a queued job kept from starting, and let go. */
describe('trainyard sched hold / release (e2e, spawned server and CLI processes)', () => {
  const temp = makeTempHome('trainyard-cli-hold-');
  let server: SpawnedServer;
  let env: Record<string, string>;

  const cli = (args: string[]): Promise<CliRun> => runCli(args, env);
  const json = (args: string[]): Promise<any> => runCliJson(args, env);

  beforeAll(async () => {
    server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    env = cliEnv(server, temp.home);
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it('holds a queued job by a short id (sched list shows it held), and releases it to run', async () => {
    await json(['sched', 'pause']);
    const id = (await json(['submit', '--gpus', '1', '--name', 'kept', '--', 'true'])).queue_id as string;

    // A release of a job nobody held says how it is, not "was already not held".
    const notHeld = await cli(['sched', 'release', id]);
    expect([notHeld.code, notHeld.stdout.trim()]).toEqual([0, `${id} is not held`]);
    const held = await cli(['sched', 'hold', id.slice(-8)]);
    expect(held).toMatchObject({ code: 0, stderr: '' });
    expect(held.stdout.trim()).toBe(`${id} held`);
    expect((await cli(['sched', 'hold', id])).stdout.trim()).toBe(`${id} was already held`);
    await json(['sched', 'resume']);

    // The list says held where the status goes, and why it waits.
    const list = await cli(['sched', 'list', '--status', 'queued']);
    const row = list.stdout.split('\n').find((l) => l.startsWith(id));
    expect(row).toMatch(new RegExp(`^${id}\\s+held\\s+command\\s+kept\\b.*held by the user`));
    expect(await json(['sched', 'list', '--status', 'queued'])).toMatchObject({
      items: [expect.objectContaining({ queue_id: id, status: 'queued', held: true })],
    });
    expect((await cli(['job', 'status', id])).stdout).toContain(
      `queued, held (\`trainyard sched release ${id}\` lets it start)`,
    );

    const released = await json(['sched', 'release', id]);
    expect(released).toMatchObject({ queue_id: id, held: false });
    const deadline = Date.now() + 15_000;
    while ((await json(['job', 'status', id])).status !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await json(['job', 'status', id])).status).toBe('done');
  });

  it('sched list --status held lists the held jobs only (queued takes them in); sched status counts them', async () => {
    await json(['sched', 'pause']);
    try {
      const kept = (await json(['submit', '--gpus', '1', '--name', 'kept', '--', 'true'])).queue_id as string;
      const other = (await json(['submit', '--gpus', '1', '--name', 'other', '--', 'true']))
        .queue_id as string;
      await json(['sched', 'hold', kept]);
      const held = await json(['sched', 'list', '--status', 'held']);
      expect([held.items.map((j: { queue_id: string }) => j.queue_id), held.total]).toEqual([[kept], 1]);
      expect((await cli(['sched', 'list', '--status', 'held'])).stdout).toMatch(
        new RegExp(`^${kept}\\s+held\\s+command\\s+kept\\b`, 'm'),
      );
      expect((await json(['sched', 'list', '--status', 'queued'])).total).toBe(2);
      // sched status says how many of the queued jobs are held.
      expect((await cli(['sched', 'status'])).stdout).toMatch(/^queued\s+2 \(1 held\)$/m);
      expect(await json(['sched', 'status'])).toMatchObject({ queued_count: 2, held_count: 1 });
      await json(['sched', 'release', kept]);
      expect((await cli(['sched', 'status'])).stdout).toMatch(/^queued\s+2$/m);
      await json(['sched', 'hold', kept]);
      for (const id of [kept, other]) await json(['sched', 'cancel', id]);
      // Only data on stdout: the "none" line is a note, on stderr.
      expect(await cli(['sched', 'list', '--status', 'held'])).toMatchObject({
        code: 0,
        stdout: '',
        stderr: 'trainyard: no held jobs\n',
      });
    } finally {
      await json(['sched', 'resume']);
    }
  });

  it('wait on a held job notes once that it will not start until released, and keeps waiting', async () => {
    await json(['sched', 'pause']);
    let id = '';
    try {
      id = (await json(['submit', '--gpus', '1', '--', 'true'])).queue_id as string;
      await json(['sched', 'hold', id]);
    } finally {
      await json(['sched', 'resume']);
    }
    // Polled every 0.1 s: reads of the held job for a second after its note, one note.
    const waiting = startCli(['wait', id.slice(-8), '--interval', '0.1'], env);
    await waitFor(() => waiting.stderr().includes('is held'), '`wait` to note the hold');
    await new Promise((r) => setTimeout(r, 1000));
    await json(['sched', 'release', id]);
    const waited = await waiting.exited;
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim()).toBe(`${id} done`);
    expect(waited.stderr).toBe(
      `trainyard: ${id} is held: it will not start until released (\`trainyard sched release ${id}\`); still waiting…\n`,
    );
  });

  it('wait on an array notes its held jobs once', async () => {
    await json(['sched', 'pause']);
    let arrayId = '';
    try {
      const first = await json(['submit', '--gpus', '0', '--array', '2', '--', 'true']);
      arrayId = first.array_id as string;
      await json(['sched', 'hold', arrayId]);
    } finally {
      await json(['sched', 'resume']);
    }
    const waiting = startCli(['wait', arrayId, '--interval', '0.1'], env);
    await waitFor(() => waiting.stderr().includes('are held'), '`wait` to note the hold');
    await new Promise((r) => setTimeout(r, 1000));
    await json(['sched', 'release', arrayId]);
    const waited = await waiting.exited;
    expect(waited.code).toBe(0);
    // Every job of it ended: a hold names the array and says why, exit 1.
    const late = await cli(['sched', 'hold', arrayId]);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(
      `array ${arrayId} has no queued job left (2 done): only a queued job can be held`,
    );
    expect(waited.stderr).toMatch(
      new RegExp(
        `^trainyard: 2 of ${arrayId}'s jobs are held \\(q_\\w+, q_\\w+\\): they will not start until released[^\\n]*\\n$`,
      ),
    );
  });

  it('submit --hold queues the job held: its id on stdout, the release on stderr', async () => {
    const run = await cli(['submit', '--hold', '--gpus', '1', '--', 'true']);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^q_\d{13}_[0-9a-f]{8}$/);
    expect(run.stderr).toBe(`trainyard: held: \`trainyard sched release ${id}\` lets it start\n`);
    expect(await json(['job', 'status', id])).toMatchObject({ status: 'queued', held: true });
    await json(['sched', 'release', id]);
    expect((await cli(['wait', id])).code).toBe(0);
  });

  it('exits 1 naming the status for a job that is not queued, and 5 for an unknown id', async () => {
    const done = (await json(['sched', 'list', '--status', 'done'])).items[0].queue_id as string;
    const refused = await cli(['sched', 'hold', done]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is done, not queued.*JOB_NOT_QUEUED/);
    expect((await cli(['sched', 'release', 'ffffffff0'])).code).toBe(5);
  });
});
