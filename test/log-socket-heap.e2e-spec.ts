import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamJobLog } from '@trainyard/sdk';
import { jobsApi } from './support/api';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';

jest.setTimeout(180_000);

const SOCKETS = 5000;
const BATCH = 100;

/**
 * Log WebSockets opened on a finished job must leave nothing behind: the built server runs with
 * --expose-gc and a preload that collects on SIGUSR2, and its heap is read from /metrics.
 */
describe('log WebSockets on a finished job (e2e, spawned server, heap)', () => {
  const temp = makeTempHome('trainyard-heap-');
  let server: SpawnedServer;

  beforeAll(async () => {
    server = await spawnServer(temp.home, [], {}, [
      '--expose-gc',
      '--require',
      join(__dirname, 'support', 'gc-on-signal.js'),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  /** The worker process (the supervisor's only child), where the app and its heap live. */
  const workerPid = (): number => {
    const pid = server.process.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    expect(children).toHaveLength(1);
    return Number(children[0]);
  };

  const settledHeap = async (): Promise<number> => {
    for (let i = 0; i < 2; i++) {
      process.kill(workerPid(), 'SIGUSR2');
      await sleep(300);
    }
    const text = await (
      await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.token}` } })
    ).text();
    const match = /^trainyard_nodejs_heap_size_used_bytes (\d+(\.\d+)?)/m.exec(text);
    expect(match).not.toBeNull();
    return Number(match![1]);
  };

  const openAndClose = async (id: string, count: number): Promise<void> => {
    for (let done = 0; done < count; done += BATCH) {
      const results = await Promise.all(
        Array.from(
          { length: BATCH },
          () => streamJobLog(id, { baseUrl: server.baseUrl, token: server.token!, follow: true }).closed,
        ),
      );
      expect(results.every((r) => r.end?.status === 'done')).toBe(true);
    }
  };

  it(`returns to within 10 % of its heap after ${SOCKETS} log sockets`, async () => {
    const api = jobsApi(server.baseUrl, server.token!);
    const { body } = await api.command(['sh', '-c', 'echo finished']);
    await api.waitStatus(body.queue_id, ['done']);
    await openAndClose(body.queue_id, 500); // warm-up: code paths compiled, pools filled
    const before = await settledHeap();
    await openAndClose(body.queue_id, SOCKETS);
    const after = await settledHeap();
    expect(after / before).toBeLessThan(1.1);
  });
});
