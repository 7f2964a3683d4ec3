import { jobsApi } from './support/api';
import type { Answer } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/**
 * A job being stopped is gone by its SIGKILL time at the latest, time limit or not: the job held
 * behind it has a start estimate, and a short job that ends before then backfills.
 */
describe('backfill behind a job being stopped (e2e, real server, real SQLite, 4 fake GPUs)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const ok = (answer: Answer) => {
    if (answer.status >= 300) throw new Error(`${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const reason = async (id: string) =>
    (
      (await api.call('GET', '/api/queue')).body.items as Array<{ queue_id: string; pending_reason: string }>
    ).find((j) => j.queue_id === id)?.pending_reason;

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '4'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  it('a job killed without a time limit gives the held job a start estimate and lets a short job backfill', async () => {
    // No time limit; it takes 10 s of its 15 s grace to stop.
    const slow = 'trap "sleep 10; exit 143" TERM; sleep 60 & wait; wait';
    const r = ok(
      await api.command(['sh', '-c', slow], { requested_gpus: 3, kill_grace_s: 15, time_limit_s: null }),
    ).body.queue_id;
    await api.waitStatus(r, ['running']);
    const b = ok(await api.command(['sleep', '1'], { requested_gpus: 4, priority: 5 })).body.queue_id;
    await waitFor(async () => (await reason(b)) ?? '', /no start estimate \(.* has no time limit\)/);
    expect(await reason(b)).toContain(r);

    ok(await api.call('POST', `/api/jobs/${r}/control/abort`));
    // Now it is gone within its grace: the held job says when it starts.
    await waitFor(async () => (await reason(b)) ?? '', /expected to start within (1[0-5]|[0-9]) s/);
    const short = ok(
      await api.command(['sleep', '1'], { requested_gpus: 1, time_limit_s: 3, kill_grace_s: 1 }),
    ).body.queue_id;
    await api.waitStatus(short, ['running', 'done'], 5_000);
    await api.waitStatus(short, ['done'], 5_000);
    // With nothing else happening, the estimate counts down with the clock, a second or so behind at
    // most (before: it stayed as the last pass said it, up to the 5 s safety tick).
    const first = Number(/within (\d+) s/.exec((await reason(b))!)![1]);
    const t0 = Date.now();
    while (Date.now() - t0 < 6_000) {
      const said = /within (\d+) s/.exec((await reason(b)) ?? '');
      if (!said) break; // it started
      expect(Number(said[1])).toBeLessThanOrEqual(first - Math.floor((Date.now() - t0) / 1000) + 2);
      await new Promise((r) => setTimeout(r, 200));
    }
    await api.waitStatus(b, ['running', 'done'], 30_000);
  });

  async function waitFor(read: () => Promise<string>, pattern: RegExp, timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      last = await read();
      if (pattern.test(last)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`never matched ${pattern}: last "${last}"`);
  }
});
