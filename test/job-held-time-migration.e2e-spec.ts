import { join } from 'node:path';
import { JobHeldTime1796021300000 } from '../migrations/1796021300000-job-held-time';
import { databaseBefore, migrateToCurrent } from './support/migrations';
import { makeTempHome } from './support/temp-home';

describe('migration JobHeldTime (real SQLite file)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('gives a job held now its hold time from its last job.held.v1 entry, and every job held_ms 0', async () => {
    const file = join(temp.home, 'held-time.db');
    const old = await databaseBefore(file, JobHeldTime1796021300000);
    const job = (id: string, seq: number, status: string, held: number) =>
      old.query(
        `INSERT INTO jobs (id, job_type, priority, requested_gpus, job_params, cwd, env, status,
           submitted_at, seq, gpu_indices, held) VALUES (?, 'command', 0, 0, '{}', '/', '{}', ?, 't0', ?, '[]', ?)`,
        [id, status, seq, held],
      );
    await job('q_held', 1, 'queued', 1);
    await job('q_held_unknown', 2, 'queued', 1);
    await job('q_released', 3, 'queued', 0);
    await job('q_ended_held', 4, 'aborted', 1);
    const entry = (seq: number, type: string, payload: object) =>
      old.query(`INSERT INTO journal (seq, ts, origin_node_id, type, payload) VALUES (?, 't', 'n', ?, ?)`, [
        seq,
        type,
        JSON.stringify(payload),
      ]);
    await entry(1, 'job.held.v1', { queue_id: 'q_held', held_at: '2030-01-01T00:00:01.000Z' });
    await entry(2, 'job.released.v1', { queue_id: 'q_held', released_at: '2030-01-01T00:00:02.000Z' });
    await entry(3, 'job.held.v1', { queue_id: 'q_held', held_at: '2030-01-01T00:00:03.000Z' });
    await entry(4, 'job.held.v1', { queue_id: 'q_released', held_at: '2030-01-01T00:00:04.000Z' });
    await entry(5, 'job.released.v1', { queue_id: 'q_released', released_at: '2030-01-01T00:00:05.000Z' });
    await entry(6, 'job.held.v1', { queue_id: 'q_ended_held', held_at: '2030-01-01T00:00:06.000Z' });
    await old.destroy();

    const current = await migrateToCurrent(file);
    expect(await current.query('SELECT id, held, held_at, held_ms FROM jobs ORDER BY seq')).toEqual([
      { id: 'q_held', held: 1, held_at: '2030-01-01T00:00:03.000Z', held_ms: 0 },
      // Held with no entry left to say since when: unknown, its release adds nothing.
      { id: 'q_held_unknown', held: 1, held_at: null, held_ms: 0 },
      { id: 'q_released', held: 0, held_at: null, held_ms: 0 },
      { id: 'q_ended_held', held: 1, held_at: null, held_ms: 0 },
    ]);
    await current.destroy();
  });
});
