import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobProcesses, listPids, readParentPid, readProcessCommand, signalAll } from '@trainyard/core';
import { jobsApi } from './support/api';
import { pidsRunning, workerOf } from './support/processes';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

describe('jobs survive server restarts (e2e, built server process)', () => {
  let temp: ReturnType<typeof makeTempHome>;
  beforeEach(() => (temp = makeTempHome()));
  afterEach(() => temp.remove());

  /**
   * Submits a job that kills its own monitor at once (its command, inherited by the launcher, runs
   * on until `release` exists, then exits `code`); resolves with its id once the server noticed.
   */
  async function submitOutlivingItsMonitor(
    api: ReturnType<typeof jobsApi>,
    release: string,
    code: number,
  ): Promise<string> {
    const { body } = await api.command([
      'sh',
      '-c',
      `trap "" HUP; kill -9 $PPID; while [ ! -e ${release} ]; do sleep 0.1; done; exit ${code}`,
    ]);
    await api.waitLog(body.queue_id, /monitor \(pid \d+\) was killed while the command ran/);
    return body.queue_id;
  }

  it('keeps tracking a job across POST /api/server/restart and records its real exit code', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '2']);
    // The job runs until the test lets it end (a restart on a loaded machine can take longer than
    // any fixed sleep), then exits 5.
    const release = join(temp.home, 'release-the-job');
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const { body } = await api.command(
        ['sh', '-c', `echo started; while [ ! -e ${release} ]; do sleep 0.1; done; exit 5`],
        { requested_gpus: 1 },
      );
      const running = await api.waitStatus(body.queue_id, ['running']);
      await api.waitLog(body.queue_id, /started/);
      await api.call('POST', '/api/server/restart');
      const base = await server.nextBanner();
      api = jobsApi(base, server.token!);
      const after = await api.job(body.queue_id);
      expect(after).toMatchObject({ status: 'running', pid: running.pid, gpu_indices: [0] });
      // (Restarting takes ~2-3 s here, mostly loading modules; 5-10 s on a loaded machine.)
      // While it runs its GPU stays reserved: a second 1-GPU job gets the other one.
      const other = await api.command(['true'], { requested_gpus: 1 });
      expect((await api.waitStatus(other.body.queue_id, ['done'])).gpu_indices).toEqual([1]);
      writeFileSync(release, '');
      const done = await api.waitStatus(body.queue_id, ['failed'], 20_000);
      expect(done).toMatchObject({ exit_code: 5, error: 'exited with code 5' });
    } finally {
      writeFileSync(release, ''); // a failed test leaves no job looping
      await server.stop();
    }
  });

  it('records the exit status of a command whose monitor was killed, when the worker restarts before it ends', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '0']);
    // Runs until the test lets it end (a restart on a loaded machine can outlast any fixed sleep).
    const release = join(temp.home, 'release-the-command');
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const id = await submitOutlivingItsMonitor(api, release, 5);
      // The launcher holds the command (its subreaper) when its worker dies; it used to exit on the
      // worker's end, the command went to init, and its status was lost (exit_code null).
      process.kill(await workerOf(server.process.pid!), 'SIGKILL');
      api = jobsApi(await server.nextBanner(), server.token!);
      expect((await api.job(id)).status).toBe('running');
      writeFileSync(release, '');
      // Its end was watched by the new worker: not "ended while the server was down".
      expect(await api.waitStatus(id, ['failed', 'done', 'aborted'], 20_000)).toMatchObject({
        status: 'failed',
        exit_code: 5,
        termination_reason: 'exited_nonzero',
        error: 'exited with code 5',
      });
    } finally {
      writeFileSync(release, ''); // a failed test leaves no job looping
      await server.stop();
    }
  });

  it('after a restart, stops what a job whose monitor was killed left behind, and never takes a process of the job for its monitor', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    const release = join(temp.home, 'release-the-command');
    // Left behind in a session of its own (as a daemonised helper is), ignoring SIGTERM: after the
    // restart it was taken for the job's monitor (the leader of a tagged process's session), left
    // out of what was stopped, and the job stayed `terminating` with its GPU for ever.
    const started = join(temp.home, 'helper-started');
    const helper = ['sh', '-c', `trap '' TERM HUP; touch ${started}; while :; do sleep 0.2; done`];
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const { body } = await api.command(
        [
          'sh',
          '-c',
          // (The monitor is killed once the helper runs in its own session: before, the hangup of
          // the job's terminal would end it.)
          `(setsid sh -c "${helper[2]}" &); trap "" HUP; while [ ! -e ${started} ]; do sleep 0.05; done; ` +
            `kill -9 $PPID; ` +
            `while [ ! -e ${release} ]; do sleep 0.1; done; exit 4`,
        ],
        { requested_gpus: 1, kill_grace_s: 1 },
      );
      await api.waitLog(body.queue_id, /monitor \(pid \d+\) was killed while the command ran/);
      const monitor = (await api.job(body.queue_id)).pid;
      process.kill(await workerOf(server.process.pid!), 'SIGKILL');
      api = jobsApi(await server.nextBanner(), server.token!);
      expect(await api.job(body.queue_id)).toMatchObject({ status: 'running', pid: monitor });
      writeFileSync(release, '');
      const job = await api.waitStatus(body.queue_id, ['failed', 'done', 'aborted'], 20_000);
      expect(job).toMatchObject({ status: 'failed', exit_code: 4, pid: monitor });
      // The helper's shell (and its sleep of the moment), SIGKILLed after the grace period.
      expect(job.error).toMatch(/^exited with code 4; \d+ process(es)? still running after the 1 s grace/);
      expect(pidsRunning(helper)).toEqual([]);
      expect((await api.call('GET', '/api/gpus')).body.gpus[0].reserved_by).toBeNull();
    } finally {
      writeFileSync(release, '');
      for (const pid of pidsRunning(helper)) process.kill(pid, 'SIGKILL');
      await server.stop();
    }
  });

  it('a job seen running after a restart whose status nothing could record ends saying so, not "lost on restart"', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '0']);
    const release = join(temp.home, 'release-the-command');
    try {
      let api = jobsApi(server.baseUrl, server.token!);
      const id = await submitOutlivingItsMonitor(api, release, 5);
      // The launcher holds the command (its monitor is gone): killed with the worker, nothing is
      // left to record the command's status.
      const worker = await workerOf(server.process.pid!);
      const launcher = listPids().find(
        (pid) => readParentPid(pid) === worker && readProcessCommand(pid)?.endsWith('trainyard-launcher'),
      )!;
      process.kill(launcher, 'SIGKILL');
      process.kill(worker, 'SIGKILL');
      api = jobsApi(await server.nextBanner(), server.token!);
      expect((await api.job(id)).status).toBe('running');
      writeFileSync(release, '');
      expect(await api.waitStatus(id, ['failed', 'done', 'aborted'], 20_000)).toMatchObject({
        status: 'failed',
        exit_code: null,
        termination_reason: 'exited_nonzero',
        error: 'the job ended without an exit status',
      });
    } finally {
      writeFileSync(release, '');
      await server.stop();
    }
  }, 60_000); // a worker restart and a 20 s wait: over jest's 30 s on a loaded host

  it('after a SIGKILL of the server and a move of its state directory: finished jobs get their exit codes, live ones are re-attached and record theirs, killed ones fail with a reason', async () => {
    const first = await spawnServer(temp.home, ['--fake-gpus', '2']);
    const api1 = jobsApi(first.baseUrl, first.token!);
    const endsWhileDown = (await api1.command(['sh', '-c', 'echo up; sleep 1; exit 7'])).body.queue_id;
    // Runs until the test releases it (a server start on a loaded machine can outlast a fixed sleep):
    // a file in its working directory, the state directory, which it follows when that is moved.
    // Then it writes over four times its log cap, after the move.
    const outlives = (
      await api1.command(
        ['sh', '-c', 'echo up; while [ ! -e release-outlives ]; do sleep 0.1; done; seq -w 1 3000; exit 0'],
        { cwd: temp.home, log_cap_bytes: 4096 },
      )
    ).body.queue_id;
    const cancelled = (await api1.command(['sh', '-c', 'echo up; sleep 60'])).body.queue_id;
    const killed = (await api1.command(['sh', '-c', 'echo up; sleep 60'])).body.queue_id;
    // Its command ends while the server is down, leaving a process that keeps its monitor alive.
    const leavesOneBehind = (await api1.command(['sh', '-c', 'echo up; sleep 60 & sleep 1; exit 6'])).body
      .queue_id;
    for (const id of [endsWhileDown, outlives, cancelled, killed, leavesOneBehind])
      await api1.waitLog(id, /up/);
    const killedPid = (await api1.job(killed)).pid as number;
    await first.stop('SIGKILL');

    // While the server is down: one job ends by itself; another is killed from outside (no exit status).
    // Its monitor first (so nothing is left to record a status), then the rest of the job.
    const all = jobProcesses(killedPid).map((p) => p.pid);
    signalAll([killedPid], 'SIGKILL');
    signalAll(
      all.filter((pid) => pid !== killedPid),
      'SIGKILL',
    );
    // The first job has ended by itself (its monitor wrote its exit status), not a fixed time later;
    // so has the command of the one that left a process behind.
    for (const id of [endsWhileDown, leavesOneBehind]) {
      const endedFile = join(temp.home, 'jobs', `${id}.exit`);
      await waitFor(() => existsSync(endedFile), `${id} to end while the server is down`, 15_000);
    }
    // The state directory moves (a new disk, say) while its jobs run; the server starts on it there.
    const home = `${temp.home}.moved`;
    renameSync(temp.home, home);
    const release = join(home, 'release-outlives');

    const secondStartedAt = Date.now();
    const second = await spawnServer(home, ['--fake-gpus', '2']);
    try {
      const api2 = jobsApi(second.baseUrl, second.token!);
      expect(await api2.job(endsWhileDown)).toMatchObject({
        status: 'failed',
        exit_code: 7,
        error: 'exited with code 7 (ended while the server was down)',
      });
      // Its real end time (from its exit file), not when the new server noticed it. (The file can
      // be written in the same millisecond as the test reads the clock: equal is before.)
      expect(Date.parse((await api2.job(endsWhileDown)).ended_at)).toBeLessThanOrEqual(secondStartedAt);
      // Killed from outside: either nothing was left to record its status (lost_on_restart), or the
      // launcher, still winding down, inherited the command and recorded how it died
      const lost = await api2.job(killed);
      expect(lost.status).toBe('failed');
      if (lost.exit_code === null)
        expect(lost).toMatchObject({
          termination_reason: 'lost_on_restart',
          error: expect.stringContaining('left no exit status'),
        });
      // (by SIGHUP when its terminal went with its monitor, or by the test's SIGKILL)
      else expect(lost.error).toMatch(/^killed by signal (1|9) /);
      expect((await api2.job(outlives)).status).toBe('running');
      // Its monitor was alive at the restart (as one winding down can be): its command still ended
      // while the server was down (before: "exited with code 6", as if watched). Its end is when
      // this server had stopped what it left behind.
      const leftBehind = await api2.waitStatus(leavesOneBehind, ['failed', 'done', 'aborted'], 20_000);
      expect(leftBehind).toMatchObject({
        status: 'failed',
        exit_code: 6,
        error: 'exited with code 6 (ended while the server was down)',
      });
      expect(Date.parse(leftBehind.ended_at)).toBeGreaterThan(secondStartedAt);
      // Re-attached jobs record their commands' own exit status, as launched ones do: by themselves
      // and when cancelled. Before: their monitors wrote it where the directory no longer was, and
      // they ended with none ("the job ended without an exit status"; a cancel: exit_code null).
      writeFileSync(release, '');
      expect(await api2.waitStatus(outlives, ['done'], 20_000)).toMatchObject({ exit_code: 0 });
      // Its log was cut to its cap where the state directory is now, its newest lines kept (before:
      // each cut looked for the log where the directory was, and the log grew past its cap).
      const log = await api2.log(outlives);
      expect(log).toMatch(/^\[trainyard\] \d+ bytes of earlier output dropped \(log cap 4096 bytes\)\r\n/);
      expect(log).toMatch(/\r\n2999\r\n3000\r\n$/);
      expect(log).not.toContain('cannot be dropped');
      expect(log.length).toBeLessThanOrEqual(4096);
      expect((await api2.call('DELETE', `/api/queue/${cancelled}`)).status).toBe(200);
      expect(await api2.waitStatus(cancelled, ['aborted', 'failed', 'done'])).toMatchObject({
        status: 'aborted',
        termination_reason: 'user_abort',
        exit_code: 143,
        error: 'aborted on request; killed by signal 15 (SIGTERM)',
      });
      const types = (await api2.call('GET', '/api/journal?limit=1000')).body.items.map(
        (e: { type: string }) => e.type,
      );
      expect(types.filter((t: string) => t === 'job.finished.v1')).toHaveLength(5);
      await waitFor(
        async () => (await api2.call('GET', '/api/queue/scheduler')).body.running_count === 0,
        'no running jobs',
      );
    } finally {
      writeFileSync(release, ''); // a failed test leaves no job looping
      await second.stop();
      renameSync(home, temp.home); // for afterEach to remove
    }
  });
});
