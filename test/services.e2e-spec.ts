import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalAll } from '@trainyard/core';
import { jobsApi } from './support/api';
import { freePort } from './support/ports';
import { spawnServer, SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

type Api = ReturnType<typeof jobsApi>;

async function service(api: Api, type: string, name: string) {
  const { body } = await api.call('GET', '/api/services');
  return (body as Array<Record<string, any>>).find((s) => s.type === type && s.name === name)!;
}

/** Unfinished jobs of `type` (the instances that exist, whatever the services API says). */
async function liveJobs(api: Api, type = 'command') {
  const { body } = await api.call(
    'GET',
    `/api/jobs?status=queued,starting,running,terminating&job_type=${type}`,
  );
  return body.items as Array<Record<string, any>>;
}

describe('services (e2e, built server process)', () => {
  let temp: ReturnType<typeof makeTempHome>;
  let config: string;
  const servers: SpawnedServer[] = [];
  const start = async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '2', '--config', config]);
    servers.push(server);
    return { server, api: jobsApi(server.baseUrl, server.token!) };
  };
  beforeEach(() => {
    temp = makeTempHome();
    config = join(temp.home, 'server_config.yaml');
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    temp.remove();
  });

  it('an enabled inference-shaped service starts once, stays one across a graceful restart and a SIGKILL, and comes back after a crash', async () => {
    const port = await freePort();
    writeFileSync(
      config,
      `# lab config
services:
  command:
    web: # an HTTP server that needs a GPU, like an inference server
      enabled: true
      requested_gpus: 1
      health: {path: /, port: ${port}, interval_s: 0.2}
      argv: [python3, -m, http.server, "${port}", --bind, 127.0.0.1]
`,
    );
    let { server, api } = await start();
    const first = await waitFor(async () => {
      const s = await service(api, 'command', 'web');
      return s.state === 'running' && s.health === 'healthy' ? s : undefined;
    }, 'the service to run healthy');
    expect(first).toMatchObject({ enabled: true, requested_gpus: 1, restart: 'on-failure', restarts: 0 });
    expect(first.job.gpu_indices).toHaveLength(1);
    // For alerts: its state and health at /metrics.
    const metrics = (await api.call('GET', '/metrics')).text;
    expect(metrics).toContain('trainyard_service_state{type="command",name="web",state="running"} 1');
    expect(metrics).toContain('trainyard_service_state{type="command",name="web",state="backoff"} 0');
    expect(metrics).toContain('trainyard_service_healthy{type="command",name="web"} 1');
    expect(await liveJobs(api)).toHaveLength(1);

    // Graceful restart: the new server finds the instance by signature and starts nothing.
    await api.call('POST', '/api/server/restart');
    api = jobsApi(await server.nextBanner(), server.token!);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await liveJobs(api)).map((j) => j.queue_id)).toEqual([first.queue_id]);
    expect((await service(api, 'command', 'web')).queue_id).toBe(first.queue_id);

    // SIGKILL of the server, then a fresh start: still exactly the one instance.
    await server.stop('SIGKILL');
    ({ server, api } = await start());
    await new Promise((r) => setTimeout(r, 1500));
    expect((await liveJobs(api)).map((j) => j.queue_id)).toEqual([first.queue_id]);
    await waitFor(async () => (await service(api, 'command', 'web')).health === 'healthy', 'healthy again');

    // A crash (killed from outside): restart policy on-failure brings up a new instance.
    signalAll([first.job.pid], 'SIGKILL');
    const second = await waitFor(
      async () => {
        const s = await service(api, 'command', 'web');
        return s.state === 'running' && s.queue_id !== first.queue_id ? s : undefined;
      },
      'a new instance after the crash',
      15_000,
    );
    expect(second.restarts).toBe(1);
    expect(second.last_exit).toMatchObject({ queue_id: first.queue_id, status: 'failed' });
    expect(await liveJobs(api)).toHaveLength(1);

    // Delete aborts the instance first, then removes the entry (the comment above it stays).
    expect((await api.call('DELETE', '/api/services/command/web')).status).toBe(204);
    expect((await api.job(second.queue_id)).termination_reason).toBe('user_abort');
    await api.waitStatus(second.queue_id, ['aborted'], 15_000);
    expect(readFileSync(config, 'utf8')).toContain('# lab config');
    expect(readFileSync(config, 'utf8')).not.toContain('web');
    expect((await api.call('GET', '/api/services')).body).toEqual([]);
  }, 90_000);

  it('a change of health settings applies to the running instance at once (same instance, probed anew)', async () => {
    const port = await freePort();
    const args = { argv: ['python3', '-m', 'http.server', String(port), '--bind', '127.0.0.1'] };
    writeFileSync(config, 'services: {}\n');
    const { api } = await start();
    const upsert = async (health?: Record<string, unknown>) =>
      expect(
        (
          await api.call('POST', '/api/services', {
            type: 'command',
            name: 'web',
            enabled: true,
            args,
            health,
          })
        ).status,
      ).toBe(200);
    await upsert();
    const first = await waitFor(async () => {
      const s = await service(api, 'command', 'web');
      return s.state === 'running' ? s : undefined;
    }, 'the service to run');
    expect(first.health).toBeNull();
    // A probe added to a running instance starts probing it (it stayed unprobed).
    await upsert({ path: '/', port, interval_s: 0.2 });
    await waitFor(async () => (await service(api, 'command', 'web')).health === 'healthy', 'healthy');
    // A probe of a path it answers 404 on: no longer "healthy" (it kept the old probe's verdict).
    await upsert({ path: '/nope', port, interval_s: 0.2 });
    const changed = await service(api, 'command', 'web');
    expect(changed.health_check).toMatchObject({ path: '/nope' });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await service(api, 'command', 'web')).health).toBe('starting');
    await upsert({ path: '/', port, interval_s: 0.2 });
    await waitFor(async () => (await service(api, 'command', 'web')).health === 'healthy', 'healthy again');
    expect((await liveJobs(api)).map((j) => j.queue_id)).toEqual([first.queue_id]);
    // Jobs outlive the server by design: the instance is stopped here, not left to run on.
    expect((await api.call('DELETE', '/api/services/command/web')).status).toBe(204);
    await api.waitStatus(first.queue_id, ['aborted'], 15_000);
  }, 60_000);

  it('an instance that never answers its probe turns unhealthy once its start period is over', async () => {
    const port = await freePort(); // nothing listens there
    writeFileSync(config, 'services: {}\n');
    const { api } = await start();
    const upsert = await api.call('POST', '/api/services', {
      type: 'command',
      name: 'mute',
      enabled: true,
      args: { argv: ['sleep', '60'] },
      health: { path: '/', port, interval_s: 0.2, start_period_s: 1.5 },
    });
    expect(upsert.status).toBe(200);
    const running = await waitFor(async () => {
      const s = await service(api, 'command', 'mute');
      return s.state === 'running' ? s : undefined;
    }, 'the service to run');
    expect(running.health).toBe('starting');
    expect(running.health_check).toMatchObject({ start_period_s: 1.5 });
    await waitFor(
      async () => (await service(api, 'command', 'mute')).health === 'unhealthy' || undefined,
      'unhealthy after the start period',
      10_000,
    );
    // Says why (before: only that it was unhealthy).
    expect((await service(api, 'command', 'mute')).last_probe).toMatchObject({
      ok: false,
      result: `GET / → connection refused on port ${port}`,
    });
    // After a restart, an instance up longer than its start period is unhealthy at its first
    // failing probe, not "starting" again for a start period (before).
    await api.call('POST', '/api/server/restart');
    const again = jobsApi(await servers[0].nextBanner(), servers[0].token!);
    const probed = await waitFor(async () => {
      const s = await service(again, 'command', 'mute');
      return s.last_probe ? s : undefined;
    }, 'a probe after the restart');
    expect(probed.health).toBe('unhealthy');
    expect((await again.call('DELETE', '/api/services/command/mute')).status).toBe(204);
    await again.waitStatus(running.queue_id, ['aborted'], 15_000);
  }, 60_000);

  it('disabling a running service answers what became of its instance: `stopping` while it shuts down, else its exit', async () => {
    writeFileSync(config, 'services: {}\n');
    const { api } = await start();
    const run = async (name: string, script: string) => {
      const args = { argv: ['sh', '-c', script] };
      await api.call('POST', '/api/services', { type: 'command', name, enabled: true, args });
      return waitFor(async () => {
        const s = await service(api, 'command', name);
        return s.state === 'running' ? s : undefined;
      }, `${name} to run`);
    };
    const disable = async (name: string) => {
      const { status, body } = await api.call('POST', `/api/services/command/${name}/enabled`, {
        enabled: false,
      });
      expect(status).toBe(200);
      return body as Record<string, any>;
    };
    /** Still stopping and named, or ended and shown as the last exit — never gone without a trace. */
    const truthful = (answer: Record<string, any>, instance: string) =>
      answer.state === 'stopping'
        ? expect(answer).toMatchObject({ queue_id: instance, last_exit: null })
        : expect(answer).toMatchObject({
            state: 'disabled',
            queue_id: null,
            last_exit: { queue_id: instance, status: 'aborted', termination_reason: 'user_abort' },
          });
    // Ending at once on SIGTERM, or ~1 s after it: the stop waits up to 2 s for its processes, so
    // the instance may have ended by the answer (it read `disabled` with no last exit, or an older one).
    for (const [name, script] of [
      ['quick', 'while true; do sleep 0.1; done'],
      ['second', 'trap "sleep 1; exit 0" TERM; while true; do sleep 0.1; done'],
    ]) {
      const instance = (await run(name, script)).queue_id;
      truthful(await disable(name), instance);
    }
    // Taking ~5 s to shut down: stopping, then it ends as the last exit.
    const slow = await run('slow', 'trap "sleep 5; exit 0" TERM; echo ready; while true; do sleep 0.1; done');
    await api.waitLog(slow.queue_id, /ready/); // a SIGTERM before the trap would just kill it
    expect(await disable('slow')).toMatchObject({
      state: 'stopping',
      queue_id: slow.queue_id,
      last_exit: null,
    });
    await waitFor(
      async () => (await service(api, 'command', 'slow')).state === 'disabled',
      'disabled',
      15_000,
    );
    expect((await service(api, 'command', 'slow')).last_exit).toMatchObject({
      queue_id: slow.queue_id,
      termination_reason: 'user_abort',
    });
  }, 60_000);

  it('restart policy backs off after a service that exits 1 and reports a crash loop; a user stop is no crash', async () => {
    writeFileSync(config, '# empty for now\n');
    const { api } = await start();
    const before = readFileSync(config, 'utf8');

    // Bad input: 400 naming the field, file untouched.
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ type: 'nope', name: 'a', args: {} }, 'type'],
      [{ type: 'command', name: 'a b', args: { argv: ['x'] } }, 'name'],
      [{ type: 'command', name: 'a', args: {} }, 'args.argv'],
      [{ type: 'command', name: 'a', args: { argv: 'x' } }, 'args.argv'],
      [{ type: 'command', name: 'a', args: { argv: ['x'] }, restart: 'maybe' }, 'restart'],
    ];
    for (const [body, field] of bad) {
      const res = await api.call('POST', '/api/services', body);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(readFileSync(config, 'utf8')).toBe(before);

    const crashy = await api.call('POST', '/api/services', {
      type: 'command',
      name: 'crashy',
      enabled: true,
      args: { argv: ['sh', '-c', 'exit 1'] },
    });
    expect(crashy.status).toBe(200);
    expect(readFileSync(config, 'utf8')).toMatch(/^# empty for now\n/);
    // Backoff 1 s, 2 s, 4 s: after three crashes in a row the wait is shown as a crash loop.
    const backoff = await waitFor(async () => {
      const s = await service(api, 'command', 'crashy');
      return s.state === 'backoff' ? s : undefined;
    }, 'a first backoff');
    expect(backoff.next_attempt_at).not.toBeNull();
    expect(backoff.last_exit).toMatchObject({
      status: 'failed',
      termination_reason: 'exited_nonzero',
      exit_code: 1,
    });
    const loop = await waitFor(
      async () => {
        const s = await service(api, 'command', 'crashy');
        return s.state === 'crash_loop' ? s : undefined;
      },
      'the crash loop',
      20_000,
    );
    expect(loop.consecutive_failures).toBeGreaterThanOrEqual(3);
    expect(loop.restarts).toBeGreaterThanOrEqual(2);
    const metrics = (await api.call('GET', '/metrics')).text;
    expect(metrics).toContain('trainyard_service_state{type="command",name="crashy",state="crash_loop"} 1');
    // A counter (before: a gauge without the _total suffix, which rate() and increase() are not for).
    expect(metrics).toContain('# TYPE trainyard_service_restarts_total counter');
    expect(
      Number(/trainyard_service_restarts_total\{type="command",name="crashy"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(2);
    const wait = Date.parse(loop.next_attempt_at) - Date.now();
    expect(wait).toBeGreaterThan(1000); // ≥ 4 s backoff by now, minus polling
    // Disabling ends the loop (no more attempts); the file says enabled: false.
    const off = await api.call('POST', '/api/services/command/crashy/enabled', { enabled: false });
    expect(off.body).toMatchObject({ state: 'disabled', next_attempt_at: null });
    expect(readFileSync(config, 'utf8')).toContain('enabled: false');
    const count = (await api.call('GET', '/api/jobs?job_type=command')).body.total;
    await new Promise((r) => setTimeout(r, 5000));
    expect((await api.call('GET', '/api/jobs?job_type=command')).body.total).toBe(count);

    // A long-running service: disable aborts it, enable starts it, a manual abort is not restarted.
    const sleeper = { type: 'command', name: 'sleeper', enabled: false, args: { argv: ['sleep', '300'] } };
    expect((await api.call('POST', '/api/services', sleeper)).body.state).toBe('disabled');
    const on = (await api.call('POST', '/api/services/command/sleeper/enabled', { enabled: true })).body;
    expect(on.queue_id).toEqual(expect.any(String));
    await api.waitStatus(on.queue_id, ['running']);
    await api.call('POST', '/api/services/command/sleeper/enabled', { enabled: false });
    expect(await api.waitStatus(on.queue_id, ['aborted'], 15_000)).toMatchObject({
      termination_reason: 'user_abort',
    });
    // The instance the stop ended is the service's last exit (not an older one).
    await waitFor(
      async () =>
        (await service(api, 'command', 'sleeper')).last_exit?.queue_id === on.queue_id ? true : undefined,
      'the stopped instance as the last exit',
    );
    expect((await service(api, 'command', 'sleeper')).last_exit).toMatchObject({
      status: 'aborted',
      termination_reason: 'user_abort',
    });
    const again = (await api.call('POST', '/api/services/command/sleeper/enabled', { enabled: true })).body;
    expect(again.queue_id).not.toBe(on.queue_id);
    await api.waitStatus(again.queue_id, ['running']);
    expect((await api.call('DELETE', `/api/queue/${again.queue_id}`)).status).toBe(200);
    await api.waitStatus(again.queue_id, ['aborted'], 15_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await service(api, 'command', 'sleeper')).toMatchObject({
      state: 'stopped',
      queue_id: null,
      restarts: 0,
    });
  }, 90_000);

  it('a service whose command is not found says so in its last exit, naming the instance', async () => {
    writeFileSync(config, '# empty for now\n');
    const { api } = await start();
    const created = await api.call('POST', '/api/services', {
      type: 'command',
      name: 'missing',
      enabled: true,
      args: { argv: ['ty-no-such-command'] },
    });
    expect(created.status).toBe(200);
    const failing = await waitFor(async () => {
      const s = await service(api, 'command', 'missing');
      return s.last_exit ? s : undefined;
    }, 'the first instance to fail');
    // Before, only `exit_code: 127`: the job's own error did not reach the service.
    expect(failing.last_exit).toMatchObject({
      status: 'failed',
      exit_code: 127,
      error: 'command not found: ty-no-such-command',
    });
    expect((await api.job(failing.last_exit.queue_id)).error).toBe(failing.last_exit.error);
  }, 30_000);

  it('new args restart a service with a port once its old instance is gone: through the API, and edited in the file while the server was down', async () => {
    // A `tensorboard` that takes 4 s to stop (longer than a stop waits): its old instance holds the port meanwhile.
    const bin = join(temp.home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'tensorboard'), `#!/bin/sh\ntrap 'sleep 4; exit 0' TERM\nsleep 300 &\nwait\n`);
    chmodSync(join(bin, 'tensorboard'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const port = await freePort();
    const entry = (logdir: string, enabled = true) =>
      `services:\n  tensorboard:\n    tb:\n      enabled: ${enabled}\n      logdir: ${logdir}\n      port: ${port}\n`;
    writeFileSync(config, entry('/tmp/a'));
    const boot = async () => {
      const server = await spawnServer(temp.home, ['--config', config], env);
      servers.push(server);
      return { server, api: jobsApi(server.baseUrl, server.token!) };
    };
    const runningWith = (api: Api, logdir: string) =>
      waitFor(
        async () => {
          const s = await service(api, 'tensorboard', 'tb');
          return s.state === 'running' && s.job.job_params.logdir === logdir ? s : undefined;
        },
        `the service to run with logdir ${logdir}`,
        20_000,
      );
    let { server, api } = await boot();
    const first = await runningWith(api, '/tmp/a');

    // Through the API: the old instance is aborted, and the new one starts once it has ended.
    const changed = await api.call('POST', '/api/services', {
      type: 'tensorboard',
      name: 'tb',
      enabled: true,
      args: { logdir: '/tmp/b', port },
    });
    expect(changed.status).toBe(200);
    const second = await runningWith(api, '/tmp/b');
    expect(await api.job(first.queue_id)).toMatchObject({
      status: 'aborted',
      termination_reason: 'user_abort',
    });
    expect((await liveJobs(api, 'tensorboard')).map((j) => j.queue_id)).toEqual([second.queue_id]);

    // Edited in the file while the server is down (its jobs run on): the next server aborts the
    // instance of the old args and starts the new ones; its last exit is known after the restart.
    await server.stop();
    writeFileSync(config, entry('/tmp/c'));
    ({ server, api } = await boot());
    const third = await runningWith(api, '/tmp/c');
    expect(await api.job(second.queue_id)).toMatchObject({ status: 'aborted' });
    expect(third.last_exit).toMatchObject({ queue_id: second.queue_id, status: 'aborted' });
    expect((await liveJobs(api, 'tensorboard')).map((j) => j.queue_id)).toEqual([third.queue_id]);

    // Disabled in the file while the server was down: its instance is stopped at the next start.
    await server.stop();
    writeFileSync(config, entry('/tmp/c', false));
    ({ server, api } = await boot());
    await api.waitStatus(third.queue_id, ['aborted'], 15_000);
    expect(await service(api, 'tensorboard', 'tb')).toMatchObject({ state: 'disabled' });
    expect(await liveJobs(api, 'tensorboard')).toEqual([]);

    // Any job holding its port: the service waits, and starts once that job has ended.
    const other = await api.call('POST', '/api/queue', {
      job_type: 'tensorboard',
      job_params: { logdir: '/tmp/other', port },
    });
    expect(other.status).toBe(201);
    await api.waitStatus(other.body.queue_id, ['running']);
    const blocked = await api.call('POST', '/api/services/tensorboard/tb/enabled', { enabled: true });
    // Refused, not "stopped" as if on request (before), and why.
    expect(blocked.body).toMatchObject({ state: 'refused', error: expect.stringContaining(`port ${port}`) });
    await api.call('POST', `/api/jobs/${other.body.queue_id}/control/kill`);
    await runningWith(api, '/tmp/c');
  }, 120_000);

  it('a job submitted by hand with the same args counts as the running instance', async () => {
    writeFileSync(
      config,
      'services:\n  command:\n    s:\n      enabled: false\n      argv: [sleep, "300"]\n',
    );
    const { api } = await start();
    const manual = await api.command(['sleep', '300']);
    await api.waitStatus(manual.body.queue_id, ['running']);
    const on = (await api.call('POST', '/api/services/command/s/enabled', { enabled: true })).body;
    expect(on).toMatchObject({ state: 'running', queue_id: manual.body.queue_id });
    expect(await liveJobs(api)).toHaveLength(1);
    await api.call('POST', '/api/services/command/s/enabled', { enabled: false });
    await api.waitStatus(manual.body.queue_id, ['aborted'], 15_000);
  }, 60_000);
});
