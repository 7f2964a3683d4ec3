import { CommandBus } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { SubmitJobCommand } from '@trainyard/queue';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { freePort } from './support/ports';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

interface JobView {
  queue_id: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
}

/**
 * No starvation on 4 fake GPUs: a 4-GPU priority-10 job behind a stream of 1-GPU priority-0 jobs.
 * Every scenario pauses the scheduler while it queues, so what runs first is placement's decision
 * alone, then resumes it.
 */
describe('scheduling: held GPUs, backfill and skip (e2e, in-process server, 4 fake GPUs)', () => {
  const sleeper = (seconds: number) => ['sleep', String(seconds)];
  const startedAt = (job: JobView) => Date.parse(job.started_at!);

  async function setScheduler(api: ReturnType<typeof jobsApi>, enabled: boolean): Promise<void> {
    expect((await api.call('POST', '/api/queue/scheduler', { enabled })).status).toBe(200);
  }

  /** Four 1-GPU jobs running, ending one after another (1, 2, 3, 4 s from now), with these extra fields. */
  async function fillGpus(
    api: ReturnType<typeof jobsApi>,
    extra: Record<string, unknown> = {},
  ): Promise<string[]> {
    const ids: string[] = [];
    for (const seconds of [1, 2, 3, 4])
      ids.push((await api.command(sleeper(seconds), { requested_gpus: 1, ...extra })).body.queue_id);
    // `done` too: a stall of this process (the server runs in it) longer than a job's second would
    // otherwise hide that it ran.
    for (const id of ids) await api.waitStatus(id, ['running', 'done'], 20_000);
    return ids;
  }

  async function pendingReason(api: ReturnType<typeof jobsApi>, id: string): Promise<string | null> {
    const { body } = await api.call('GET', '/api/queue?limit=200');
    return (
      (body.items as Array<{ queue_id: string; pending_reason: string | null }>).find(
        (i) => i.queue_id === id,
      )?.pending_reason ?? null
    );
  }

  describe('backfill (the default)', () => {
    let server: InProcessServer;
    let api: ReturnType<typeof jobsApi>;
    beforeAll(async () => {
      server = await startInProcessServer({ argv: ['--fake-gpus', '4'] });
      api = jobsApi(server.baseUrl, server.token);
    });
    afterAll(() => server.close(true));

    it('holds freed GPUs for the big job, which starts as soon as the running small jobs end', async () => {
      const running = await fillGpus(api);
      await setScheduler(api, false);
      const stream: string[] = [];
      for (let i = 0; i < 6; i++)
        stream.push(
          (await api.command(sleeper(0.2), { requested_gpus: 1, name: `small ${i}` })).body.queue_id,
        );
      const big = (await api.command(sleeper(0.5), { requested_gpus: 4, priority: 10, name: 'big' })).body
        .queue_id;
      await setScheduler(api, true);

      // Once the first small job ends, its GPU is held for the big job, and the stream is told so.
      const reason = await waitFor(async () => {
        const r = await pendingReason(api, stream[0]);
        return r && new RegExp(`GPU \\d held for ${big}`).test(r) ? r : undefined;
      }, 'a small job to wait for a GPU held for the big one');
      expect(reason).toMatch(/^needs 1 GPU, 0 eligible \(/);
      expect(await pendingReason(api, big)).toMatch(/GPUs? [\d,-]+ held for it/);

      const bigJob = (await api.waitStatus(big, ['done'], 20_000)) as JobView;
      const lastSmallEnd = Math.max(
        ...(await Promise.all(running.map(async (id) => Date.parse((await api.job(id)).ended_at)))),
      );
      expect(startedAt(bigJob)).toBeGreaterThanOrEqual(lastSmallEnd);
      // "As soon as": within a few scheduling passes of the last GPU draining, not after the stream.
      expect(startedAt(bigJob) - lastSmallEnd).toBeLessThan(2000);
      for (const id of stream) {
        const job = (await api.waitStatus(id, ['done'], 20_000)) as JobView;
        expect(startedAt(job)).toBeGreaterThanOrEqual(startedAt(bigJob));
      }
    });

    it('lets a small job whose time limit ends before the big job can start use a held GPU', async () => {
      // Running jobs with a 60 s limit: the big job cannot start for a while at worst, so a job
      // limited to 5 s cannot delay it; one without a limit could, and waits.
      const running = await fillGpus(api, { time_limit_s: 60 });
      await setScheduler(api, false);
      const big = (await api.command(sleeper(0.2), { requested_gpus: 4, priority: 10, name: 'big' })).body
        .queue_id;
      const unlimited = (await api.command(sleeper(0.2), { requested_gpus: 1, name: 'unlimited' })).body
        .queue_id;
      const short = (await api.command(sleeper(0.2), { requested_gpus: 1, name: 'short', time_limit_s: 5 }))
        .body.queue_id;
      await setScheduler(api, true);

      const shortJob = (await api.waitStatus(short, ['done'], 20_000)) as JobView;
      expect(await pendingReason(api, unlimited)).toMatch(
        new RegExp(`held for ${big}.*a time_limit_s ≤ \\d+`),
      );
      const bigJob = (await api.waitStatus(big, ['done'], 20_000)) as JobView;
      const unlimitedJob = (await api.waitStatus(unlimited, ['done'], 20_000)) as JobView;

      const firstRunningEnd = Math.min(
        ...(await Promise.all(running.map(async (id) => Date.parse((await api.job(id)).ended_at)))),
      );
      expect(startedAt(shortJob)).toBeGreaterThanOrEqual(firstRunningEnd); // it took a freed, held GPU
      expect(startedAt(shortJob)).toBeLessThan(startedAt(bigJob));
      expect(startedAt(unlimitedJob)).toBeGreaterThanOrEqual(startedAt(bigJob));
    });

    it("keeps a short job whose kill grace could outlast the wait off held GPUs (the server's grace counts too)", async () => {
      // Before: only the limit was compared, so a job saving a checkpoint through its grace period
      // (trial: limit 30 s, grace 60 s) held the GPUs 37 s past the big job's expected start.
      const running = await fillGpus(api, { time_limit_s: 60 });
      await setScheduler(api, false);
      const big = (await api.command(sleeper(0.2), { requested_gpus: 4, priority: 10, name: 'big' })).body
        .queue_id;
      const saves = (
        await api.command(sleeper(0.2), {
          requested_gpus: 1,
          name: 'saves',
          time_limit_s: 5,
          kill_grace_s: 120,
        })
      ).body.queue_id;
      const quick = (await api.command(sleeper(0.2), { requested_gpus: 1, name: 'quick', time_limit_s: 5 }))
        .body.queue_id;
      await setScheduler(api, true);

      const quickJob = (await api.waitStatus(quick, ['done'], 20_000)) as JobView; // 5 s + the default 10 s fit
      const reason = await pendingReason(api, saves);
      expect(reason).toMatch(new RegExp(`held for ${big}`));
      expect(reason).not.toContain('time_limit_s'); // no limit would do: its grace alone is longer
      const bigJob = (await api.waitStatus(big, ['done'], 20_000)) as JobView;
      const savesJob = (await api.waitStatus(saves, ['done'], 20_000)) as JobView;
      expect(startedAt(quickJob)).toBeLessThan(startedAt(bigJob));
      expect(startedAt(savesJob)).toBeGreaterThanOrEqual(startedAt(bigJob));
      expect(running).toHaveLength(4);
    });

    it('lists what decides first, one fact per cause, and says when no start can be estimated', async () => {
      // Before: one fact per GPU in GPU order (the disabled GPU came last), and no word on why the
      // held job had no expected start.
      expect((await api.call('POST', '/api/gpus/3/policy', { disabled: true })).status).toBe(200);
      const pair = (await api.command(sleeper(30), { requested_gpus: 2 })).body.queue_id;
      const one = (await api.command(sleeper(30), { requested_gpus: 1 })).body.queue_id;
      await api.waitStatus(pair, ['running']);
      await api.waitStatus(one, ['running']);
      const waiting = (await api.command(sleeper(0.1), { requested_gpus: 1, name: 'waiting' })).body.queue_id;

      const reason = await waitFor(
        async () => (await pendingReason(api, waiting)) ?? undefined,
        'a pending reason',
      );
      expect(reason).toBe(
        `needs 1 GPU, 0 eligible (GPU 3 disabled; GPUs 0,1 reserved by ${pair}; GPU 2 reserved by ${one}); ` +
          `no start estimate (${pair} has no time limit)`,
      );

      for (const id of [pair, one]) await api.call('POST', `/api/jobs/${id}/control/force-kill`);
      expect((await api.call('POST', '/api/gpus/3/policy', { disabled: false })).status).toBe(200);
      await api.waitStatus(waiting, ['done'], 20_000);
    });

    it('refuses a job that must start now (a rank of a multi-node job) with the reason it waits, less GPUs held for it', async () => {
      // A rank of a multi-node job is submitted this way by its node (cluster/node-endpoint.ts): it
      // starts now or is not queued. Nothing is queued, so no GPU is held for it, and the answer
      // must not say one is.
      const running = (await api.command(sleeper(30), { requested_gpus: 1, time_limit_s: 60 })).body.queue_id;
      await api.waitStatus(running, ['running']);
      const rank = new SubmitJobCommand(
        {
          job_type: 'command',
          requested_gpus: 4,
          priority: 0,
          job_params: { argv: sleeper(1) },
          name: 'rank',
        },
        undefined,
        { startNow: true },
      );
      const refused = await server.app
        .get(CommandBus)
        .execute(rank)
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(refused).toBeInstanceOf(DomainError);
      const { code, message, details } = refused as DomainError;
      const why = new RegExp(
        `^needs 4 GPUs, 3 eligible \\(GPU \\d reserved by ${running}\\); expected to start within \\d+ s$`,
      );
      expect(code).toBe('CONFLICT');
      expect(message).toMatch(
        /^it cannot start on this node now \(the ranks of a multi-node job start together\): /,
      );
      expect(message.replace(/^[^:]*: /, '')).toMatch(why);
      expect(details).toEqual([{ field: 'requested_gpus', message: expect.stringMatching(why) }]);
      const { body } = await api.call('GET', '/api/queue?limit=200');
      expect(body.items.map((j: { name: string | null }) => j.name)).not.toContain('rank');

      await api.call('POST', `/api/jobs/${running}/control/force-kill`);
      await api.waitStatus(running, ['aborted'], 20_000);
    });
  });

  describe('skip (the original behaviour)', () => {
    let server: InProcessServer;
    let api: ReturnType<typeof jobsApi>;
    beforeAll(async () => {
      server = await startInProcessServer({ argv: ['--fake-gpus', '4', '--scheduling', 'skip'] });
      api = jobsApi(server.baseUrl, server.token);
    });
    afterAll(() => server.close(true));

    it('hands freed GPUs to the small jobs, so the big job waits behind them', async () => {
      await fillGpus(api);
      await setScheduler(api, false);
      const stream: string[] = [];
      for (let i = 0; i < 4; i++)
        stream.push(
          (await api.command(sleeper(0.2), { requested_gpus: 1, name: `small ${i}` })).body.queue_id,
        );
      const big = (await api.command(sleeper(0.2), { requested_gpus: 4, priority: 10, name: 'big' })).body
        .queue_id;
      await setScheduler(api, true);

      const bigJob = (await api.waitStatus(big, ['done'], 20_000)) as JobView;
      const first = (await api.waitStatus(stream[0], ['done'], 20_000)) as JobView;
      expect(startedAt(first)).toBeLessThan(startedAt(bigJob));
      expect(await api.call('GET', '/api/queue')).toMatchObject({ status: 200 });
    });
  });
});

describe('time limits (e2e, in-process server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--default-time-limit', '3600'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('asks a job to stop at its limit and SIGKILLs one that ignores SIGTERM after the grace period', async () => {
    const { body } = await api.command(
      ['bash', '-c', 'trap "echo got TERM" TERM; echo ready; while :; do sleep 0.1; done'],
      { time_limit_s: 1, kill_grace_s: 1 },
    );
    expect(body.time_limit_s).toBe(1);
    await api.waitLog(body.queue_id, /ready/);
    const terminating = await api.waitStatus(body.queue_id, ['terminating', 'aborted'], 5000);
    expect(terminating.termination_reason).toBe('time_limit');
    const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 10_000);
    expect(ended).toMatchObject({
      status: 'aborted',
      termination_reason: 'time_limit',
      exit_code: 137,
      error: expect.stringMatching(
        /^stopped at its time limit; killed by signal 9 \(SIGKILL\); \d+ process(es)? still running after the 1 s grace period got SIGKILL$/,
      ),
    });
    expect(await api.log(body.queue_id)).toMatch(/got TERM/);
    // The limit, then the grace: never before either has passed.
    expect(Date.parse(ended.ended_at) - Date.parse(ended.started_at)).toBeGreaterThanOrEqual(2000);
  });

  it('asks a trainer that listens to save and stop instead of signalling it', async () => {
    const { body } = await api.command(
      [process.execPath, join(__dirname, 'fixtures', 'trainer', 'fake-trainer.js')],
      {
        time_limit_s: 2,
      },
    );
    const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 15_000);
    expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'time_limit', exit_code: 0 });
    expect(await api.log(body.queue_id)).toMatch(/trainer ready[\s\S]*control: save-stop/);
  });

  it("says in the job's log when its trainer does not take the save-stop, then signals it", async () => {
    // Before: only the server's log said so; the job's owner saw SIGTERM and no word on why no
    // checkpoint was saved. The endpoint it publishes names a port nothing listens on.
    const endpoint = JSON.stringify({ host: '127.0.0.1', port: await freePort() });
    const { body } = await api.command(
      [
        'bash',
        '-c',
        `echo '${endpoint}' > "$TRAINYARD_CONTROL_DIR/endpoint.json"; trap "echo got TERM; exit 0" TERM; ` +
          'echo ready; while :; do sleep 0.1; done',
      ],
      { time_limit_s: 1 },
    );
    const ended = await api.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 15_000);
    expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'time_limit', exit_code: 0 });
    expect(await api.log(body.queue_id)).toMatch(
      /\[trainyard\] its trainer did not take the save-stop \(trainer control endpoint \S+ could not be reached \(ECONNREFUSED\); the request was not delivered\); sending SIGTERM\r?\n[\s\S]*got TERM/,
    );
  });

  it('takes the server default, or none for a service type or an explicit null', async () => {
    const byDefault = await api.command(['true']);
    expect(byDefault.body.time_limit_s).toBe(3600);
    const none = await api.command(['true'], { time_limit_s: null });
    expect(none.body.time_limit_s).toBeNull();
    // Queued only (the scheduler is paused): what matters is the limit it was given.
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: false })).status).toBe(200);
    const tensorboard = await api.submit({
      job_type: 'tensorboard',
      job_params: { logdir: server.home, port: 16006 },
    });
    expect(tensorboard.status).toBe(201);
    expect(tensorboard.body.time_limit_s).toBeNull();
    expect((await api.call('DELETE', `/api/queue/${tensorboard.body.queue_id}`)).status).toBe(200);
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: true })).status).toBe(200);
    expect((await api.job(byDefault.body.queue_id)).time_limit_s).toBe(3600);
  });

  it.each([0, -5, 1.5, '2h', 366 * 24 * 3600 + 1])(
    'refuses time_limit_s %j with a 400 naming the field',
    async (value) => {
      const answer = await api.command(['true'], { time_limit_s: value });
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain('time_limit_s');
    },
  );
});

describe('time limits across a server restart (e2e, built server)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('keeps counting from the job start while the server is down, and stops the job after it comes back', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '1']);
    let second: Awaited<ReturnType<typeof spawnServer>> | null = null;
    try {
      const api = jobsApi(first.baseUrl, first.token!);
      const { body } = await api.command(['sh', '-c', 'echo ready; exec sleep 60'], { time_limit_s: 4 });
      await api.waitLog(body.queue_id, /ready/);
      await first.stop('SIGKILL');

      second = await spawnServer(temp.home, ['--fake-gpus', '1']);
      const api2 = jobsApi(second.baseUrl, second.token!);
      const ended = await api2.waitStatus(body.queue_id, ['aborted', 'failed', 'done'], 20_000);
      expect(ended).toMatchObject({ status: 'aborted', termination_reason: 'time_limit', exit_code: 143 });
      const ran = Date.parse(ended.ended_at) - Date.parse(ended.started_at);
      expect(ran).toBeGreaterThanOrEqual(4000);
      expect(ran).toBeLessThan(30_000);
    } finally {
      await second?.stop();
      await first.stop().catch(() => undefined);
    }
  });
});

describe('priority aging (e2e, in-process server, 1 fake GPU, +3600 priority per hour waited)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('counts from when a job could start: one that waited for a dependency does not pass one ready before it', async () => {
    const server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--priority-aging', '3600'] });
    try {
      const api = jobsApi(server.baseUrl, server.token);
      const gated = (gate: string) => ({
        argv: ['sh', '-c', 'while [ ! -e "$GATE" ]; do sleep 0.05; done'],
        env: { GATE: join(temp.home, gate) },
      });
      const busy = gated('gpu-free');
      const gpu = (await api.command(busy.argv, { requested_gpus: 1, env: busy.env })).body.queue_id;
      const prep = gated('prep-done');
      const dep = (await api.command(prep.argv, { requested_gpus: 0, env: prep.env })).body.queue_id;
      await api.waitStatus(gpu, ['running']);
      await api.waitStatus(dep, ['running']);
      // Submitted first, but it can start only once `dep` has ended: 3 s after `ready` was submitted.
      const after = (
        await api.command(['sleep', '30'], {
          requested_gpus: 1,
          name: 'after-dep',
          depends_on: [{ queue_id: dep, condition: 'after_ok' }],
        })
      ).body.queue_id;
      await new Promise((r) => setTimeout(r, 4000));
      const ready = (await api.command(['sleep', '30'], { requested_gpus: 1, name: 'ready' })).body.queue_id;
      await new Promise((r) => setTimeout(r, 3000));
      writeFileSync(prep.env.GATE, '');
      await api.waitStatus(dep, ['done']);
      await new Promise((r) => setTimeout(r, 1000));
      writeFileSync(busy.env.GATE, '');
      // Aged from its submit, `after-dep` would lead `ready` by ~4 s of age; aged from its dependency's
      // end, it has ~1 s to `ready`'s ~4 s.
      expect((await api.waitStatus(ready, ['running'], 15_000)).status).toBe('running');
      expect((await api.job(after)).status).toBe('queued');
      for (const id of [ready, after]) await api.call('POST', `/api/jobs/${id}/control/kill`);
    } finally {
      await server.close(true);
    }
  }, 60_000);
});
