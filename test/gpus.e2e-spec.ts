import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WebSocket } from 'ws';
import { request } from './support/http';
import { cliEnv, runCli } from './support/cli';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

const REPLAY = join(__dirname, 'fixtures', 'nvidia-smi', 'replay.sh');
/** Fake GPU 1's card: a policy set on it names it. */
const FAKE_UUID_1 = 'GPU-fake-0000-0000-0000-000000000001';

type Running = ChildProcess & { pid: number };

const KILL_GPU = 37;

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A WebSocket whose JSON frames can be awaited one condition at a time. */
async function openStream(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const frames: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(false);
    frames.push(JSON.parse(data.toString('utf8')));
    waiters.splice(0).forEach((wake) => wake());
  });
  await once(ws, 'open');
  let consumed = 0;
  return {
    ws,
    /** Resolves with the first frame not yet consumed that satisfies `match`. */
    next: (match: (frame: any) => boolean, timeoutMs: number): Promise<any> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching frame within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = (): void => {
          while (consumed < frames.length) {
            const frame = frames[consumed++];
            if (match(frame)) {
              clearTimeout(timer);
              resolve(frame);
              return;
            }
          }
          waiters.push(check);
        };
        check();
      }),
    close: async (): Promise<void> => {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = once(ws, 'close');
      ws.close();
      await closed;
    },
  };
}

describe('GPUs (e2e)', () => {
  describe('with --fake-gpus 4', () => {
    let server: InProcessServer;
    let base: string;
    let token: string;

    beforeAll(async () => {
      server = await startInProcessServer({ argv: ['--fake-gpus', '4'] });
      ({ baseUrl: base, token } = server);
    });
    afterAll(() => server.close(true));

    it('lists 4 fake GPUs with telemetry, processes and default policy', async () => {
      const answer = await request(base, 'GET', '/api/gpus', { token });

      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ provider: 'fake', state: 'ok', message: null });
      expect(Date.parse(answer.body.collected_at)).not.toBeNaN();
      expect(answer.body.gpus.map((g: any) => g.index)).toEqual([0, 1, 2, 3]);
      for (const gpu of answer.body.gpus) {
        expect(gpu).toMatchObject({
          name: 'Trainyard Fake GPU',
          memory_total_mib: 81920,
          fan_speed_percent: null,
          processes: expect.any(Array),
          excluded: false,
          disabled: false,
          min_priority: null,
          reserved_by: null,
        });
      }
    });

    it('needs credentials', async () => {
      expect((await request(base, 'GET', '/api/gpus')).status).toBe(401);
    });

    it('answers every known GPU policy, defaults included', async () => {
      const answer = await request(base, 'GET', '/api/gpus/policy', { token });

      expect(answer.status).toBe(200);
      const defaults = { disabled: false, min_priority: null };
      expect(answer.body).toEqual({ 0: defaults, 1: defaults, 2: defaults, 3: defaults });
    });

    it('applies a partial policy update and journals it', async () => {
      const first = await request(base, 'POST', '/api/gpus/1/policy', { token, body: { min_priority: -5 } });
      const second = await request(base, 'POST', '/api/gpus/1/policy', { token, body: { disabled: true } });

      expect(first.status).toBe(200);
      expect(first.body).toEqual({ disabled: false, min_priority: -5 });
      expect(second.body).toEqual({ disabled: true, min_priority: -5 });
      const listed = await request(base, 'GET', '/api/gpus', { token });
      expect(listed.body.gpus[1]).toMatchObject({ disabled: true, min_priority: -5 });
      expect((await request(base, 'GET', '/api/gpus/policy', { token })).body[1]).toEqual({
        disabled: true,
        min_priority: -5,
      });
      const journal = await request(base, 'GET', '/api/journal?limit=1000', { token });
      const changes = journal.body.items.filter((e: any) => e.type === 'gpu.policy_changed.v3');
      expect(changes.map((e: any) => e.payload)).toEqual([
        {
          gpu_index: 1,
          gpu_uuid: FAKE_UUID_1,
          disabled: false,
          min_priority: -5,
          updated_at: expect.any(String),
        },
        {
          gpu_index: 1,
          gpu_uuid: FAKE_UUID_1,
          disabled: true,
          min_priority: -5,
          updated_at: expect.any(String),
        },
      ]);
    });

    it('answers 404 GPU_NOT_FOUND naming the GPUs that exist', async () => {
      const answer = await request(base, 'POST', '/api/gpus/7/policy', { token, body: { disabled: true } });

      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        code: 'GPU_NOT_FOUND',
        message: expect.stringContaining('GPUs 0, 1, 2, 3'),
        details: { gpu_index: 7, known_indices: [0, 1, 2, 3] },
      });
    });

    it.each([
      ['/api/gpus/1/policy', { min_priority: 1.5 }, ['min_priority']],
      ['/api/gpus/1/policy', { min_priority: 2_000_000 }, ['min_priority']],
      ['/api/gpus/1/policy', { min_priority: '3' }, ['min_priority']],
      ['/api/gpus/1/policy', { disabled: 'yes' }, ['disabled']],
      ['/api/gpus/1/policy', { disabled: true, surprise: 1 }, ['surprise']],
      ['/api/gpus/1/policy', {}, ['disabled', 'min_priority']],
      ['/api/gpus/abc/policy', { disabled: true }, ['index']],
      ['/api/gpus/1.5/policy', { disabled: true }, ['index']],
      ['/api/gpus/-1/policy', { disabled: true }, ['index']],
      ['/api/gpus/x/kill', { confirmed: true }, ['index']],
      ['/api/gpus/1/kill', { confirmed: 'yes' }, ['confirmed']],
    ])('POST %s %j → 400 naming %j', async (path, body, fields) => {
      const answer = await request(base, 'POST', path, { token, body });

      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect([...new Set(answer.body.details.map((d: any) => d.field))].sort()).toEqual(fields);
      for (const field of fields) expect(answer.body.message).toContain(field);
    });

    it('streams the GPUs on connect and a policy change within a second', async () => {
      const stream = await openStream(`${base.replace('http', 'ws')}/api/gpus/stream`, token);
      try {
        const first = await stream.next(() => true, 5000);
        expect(first).toMatchObject({ type: 'gpus', provider: 'fake', state: 'ok' });
        expect(first.gpus).toHaveLength(4);
        expect(first.gpus[3].min_priority).toBe(null);

        const changed = await request(base, 'POST', '/api/gpus/3/policy', {
          token,
          body: { min_priority: 9 },
        });
        expect(changed.status).toBe(200);

        const frame = await stream.next((f) => f.gpus[3]?.min_priority === 9, 1000);
        expect(frame.gpus[3]).toMatchObject({ index: 3, disabled: false, min_priority: 9 });
      } finally {
        await stream.close();
      }
    });

    it('refuses a WebSocket without credentials', async () => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/gpus/stream`);
      ws.on('error', () => undefined);
      const [, response] = await once(ws, 'unexpected-response');
      expect((response as { statusCode: number }).statusCode).toBe(401);
      ws.terminate();
    });

    it('answers 404 when killing on an unknown GPU', async () => {
      const answer = await request(base, 'POST', '/api/gpus/4/kill', { token, body: { confirmed: true } });

      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('GPU_NOT_FOUND');
    });

    it('exports per-GPU gauges on /metrics', async () => {
      const answer = await request(base, 'GET', '/metrics', { token });

      for (const gpu of ['0', '1', '2', '3']) {
        expect(answer.text).toMatch(new RegExp(`trainyard_gpu_utilization_percent\\{gpu="${gpu}"\\} \\d+`));
        expect(answer.text).toContain(
          `trainyard_gpu_memory_total_bytes{gpu="${gpu}"} ${81920 * 1024 * 1024}`,
        );
      }
      expect(answer.text).toContain('trainyard_gpu_collection_errors_total 0');
      // Its use, for alerts: disabled, gated, held; and the provider's state.
      expect(answer.text).toContain('trainyard_gpu_disabled{gpu="3"} 0');
      expect(answer.text).toMatch(/trainyard_gpu_reserved\{gpu="0"\} [01]/);
      expect(answer.text).toContain('trainyard_gpu_provider_state{provider="fake",state="ok"} 1');
    });
  });

  // A GPU index no other test (nor the fake provider's own specs, running in parallel workers) puts
  // in CUDA_VISIBLE_DEVICES.
  it('shows a job process on its GPU and kills it only with confirmation', async () => {
    const server = await startInProcessServer({ argv: ['--fake-gpus', String(KILL_GPU + 1)] });
    const child = spawn('sleep', ['60'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CUDA_VISIBLE_DEVICES: String(KILL_GPU),
        TRAINYARD_JOB_ID: 'q_test',
        // What makes it one of this server's jobs (with its uid).
        TRAINYARD_NODE_ID: readFileSync(join(server.home, 'node_id'), 'utf8').trim(),
      },
      stdio: 'ignore',
    }) as Running;
    const exited = once(child, 'exit');
    // Another Trainyard server's job on its own fake GPU of that index: not on this server's fake
    // GPU, so neither listed nor killed (a process of no job that names it is: test/gpu-attribution).
    const strangers = [
      spawn('sleep', ['60'], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          CUDA_VISIBLE_DEVICES: String(KILL_GPU),
          TRAINYARD_JOB_ID: 'q_other',
          TRAINYARD_NODE_ID: 'another-server',
        },
        stdio: 'ignore',
      }) as Running,
    ];
    try {
      await Promise.all([child, ...strangers].map((c) => once(c, 'spawn')));
      const { baseUrl: base, token } = server;
      const killPath = `/api/gpus/${KILL_GPU}/kill`;

      const listed = await until(async () => {
        const answer = await request(base, 'GET', '/api/gpus', { token });
        return answer.body.gpus[KILL_GPU].processes.find((p: any) => p.pid === child.pid);
      }, 'the sleep to show on its GPU');
      expect(listed).toMatchObject({ pid: child.pid, process_name: 'sleep', job_id: 'q_test' });

      const unconfirmed = await request(base, 'POST', killPath, { token, body: {} });
      expect(unconfirmed.status).toBe(400);
      expect(unconfirmed.body).toMatchObject({
        code: 'CONFIRMATION_REQUIRED',
        details: { gpu_index: KILL_GPU, pids: expect.arrayContaining([child.pid]) },
      });
      const declined = await request(base, 'POST', killPath, { token, body: { confirmed: false } });
      expect(declined.body.code).toBe('CONFIRMATION_REQUIRED');
      expect(child.exitCode).toBeNull();
      expect(child.signalCode).toBeNull();

      const killed = await request(base, 'POST', killPath, { token, body: { confirmed: true } });

      expect(killed.status).toBe(200);
      expect(killed.body.gpu_index).toBe(KILL_GPU);
      expect(killed.body.pids).toContain(child.pid);
      expect(killed.body.killed).toContain(child.pid);
      expect(killed.body.failed.map((f: any) => f.pid)).not.toContain(child.pid);
      expect(killed.body.killed).not.toContain(process.pid);
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');
      for (const stranger of strangers) {
        expect(killed.body.pids).not.toContain(stranger.pid);
        expect(stranger.exitCode).toBeNull();
        expect(stranger.signalCode).toBeNull();
      }
      const after = await request(base, 'GET', '/api/gpus', { token });
      expect(after.body.gpus[KILL_GPU].processes.map((p: any) => p.pid)).not.toContain(child.pid);
      // The server (this very process) is of course still answering.
      expect((await request(base, 'GET', '/api/health')).status).toBe(200);

      const journal = await request(base, 'GET', '/api/journal?limit=1000', { token });
      const entry = journal.body.items.find((e: any) => e.type === 'gpu.processes_killed.v1');
      expect(entry.payload).toMatchObject({ gpu_index: KILL_GPU, killed: [child.pid] });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const stranger of strangers) stranger.kill('SIGKILL');
      await exited;
      await server.close(true);
    }
  });

  it('keeps policies across a restart on the same home', async () => {
    const first = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    try {
      const set = await request(first.baseUrl, 'POST', '/api/gpus/0/policy', {
        token: first.token,
        body: { disabled: true },
      });
      expect(set.status).toBe(200);
    } finally {
      await first.close();
    }

    const second = await startInProcessServer({ argv: ['--fake-gpus', '2'], home: first.home });
    try {
      const policies = await request(second.baseUrl, 'GET', '/api/gpus/policy', { token: second.token });
      expect(policies.body).toEqual({
        0: { disabled: true, min_priority: null },
        1: { disabled: false, min_priority: null },
      });
      const listed = await request(second.baseUrl, 'GET', '/api/gpus', { token: second.token });
      expect(listed.body.gpus[0]).toMatchObject({ disabled: true, min_priority: null });
      const journal = await request(second.baseUrl, 'GET', '/api/journal?limit=1000', {
        token: second.token,
      });
      expect(journal.body.items).toContainEqual(
        expect.objectContaining({
          type: 'gpu.policy_changed.v3',
          payload: {
            gpu_index: 0,
            gpu_uuid: 'GPU-fake-0000-0000-0000-000000000000',
            disabled: true,
            min_priority: null,
            updated_at: expect.any(String),
          },
        }),
      );
    } finally {
      await second.close(true);
    }
  });

  it("excludes the GPUs the server's CUDA_VISIBLE_DEVICES hides", async () => {
    const server = await startInProcessServer({
      argv: ['--fake-gpus', '4'],
      env: { CUDA_VISIBLE_DEVICES: '3,1' },
    });
    try {
      const answer = await request(server.baseUrl, 'GET', '/api/gpus', { token: server.token });
      expect(answer.body.gpus.map((g: any) => [g.index, g.excluded])).toEqual([
        [0, true],
        [1, false],
        [2, true],
        [3, false],
      ]);
    } finally {
      await server.close(true);
    }
  });

  describe('with nvidia-smi (recorded answers)', () => {
    const saved = { gpu: process.env.TRAINYARD_SMI_GPU, apps: process.env.TRAINYARD_SMI_APPS };
    const restore = (name: string, value: string | undefined): void => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    afterEach(() => {
      restore('TRAINYARD_SMI_GPU', saved.gpu);
      restore('TRAINYARD_SMI_APPS', saved.apps);
    });

    /** The provider's child inherits this process's environment; the config only names the binary. */
    const replaying = (gpu: string, apps: string, home?: string): Promise<InProcessServer> => {
      process.env.TRAINYARD_SMI_GPU = gpu;
      process.env.TRAINYARD_SMI_APPS = apps;
      return startInProcessServer({ env: { TRAINYARD_NVIDIA_SMI: REPLAY }, home });
    };

    it('keeps a policy with the card it was set on when the GPUs are numbered anew (a card removed)', async () => {
      // Two cards; GPU 1's is disabled (failing). Then GPU 0's card is taken out: the other card is GPU 0.
      const dir = mkdtempSync(join(tmpdir(), 'smi-renumbered-'));
      const [first, second] = readFileSync(join(dirname(REPLAY), 'query-gpu-2x-mixed.txt'), 'utf8')
        .trim()
        .split('\n');
      writeFileSync(join(dir, 'two.txt'), `${first}\n${second}\n`);
      writeFileSync(join(dir, 'one.txt'), `${second.replace(/^1,/, '0,')}\n`);
      writeFileSync(join(dir, 'apps.txt'), '');
      const savedDir = process.env.TRAINYARD_SMI_FIXTURE_DIR;
      process.env.TRAINYARD_SMI_FIXTURE_DIR = dir;
      const card = (line: string) => line.split(', ')[1];
      try {
        const before = await replaying('two', 'apps');
        try {
          const set = await request(before.baseUrl, 'POST', '/api/gpus/1/policy', {
            token: before.token,
            body: { disabled: true },
          });
          expect(set.status).toBe(200);
        } finally {
          await before.close();
        }
        const after = await replaying('one', 'apps', before.home);
        try {
          const { body } = await request(after.baseUrl, 'GET', '/api/gpus', { token: after.token });
          // Before: the policy stayed with index 1, which no card has now, and the failing card was placed on.
          expect(body.gpus.map((g: any) => [g.index, g.uuid, g.disabled])).toEqual([[0, card(second), true]]);
        } finally {
          await after.close();
          rmSync(before.home, { recursive: true, force: true });
        }
      } finally {
        restore('TRAINYARD_SMI_FIXTURE_DIR', savedDir);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers 200 with state no_driver and the driver message', async () => {
      const server = await replaying('query-gpu-nodriver', 'compute-apps-idle');
      try {
        const answer = await request(server.baseUrl, 'GET', '/api/gpus', { token: server.token });

        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ provider: 'nvidia-smi', state: 'no_driver', gpus: [] });
        expect(answer.body.message).toContain("couldn't communicate with the NVIDIA driver");
        const policy = await request(server.baseUrl, 'POST', '/api/gpus/0/policy', {
          token: server.token,
          body: { disabled: true },
        });
        expect(policy.status).toBe(404);
        expect(policy.body.message).toMatch(/no GPUs right now \(no_driver/);
        const metrics = await request(server.baseUrl, 'GET', '/metrics', { token: server.token });
        expect(metrics.text).toMatch(/trainyard_gpu_collection_errors_total [1-9]/);
        expect(metrics.text).not.toMatch(/trainyard_gpu_utilization_percent\{/);
      } finally {
        await server.close(true);
      }
    });

    it("keeps each GPU's policy series and every provider state in /metrics while nvidia-smi fails", async () => {
      const server = await replaying('query-gpu-h100-idle', 'compute-apps-idle');
      try {
        const get = (path: string) => request(server.baseUrl, 'GET', path, { token: server.token });
        const policy = await request(server.baseUrl, 'POST', '/api/gpus/0/policy', {
          token: server.token,
          body: { disabled: true },
        });
        expect(policy.status).toBe(200);
        process.env.TRAINYARD_SMI_GPU = 'query-gpu-nodriver'; // the driver goes away
        await until(
          async () => ((await get('/api/gpus')).body.state === 'no_driver' ? true : undefined),
          'the provider to report no_driver',
          10_000,
        );
        const metrics = (await get('/metrics')).text;
        // An alert on `disabled == 1` or on the provider's state still has its series.
        expect(metrics).toContain('trainyard_gpu_disabled{gpu="0"} 1');
        expect(metrics).toContain('trainyard_gpu_reserved{gpu="0"} 0');
        expect(metrics).toContain('trainyard_gpu_provider_state{provider="nvidia-smi",state="ok"} 0');
        expect(metrics).toContain('trainyard_gpu_provider_state{provider="nvidia-smi",state="no_driver"} 1');
      } finally {
        await server.close(true);
      }
    });

    it('lists a busy H100 with its 3 processes, absent readings as null, and exports its gauges', async () => {
      const server = await replaying('query-gpu-h100-load', 'compute-apps-h100-busy');
      try {
        const answer = await request(server.baseUrl, 'GET', '/api/gpus', { token: server.token });

        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ provider: 'nvidia-smi', state: 'ok', message: null });
        expect(answer.body.gpus).toHaveLength(1);
        const [gpu] = answer.body.gpus;
        expect(gpu).toMatchObject({
          index: 0,
          name: 'NVIDIA H100 80GB HBM3',
          utilization_gpu: 100,
          fan_speed_percent: null,
          excluded: false,
          disabled: false,
          min_priority: null,
          reserved_by: null,
        });
        expect(gpu.processes.map((p: any) => [p.pid, p.process_name, p.used_memory_mib])).toEqual([
          [11327, '/root/tools/memhog', 2566],
          [11328, '/root/tools/memhog', 1542],
          [11345, './gpu_burn', 15690],
        ]);

        // Nothing of Trainyard's runs there, so the scheduler may place a job on it (README "GPUs"),
        // but the CLI does not call a GPU at 100 % with three programs on it idle.
        const cli = await runCli(['gpu', 'status'], cliEnv(server, server.home));
        expect(cli.code).toBe(0);
        const row = cli.stdout.split('\n').find((line) => /^\s*0\s/.test(line));
        expect(row).toMatch(/used outside Trainyard \(3 processes\)\s+-\s+100%/);
        expect(row).not.toMatch(/\bidle\b/);

        const metrics = await request(server.baseUrl, 'GET', '/metrics', { token: server.token });
        expect(metrics.text).toContain('trainyard_gpu_utilization_percent{gpu="0"} 100');
        expect(metrics.text).toContain(`trainyard_gpu_memory_used_bytes{gpu="0"} ${19818 * 1024 * 1024}`);
        expect(metrics.text).toContain('trainyard_gpu_power_watts{gpu="0"} 631.95');
        expect(metrics.text).toContain('trainyard_gpu_collection_errors_total 0');
      } finally {
        await server.close(true);
      }
    });
  });
});
