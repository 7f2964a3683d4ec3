import { join } from 'node:path';
import { RunLogged1796021600000 } from '../migrations/1796021600000-run-logged';
import { databaseBefore, migrateToCurrent } from './support/migrations';
import { makeTempHome } from './support/temp-home';

describe('migration RunLogged (real SQLite file)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('marks the runs something was logged to, not those with only hardware series, and lists them off an index', async () => {
    const file = join(temp.home, 'run-logged.db');
    const old = await databaseBefore(file, RunLogged1796021600000);
    for (const [id, at] of [
      ['r_empty', 't1'],
      ['r_metric', 't2'],
      ['r_string', 't3'],
      ['r_config', 't4'],
      ['r_hardware', 't5'],
    ])
      await old.query(
        `INSERT INTO runs (run_id, name, project, job_id, status, created_at, updated_at)
         VALUES (?, NULL, NULL, NULL, 'finished', ?, ?)`,
        [id, at, at],
      );
    await old.query(`INSERT INTO run_metrics (run_id, path, step, value) VALUES ('r_metric', 'loss', 0, 1)`);
    await old.query(
      `INSERT INTO run_metrics (run_id, path, step, value) VALUES ('r_metric', 'sys/gpu0/power_w', 0, 1)`,
    );
    await old.query(
      `INSERT INTO run_strings (run_id, path, step, value) VALUES ('r_string', 'sample', 0, 'hi')`,
    );
    await old.query(
      `INSERT INTO run_configs (run_id, path, type_tag, value, updated_at) VALUES ('r_config', 'lr', 'float', '0.1', 't')`,
    );
    await old.query(
      `INSERT INTO run_metrics (run_id, path, step, value) VALUES ('r_hardware', 'sys/gpu0/utilization', 0, 50)`,
    );
    await old.destroy();

    const current = await migrateToCurrent(file);
    expect(await current.query('SELECT run_id, logged FROM runs ORDER BY created_at')).toEqual([
      { run_id: 'r_empty', logged: 0 },
      { run_id: 'r_metric', logged: 1 },
      { run_id: 'r_string', logged: 1 },
      { run_id: 'r_config', logged: 1 },
      { run_id: 'r_hardware', logged: 0 },
    ]);
    // The list's query (RunRepository.list) reads a page in order off the partial index: no sort.
    const plan: Array<{ detail: string }> = await current.query(
      'EXPLAIN QUERY PLAN SELECT * FROM runs WHERE logged ORDER BY created_at DESC, run_id DESC LIMIT 50',
    );
    expect(plan.map((p) => p.detail)).toEqual([expect.stringContaining('idx_runs_logged_created_at')]);
    await current.destroy();
  });
});
