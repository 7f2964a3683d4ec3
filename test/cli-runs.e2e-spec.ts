import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type CliRun, cliEnv, runCli, runCliJson } from './support/cli';
import { request } from './support/http';
import { freePort } from './support/ports';
import { writeFiles } from './support/projects';
import { SpawnedServer, spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

const CLIENT_DIR = resolve(__dirname, '..', 'clients', 'python');
const RUN_ID = /^r_\d{13}_[0-9a-f]{12}$/;

/** A project whose `train` config is a real job logging with the Python client (README "Run tracking"). */
const MANIFEST = `name: Metrics demo
description: Logs a loss curve.
default_config: train
configs:
  - name: train
    job_type: command
    gpus: 0
    argv: [python3, train.py, --steps, '{steps}']
    params:
      - {name: steps, type: integer, default: 5}
`;
const TRAIN_PY = `import sys
sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})
from trainyard_tracking import Run

steps = int(sys.argv[sys.argv.index("--steps") + 1])
with Run() as run:
    run.log_configs({"lr": 0.01, "model": {"layers": 2}})
    for step in range(steps):
        run.log_metrics({"train/loss": 1 / (step + 1), "train/acc": step / 4}, step=step)
`;

/** `runs` and `projects` as a user sees them: the built CLI against the built server, real runs. */
describe('trainyard CLI: runs and projects (e2e, spawned server and CLI processes)', () => {
  const temp = makeTempHome('trainyard-cli-runs-');
  let root: string;
  let server: SpawnedServer;
  let env: Record<string, string>;
  const call = (method: string, path: string, body?: unknown) =>
    request(server.baseUrl, method, path, { token: server.token!, body });
  const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> =>
    runCli(args, { ...env, ...extraEnv });
  const json = (args: string[]): Promise<any> => runCliJson(args, env);

  beforeAll(async () => {
    root = join(realpathSync(temp.home), 'projects');
    writeFiles(root, { 'demo/trainyard.yaml': MANIFEST, 'demo/train.py': TRAIN_PY });
    server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    env = cliEnv(server, temp.home);
    expect((await call('POST', '/api/search-roots', { path: root })).status).toBe(200);
  });
  afterAll(async () => {
    await server.stop();
    temp.remove();
  });

  it("lists and shows a project, runs its config as a real job, and shows that job's run and metrics", async () => {
    const listed = await cli(['projects', 'list']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+KIND\s+CONFIGS\s+PATH$/m);
    const project = (await json(['projects', 'list'])).roots[0].projects[0];
    expect(listed.stdout).toMatch(
      new RegExp(`^${project.id}\\s+Metrics demo\\s+trainyard\\s+1\\s+${join(root, 'demo')}$`, 'm'),
    );
    const before = await cli(['projects', 'show', 'Metrics demo']);
    expect(before.stdout).toMatch(/^ {2}train \*\s+command\s+0\s+steps=5$/m);
    expect(before.stdout).toMatch(/^runs\s+0$/m);

    const job = await call('POST', `/api/projects/${project.id}/configs/train/run`, {
      overrides: { steps: 4 },
    });
    expect(job.status).toBe(201);
    const queueId = job.body.queue_id as string;
    await waitFor(
      async () => (await json(['job', 'status', queueId])).status === 'done',
      `${queueId} to finish`,
      30_000,
    );

    const runs = await json(['runs', 'list', '--job', queueId.slice(-8)]);
    expect(runs).toMatchObject({ total: 1, items: [{ job_id: queueId, project: 'Metrics demo' }] });
    const runId = runs.items[0].run_id as string;
    expect(runId).toMatch(RUN_ID);
    await waitFor(
      async () => (await json(['runs', 'show', runId])).status === 'finished',
      `${runId} to be finished`,
    );

    const table = await cli(['runs', 'list', '--project', 'Metrics demo']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PROJECT\s+STATUS\s+JOB\s+AGE\s+UPDATED$/);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${runId}\\s+.+\\s+Metrics demo\\s+finished\\s+${queueId.slice(-8)}\\s+\\d+s\\s+\\d+s$`,
        'm',
      ),
    );

    // A part of the id, as for jobs.
    const shown = await cli(['runs', 'show', runId.slice(-6)]);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(new RegExp(`^id\\s+${runId}$`, 'm'));
    expect(shown.stdout).toMatch(/^status\s+finished$/m);
    expect(shown.stdout).toMatch(new RegExp(`^job\\s+${queueId}$`, 'm'));
    expect(shown.stdout).toMatch(/^ {2}lr\s+0.01$/m);
    expect(shown.stdout).toMatch(/^ {2}model\/layers\s+2$/m);
    expect(shown.stdout).toMatch(/^ {2}train\/acc\s+3\s+0.75$/m);
    expect(shown.stdout).toMatch(/^ {2}train\/loss\s+3\s+0.25$/m);
    expect((await json(['runs', 'show', runId])).latest_metrics).toEqual([
      { path: 'train/acc', step: 3, y: 0.75 },
      { path: 'train/loss', step: 3, y: 0.25 },
    ]);

    const loss = await cli(['runs', 'metrics', runId, 'train/loss']);
    expect(loss).toEqual({
      code: 0,
      stderr: '',
      stdout: `step\ttrain/loss\n0\t1\n1\t0.5\n2\t${1 / 3}\n3\t0.25\n`,
    });
    const both = await cli(['runs', 'metrics', '--no-header', '--step-min', '2', runId.slice(-6)]);
    expect(both.stdout).toBe(`2\t0.5\t${1 / 3}\n3\t0.75\t0.25\n`);
    expect(await json(['runs', 'metrics', runId, 'train/acc'])).toEqual([
      {
        path: 'train/acc',
        downsampled: false,
        points: [0, 0.25, 0.5, 0.75].map((y, step) => ({ step, y })),
      },
    ]);

    expect((await cli(['projects', 'show', project.id.slice(0, 6)])).stdout).toMatch(
      /^runs\s+1 \(trainyard runs list --project "Metrics demo"\)$/m,
    );
  });

  it('escapes what clients named their runs, and fails one line with the documented exit codes', async () => {
    const made: string[] = [];
    for (const name of ['evil\u001b]0;pwned\u0007\u202e', 'plain'])
      made.push((await call('POST', '/api/runs', { name, project: 'scratch' })).body.run_id);
    // The server refuses C0 controls in a path, not bidi controls or C1 (0x9b: an 8-bit CSI).
    const written = await call('POST', `/api/runs/${made[0]}/log`, {
      metrics: [{ path: 'loss\u202e\u009b2J', step: 1, value: 'NaN' }],
      configs: { note: 'x\u001b[2J' },
    });
    expect(written.status).toBe(200);

    const table = await cli(['runs', 'list', '-q', 'scratch', '--status', 'running']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toContain('evil\\x1b]0;pwned\\x07\\u202e');
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(table.stdout).not.toContain(raw);
    // --logged: only the run something was logged to ('plain' has nothing).
    const logged = (await json(['runs', 'list', '-q', 'scratch', '--logged'])) as {
      items: Array<{ run_id: string }>;
    };
    expect(logged.items.map((r) => r.run_id)).toEqual([made[0]]);
    const shown = await cli(['runs', 'show', made[0]]);
    expect(shown.stdout).toMatch(/^ {2}loss\\u202e\\x9b2J\s+1\s+NaN$/m);
    expect(shown.stdout).toMatch(/^ {2}note\s+x\\x1b\[2J$/m);
    for (const raw of ['\u001b', '\u202e', '\u009b']) expect(shown.stdout).not.toContain(raw);
    const tsv = await cli(['runs', 'metrics', made[0]]);
    expect(tsv.stdout).toBe('step\tloss\\u202e\\x9b2J\n1\tNaN\n');

    // Both were made within the same few ms or not: `r_` is each of the three runs' prefix.
    const ambiguous = await cli(['runs', 'show', 'r_']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/^trainyard: "r_" matches 3 runs \(.*\); give more of the id\n$/);
    expect(ambiguous.stderr).toContain(made[1]);

    const away = join(temp.home, 'away');
    writeFiles(away, { auth_token: 'tok\n' });
    const failures: Array<[string[], Record<string, string>, number, RegExp]> = [
      [
        ['runs', 'show', 'ffffffffffff0'],
        {},
        5,
        /^trainyard: no run id starts or ends with "ffffffffffff0"\n$/,
      ],
      [
        ['runs', 'show', 'r_1700000000000_000000000000'],
        {},
        5,
        /^trainyard: No run r_1700000000000_000000000000\n$/,
      ],
      [
        ['runs', 'metrics', made[1], 'nope'],
        {},
        5,
        /^trainyard: run r_\S+ has no metric nope \(it has none\)\n$/,
      ],
      [['runs', 'list', '--status', 'bogus'], {}, 2, /^trainyard: invalid request: .*\(--status\)\n$/],
      [['runs', 'list', '--limit', '0'], {}, 2, /^trainyard: --limit must be at least 1, got 0\n$/],
      [
        ['runs', 'metrics', made[0], '--step-min', 'x'],
        {},
        2,
        /^trainyard: --step-min must be a number, got "x"\n$/,
      ],
      [
        ['runs', 'list', '--job', 'fffffff0'],
        {},
        5,
        /^trainyard: no job id starts or ends with "fffffff0"\n$/,
      ],
      [['projects', 'show', 'nope'], {}, 5, /^trainyard: no project named "nope"/],
      [
        ['runs', 'list'],
        { TRAINYARD_SERVER_TOKEN: 'wrong' },
        4,
        /^trainyard: the server at .* rejected the token/,
      ],
      [
        ['runs', 'list'],
        // The token from a state directory no server holds: stopped, so it fails at once (README "CLI").
        {
          TRAINYARD_SERVER_URL: `http://127.0.0.1:${await freePort()}`,
          TRAINYARD_SERVER_TOKEN: '',
          TRAINYARD_HOME: away,
        },
        3,
        /^trainyard: cannot reach the Trainyard server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      ],
    ];
    for (const [args, extraEnv, code, message] of failures) {
      const run = await cli(args, extraEnv);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code, stdout: '' });
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
