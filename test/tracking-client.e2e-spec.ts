import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

const CLIENT_DIR = resolve(__dirname, '..', 'clients', 'python');
const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy']).status === 0;

/**
 * Python stand-ins for numpy scalars (so these tests run where numpy is not installed): not JSON
 * serialisable, an integer through `__index__`, a float through `__float__`, a 0-d array through
 * `.item()` and `shape == ()`.
 */
const STAND_INS = [
  'class Int64:',
  '    def __init__(self, v): self.v = v',
  '    def __index__(self): return self.v',
  '    def __int__(self): return self.v',
  '    def __float__(self): return float(self.v)',
  '    def __repr__(self): return f"Int64({self.v})"',
  'class Float32:',
  '    def __init__(self, v): self.v = v',
  '    def __float__(self): return float(self.v)',
  '    def __repr__(self): return f"Float32({self.v})"',
  'class Array0d:',
  '    shape = ()',
  '    def __init__(self, v): self.v = v',
  '    def item(self): return self.v',
  'class Array:',
  '    def __init__(self, *v): self.v = list(v); self.shape = (len(v),)',
  '    def tolist(self): return list(self.v)',
];

/** The Python tracking client (a real python3) against the real server: numpy-like values, refusals, a dead thread. */
describe('python tracking client (e2e)', () => {
  let server: InProcessServer;
  const call = (method: string, path: string, body?: unknown) =>
    request(server.baseUrl, method, path, { token: server.token, body });
  const configsOf = (detail: { configs: Array<{ path: string; type_tag: string; value: unknown }> }) =>
    Object.fromEntries(detail.configs.map((c) => [c.path, [c.type_tag, c.value]]));

  /** Runs a script with the client imported, `URL`/`TOKEN` set and the stand-ins defined. */
  async function python(lines: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = [
      'import sys, time',
      `sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})`,
      'from trainyard_tracking import Run, TrackingError',
      `URL, TOKEN = ${JSON.stringify(server.baseUrl)}, ${JSON.stringify(server.token)}`,
      ...STAND_INS,
      ...lines,
    ].join('\n');
    const child = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }
  const runIdOf = (stdout: string) => /RUN (\S+)/.exec(stdout)![1];
  const lossSteps = async (runId: string, path = 'loss') =>
    (await call('GET', `/api/runs/${runId}/metrics?path=${encodeURIComponent(path)}`)).body.points as Array<{
      step: number;
      y: unknown;
    }>;

  beforeAll(async () => {
    server = await startInProcessServer();
  });
  afterAll(async () => {
    await server?.close(true);
  });

  it("says that a name or project given inside a job is not used (the job's run is named as the job; before: silently)", async () => {
    const made = await call('POST', '/api/runs', { name: 'the-job' });
    expect(made.status).toBe(201);
    const runId = made.body.run_id as string;
    const { code, stderr } = await python([
      'import os',
      `os.environ.update(TRAINYARD_RUN_ID=${JSON.stringify(runId)}, TRAINYARD_URL=URL, TRAINYARD_TOKEN=TOKEN)`,
      'with Run(name="bert-lr3e-4", project="nlp") as run:',
      '    run.log_metrics({"loss": 1.5}, step=0)',
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe(
      `trainyard_tracking: name='bert-lr3e-4' and project='nlp' not used: inside a Trainyard job the run is the job's (${runId}), named after the job (trainyard submit --name) and filed under its project config's project\n`,
    );
    // Its points still go to the job's run, which keeps its name.
    expect((await call('GET', `/api/runs/${runId}`)).body).toMatchObject({ name: 'the-job', project: null });
    expect(await lossSteps(runId)).toEqual([{ step: 0, y: 1.5 }]);
  });

  it('sends steps and values that are numpy-like scalars (__index__, __float__, 0-d .item()); before, the thread died and the run was lost', async () => {
    const { code, stdout, stderr } = await python([
      'run = Run(url=URL, token=TOKEN, name="client-stand-ins", project="client")',
      'print("RUN", run.run_id, flush=True)',
      'run.log_configs({"lr": Float32(0.5)})',
      'for s in range(10):',
      '    run.log_metrics({"loss": Float32(1.0 / (s + 1))}, step=Int64(s))',
      'run.log_metrics({"loss": Array0d(0.125)}, step=Array0d(10))',
      'run.log_strings({"note": "done"}, step=Int64(10))',
      'run.close()',
      'print("closed", flush=True)',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const runId = runIdOf(stdout);
    const points = await lossSteps(runId);
    expect(points.map((p) => p.step)).toEqual([...Array(11).keys()]);
    expect(points[1]).toEqual({ step: 1, y: 0.5 });
    expect(points[10]).toEqual({ step: 10, y: 0.125 });
    const detail = (await call('GET', `/api/runs/${runId}`)).body;
    expect(detail.status).toBe('finished');
    expect(configsOf(detail)).toEqual({ lr: ['float', 0.5] });
  });

  (HAS_NUMPY ? it : it.skip)(
    'sends numpy steps and values (the new-user trial, with numpy itself)',
    async () => {
      const { code, stdout, stderr } = await python([
        'import numpy as np',
        'run = Run(url=URL, token=TOKEN, name="client-numpy", project="client")',
        'print("RUN", run.run_id, flush=True)',
        'run.log_configs({"lr": 0.5})',
        'for s in np.arange(10):',
        '    run.log_metrics({"loss": 1.0 / (s + 1), "f32": np.float32(s), "nan": np.float64("nan")}, step=s)',
        'run.log_metrics({"loss": np.array(0.25)}, step=np.array(10))',
        'run.close()',
      ]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const runId = runIdOf(stdout);
      expect((await lossSteps(runId)).map((p) => p.step)).toEqual([...Array(11).keys()]);
      expect((await lossSteps(runId, 'f32'))[3]).toEqual({ step: 3, y: 3 });
      expect((await lossSteps(runId, 'nan'))[0]).toEqual({ step: 0, y: 'NaN' });
      const detail = (await call('GET', `/api/runs/${runId}`)).body;
      expect([detail.status, configsOf(detail)]).toEqual(['finished', { lr: ['float', 0.5] }]);
    },
  );

  it('raises at the call, naming the key, for what cannot be sent; the run goes on and ends finished', async () => {
    const { code, stdout, stderr } = await python([
      'run = Run(url=URL, token=TOKEN, name="client-refusals")',
      'print("RUN", run.run_id, flush=True)',
      'def attempt(label, fn):',
      '    try:',
      '        fn()',
      '        print(label, "accepted", flush=True)',
      '    except (TypeError, ValueError) as err:',
      '        print(label, type(err).__name__, err, flush=True)',
      'attempt("list-value", lambda: run.log_metrics({"loss": [1, 2]}, step=0))',
      'attempt("str-value", lambda: run.log_metrics({"loss": "0.5"}, step=0))',
      'attempt("none-value", lambda: run.log_metrics({"loss": None}, step=0))',
      'attempt("array-value", lambda: run.log_metrics({"loss": Array(1, 2)}, step=0))',
      'attempt("str-step", lambda: run.log_metrics({"loss": 1.0}, step="x"))',
      'attempt("nan-step", lambda: run.log_metrics({"loss": 1.0}, step=float("nan")))',
      'attempt("huge-step", lambda: run.log_metrics({"loss": 1.0}, step=2**60))',
      'attempt("string-step", lambda: run.log_strings({"note": "x"}, step=None))',
      'attempt("huge-config", lambda: run.log_configs({"seed": 2**60}))',
      'time.sleep(1.5)', // past a flush: nothing bad was queued, so nothing is refused later
      'run.log_metrics({"loss": 1.0}, step=Int64(3))',
      'run.close()',
      'print("closed", flush=True)',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    const outcome = (label: string) => lines.find((l) => l.startsWith(`${label} `));
    expect(outcome('list-value')).toMatch(/^list-value TypeError metric 'loss'/);
    expect(outcome('str-value')).toMatch(/^str-value TypeError metric 'loss'.*log_strings/);
    expect(outcome('none-value')).toMatch(/^none-value TypeError metric 'loss'/);
    expect(outcome('array-value')).toMatch(/^array-value TypeError metric 'loss'/);
    expect(outcome('str-step')).toMatch(/^str-step TypeError step must be a number/);
    expect(outcome('nan-step')).toMatch(/^nan-step ValueError step must be finite/);
    expect(outcome('huge-step')).toMatch(/^huge-step ValueError step 1152921504606846976 is past/);
    expect(outcome('string-step')).toMatch(/^string-step TypeError step must be a number/);
    expect(outcome('huge-config')).toMatch(/^huge-config ValueError config 'seed'/);
    expect(stdout).toContain('closed');
    const runId = runIdOf(stdout);
    expect(await lossSteps(runId)).toEqual([{ step: 3, y: 1 }]);
    expect((await call('GET', `/api/runs/${runId}`)).body.status).toBe('finished');
  });

  it('an unexpected error in the sending thread is raised from the next call and from close(), which still ends the run', async () => {
    const { code, stdout, stderr } = await python([
      'run = Run(url=URL, token=TOKEN, name="client-thread", flush_interval=0.1)',
      'print("RUN", run.run_id, flush=True)',
      'send = run._request',
      'def broken(*args):',
      '    raise RuntimeError("boom")',
      'run._request = broken',
      'run.log_metrics({"loss": 1.0}, step=0)',
      'time.sleep(0.5)',
      'try:',
      '    run.log_metrics({"loss": 2.0}, step=1)',
      '    print("next call: returned", flush=True)',
      'except TrackingError as err:',
      '    print("next call:", err, flush=True)',
      'run._request = send',
      'try:',
      '    run.close()',
      '    print("close: returned", flush=True)',
      'except TrackingError as err:',
      '    print("close:", err, flush=True)',
    ]);
    expect(code).toBe(0);
    expect(stderr).not.toContain('Exception in thread');
    expect(stderr).toContain('trainyard_tracking: the sending thread stopped');
    expect(stdout).toContain('next call: the sending thread stopped: RuntimeError: boom');
    expect(stdout).toMatch(
      /close: the sending thread stopped: RuntimeError: boom; 1 points not sent; the run's status was set to finished/,
    );
    expect((await call('GET', `/api/runs/${runIdOf(stdout)}`)).body.status).toBe('finished');
  });

  it('a refusal (4xx) is raised from close(), which still sets the status (before: the run stayed running)', async () => {
    // A path under sys/ is the server's: the batch is refused (400), the status goes on its own.
    const { code, stdout } = await python([
      'run = Run(url=URL, token=TOKEN, name="client-refused", flush_interval=0.1)',
      'print("RUN", run.run_id, flush=True)',
      'run.log_metrics({"sys/gpu0/utilization": 1.0}, step=0)',
      'time.sleep(0.5)',
      'try:',
      '    run.close("failed")',
      '    print("close: returned", flush=True)',
      'except TrackingError as err:',
      '    print("close:", err, flush=True)',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/close: POST \S+: HTTP 400: .*sys\/.*; the run's status was set to failed/);
    expect((await call('GET', `/api/runs/${runIdOf(stdout)}`)).body.status).toBe('failed');
  });

  it('tags configs as the API tags the same JSON values; numpy-like scalars as their numbers, arrays as lists', async () => {
    const plain = {
      tags: ['a', 'b'],
      betas: [0.9, 0.999],
      mixed: [64, 'wide'],
      stages: [{ lr: 1 }],
      none: [],
      lr: 0.5,
      layers: 4,
      name: 'x',
      on: true,
      nothing: null,
    };
    const viaApi = (await call('POST', '/api/runs', {})).body.run_id as string;
    expect((await call('POST', `/api/runs/${viaApi}/log`, { configs: plain })).status).toBe(200);
    const expected = configsOf((await call('GET', `/api/runs/${viaApi}`)).body);
    expect(expected).toMatchObject({ tags: ['string_set', ['a', 'b']], betas: ['str', '[0.9,0.999]'] });

    const { code, stdout, stderr } = await python([
      'import json',
      'with Run(url=URL, token=TOKEN, name="client-configs") as run:',
      '    print("RUN", run.run_id, flush=True)',
      `    run.log_configs(json.loads(${JSON.stringify(JSON.stringify(plain))}))`,
      '    run.log_configs({"np/lr": Float32(0.5), "np/layers": Int64(4), "np/ids": Array(1, 2), "np/item": Array0d(3),',
      '                     "np/words": Array("a", "b"), "tuple": (0.9, 0.999), "nan": float("nan"), "one": 1.0})',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(configsOf((await call('GET', `/api/runs/${runIdOf(stdout)}`)).body)).toEqual({
      ...expected,
      'np/lr': ['float', 0.5],
      'np/layers': ['int', 4],
      'np/ids': ['str', '[1,2]'],
      'np/item': ['int', 3],
      'np/words': ['string_set', ['a', 'b']],
      tuple: ['str', '[0.9,0.999]'],
      nan: ['float', 'NaN'],
      one: ['float', 1],
    });
  });

  (HAS_NUMPY ? it : it.skip)(
    'tags numpy configs as their Python values (the new-user trial, with numpy itself)',
    async () => {
      const { code, stdout, stderr } = await python([
        'import numpy as np',
        'with Run(url=URL, token=TOKEN, name="client-numpy-configs") as run:',
        '    print("RUN", run.run_id, flush=True)',
        '    run.log_configs({"tags": ["a", "b"], "betas": [0.9, 0.999], "lr": np.float32(0.5), "layers": np.int64(4),',
        '                     "ids": np.array([1, 2]), "grid": np.array([[1.5, 2], [3, 4]]), "amp": np.bool_(True)})',
      ]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(configsOf((await call('GET', `/api/runs/${runIdOf(stdout)}`)).body)).toEqual({
        tags: ['string_set', ['a', 'b']],
        betas: ['str', '[0.9,0.999]'],
        lr: ['float', 0.5],
        layers: ['int', 4],
        ids: ['str', '[1,2]'],
        grid: ['str', '[[1.5,2],[3,4]]'],
        amp: ['bool', true],
      });
    },
  );
});
