import { existsSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JobFiles } from '@trainyard/jobs';
import { jobsApi } from './support/api';
import { cliEnv, runCli } from './support/cli';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

const TRAINER = join(__dirname, 'fixtures', 'trainer', 'checkpointing-trainer.py');

/**
 * Preemption with checkpoint on 2 fake GPUs: a preemptible priority-0 trainer holds both, a
 * priority-10 job arrives. The trainer checkpoints (save-stop or SIGTERM), is requeued, the high job
 * runs, then the trainer resumes from its checkpoint on its next attempt.
 */
describe('preemption (e2e, in-process server, 2 fake GPUs)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  let dirs: ReturnType<typeof makeTempHome>[];
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2', '--kill-grace', '5'] });
    api = jobsApi(server.baseUrl, server.token);
    dirs = [];
  });
  afterAll(async () => {
    await server.close(true);
    for (const d of dirs) d.remove();
  });

  const cwd = () => {
    const dir = makeTempHome('trainyard-preempt-');
    dirs.push(dir);
    return dir.home;
  };

  /** Waits until preemption has put job `id` back in the queue (its second attempt to come). */
  const requeued = (id: string) =>
    waitFor(async () => {
      const job = await api.job(id);
      return job.status === 'queued' && job.restart_count === 1 ? job : undefined;
    }, `${id} to be requeued`);

  async function pendingReason(id: string): Promise<string | null> {
    const { body } = await api.call('GET', '/api/queue?limit=200');
    return (
      (body.items as Array<{ queue_id: string; pending_reason: string | null }>).find(
        (i) => i.queue_id === id,
      )?.pending_reason ?? null
    );
  }

  it.each([
    ['save-stop over its control endpoint', ['--control'], /checkpoint at step (\d+) \(save-stop\)/],
    ['SIGTERM (no control endpoint)', [], /checkpoint at step (\d+) \(SIGTERM\)/],
  ])(
    'a preemptible trainer checkpoints on %s, is requeued, and resumes after the high job',
    async (_how, flags, saved) => {
      const low = (
        await api.command(['python3', TRAINER, '--steps', '80', ...flags], {
          requested_gpus: 2,
          priority: 0,
          preemptible: true,
          cwd: cwd(),
          name: 'low',
        })
      ).body;
      expect(low).toMatchObject({ preemptible: true, restart_count: 0 });
      await api.waitLog(low.queue_id, /step 10\b/);

      const high = (await api.command(['sleep', '1.5'], { requested_gpus: 2, priority: 10, name: 'high' }))
        .body.queue_id;
      // Requeued, not failed: queued again with its attempt count, the reason naming the preemptor.
      const requeuedJob = await requeued(low.queue_id);
      expect(requeuedJob).toMatchObject({ gpu_indices: [], started_at: null, termination_reason: null });
      expect(requeuedJob.error).toBe(`preempted by ${high} (priority 10); requeued`);
      const reason = await pendingReason(low.queue_id);
      expect(reason).toMatch(new RegExp(`^preempted by ${high} \\(priority 10\\); requeued; needs 2 GPUs`));

      const highJob = await api.waitStatus(high, ['done'], 15_000);
      // Running again: the first attempt's exit code and error are not shown as this attempt's.
      const rerun = await api.waitStatus(low.queue_id, ['running'], 15_000);
      expect(rerun).toMatchObject({ restart_count: 1, exit_code: null, error: null });
      const lowJob = await api.waitStatus(low.queue_id, ['done', 'failed', 'aborted'], 30_000);
      expect(lowJob).toMatchObject({
        status: 'done',
        termination_reason: 'completed',
        restart_count: 1,
        error: null,
      });
      // The high job got the GPUs the victim freed; the victim came back after it.
      expect(Date.parse(lowJob.started_at)).toBeGreaterThanOrEqual(Date.parse(highJob.ended_at));

      // One log, both attempts: the second resumes exactly where the first checkpointed.
      const log = await api.log(low.queue_id);
      const step = saved.exec(log)?.[1];
      expect(step).toBeDefined();
      expect(Number(step)).toBeGreaterThanOrEqual(10);
      expect(log).toMatch(/^attempt 0 starting at step 0$/m);
      expect(log).toMatch(new RegExp(`^attempt 1 starting at step ${step}$`, 'm'));
      expect(log).toMatch(/finished at step 80/);
      // The second attempt did not start with the first one's trainer endpoint (a port now closed).
      expect(log.match(/^endpoint at start: .*$/gm)?.map((l) => l.trim())).toEqual([
        'endpoint at start: none',
        'endpoint at start: none',
      ]);
      expect(log.indexOf('attempt 0')).toBeLessThan(log.indexOf('attempt 1'));
      // Between the two, a line of Trainyard's says where the second attempt begins.
      const marker = log.search(
        /^\[trainyard\] attempt 2 \(requeued after preemption\) starting at \S+Z\r?$/m,
      );
      expect(marker).toBeGreaterThan(log.indexOf('attempt 0'));
      expect(marker).toBeLessThan(log.indexOf('attempt 1'));

      // Journaled: the stop request, then the requeue.
      const { body: journal } = await api.call('GET', '/api/journal?limit=500');
      const mine = (journal.items as Array<{ type: string; payload: { queue_id?: string } }>).filter(
        (e) => e.payload.queue_id === low.queue_id,
      );
      expect(mine.map((e) => e.type)).toEqual(
        expect.arrayContaining(['job.terminating.v1', 'job.preempted.v1']),
      );
    },
  );

  it('a job preempted recently is not preempted again: the waiting job says until when', async () => {
    const low = (await api.command(['sleep', '30'], { requested_gpus: 2, priority: 0, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const first = (await api.command(['sleep', '0.5'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(low);
    await api.waitStatus(first, ['done'], 15_000);
    await api.waitStatus(low, ['running'], 15_000);

    // The default cooldown is 600 s: the second high job waits, and its reason says for how long.
    const second = (await api.command(['true'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    const reason = await waitFor(async () => {
      const r = await pendingReason(second);
      return r?.includes('cooldown') ? r : undefined;
    }, 'a reason naming the cooldown');
    expect(reason).toMatch(
      new RegExp(`; ${low} may be preempted again in (\\d+) s \\(preemption cooldown\\)$`),
    );
    const seconds = Number(/again in (\d+) s/.exec(reason)![1]);
    expect(seconds).toBeGreaterThan(560);
    expect(seconds).toBeLessThanOrEqual(600);

    expect((await api.call('POST', `/api/jobs/${low}/control/kill`)).status).toBe(200);
    await api.waitStatus(second, ['done'], 15_000);
  });

  it('a preempted job the user then holds keeps "preempted by …" in its reason, before the hold', async () => {
    const low = (await api.command(['sleep', '30'], { requested_gpus: 2, priority: 0, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const high = (await api.command(['sleep', '30'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(low);
    await api.waitStatus(high, ['running']);
    const preempted = `preempted by ${high} (priority 10); requeued`;
    const held = `${preempted}; held by the user (release it to let it start)`;
    const hold = await api.call('POST', `/api/queue/${low}/hold`);
    expect(hold.body).toMatchObject({ held: true, pending_reason: held });
    expect(await pendingReason(low)).toBe(held);
    expect((await api.job(low)).pending_reason).toBe(held);
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: false })).status).toBe(200);
    try {
      expect(await pendingReason(low)).toBe(`scheduler is paused; ${held}`);
    } finally {
      expect((await api.call('POST', '/api/queue/scheduler', { enabled: true })).status).toBe(200);
    }
    // Released, it says who preempted it and what it waits for now, as before the hold.
    expect((await api.call('POST', `/api/queue/${low}/release`)).status).toBe(200);
    expect(
      await waitFor(async () => {
        const r = await pendingReason(low);
        return r?.includes('needs 2 GPUs') ? r : undefined;
      }, 'the reason of a released preempted job'),
    ).toMatch(new RegExp(`^${preempted.replace(/[()]/g, '\\$&')}; needs 2 GPUs`));
    expect((await api.call('DELETE', `/api/queue/${low}`)).status).toBe(200);
    expect((await api.call('POST', `/api/jobs/${high}/control/kill`)).status).toBe(200);
    await api.waitStatus(high, ['aborted', 'failed', 'done'], 15_000);
  });

  it('never preempts a job that is not preemptible: the high job waits for it', async () => {
    const low = (await api.command(['sleep', '2'], { requested_gpus: 2, priority: 0 })).body.queue_id;
    await api.waitStatus(low, ['running']);
    const high = (await api.command(['true'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    expect(await waitFor(async () => (await pendingReason(high)) ?? undefined, 'a pending reason')).toMatch(
      /needs 2 GPUs/,
    );
    const highJob = await api.waitStatus(high, ['done'], 15_000);
    const lowJob = await api.job(low);
    expect(lowJob).toMatchObject({ status: 'done', termination_reason: 'completed', restart_count: 0 });
    expect(Date.parse(highJob.started_at)).toBeGreaterThanOrEqual(Date.parse(lowJob.ended_at));
  });

  it('never preempts for a job of equal priority', async () => {
    const low = (await api.command(['sleep', '2'], { requested_gpus: 2, priority: 5, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const same = (await api.command(['true'], { requested_gpus: 2, priority: 5 })).body.queue_id;
    const sameJob = await api.waitStatus(same, ['done'], 15_000);
    const lowJob = await api.job(low);
    expect(lowJob).toMatchObject({ status: 'done', termination_reason: 'completed', restart_count: 0 });
    expect(Date.parse(sameJob.started_at)).toBeGreaterThanOrEqual(Date.parse(lowJob.ended_at));
  });

  it('jobs depending on a preempted job wait for its next attempt (not aborted, not started early)', async () => {
    const low = (await api.command(['sleep', '3'], { requested_gpus: 2, priority: 0, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const onSuccess = (
      await api.command(['true'], { depends_on: [{ queue_id: low, condition: 'after_ok' }] })
    ).body.queue_id;
    const onEnd = (await api.command(['true'], { depends_on: [{ queue_id: low, condition: 'after_any' }] }))
      .body.queue_id;
    const high = (await api.command(['sleep', '1'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(low);
    await api.waitStatus(high, ['done'], 15_000);
    expect(await pendingReason(onSuccess)).toBe(`waiting for ${low} to succeed`);
    expect((await api.job(onEnd)).status).toBe('queued');
    const lowJob = await api.waitStatus(low, ['done'], 15_000);
    for (const id of [onSuccess, onEnd]) {
      const dependent = await api.waitStatus(id, ['done', 'failed', 'aborted'], 15_000);
      expect(dependent.status).toBe('done');
      expect(Date.parse(dependent.started_at)).toBeGreaterThanOrEqual(Date.parse(lowJob.ended_at));
    }
  });

  // It preempted the job it waits for, which unmet its dependency: the freed GPUs went back to that
  // job at once, and after each cooldown it was preempted again (killed every 10 minutes for nothing).
  it('never preempts the job it depends on (after_start): it waits for GPUs as any job does', async () => {
    const low = (await api.command(['sleep', '2'], { requested_gpus: 2, priority: 0, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const high = (
      await api.command(['true'], {
        requested_gpus: 1,
        priority: 10,
        depends_on: [{ queue_id: low, condition: 'after_start' }],
      })
    ).body.queue_id;
    expect(await waitFor(async () => (await pendingReason(high)) ?? undefined, 'a pending reason')).toMatch(
      /needs 1 GPU/,
    );
    const highJob = await api.waitStatus(high, ['done'], 15_000);
    const lowJob = await api.job(low);
    expect(lowJob).toMatchObject({ status: 'done', termination_reason: 'completed', restart_count: 0 });
    expect(Date.parse(highJob.started_at)).toBeGreaterThanOrEqual(Date.parse(lowJob.ended_at));
  });

  it('a kill while it is being preempted ends it aborted (user_abort), not requeued to run again', async () => {
    // Saves for 3 s on SIGTERM, so the user's kill arrives while the preemption's SIGTERM is in hand.
    const low = (
      await api.command(['bash', '-c', 'trap "echo saving; sleep 3; exit 143" TERM; sleep 60 & wait'], {
        requested_gpus: 2,
        priority: 0,
        preemptible: true,
        name: 'victim',
      })
    ).body.queue_id;
    await api.waitStatus(low, ['running']);
    const high = (await api.command(['sleep', '1'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await waitFor(async () => {
      const job = await api.job(low);
      return job.status === 'terminating' && job.termination_reason === 'preempted' ? job : undefined;
    }, `${low} to be preempted`);
    await api.waitLog(low, /saving/);

    const kill = await api.call('POST', `/api/jobs/${low}/control/kill`);
    expect(kill.status).toBe(200);
    // Its SIGTERM is not sent twice (a second one would restart its save); its reason is the user's.
    expect(kill.body).toMatchObject({ repeated: true });
    expect(await api.job(low)).toMatchObject({ status: 'terminating', termination_reason: 'user_abort' });

    const ended = await api.waitStatus(low, ['done', 'failed', 'aborted', 'queued'], 15_000);
    expect(ended).toMatchObject({
      status: 'aborted',
      termination_reason: 'user_abort',
      restart_count: 0,
      exit_code: 143,
      error: 'aborted on request; exited with code 143',
    });
    await api.waitStatus(high, ['done'], 15_000);
    expect(await api.job(low)).toMatchObject({ status: 'aborted', restart_count: 0 });
  });

  it('a requeued job cancelled before its next attempt ends aborted, keeping its record, log and run (aborted)', async () => {
    const low = (
      await api.command(['sleep', '30'], {
        requested_gpus: 2,
        priority: 0,
        preemptible: true,
        name: 'victim',
      })
    ).body.queue_id;
    await api.waitStatus(low, ['running']);
    const runOf = async () => (await api.call('GET', `/api/runs?job=${low}`)).body[0];
    expect(await runOf()).toMatchObject({ status: 'running' });
    const high = (await api.command(['sleep', '3'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(low);
    // Between attempts its run goes on: the next attempt reuses it.
    expect(await runOf()).toMatchObject({ status: 'running' });

    // A kill is refused, saying it is waiting for its next attempt (it did start once).
    const kill = await api.call('POST', `/api/jobs/${low}/control/kill`);
    expect(kill.status).toBe(409);
    expect(kill.body.message).toMatch(
      new RegExp(`^${low} is queued for attempt 2 \\(requeued after preemption\\): remove it from the queue`),
    );

    const files = server.app.get(JobFiles);
    expect(existsSync(files.controlDir(low))).toBe(true);
    const cancel = await api.call('DELETE', `/api/queue/${low}`);
    expect(cancel.body).toEqual({ queue_id: low, outcome: 'aborted' });
    // It ran: its record says how it ended (it was erased, a 404), and its log stays.
    expect(await api.job(low)).toMatchObject({
      status: 'aborted',
      termination_reason: 'user_abort',
      restart_count: 1,
      error: expect.stringContaining('cancelled before attempt 2'),
      ended_at: expect.any(String),
    });
    expect(existsSync(files.tty(low))).toBe(true);
    // What only a running job uses goes: its control directory and its run token.
    expect(existsSync(files.controlDir(low))).toBe(false);
    expect(readdirSync(server.config.paths.secretsDir).filter((n) => n.startsWith(low))).toEqual([]);
    // Closed with the cancel, in its transaction: not left `running` (its ingest token never expiring).
    expect(await runOf()).toMatchObject({ status: 'aborted' });
    // It ran: `wait` and `job tail` exit with its last attempt's code (SIGTERM's, the preemption's),
    // not as a job cancelled before it started (5, "not found", which they said).
    const env = cliEnv(server, server.home);
    for (const args of [
      ['wait', low],
      ['job', 'tail', low],
    ]) {
      const run = await runCli(args, env);
      expect(run).toMatchObject({ code: 143 });
      expect(run.stderr).not.toContain('cancelled before it started');
    }
    await api.waitStatus(high, ['done'], 15_000);
  });

  it('an array cancelled while a member waits for its next attempt ends that member aborted, kept', async () => {
    const sweep = await api.command(['sleep', '30'], {
      requested_gpus: 2,
      preemptible: true,
      array: { count: 1 },
    });
    const arrayId: string = sweep.body.array_id;
    const [member] = (await api.call('GET', `/api/jobs?array_id=${arrayId}`)).body.items.map(
      (j: { queue_id: string }) => j.queue_id,
    );
    await api.waitStatus(member, ['running']);
    const high = (await api.command(['sleep', '2'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(member);
    const cancel = await api.call('POST', `/api/arrays/${arrayId}/cancel`);
    expect(cancel.body).toEqual({ array_id: arrayId, removed: [], aborted: [member], aborting: [] });
    expect(await api.job(member)).toMatchObject({ status: 'aborted', termination_reason: 'user_abort' });
    expect(existsSync(server.app.get(JobFiles).controlDir(member))).toBe(false);
    await api.waitStatus(high, ['done'], 15_000);
  });

  it('a requeued job whose log cannot take the attempt line (a full disk) still runs again', async () => {
    const low = (await api.command(['sleep', '2'], { requested_gpus: 2, priority: 0, preemptible: true }))
      .body.queue_id;
    await api.waitStatus(low, ['running']);
    const high = (await api.command(['sleep', '1'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await requeued(low);
    // Its log now refuses every write with ENOSPC, as a full disk does (the monitor still opens it).
    const log = server.app.get(JobFiles).tty(low);
    rmSync(log);
    symlinkSync('/dev/full', log);
    await api.waitStatus(high, ['done'], 15_000);
    const again = await api.waitStatus(low, ['done', 'failed', 'aborted'], 15_000);
    expect(again).toMatchObject({ status: 'done', restart_count: 1, error: null });
    rmSync(log);
  });

  it('refuses a preemptible that is not a boolean, naming the field', async () => {
    const answer = await api.command(['true'], { preemptible: 'yes' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('preemptible');
  });
});
