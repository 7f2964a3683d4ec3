import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from './support/http';
import { freePort } from './support/ports';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

const CLIENT_DIR = resolve(__dirname, '..', 'clients', 'python');
const STEPS = 140;

/**
 * The Python tracking client through a server outage longer than its old retries lasted (~7.5 s):
 * the built server stopped with SIGTERM and started again on the same port and state directory
 * while a real python3 process logs a point every 0.1 s.
 */
describe('python tracking client across a server outage (e2e)', () => {
  const home = makeTempHome('trainyard-tracking-outage-');
  let server: SpawnedServer | null = null;
  afterAll(async () => {
    await server?.stop();
    home.remove();
  });

  it('keeps logging while the server is down and sends every point once it is back; the training goes on', async () => {
    const port = await freePort();
    server = await spawnServer(home.home, ['--port', String(port)]);
    const script = join(home.home, 'train.py');
    writeFileSync(
      script,
      [
        'import sys, time',
        `sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})`,
        'from trainyard_tracking import Run',
        `with Run(url=${JSON.stringify(server.baseUrl)}, token=${JSON.stringify(server.token)}, name="outage", flush_interval=0.2) as run:`,
        '    print(run.run_id, flush=True)',
        `    for step in range(${STEPS}):`,
        '        run.log_metrics({"loss": 1.0 / (step + 1)}, step=step)',
        '        time.sleep(0.1)',
        'print("training done", flush=True)',
      ].join('\n'),
    );
    const python = spawn('python3', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    python.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    python.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = once(python, 'exit') as Promise<[number | null]>;
    const runId = await waitFor(async () => /^(r_\S+)\n/.exec(stdout)?.[1], 'the run id', 10_000);

    // Down for 9 s, then the next start of the same server (its start takes a few seconds more).
    await new Promise((r) => setTimeout(r, 1000));
    expect(await server.stop('SIGTERM')).toBe(0);
    await new Promise((r) => setTimeout(r, 9000));
    server = await spawnServer(home.home, ['--port', String(port)]);

    const [code] = await exited;
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain('training done');
    expect(stderr).toContain("keeping this run's points until the server answers again");
    expect(stderr).toContain("the server takes this run's points again");
    const call = (path: string) => request(server!.baseUrl, 'GET', path, { token: server!.token! });
    const series = (await call(`/api/runs/${runId}/metrics?path=loss&point_count=1000`)).body;
    expect(series.points.map((p: { step: number }) => p.step)).toEqual([...Array(STEPS).keys()]);
    expect((await call(`/api/runs/${runId}`)).body.status).toBe('finished');
  }, 60_000);
});
