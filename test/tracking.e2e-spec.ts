import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Database } from '@trainyard/database';
import { HardwareSampler } from '@trainyard/tracking';
import { jobsApi } from './support/api';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

const CLIENT_DIR = resolve(__dirname, '..', 'clients', 'python');
const MAKE_GOODSEED_RUN = resolve(__dirname, 'fixtures', 'goodseed', 'make_run.py');

/** Run tracking against the real server: real SQLite, real HTTP, a real job running the Python client. */
describe('run tracking (e2e)', () => {
  let work: string;
  let server: InProcessServer;
  const call = (method: string, path: string, body?: unknown, token = server.token) =>
    request(server.baseUrl, method, path, { token, body });
  /** A run's configs as `{path: [type_tag, value]}`, from GET /api/runs/{id}. */
  const configsOf = (detail: { configs: Array<{ path: string; type_tag: string; value: unknown }> }) =>
    Object.fromEntries(detail.configs.map((c) => [c.path, [c.type_tag, c.value]]));
  const newRun = async (body: Record<string, unknown> = {}) =>
    (await call('POST', '/api/runs', body)).body.run_id as string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ty-tracking-'));
    execFileSync('python3', [MAKE_GOODSEED_RUN, join(work, 'gs'), 'ws/proj', 'bold-falcon', '100']);
    // A run file reached through a symlink out of the projects directory must not be served.
    mkdirSync(join(work, 'outside', 'runs'), { recursive: true });
    execFileSync('python3', [MAKE_GOODSEED_RUN, join(work, 'out'), 'p', 'secret', '5']);
    symlinkSync(join(work, 'out', 'projects', 'p'), join(work, 'gs', 'projects', 'linked'));
    server = await startInProcessServer({ argv: ['--goodseed-dir', join(work, 'gs'), '--fake-gpus', '1'] });
  });
  afterAll(async () => {
    await server?.close(true);
    rmSync(work, { recursive: true, force: true });
  });

  it('ingests metrics, overwrites the same path+step and keeps NaN/±Infinity', async () => {
    const runId = await newRun({ name: 'ingest', project: 'demo' });
    expect(runId).toMatch(/^[A-Za-z0-9_-]+$/);
    const first = await call('POST', `/api/runs/${runId}/log`, {
      metrics: [
        { path: 'loss', step: 0, value: 1 },
        { path: 'loss', step: 1, value: 'NaN' },
        { path: 'loss', step: 2, value: 'Infinity' },
        { path: 'loss', step: 3, value: '-Infinity' },
        { path: 'acc', step: 0, value: 0.5 },
      ],
      strings: [{ path: 'notes', step: 0, value: 'first' }],
      configs: {
        lr: 0.001,
        layers: 4,
        name: 'x',
        on: true,
        nothing: null,
        tags: ['b', 'a'],
        f1: { type_tag: 'float', value: 1 },
        when: { type_tag: 'datetime', value: '2025-01-02T03:04:05Z' },
      },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ metrics: 5, strings: 1, configs: 8 });
    await call('POST', `/api/runs/${runId}/log`, {
      metrics: [{ path: 'loss', step: 0, value: 0.25 }],
      strings: [{ path: 'notes', step: 0, value: 'second' }],
    });

    const series = await call('GET', `/api/runs/${runId}/metrics?path=loss`);
    expect(series.body).toEqual({
      path: 'loss',
      downsampled: false,
      points: [
        { step: 0, y: 0.25 },
        { step: 1, y: 'NaN' },
        { step: 2, y: 'Infinity' },
        { step: 3, y: '-Infinity' },
      ],
    });
    expect((await call('GET', `/api/runs/${runId}/metric-paths`)).body).toEqual({ paths: ['acc', 'loss'] });
    expect((await call('GET', `/api/runs/${runId}/strings?path=notes`)).body).toEqual({
      points: [{ path: 'notes', step: 0, value: 'second' }],
      total: 1,
    });
    const detail = (await call('GET', `/api/runs/${runId}`)).body;
    expect(detail).toMatchObject({
      run_id: runId,
      name: 'ingest',
      project: 'demo',
      status: 'running',
      source: 'trainyard',
    });
    expect(configsOf(detail)).toEqual({
      lr: ['float', 0.001],
      layers: ['int', 4],
      name: ['str', 'x'],
      on: ['bool', true],
      nothing: ['null', null],
      tags: ['string_set', ['a', 'b']],
      f1: ['float', 1],
      when: ['datetime', '2025-01-02T03:04:05Z'],
    });
    expect((await call('POST', `/api/runs/${runId}/log`, { status: 'finished' })).status).toBe(200);
    expect(
      (await call('GET', `/api/runs?status=finished&project=demo`)).body.map(
        (r: { run_id: string }) => r.run_id,
      ),
    ).toEqual([runId]);
    const journal = (await call('GET', '/api/journal?area=run&order=asc&limit=100')).body.items as Array<{
      type: string;
      payload: { run_id: string; name?: string | null };
    }>;
    const entries = journal.filter((e) => e.payload.run_id === runId);
    expect(entries.map((e) => e.type)).toEqual(['run.created.v1', 'run.status_changed.v1']);
    // The change names the run, for the activity log.
    expect(entries[1].payload).toMatchObject({ run_id: runId, name: 'ingest', status: 'finished' });
  });

  it('keeps a list that is not all strings as its JSON text (the whole batch was refused)', async () => {
    const runId = await newRun({ name: 'lists' });
    const answer = await call('POST', `/api/runs/${runId}/log`, {
      configs: { betas: [0.9, 0.999], mixed: [64, 'wide'], stages: [{ lr: 1 }], tags: ['a', 'b'], none: [] },
      metrics: [{ path: 'loss', step: 0, value: 1 }],
    });
    expect(answer.status).toBe(200);
    expect(configsOf((await call('GET', `/api/runs/${runId}`)).body)).toEqual({
      betas: ['str', '[0.9,0.999]'],
      mixed: ['str', '[64,"wide"]'],
      stages: ['str', '[{"lr":1}]'],
      tags: ['string_set', ['a', 'b']],
      none: ['string_set', []],
    });
    // A list stated to be a string_set must still be one.
    const refused = await call('POST', `/api/runs/${runId}/log`, {
      configs: { ids: { type_tag: 'string_set', value: [1, 2] } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0].field).toBe('configs.ids');
  });

  it('flattens nested configs to a/b paths, as the Python client does (a raw HTTP client sends them nested)', async () => {
    const runId = await newRun({ name: 'nested' });
    const answer = await call('POST', `/api/runs/${runId}/log`, {
      configs: {
        lr: 0.001,
        model: { layers: 4, optimizer: { name: 'adamw', warmup: { type_tag: 'float', value: 1 } } },
        empty: {},
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.configs).toBe(5);
    expect(configsOf((await call('GET', `/api/runs/${runId}`)).body)).toEqual({
      lr: ['float', 0.001],
      'model/layers': ['int', 4],
      'model/optimizer/name': ['str', 'adamw'],
      'model/optimizer/warmup': ['float', 1],
      // An empty section is kept as its JSON text (it was dropped without a word).
      empty: ['str', '{}'],
    });
    // Deeper than 16 levels is refused, naming the level, and nothing of the batch is written.
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const refused = await call('POST', `/api/runs/${runId}/log`, {
      configs: { deep },
      metrics: [{ path: 'x', step: 0, value: 1 }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0]).toMatchObject({
      field: `configs.deep${'.d'.repeat(15)}`,
      message: expect.stringContaining('nests deeper than 16 levels'),
    });
    expect((await call('GET', `/api/runs/${runId}/metric-paths`)).body.paths).toEqual([]);
  });

  it('downsamples server side: the known answer', async () => {
    const runId = await newRun();
    const metrics = Array.from({ length: 100 }, (_, step) => ({ path: 'y', step, value: step }));
    await call('POST', `/api/runs/${runId}/log`, { metrics });
    const answer = await call('GET', `/api/runs/${runId}/metrics?path=y&point_count=10`);
    expect(answer.body.downsampled).toBe(true);
    expect(answer.body.points.map((p: { step: number }) => p.step)).toEqual([
      0, 7.5, 23.5, 39.5, 55.5, 71.5, 87.5, 97.5, 99,
    ]);
    expect(answer.body.points[1]).toEqual({ step: 7.5, y: 7.5, min_y: 0, max_y: 15 });
    const zoomed = await call('GET', `/api/runs/${runId}/metrics?path=y&step_min=10&step_max=12`);
    expect(zoomed.body.points.map((p: { step: number }) => p.step)).toEqual([10, 11, 12]);
    // A range turned around is a mistake to name, not an empty chart (before: 200 with no points).
    const reversed = await call('GET', `/api/runs/${runId}/metrics?path=y&step_min=12&step_max=10`);
    expect([reversed.status, reversed.body.details[0].field]).toEqual([400, 'step_max']);
  });

  it('a bucket without a finite value travels as NaN/±Infinity, as a single point does (before: y, min_y, max_y null)', async () => {
    const runId = await newRun();
    const metrics = Array.from({ length: 10 }, (_, step) => ({ path: 'y', step, value: 'NaN' }));
    metrics.push(...[10, 11, 12, 13].map((step) => ({ path: 'up', step, value: 'Infinity' })));
    await call('POST', `/api/runs/${runId}/log`, { metrics });
    // k = 8: buckets [0..7] and [8, 9] between the bookends.
    expect((await call('GET', `/api/runs/${runId}/metrics?path=y&point_count=2`)).body).toEqual({
      path: 'y',
      downsampled: true,
      points: [
        { step: 0, y: 'NaN' },
        { step: 3.5, y: 'NaN', min_y: 'NaN', max_y: 'NaN', nonfinite: 8 },
        { step: 8.5, y: 'NaN', min_y: 'NaN', max_y: 'NaN', nonfinite: 2 },
        { step: 9, y: 'NaN' },
      ],
    });
    const up = (await call('GET', `/api/runs/${runId}/metrics?path=up&point_count=1`)).body.points;
    expect(up[1]).toEqual({ step: 11.5, y: 'Infinity', min_y: 'Infinity', max_y: 'Infinity', nonfinite: 4 });
  });

  it('refuses bad batches: 400 naming the field, 413 past 10,000 points or 1 MiB', async () => {
    const runId = await newRun();
    const bad = await call('POST', `/api/runs/${runId}/log`, {
      metrics: [
        { path: 'a', step: 0, value: 1 },
        { path: 'a', step: 'x', value: 1 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('metrics[1].step');
    for (const [body, field] of [
      [{ metrics: [{ path: '', step: 0, value: 1 }] }, 'metrics[0].path'],
      [{ metrics: [{ path: 'a', step: 0, value: 'nan' }] }, 'metrics[0].value'],
      [{ metrics: [{ path: 'a', step: 2 ** 53, value: 1 }] }, 'metrics[0].step'],
      [{ strings: [{ path: 'a', step: -(2 ** 53), value: 'x' }] }, 'strings[0].step'],
      [{ metrics: [{ path: 'sys/gpu0/utilization', step: 0, value: 50 }] }, 'metrics[0].path'],
      [{ strings: [{ path: 'a', step: 0, value: 3 }] }, 'strings[0].value'],
      [{ configs: { x: { type_tag: 'int', value: 1.5 } } }, 'configs.x'],
      [{ configs: { model: { layers: { type_tag: 'int', value: 1.5 } } } }, 'configs.model.layers'],
      [{ configs: { x: { type_tag: 'bogus', value: 1 } } }, 'configs.x'],
      [{ status: 'done' }, 'status'],
      [{ extra: 1 }, 'extra'],
    ] as const) {
      const answer = await call('POST', `/api/runs/${runId}/log`, body);
      expect([answer.status, answer.body.details?.[0]?.field]).toEqual([400, field]);
    }
    // Nothing of a refused batch is written.
    expect((await call('GET', `/api/runs/${runId}/metric-paths`)).body.paths).toEqual([]);
    const many = Array.from({ length: 10_001 }, (_, step) => ({ path: 'a', step, value: 1 }));
    const tooMany = await call('POST', `/api/runs/${runId}/log`, { metrics: many });
    expect([tooMany.status, tooMany.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const big = await call('POST', `/api/runs/${runId}/log`, {
      strings: [{ path: 'a', step: 0, value: 'x'.repeat(1024 * 1024) }],
    });
    expect(big.status).toBe(413);
    expect((await call('POST', '/api/runs/r_0_nothere/log', { metrics: [] })).status).toBe(404);
  });

  it('deletes a run with its points, strings and configs; not a running job’s run, nor a goodseed run', async () => {
    const runId = await newRun({ name: 'to delete', project: 'cleanup' });
    // Closed like every route: no credentials, or a wrong token, deletes nothing.
    expect((await call('DELETE', `/api/runs/${runId}`, undefined, '')).status).toBe(401);
    expect((await call('DELETE', `/api/runs/${runId}`, undefined, 'not-the-token')).status).toBe(401);
    const batch = {
      metrics: [0, 1, 2].map((step) => ({ path: 'loss', step, value: 1 / (step + 1) })),
      strings: [{ path: 'note', step: 0, value: 'hello' }],
      configs: { lr: 0.1 },
    };
    expect((await call('POST', `/api/runs/${runId}/log`, batch)).status).toBe(200);
    expect((await call('GET', `/api/runs/${runId}/metrics?path=loss`)).body.points).toHaveLength(3); // read once
    expect((await call('DELETE', `/api/runs/${runId}`)).status).toBe(204);
    for (const path of ['', '/metrics?path=loss', '/metric-paths', '/strings'])
      expect((await call('GET', `/api/runs/${runId}${path}`)).status).toBe(404);
    expect((await call('GET', '/api/runs?project=cleanup')).body).toEqual([]);
    expect((await call('DELETE', `/api/runs/${runId}`)).status).toBe(404);
    // Nothing of it is left in the telemetry tables either.
    const left = server.app
      .get(Database)
      .connection.prepare(
        `SELECT (SELECT COUNT(*) FROM run_metrics WHERE run_id = ?) + (SELECT COUNT(*) FROM run_strings WHERE run_id = ?) + (SELECT COUNT(*) FROM run_configs WHERE run_id = ?) AS n`,
      )
      .get(runId, runId, runId) as { n: number };
    expect(left.n).toBe(0);

    // A job's run: refused while the job may still log to it, deleted once the job has ended.
    const api = jobsApi(server.baseUrl, server.token);
    const job = (await api.command(['sleep', '30'])).body.queue_id as string;
    await api.waitStatus(job, ['running']);
    const jobRun = (await waitFor(async () => (await call('GET', `/api/runs?job=${job}`)).body[0], 'its run'))
      .run_id as string;
    const refused = await call('DELETE', `/api/runs/${jobRun}`);
    expect([refused.status, refused.body.message]).toEqual([409, expect.stringContaining(job)]);
    await call('POST', `/api/jobs/${job}/control/kill`);
    await api.waitStatus(job, ['aborted']);
    expect((await call('DELETE', `/api/runs/${jobRun}`)).status).toBe(204);

    // A goodseed run is a file: refused, and still listed.
    const gs = (await call('GET', '/api/runs')).body.find((r: { source: string }) => r.source === 'goodseed');
    expect((await call('DELETE', `/api/runs/${gs.run_id}`)).status).toBe(409);
    expect((await call('GET', `/api/runs/${gs.run_id}`)).status).toBe(200);
  });

  it('a job gets TRAINYARD_RUN_ID; its python3 process logs with the client; its token writes only its run', async () => {
    const api = jobsApi(server.baseUrl, server.token);
    const script = [
      'import os, sys, time',
      `sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})`,
      'from trainyard_tracking import Run',
      'print("RUN", os.environ["TRAINYARD_RUN_ID"], flush=True)',
      'print("TOKEN", open(os.environ["TRAINYARD_RUN_TOKEN_FILE"]).read().strip(), flush=True)',
      'with Run() as run:',
      '    run.log_configs({"model": {"layers": 2, "callbacks": {}}, "lr": 0.5})',
      '    for step in range(50):',
      '        run.log_metrics({"train/loss": 1.0 / (step + 1)}, step=step)',
      '    run.log_metrics({"train/loss": float("nan")}, step=50)',
      '    run.log("notes", "done", step=0)',
      'time.sleep(float(os.environ.get("LINGER", "0")))',
    ].join('\n');
    const { body: job } = await api.command(['python3', '-c', script], {
      requested_gpus: 1,
      env: { LINGER: '3' },
    });
    const log = await api.waitLog(job.queue_id, /TOKEN \S+/, 15_000);
    const runId = /RUN (\S+)/.exec(log)![1];
    const token = /TOKEN (\S+)/.exec(log)![1];
    const tokenFile = join(server.config.paths.secretsDir, `${job.queue_id}.run-token`);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);

    const series = await waitFor(
      async () => {
        const answer = await call('GET', `/api/runs/${runId}/metrics?path=train%2Floss`);
        return answer.body.points?.length === 51 ? answer.body : undefined;
      },
      'the job to log 51 points',
      15_000,
    );
    expect(series.points[0]).toEqual({ step: 0, y: 1 });
    expect(series.points[50]).toEqual({ step: 50, y: 'NaN' });
    await waitFor(
      async () => (await call('GET', `/api/runs/${runId}`)).body.status === 'finished',
      'the client to close the run',
    );
    expect((await call('GET', `/api/runs?job=${job.queue_id}`)).body).toMatchObject([
      { run_id: runId, job_id: job.queue_id },
    ]);
    // The client flattens as the server does: an empty section is the text {}, not dropped.
    expect(configsOf((await call('GET', `/api/runs/${runId}`)).body)).toEqual({
      'model/layers': ['int', 2],
      'model/callbacks': ['str', '{}'],
      lr: ['float', 0.5],
    });
    // The claim (queued → starting) and the job's run commit in one transaction: adjacent entries
    // of one record, one timestamp (before, the run took two more transactions of its own).
    const entries = (await call('GET', '/api/journal?order=asc&limit=1000')).body.items as Array<{
      seq: number;
      ts: string;
      type: string;
      payload: Record<string, unknown>;
    }>;
    const starting = entries.find((e) => e.type === 'job.starting.v1' && e.payload.queue_id === job.queue_id);
    const created = entries.find((e) => e.type === 'run.created.v1' && e.payload.run_id === runId);
    expect([created?.seq, created?.ts]).toEqual([starting!.seq + 1, starting!.ts]);

    // The job's GPU series, sampled from the (fake) GPU provider while the job runs.
    await server.app.get(HardwareSampler).sample();
    const paths = (await call('GET', `/api/runs/${runId}/metric-paths`)).body.paths as string[];
    // The client closed the run already (finished): sampling stops with it.
    expect(paths).toEqual(['train/loss']);

    // Token scoping: its own run's log route only.
    const other = await newRun();
    const own = await call(
      'POST',
      `/api/runs/${runId}/log`,
      { metrics: [{ path: 'extra', step: 0, value: 1 }] },
      token,
    );
    expect(own.status).toBe(200);
    const foreign = await call(
      'POST',
      `/api/runs/${other}/log`,
      { metrics: [{ path: 'x', step: 0, value: 1 }] },
      token,
    );
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
    for (const [method, path] of [
      ['GET', `/api/runs/${runId}`],
      ['GET', `/api/runs/${runId}/metrics?path=extra`],
      ['GET', '/api/queue'],
      ['POST', '/api/runs'],
      ['GET', '/api/journal'],
      // Its own run and another: a job's token never deletes a run.
      ['DELETE', `/api/runs/${runId}`],
      ['DELETE', `/api/runs/${other}`],
    ]) {
      expect([path, (await call(method, path, method === 'POST' ? {} : undefined, token)).status]).toEqual([
        path,
        401,
      ]);
    }
    // Not "not this server's token": it says what it is and where it is accepted.
    expect((await call('GET', '/api/jobs', undefined, token)).body.message).toBe(
      'The bearer token is a run’s ingest token, accepted only on POST /api/runs/{its run}/log, not this route',
    );
    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await call('POST', `/api/runs/${runId}/log`, {}, forged)).status).toBe(401);
    await api.waitStatus(job.queue_id, ['done'], 15_000);

    // After the job's end the run's status is final: a late `running` (its token is still good for
    // an hour) is refused, and nothing of that batch is written; metrics alone still go in.
    const late = await call(
      'POST',
      `/api/runs/${runId}/log`,
      { status: 'running', metrics: [{ path: 'late', step: 0, value: 1 }] },
      token,
    );
    expect([late.status, late.body.details]).toEqual([409, [expect.objectContaining({ field: 'status' })]]);
    expect((await call('GET', `/api/runs/${runId}`)).body.status).toBe('finished');
    expect((await call('GET', `/api/runs/${runId}/metric-paths`)).body.paths).not.toContain('late');
    expect(
      (
        await call(
          'POST',
          `/api/runs/${runId}/log`,
          { metrics: [{ path: 'late', step: 0, value: 1 }] },
          token,
        )
      ).status,
    ).toBe(200);
  });

  it('samples the GPU series of a running job into its run', async () => {
    const api = jobsApi(server.baseUrl, server.token);
    const { body: job } = await api.command(['sleep', '30'], { requested_gpus: 1 });
    await api.waitStatus(job.queue_id, ['running'], 15_000);
    const run = (await call('GET', `/api/runs?job=${job.queue_id}`)).body[0];
    await server.app.get(HardwareSampler).sample();
    const paths = (await call('GET', `/api/runs/${run.run_id}/metric-paths`)).body.paths as string[];
    expect(paths).toEqual(expect.arrayContaining(['sys/gpu0/memory_used_mib']));
    await api.call('POST', `/api/jobs/${job.queue_id}/control/kill`);
    await api.waitStatus(job.queue_id, ['aborted', 'failed', 'done'], 15_000);
    await waitFor(
      async () => (await call('GET', `/api/runs/${run.run_id}`)).body.status === 'aborted',
      'the run to be aborted with its job',
    );
  });

  it("says which runs something was logged to, and lists only those with logged=true (not a job's hardware series alone)", async () => {
    type Run = { run_id: string; logged: boolean; source: string };
    const logTo = (runId: string, body: unknown) => call('POST', `/api/runs/${runId}/log`, body);
    const [empty, metric, text, config] = [
      await newRun({ project: 'logged' }),
      await newRun({ project: 'logged' }),
      await newRun({ project: 'logged' }),
      await newRun({ project: 'logged' }),
    ];
    expect((await logTo(metric, { metrics: [{ path: 'loss', step: 0, value: 1 }] })).status).toBe(200);
    expect((await logTo(text, { strings: [{ path: 'sample', step: 0, value: 'hi' }] })).status).toBe(200);
    expect((await logTo(config, { configs: { lr: 0.1 } })).status).toBe(200);
    // A status alone logs nothing.
    expect((await logTo(empty, { status: 'finished' })).status).toBe(200);
    // A GPU job's run gets the hardware series without its program logging anything.
    const api = jobsApi(server.baseUrl, server.token);
    const { body: job } = await api.command(['sleep', '30'], { requested_gpus: 1 });
    await api.waitStatus(job.queue_id, ['running'], 15_000);
    const hardware = (await call('GET', `/api/runs?job=${job.queue_id}`)).body[0].run_id as string;
    await server.app.get(HardwareSampler).sample();
    expect((await call('GET', `/api/runs/${hardware}/metric-paths`)).body.paths).not.toEqual([]);
    await api.call('POST', `/api/jobs/${job.queue_id}/control/kill`);

    const ids = (runs: Run[]) =>
      runs.map((r) => r.run_id).filter((id) => [empty, metric, text, config, hardware].includes(id));
    const mine = (await call('GET', '/api/runs')).body as Run[];
    expect(Object.fromEntries(mine.filter((r) => ids([r]).length).map((r) => [r.run_id, r.logged]))).toEqual({
      [empty]: false,
      [metric]: true,
      [text]: true,
      [config]: true,
      [hardware]: false,
    });
    expect((await call('GET', `/api/runs/${metric}`)).body.logged).toBe(true);
    const logged = (await call('GET', '/api/runs/page?logged=true&limit=1000')).body;
    expect(ids(logged.items)).toEqual([config, text, metric]);
    // goodseed's files hold what was logged to them.
    expect((logged.items as Run[]).some((r) => r.source === 'goodseed')).toBe(true);
    expect(logged.total).toBe((logged.items as Run[]).length);
    const unlogged = (await call('GET', '/api/runs/page?logged=false&limit=1000')).body;
    expect(ids(unlogged.items)).toEqual([hardware, empty]);
    expect((unlogged.items as Run[]).every((r) => !r.logged)).toBe(true);
    expect(ids((await call('GET', '/api/runs?logged=true&project=logged')).body)).toEqual([
      config,
      text,
      metric,
    ]);
    const bad = await call('GET', '/api/runs/page?logged=maybe');
    expect([bad.status, bad.body.details?.[0]?.field]).toEqual([400, 'logged']);
    await api.waitStatus(job.queue_id, ['aborted', 'failed', 'done'], 15_000);
  });

  it('lists goodseed runs (source goodseed) that chart the same way, read-only and path-contained', async () => {
    const runs = (await call('GET', '/api/runs?project=ws%2Fproj')).body as Array<{
      run_id: string;
      source: string;
    }>;
    expect(runs).toHaveLength(1);
    const [gs] = runs;
    expect(gs).toMatchObject({ source: 'goodseed', project: 'ws/proj', name: 'gs-exp', status: 'finished' });
    expect(gs.run_id).toMatch(/^gs_[A-Za-z0-9_-]+$/);
    const file = join(work, 'gs', 'projects', 'ws', 'proj', 'runs', 'bold-falcon.sqlite');
    const before = statSync(file).mtimeMs;
    const detail = (await call('GET', `/api/runs/${gs.run_id}`)).body;
    const configs = Object.fromEntries(
      detail.configs.map((c: { path: string; value: unknown }) => [c.path, c.value]),
    );
    expect(configs).toEqual({
      flag: true,
      layers: 4,
      lr: 0.001,
      eps: 'NaN',
      opt: 'adam',
      when: '2025-01-02T03:04:05+00:00',
      none: null,
      tags: ['a', 'b'],
    });
    expect((await call('GET', `/api/runs/${gs.run_id}/metric-paths`)).body.paths).toEqual(['train/loss']);
    const chart = (await call('GET', `/api/runs/${gs.run_id}/metrics?path=train%2Floss&point_count=10`)).body;
    expect(chart.points.map((p: { step: number }) => p.step)).toEqual([
      0, 7.5, 23.5, 39.5, 55.5, 71.5, 87.5, 97.5, 99,
    ]);
    // Step 3 is NaN: the first bucket's mean skips it.
    expect(chart.points[1].y).toBeCloseTo((120 - 3) / 15);
    expect((await call('GET', `/api/runs/${gs.run_id}/strings?tail=1`)).body).toEqual({
      points: [{ path: 'notes', step: 1, value: 'world' }],
      total: 2,
    });
    expect(statSync(file).mtimeMs).toBe(before);
    // Writing to an imported run is refused; ids outside the projects dir name nothing.
    expect((await call('POST', `/api/runs/${gs.run_id}/log`, { metrics: [] })).status).toBe(404);
    const outside = `gs_${Buffer.from('../../out/projects/p/runs/secret').toString('base64url')}`;
    const viaLink = `gs_${Buffer.from('linked/runs/secret').toString('base64url')}`;
    for (const id of [outside, viaLink]) expect((await call('GET', `/api/runs/${id}`)).status).toBe(404);
    expect(
      (await call('GET', '/api/runs')).body.some((r: { project: string }) => r.project === 'linked'),
    ).toBe(false);
  });

  it('pages the run list: every run once, in the full list’s order (goodseed’s after Trainyard’s), with its total', async () => {
    type Run = { run_id: string; name: string | null; source: string };
    type Page = { items: Run[]; total: number; next_cursor: string | null };
    const walk = async (query: string, limit: number) => {
      const seen: Run[] = [];
      let cursor: string | null = null;
      let total = -1;
      do {
        const page: Page = (
          await call('GET', `/api/runs/page?limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ''}`)
        ).body;
        expect(page.items.length).toBeLessThanOrEqual(limit);
        total = page.total;
        seen.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return { seen, total };
    };
    for (let i = 0; i < 5; i++) await newRun({ name: `sweep-pg${i}`, project: 'paging' });

    const everything = (await call('GET', '/api/runs')).body as Run[];
    expect(everything.some((r) => r.source === 'goodseed')).toBe(true);
    const all = await walk('', 3);
    expect(all.seen.map((r) => r.run_id)).toEqual(everything.map((r) => r.run_id));
    expect(all.total).toBe(everything.length);

    const sweep = await walk('project=paging', 2);
    expect(sweep.seen.map((r) => r.name)).toEqual([
      'sweep-pg4',
      'sweep-pg3',
      'sweep-pg2',
      'sweep-pg1',
      'sweep-pg0',
    ]);
    expect(sweep.total).toBe(5);
    // The first page of a search: only what matches (case-insensitive), counted before paging.
    const first = (await call('GET', '/api/runs/page?q=SWEEP-PG&limit=2')).body as Page;
    expect(first.items.map((r) => r.name)).toEqual(['sweep-pg4', 'sweep-pg3']);
    expect(first.total).toBe(5);
    expect((await call('GET', '/api/runs/page?q=pg3')).body.items.map((r: Run) => r.name)).toEqual([
      'sweep-pg3',
    ]);
    // LIKE's wildcards are plain text here.
    expect((await call('GET', '/api/runs/page?q=%25')).body.total).toBe(0);
    expect((await call('GET', '/api/runs/page?q=_pg')).body.total).toBe(0);
    // goodseed's runs: searched and filtered by source like the others.
    const falcon = (await call('GET', '/api/runs/page?q=GS-EXP')).body as Page;
    expect(falcon.items).toEqual([expect.objectContaining({ source: 'goodseed', name: 'gs-exp' })]);
    expect(
      ((await call('GET', '/api/runs/page?source=goodseed&limit=1000')).body as Page).items.every(
        (r) => r.source === 'goodseed',
      ),
    ).toBe(true);
    expect((await call('GET', '/api/runs/page?source=trainyard&project=paging')).body.total).toBe(5);

    // A cursor is the server's own: anything else is a 400 naming it, as are bad sizes and sources.
    const jobsCursor = Buffer.from(JSON.stringify(['d', 0, 5])).toString('base64url');
    for (const [query, field] of [
      ['cursor=nonsense', 'cursor'],
      [`cursor=${jobsCursor}`, 'cursor'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['source=mlflow', 'source'],
    ]) {
      const answer = await call('GET', `/api/runs/page?${query}`);
      expect([query, answer.status, answer.body.details?.[0]?.field]).toEqual([query, 400, field]);
    }
  });
});
