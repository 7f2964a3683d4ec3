import { join } from 'node:path';
import { WebSocket } from 'ws';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

const TRAINER = join(__dirname, 'fixtures', 'trainer', 'status-trainer.py');
const FIELDS = ['epoch', 'grad_norm', 'loss', 'lr', 'max_steps', 'peak_memory_bytes', 'step', 'tokens_per_s'];

describe('trainer status (e2e: a python trainer as a real job, polled by the server)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  beforeAll(async () => {
    server = await startInProcessServer();
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(async () => {
    for (const job of (await api.call('GET', '/api/jobs?status=starting,running')).body.items) {
      await api.call('POST', `/api/jobs/${job.queue_id}/control/force-kill`);
    }
    await server.close(true);
  });

  const trainerStatus = async (id: string) => (await api.call('GET', `/api/jobs/${id}/trainer-status`)).body;

  it('answers 404 for an unknown job and {available: false} for a job without a trainer', async () => {
    const unknown = await api.call('GET', '/api/jobs/q_1234567890123_deadbeef/trainer-status');
    expect(unknown.status).toBe(404);
    const plain = await api.command(['sleep', '30']);
    await api.waitStatus(plain.body.queue_id, ['running']);
    await new Promise((r) => setTimeout(r, 2500)); // a poll round has passed
    expect(await trainerStatus(plain.body.queue_id)).toEqual({ available: false });
    expect((await api.job(plain.body.queue_id)).trainer_status).toBeUndefined();
    await api.call('POST', `/api/jobs/${plain.body.queue_id}/control/force-kill`);
  });

  it('shows the live /status (validated) in trainer-status, the job and the list, pushes changes, and drops it when the job ends', async () => {
    const { body } = await api.command(['python3', TRAINER, '5000', '0.2'], { name: 'status-trainer' });
    const id: string = body.queue_id;
    await api.waitLog(id, /trainer ready/);

    // The stream is opened while the job already runs: a frame naming it can only be a status change.
    const frames: Array<{ queue_ids: string[] }> = [];
    const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/api/jobs/stream`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8'))));

    const first = await waitFor(
      async () => {
        const answer = await trainerStatus(id);
        return answer.available ? answer.status : undefined;
      },
      'a trainer status',
      10_000,
    );
    // Only the known fields, numbers each (the trainer also sends `state` and a `history` list).
    expect(Object.keys(first).sort()).toEqual([...FIELDS, 'updated_at'].sort());
    expect(first).toMatchObject({
      max_steps: 5000,
      step: expect.any(Number),
      loss: expect.any(Number),
      lr: expect.any(Number),
      tokens_per_s: 12000 + first.step,
      peak_memory_bytes: 21474836480 + first.step * 1048576,
    });
    expect(Date.parse(first.updated_at)).toBeGreaterThan(Date.now() - 10_000);

    const later = await waitFor(
      async () => {
        const answer = await trainerStatus(id);
        return answer.status.step > first.step ? answer.status : undefined;
      },
      'the step to advance',
      10_000,
    );
    expect(later.loss).toBeLessThan(first.loss);
    expect(later.grad_norm).toBeLessThan(first.grad_norm);

    // The same status rides in the job and in the list.
    const job = await api.job(id);
    expect(job.trainer_status.step).toBeGreaterThanOrEqual(later.step);
    const listed = (await api.call('GET', '/api/jobs?status=running')).body.items.find(
      (j: { queue_id: string }) => j.queue_id === id,
    );
    expect(listed.trainer_status).toMatchObject({ max_steps: 5000, step: expect.any(Number) });

    await waitFor(
      () => frames.some((f) => f.queue_ids.includes(id)),
      'a jobs frame naming the trainer',
      10_000,
    );
    ws.close();

    expect((await api.call('POST', `/api/jobs/${id}/control/stop`)).status).toBe(200);
    await api.waitStatus(id, ['done']);
    expect(await trainerStatus(id)).toEqual({ available: false });
    expect((await api.job(id)).trainer_status).toBeUndefined();
  });
});
