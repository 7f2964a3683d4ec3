import { join } from 'node:path';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';
import { freePort } from './support/ports';
import { isProcessAlive } from '@trainyard/core';

describe('single-host engine (e2e, fake GPUs, real processes)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '4'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(async () => {
    // Leave no job processes behind.
    for (const job of (await api.call('GET', '/api/jobs?status=starting,running')).body.items) {
      await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
    }
    await server.close(true);
  });

  it('runs a command on the GPUs it asked for, in a pseudo-terminal, and keeps its exit code', async () => {
    // Its output is the terminal; its input is /dev/null (nobody types into it).
    const script = 'echo "CVD=$CUDA_VISIBLE_DEVICES tty=$(tty <&2) in=$(readlink /proc/$$/fd/0)"; exit 3';
    const submitted = await api.command(['sh', '-c', script], {
      requested_gpus: 2,
      name: 'two gpus',
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body.queue_id).toMatch(/^q_\d{13}_[0-9a-f]{8}$/);
    const job = await api.waitStatus(submitted.body.queue_id, ['failed']);
    expect(job).toMatchObject({
      exit_code: 3,
      gpu_indices: [0, 1],
      name: 'two gpus',
      error: 'exited with code 3',
    });
    const log = await api.log(job.queue_id);
    expect(log).toMatch(/CVD=0,1 tty=\/dev\/pts\/\d+ in=\/dev\/null/);

    const ok = await api.command(['true']);
    expect(await api.waitStatus(ok.body.queue_id, ['done'])).toMatchObject({ exit_code: 0, error: null });
  });

  it('tells an exit code above 128 from a death by signal (both are 128+N in exit_code)', async () => {
    const exited = await api.command(['sh', '-c', 'exit 137']);
    const killed = await api.command(['sh', '-c', 'kill -KILL $$']);
    expect(await api.waitStatus(exited.body.queue_id, ['failed'])).toMatchObject({
      exit_code: 137,
      error: 'exited with code 137',
    });
    expect(await api.waitStatus(killed.body.queue_id, ['failed'])).toMatchObject({
      exit_code: 137,
      error: 'killed by signal 9 (SIGKILL)',
    });
  });

  it('gives GPU-less command jobs an empty CUDA_VISIBLE_DEVICES and the job id', async () => {
    const { body } = await api.command(
      ['sh', '-c', 'echo "[$CUDA_VISIBLE_DEVICES] $TRAINYARD_JOB_ID $MY_VAR"'],
      {
        env: { MY_VAR: 'hello' },
      },
    );
    await api.waitStatus(body.queue_id, ['done']);
    expect(await api.log(body.queue_id)).toContain(`[] ${body.queue_id} hello`);
  });

  it('keeps the CUDA_VISIBLE_DEVICES a GPU-less job is submitted with', async () => {
    const { body } = await api.command(['sh', '-c', 'echo "[$CUDA_VISIBLE_DEVICES]"'], {
      env: { CUDA_VISIBLE_DEVICES: '1' },
    });
    await api.waitStatus(body.queue_id, ['done']);
    expect(await api.log(body.queue_id)).toContain('[1]');
  });

  it.each([
    [{ job_type: 'nope', job_params: {} }, 'job_type'],
    [{ job_type: 'command', job_params: {} }, 'job_params.argv'],
    [{ job_type: 'command', job_params: { argv: ['true'] }, requested_gpus: -1 }, 'requested_gpus'],
    [{ job_type: 'command', job_params: { argv: ['true'] }, requested_gpus: 1.5 }, 'requested_gpus'],
    [{ job_type: 'command', job_params: { argv: ['true'] }, requested_gpus: 5 }, 'requested_gpus'],
    [{ job_type: 'command', job_params: { argv: ['true'] }, cwd: '/no/such/dir' }, 'cwd'],
    [{ job_type: 'command', job_params: { argv: ['true'] }, env: { 'BAD NAME': 'x' } }, 'env.BAD NAME'],
    [{ job_type: 'command', job_params: { argv: 'true' } }, 'job_params.argv'],
    // Accepted before, then failed at launch (exit 126/127).
    [{ job_type: 'command', job_params: { argv: [' ', 'x'] } }, 'job_params.argv'],
    // Accepted before and shown in the job's record, while the job got Trainyard's values.
    [
      { job_type: 'command', job_params: { argv: ['true'] }, env: { TRAINYARD_JOB_ID: 'x' } },
      'env.TRAINYARD_JOB_ID',
    ],
    [
      {
        job_type: 'command',
        job_params: { argv: ['true'] },
        requested_gpus: 1,
        env: { CUDA_VISIBLE_DEVICES: '3' },
      },
      'env.CUDA_VISIBLE_DEVICES',
    ],
    [
      {
        job_type: 'command',
        job_params: { argv: ['true'] },
        requested_gpus: 1,
        env: { CUDA_DEVICE_ORDER: 'FASTEST_FIRST' },
      },
      'env.CUDA_DEVICE_ORDER',
    ],
  ])('rejects %j with 400 naming %s', async (body, field) => {
    const answer = await api.submit(body);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('defaults requested_gpus to the job type’s default (0 for command) instead of refusing it', async () => {
    const answer = await api.call('POST', '/api/queue', {
      job_type: 'command',
      job_params: { argv: ['true'] },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.requested_gpus).toBe(0);
    expect(await api.waitStatus(answer.body.queue_id, ['done'])).toMatchObject({ gpu_indices: [] });
  });

  it('treats a null cwd as the default working directory', async () => {
    const answer = await api.command(['true'], { cwd: null });
    expect(answer.status).toBe(201);
    expect(answer.body.cwd).toBeTruthy();
  });

  it('refuses a service port that a live job already uses (409), and frees it when that job is gone', async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    try {
      const board = (port: number) =>
        api.submit({ job_type: 'tensorboard', job_params: { logdir: '/tmp', port } });
      const first = await board(16006);
      expect(first.status).toBe(201);
      const clash = await board(16006);
      expect(clash.status).toBe(409);
      expect(clash.body).toMatchObject({ code: 'PORT_IN_USE', details: [{ field: 'job_params.port' }] });
      expect(clash.body.message).toContain(first.body.queue_id);
      await api.call('DELETE', `/api/queue/${first.body.queue_id}`);
      const again = await board(16006);
      expect(again.status).toBe(201);
      await api.call('DELETE', `/api/queue/${again.body.queue_id}`);
    } finally {
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
    }
  });

  it('refuses a service on the Trainyard server’s own port (409)', async () => {
    const port = await freePort();
    const own = await startInProcessServer({ argv: ['--port', String(port)] });
    try {
      const answer = await jobsApi(own.baseUrl, own.token).submit({
        job_type: 'tensorboard',
        job_params: { logdir: '/tmp', port },
      });
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'PORT_IN_USE', details: [{ field: 'job_params.port' }] });
      expect(answer.body.message).toContain('Trainyard server');
    } finally {
      await own.close(true);
    }
  });

  it('says how many GPUs the host has when asked for more', async () => {
    const answer = await api.command(['true'], { requested_gpus: 5 });
    expect(answer.body.message).toContain('this host has 4 usable GPUs');
  });

  it('returns the original item for a retried Idempotency-Key', async () => {
    const headers = { 'Idempotency-Key': 'retry-me-1' };
    const first = await api.submit({ job_type: 'command', job_params: { argv: ['true'] } }, headers);
    const second = await api.submit({ job_type: 'command', job_params: { argv: ['true'] } }, headers);
    expect(second.status).toBe(201);
    expect(second.body.queue_id).toBe(first.body.queue_id);
    const all = (await api.call('GET', '/api/jobs?limit=500')).body.items.filter(
      (j: { queue_id: string }) => j.queue_id === first.body.queue_id,
    );
    expect(all).toHaveLength(1);
  });

  it('refuses an Idempotency-Key reused for a different request (422 naming the fields)', async () => {
    const headers = { 'Idempotency-Key': 'reused-key-1' };
    const first = await api.submit({ job_type: 'command', job_params: { argv: ['true'] } }, headers);
    expect(first.status).toBe(201);
    const other = await api.submit(
      { job_type: 'command', job_params: { argv: ['false'] }, priority: 3 },
      headers,
    );
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(other.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'job_params.argv',
      'priority',
    ]);
    // Same request with its defaults spelled out is still a retry.
    const spelled = await api.submit(
      { job_type: 'command', job_params: { argv: ['true'] }, priority: 0, requested_gpus: 0 },
      headers,
    );
    expect(spelled.status).toBe(201);
    expect(spelled.body.queue_id).toBe(first.body.queue_id);
  });

  it('pauses and resumes the scheduler; a paused queue says why items wait; cancel removes a queued item', async () => {
    expect((await api.call('POST', '/api/queue/scheduler', { enabled: false })).body.enabled).toBe(false);
    const held = await api.command(['true']);
    const cancelled = await api.command(['true']);
    const queue = await waitFor(async () => {
      const q = (await api.call('GET', '/api/queue')).body;
      return q.items.some(
        (i: { pending_reason: string | null }) => i.pending_reason === 'scheduler is paused',
      )
        ? q
        : undefined;
    }, 'a paused reason');
    expect(queue.items.map((i: { queue_id: string }) => i.queue_id)).toEqual(
      expect.arrayContaining([held.body.queue_id, cancelled.body.queue_id]),
    );
    const cancel = await api.call('DELETE', `/api/queue/${cancelled.body.queue_id}`);
    expect(cancel.body).toEqual({ queue_id: cancelled.body.queue_id, outcome: 'removed' });
    expect((await api.call('GET', `/api/jobs/${cancelled.body.queue_id}`)).status).toBe(404);
    expect((await api.call('DELETE', `/api/queue/${cancelled.body.queue_id}`)).status).toBe(404);

    const status = (await api.call('POST', '/api/queue/scheduler', { enabled: true })).body;
    expect(status.enabled).toBe(true);
    await api.waitStatus(held.body.queue_id, ['done']);
    expect((await api.call('GET', '/api/queue/scheduler')).body.tick_count).toBeGreaterThan(0);
  });

  it('places best-fit: a high-priority job takes the gated GPU, others avoid disabled ones, and a big job does not block', async () => {
    const policy = (i: number, body: object) => api.call('POST', `/api/gpus/${i}/policy`, body);
    await policy(3, { min_priority: 10 });
    await policy(0, { disabled: true });
    try {
      const sleeper = (priority: number, gpus: number) =>
        api.command(['sleep', '30'], { priority, requested_gpus: gpus });
      const high = await sleeper(10, 1);
      const highJob = await api.waitStatus(high.body.queue_id, ['running']);
      expect(highJob.gpu_indices).toEqual([3]);
      const low = await sleeper(0, 1);
      expect((await api.waitStatus(low.body.queue_id, ['running'])).gpu_indices).toEqual([1]);
      // Needs 3 GPUs but only GPU 2 is idle and eligible: skipped with a reason, not blocking.
      const big = await sleeper(0, 3);
      const small = await sleeper(0, 1);
      expect((await api.waitStatus(small.body.queue_id, ['running'])).gpu_indices).toEqual([2]);
      const reason = await waitFor(async () => {
        const items = (await api.call('GET', '/api/queue')).body.items;
        return (
          items.find((i: { queue_id: string }) => i.queue_id === big.body.queue_id)?.pending_reason ??
          undefined
        );
      }, 'a pending reason');
      expect(reason).toMatch(/needs 3 GPUs/);
      expect(reason).toMatch(/GPU 0 disabled/);
      for (const id of [high, low, big, small].map((a) => a.body.queue_id))
        await api.call('DELETE', `/api/queue/${id}`);
      await api.waitStatus(high.body.queue_id, ['aborted']);
      expect((await api.job(high.body.queue_id)).termination_reason).toBe('user_abort');
    } finally {
      await policy(3, { min_priority: null });
      await policy(0, { disabled: false });
    }
  });

  it('kill (SIGTERM) reports processes that ignore it and keeps the job terminating; force-kill (SIGKILL) ends them all', async () => {
    const { body } = await api.command(['bash', '-c', 'trap "" TERM; sleep 600 & echo ready; wait'], {
      kill_grace_s: 600,
    });
    await api.waitLog(body.queue_id, /ready/);
    // Its output can come before the launcher's report of its pid reaches the server (a loaded
    // host): until then a kill is only recorded, and the launch report delivers it, naming no one.
    await api.waitStatus(body.queue_id, ['running']);
    const kill = await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
    expect(kill.status).toBe(200);
    expect(kill.body.survivors.length).toBeGreaterThan(0);
    const stopping = await api.job(body.queue_id);
    expect(stopping).toMatchObject({ status: 'terminating', termination_reason: 'user_abort' });
    expect(stopping.gpu_indices).toEqual(expect.any(Array));

    const force = await api.call('POST', `/api/jobs/${body.queue_id}/control/force-kill`);
    expect(force.body.survivors).toEqual([]);
    const job = await api.waitStatus(body.queue_id, ['aborted']);
    expect(job).toMatchObject({ termination_reason: 'user_kill', exit_code: 137 });
    expect(job.error).toContain('force-killed');
    // Zombies (exited, not yet reaped) count as gone.
    for (const pid of force.body.pids) expect(isProcessAlive(pid)).toBe(false);
    expect((await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`)).status).toBe(409);
  });

  it('forwards stop/save/abort to a trainer that published endpoint.json, and answers 409 before it has', async () => {
    const plain = await api.command(['sleep', '30']);
    await api.waitStatus(plain.body.queue_id, ['running']);
    expect((await api.job(plain.body.queue_id)).trainer_endpoint).toBe(false);
    const early = await api.call('POST', `/api/jobs/${plain.body.queue_id}/control/save`);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('TRAINER_ENDPOINT_UNKNOWN');
    // It says what to do for a job without a trainer, rather than to wait for an endpoint never coming.
    expect(early.body.message).toContain('any other job is stopped with kill (SIGTERM) or abort');
    // Without a trainer, abort falls back to SIGTERM on the job's processes.
    const plainAbort = await api.call('POST', `/api/jobs/${plain.body.queue_id}/control/abort`);
    expect(plainAbort.body.pids.length).toBeGreaterThan(0);
    expect((await api.waitStatus(plain.body.queue_id, ['aborted'])).termination_reason).toBe('user_abort');

    const trainer = await api.command(
      [process.execPath, join(__dirname, 'fixtures', 'trainer', 'fake-trainer.js')],
      {
        name: 'trainer',
      },
    );
    await api.waitLog(trainer.body.queue_id, /trainer ready/);
    expect((await api.job(trainer.body.queue_id)).trainer_endpoint).toBe(true);
    // Its /status is polled (every 2 s): the known fields only (`state` is not one of them).
    const status = await waitFor(async () => {
      const answer = await api.call('GET', `/api/jobs/${trainer.body.queue_id}/trainer-status`);
      return answer.body.available ? answer.body.status : undefined;
    }, 'the trainer status');
    expect(status).toMatchObject({ step: expect.any(Number), loss: null });
    expect(status.state).toBeUndefined();
    const save = await api.call('POST', `/api/jobs/${trainer.body.queue_id}/control/save`);
    expect(save.body).toMatchObject({ action: 'save', trainer_response: { accepted: 'save' } });
    const stop = await api.call('POST', `/api/jobs/${trainer.body.queue_id}/control/stop`);
    expect(stop.status).toBe(200);
    const ended = await api.waitStatus(trainer.body.queue_id, ['done']);
    expect(ended).toMatchObject({ exit_code: 0, termination_reason: 'trainer_stop' });
    expect(await api.log(trainer.body.queue_id)).toMatch(/control: save[\s\S]*control: stop/);

    // abort reaches the trainer (which ends without a checkpoint) instead of signalling it.
    const aborted = await api.command(
      [process.execPath, join(__dirname, 'fixtures', 'trainer', 'fake-trainer.js')],
      { name: 'aborted-trainer' },
    );
    await api.waitLog(aborted.body.queue_id, /trainer ready/);
    const abort = await api.call('POST', `/api/jobs/${aborted.body.queue_id}/control/abort`);
    expect(abort.body).toMatchObject({ action: 'abort', trainer_response: { accepted: 'abort' } });
    // Asked to stop now: SIGKILL follows after the grace period if it does not.
    expect(Date.parse(abort.body.kill_at)).toBeGreaterThan(Date.now());
    // Recorded as the user's abort before the trainer was asked: it ends aborted, with the trainer's exit code.
    expect(await api.waitStatus(aborted.body.queue_id, ['aborted'])).toMatchObject({
      exit_code: 3,
      termination_reason: 'user_abort',
    });
    expect(await api.log(aborted.body.queue_id)).toMatch(/control: abort/);
  });

  it('an abort its trainer does not answer falls back to SIGTERM (the job does not stay terminating)', async () => {
    // A published endpoint on a port nobody listens on: a trainer that died or never served.
    const port = await freePort();
    const { body } = await api.command([
      'sh',
      '-c',
      `echo '{"host": "127.0.0.1", "port": ${port}}' > "$TRAINYARD_CONTROL_DIR/endpoint.json"; echo ready; sleep 600`,
    ]);
    await api.waitLog(body.queue_id, /ready/);
    // Running, not only printing: the worker has its launch report (see job-lifecycle's second kill).
    await api.waitStatus(body.queue_id, ['running']);
    expect((await api.job(body.queue_id)).trainer_endpoint).toBe(true);
    const abort = await api.call('POST', `/api/jobs/${body.queue_id}/control/abort`);
    expect(abort.status).toBe(200);
    expect(abort.body.pids.length).toBeGreaterThan(0);
    // The answer says the trainer did not take it (not only the server log), and whether it got it.
    expect(abort.body.trainer_error).toBe(
      `trainer control endpoint 127.0.0.1:${port} could not be reached (ECONNREFUSED); the request was not delivered`,
    );
    expect(abort.body.trainer_response).toBeUndefined();
    expect(await api.waitStatus(body.queue_id, ['aborted'])).toMatchObject({
      termination_reason: 'user_abort',
      exit_code: 143,
    });
  });

  it('streams the backlog and then live output over a WebSocket, colours and \\r intact, then an end frame', async () => {
    const { body } = await api.command([
      'sh',
      '-c',
      'printf "\\033[31mred\\033[0m\\n"; sleep 0.3; for i in 1 2 3; do printf "\\rstep $i"; sleep 0.1; done; echo; exit 4',
    ]);
    const ws = new WebSocket(
      `${server.baseUrl.replace('http', 'ws')}/api/jobs/${body.queue_id}/tty?follow=true`,
      {
        headers: { authorization: `Bearer ${server.token}` },
      },
    );
    const chunks: Buffer[] = [];
    let end: { type: string; status: string; exit_code: number } | null = null;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) chunks.push(data);
      else end = JSON.parse(data.toString());
    });
    await once(ws, 'close');
    const text = Buffer.concat(chunks).toString();
    expect(text).toContain('\u001b[31mred\u001b[0m');
    expect(text).toContain('\rstep 1\rstep 2\rstep 3');
    expect(end).toEqual({ type: 'end', status: 'failed', exit_code: 4 });
  });

  it('resumes a log stream at ?offset= (with a start frame) and refuses a bad offset by name', async () => {
    const { body } = await api.command(['sh', '-c', 'echo first; echo second']);
    await api.waitStatus(body.queue_id, ['done']);
    const open = (query: string) => {
      const ws = new WebSocket(
        `${server.baseUrl.replace('http', 'ws')}/api/jobs/${body.queue_id}/tty?${query}`,
        {
          headers: { authorization: `Bearer ${server.token}` },
        },
      );
      const binary: Buffer[] = [];
      const text: unknown[] = [];
      ws.on('message', (data: Buffer, isBinary: boolean) =>
        isBinary ? binary.push(data) : text.push(JSON.parse(data.toString())),
      );
      return once(ws, 'close').then(([code]) => ({ code, bytes: Buffer.concat(binary).toString(), text }));
    };
    const whole = await open('offset=0');
    expect(whole.text[0]).toEqual({ type: 'start', offset: 0 });
    const cut = whole.bytes.indexOf('second');
    const resumed = await open(`offset=${Buffer.byteLength(whole.bytes.slice(0, cut))}`);
    expect(resumed.text[0]).toEqual({ type: 'start', offset: Buffer.byteLength(whole.bytes.slice(0, cut)) });
    expect(resumed.bytes.replace(/\r/g, '')).toBe('second\n');
    expect(resumed.code).toBe(1000);

    const bad = await open('offset=-1');
    expect(bad.code).toBe(1008);
    expect(bad.text).toEqual([{ type: 'error', message: 'offset must be a non-negative integer' }]);
  });

  it('deletes finished jobs with their logs; refuses to delete running ones; cleans up; GC keeps known logs', async () => {
    const running = await api.command(['sleep', '30']);
    await api.waitStatus(running.body.queue_id, ['running']);
    expect((await api.call('DELETE', `/api/jobs/${running.body.queue_id}`)).status).toBe(409);
    await api.call('POST', `/api/jobs/${running.body.queue_id}/control/force-kill`);
    await api.waitStatus(running.body.queue_id, ['aborted']);
    expect((await api.call('DELETE', `/api/jobs/${running.body.queue_id}`)).body.deleted).toEqual([
      running.body.queue_id,
    ]);
    expect((await api.call('GET', `/api/jobs/${running.body.queue_id}/tty`)).status).toBe(404);

    const gc = await api.call('POST', '/api/jobs/gc');
    expect(gc.body.removed).toEqual([]);
    const cleanup = await api.call('POST', '/api/jobs/cleanup');
    expect(cleanup.status).toBe(200);
    const left = (await api.call('GET', '/api/jobs?status=done,failed,aborted')).body;
    expect(left.total).toBe(0);
  });

  it('answers unknown and malformed ids with 404 and 400', async () => {
    expect((await api.call('GET', '/api/jobs/q_1234567890123_deadbeef')).status).toBe(404);
    expect((await api.call('GET', '/api/jobs/..%2F..%2Fetc')).status).toBe(400);
    expect((await api.call('POST', '/api/jobs/q_1234567890123_deadbeef/control/explode')).status).toBe(400);
  });

  it('lists job types with parameter schemas', async () => {
    const types = (await api.call('GET', '/api/job-types')).body as Array<{
      name: string;
      params: Array<{ name: string }>;
    }>;
    expect(types.map((t) => t.name)).toEqual(
      expect.arrayContaining(['command', 'training', 'inference', 'tensorboard', 'mkdocs']),
    );
    expect(types.find((t) => t.name === 'command')!.params.map((p) => p.name)).toEqual(['argv']);
  });
});
