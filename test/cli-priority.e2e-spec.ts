import { type CliRun, runCli, runCliJson, cliEnv } from './support/cli';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';

jest.setTimeout(90_000);

/** `trainyard sched priority <id> <N>`: a queued job's priority, changed in place. */
describe('trainyard sched priority (e2e, spawned server and CLI processes)', () => {
  const temp = makeTempHome('trainyard-cli-priority-');
  let server: SpawnedServer;
  let env: Record<string, string>;

  const cli = (args: string[]): Promise<CliRun> => runCli(args, env);
  const json = (args: string[]): Promise<any> => runCliJson(args, env);
  const queueOrder = async (): Promise<string[]> =>
    (await json(['sched', 'list', '--status', 'queued', '--sort', 'priority'])).items.map(
      (j: { queue_id: string }) => j.queue_id,
    );

  beforeAll(async () => {
    server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    env = cliEnv(server, temp.home);
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it('changes a queued job’s priority by a short id; --json prints the queue item', async () => {
    await json(['sched', 'pause']);
    const first = (await json(['submit', '--gpus', '1', '--name', 'first', '--', 'true'])).queue_id as string;
    const second = (await json(['submit', '--gpus', '1', '--name', 'second', '--', 'true']))
      .queue_id as string;

    const answer = await json(['sched', 'priority', second.slice(-8), '7']);
    expect(answer).toMatchObject({ queue_id: second, status: 'queued', priority: 7 });
    expect(answer).toHaveProperty('pending_reason');
    expect((await queueOrder())[0]).toBe(second);

    // Plain output says the change; a negative priority is a priority, not an option.
    const lowered = await cli(['sched', 'priority', second, '-3']);
    expect(lowered).toMatchObject({ code: 0, stderr: '' });
    expect(lowered.stdout.trim()).toBe(`${second} priority 7 → -3`);
    expect(await queueOrder()).toEqual([first, second]);

    await json(['sched', 'resume']);
  });

  it('exits 1 naming the status for a job that is not queued, 2 for a bad priority, 5 for an unknown id', async () => {
    const running = (await json(['submit', '--gpus', '1', '--', 'sleep', '60'])).queue_id as string;
    const deadline = Date.now() + 10_000;
    while ((await json(['job', 'status', running])).status !== 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }

    const refused = await cli(['sched', 'priority', running, '5']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is running, not queued.*JOB_NOT_QUEUED/);

    const notANumber = await cli(['sched', 'priority', running, 'high']);
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain('<priority> must be a whole number, got "high"');

    const outOfBounds = await cli(['sched', 'priority', running, '1000001']);
    expect(outOfBounds.code).toBe(2);
    expect(outOfBounds.stderr).toBe('trainyard: <priority> must be at most 1000000, got 1000001\n');

    expect((await cli(['sched', 'priority', 'ffffffff0', '1'])).code).toBe(5);
    await json(['sched', 'cancel', running]);
  });
});
