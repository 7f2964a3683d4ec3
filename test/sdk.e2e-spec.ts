import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  cancelQueueItem,
  createTrainyardClient,
  deleteJob,
  getJob,
  listGpus,
  listQueue,
  setGpuPolicy,
  setScheduler,
  streamGpus,
  streamJobChanges,
  streamJobLog,
  submitJob,
  TrainyardApiError,
  TrainyardConnectionError,
  type GpusFrame,
  type JobDto,
  type JobsFrame,
  type LogEndFrame,
} from '@trainyard/sdk';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { freePort } from './support/ports';
import { makeTempHome } from './support/temp-home';

const ROOT = join(__dirname, '..');
const GENERATED = join(ROOT, 'libs', 'sdk', 'src', 'generated');

/** Every file under `dir`, by relative path. */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('@trainyard/sdk', () => {
  it('is what `npm run sdk:generate` produces from openapi/openapi.json (regenerate after API changes)', async () => {
    const temp = makeTempHome('trainyard-sdk-');
    try {
      const out = join(temp.home, 'generated');
      await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'generate-sdk.mjs'), '--out', out], {
        cwd: ROOT,
      });
      const fresh = readTree(out);
      const committed = readTree(GENERATED);
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [path, text] of fresh) {
        // One assertion per file, so a failure names the file that drifted.
        expect({ path, text: committed.get(path) }).toEqual({ path, text });
      }
    } finally {
      temp.remove();
    }
  }, 120_000);

  describe('against a running server', () => {
    let server: InProcessServer;
    beforeAll(async () => {
      server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    });
    afterAll(async () => {
      await server.close(true);
    });

    it('submits a job, reads it back typed, and streams its log bytes and end frame', async () => {
      const client = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token });
      const { data: item } = await submitJob({
        client,
        body: {
          job_type: 'command',
          requested_gpus: 1,
          name: 'sdk round trip',
          job_params: { argv: ['sh', '-c', 'printf "\\033[32mgreen\\033[0m\\n"; sleep 0.2; echo bye'] },
        },
      });
      expect(item.queue_id).toMatch(/^q_\d{13}_[0-9a-f]{8}$/);

      const chunks: Uint8Array[] = [];
      let endFrame: LogEndFrame | null = null;
      const stream = streamJobLog(
        item.queue_id,
        { baseUrl: server.baseUrl, token: server.token },
        { onData: (bytes) => chunks.push(bytes), onEnd: (frame) => (endFrame = frame) },
      );
      const result = await stream.closed;
      expect(Buffer.concat(chunks).toString().replace(/\r/g, '')).toContain(
        '\u001b[32mgreen\u001b[0m\nbye\n',
      );
      expect(endFrame).toEqual({ type: 'end', status: 'done', exit_code: 0 });
      expect(result).toMatchObject({ code: 1000, end: endFrame, error: null });

      const { data: job } = await getJob({ client, path: { queue_id: item.queue_id } });
      const typed: JobDto = job;
      expect(typed).toMatchObject({ status: 'done', exit_code: 0, name: 'sdk round trip', gpu_indices: [0] });
    });

    it('streams GPU snapshots', async () => {
      let frame: GpusFrame | undefined;
      const stream = streamGpus({ baseUrl: server.baseUrl, token: server.token }, (f) => {
        frame = f;
        stream.close();
      });
      await stream.closed;
      expect(frame).toMatchObject({ type: 'gpus', provider: 'fake', state: 'ok' });
      expect(frame!.gpus.map((g) => g.index)).toEqual([0, 1]);
    });

    it('streams job changes: a frame on connect, then the ids of jobs queued, finished, cancelled, deleted', async () => {
      const client = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token });
      const frames: JobsFrame[] = [];
      const waiters: Array<() => void> = [];
      const stream = streamJobChanges({ baseUrl: server.baseUrl, token: server.token }, (frame) => {
        frames.push(frame);
        waiters.splice(0).forEach((wake) => wake());
      });
      const seen = new Set<string>();
      /** Waits until a frame has named `id` (frames coalesce, so one may name several jobs). */
      const named = async (id: string) => {
        for (const deadline = Date.now() + 10_000; !frames.some((f) => f.queue_ids.includes(id));) {
          if (Date.now() > deadline) throw new Error(`no frame named ${id}: ${JSON.stringify(frames)}`);
          await new Promise<void>((wake) => {
            waiters.push(wake);
            setTimeout(wake, 200);
          });
        }
        seen.add(id);
        frames.splice(0);
      };
      try {
        await new Promise<void>((wake) => (frames.length ? wake() : waiters.push(wake)));
        expect(frames.shift()).toEqual({ type: 'jobs', queue_ids: [] });

        const { data: quick } = await submitJob({
          client,
          body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
        });
        await named(quick.queue_id); // queued (and, soon after, started and finished)
        await new Promise<void>((wake) => {
          const poll = async () =>
            (await getJob({ client, path: { queue_id: quick.queue_id } })).data.status === 'done'
              ? wake()
              : setTimeout(() => void poll(), 50);
          void poll();
        });
        await deleteJob({ client, path: { queue_id: quick.queue_id } });
        await named(quick.queue_id); // deleted

        // Paused, the queued item only ever gets two changes: queued, then cancelled.
        await setScheduler({ client, body: { enabled: false } });
        const { data: waiting } = await submitJob({
          client,
          body: { job_type: 'command', requested_gpus: 2, job_params: { argv: ['sleep', '30'] } },
        });
        await named(waiting.queue_id);
        await cancelQueueItem({ client, path: { queue_id: waiting.queue_id } });
        await named(waiting.queue_id);
        await setScheduler({ client, body: { enabled: true } });
        expect(seen.size).toBe(2);
      } finally {
        stream.close();
      }
      expect((await stream.closed).code).toBe(1000);
    });

    it("streams a frame when a queued item's pending reason changes: paused or resumed (no ids), a GPU disabled (its id)", async () => {
      const client = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token });
      const frames: JobsFrame[] = [];
      const stream = streamJobChanges({ baseUrl: server.baseUrl, token: server.token }, (f) =>
        frames.push(f),
      );
      /** The frames that came once nothing has come for 400 ms (frames are coalesced 100 ms apart). */
      const settled = async (): Promise<JobsFrame[]> => {
        for (let seen = -1; seen !== frames.length;) {
          seen = frames.length;
          await new Promise((wake) => setTimeout(wake, 400));
        }
        return frames.splice(0);
      };
      const { data: holder } = await submitJob({
        client,
        body: { job_type: 'command', requested_gpus: 2, job_params: { argv: ['sleep', '30'] } },
      });
      const { data: waiting } = await submitJob({
        client,
        body: { job_type: 'command', requested_gpus: 2, job_params: { argv: ['true'] } },
      });
      try {
        await settled();
        // Nothing is journaled for a job here; each is a change of what the queue view shows.
        await setScheduler({ client, body: { enabled: false } });
        expect(await settled()).toEqual([{ type: 'jobs', queue_ids: [] }]);
        await setScheduler({ client, body: { enabled: true } });
        // Placed again: its own reason is back, and named.
        expect((await settled()).flatMap((f) => f.queue_ids)).toContain(waiting.queue_id);
        await setGpuPolicy({ client, path: { index: 1 }, body: { disabled: true } });
        const named = (await settled()).flatMap((f) => f.queue_ids);
        expect(named).toContain(waiting.queue_id);
        const { data: queue } = await listQueue({ client });
        expect(queue.items.find((i) => i.queue_id === waiting.queue_id)?.pending_reason).toMatch(
          /GPU 1 disabled/,
        );
      } finally {
        stream.close();
        await setGpuPolicy({ client, path: { index: 1 }, body: { disabled: false } });
        await cancelQueueItem({ client, path: { queue_id: waiting.queue_id } });
        await cancelQueueItem({ client, path: { queue_id: holder.queue_id } });
      }
    });

    it('throws typed errors: API errors with status and code, unreachable servers, refused stream upgrades', async () => {
      const client = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token });
      const missing = await getJob({ client, path: { queue_id: 'q_1234567890123_deadbeef' } }).catch(
        (e) => e,
      );
      expect(missing).toBeInstanceOf(TrainyardApiError);
      expect(missing).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });

      const invalid = await submitJob({
        client,
        body: { job_type: 'command', requested_gpus: 3, job_params: { argv: ['true'] } },
      }).catch((e) => e);
      expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(invalid.details.map((d: { field: string }) => d.field)).toContain('requested_gpus');

      const anonymous = createTrainyardClient({ baseUrl: server.baseUrl });
      await expect(listGpus({ client: anonymous })).rejects.toMatchObject({ status: 401 });

      const down = createTrainyardClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, token: 'x' });
      await expect(listGpus({ client: down })).rejects.toBeInstanceOf(TrainyardConnectionError);

      const refused = streamJobLog('q_1234567890123_deadbeef', { baseUrl: server.baseUrl, token: 'wrong' });
      await expect(refused.closed).rejects.toMatchObject({ name: 'TrainyardApiError', status: 401 });
    });
  });
});
