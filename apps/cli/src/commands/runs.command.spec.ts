import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { MetricSeriesDto, RunDetailDto, RunDto } from '@trainyard/sdk';
import { runCli } from '../cli';
import type { CliContext } from '../context';
import { palette } from '../format';
import { formatValue, renderRun, renderRunsTable, renderSeriesTsv } from './runs.command';

const now = Date.parse('2026-12-02T12:00:00Z');
const run = (fields: Partial<RunDto>): RunDto => ({
  run_id: 'r_1796000000000_0123456789ab',
  name: 'lm-small',
  project: 'My LM',
  job_id: null,
  status: 'running',
  source: 'trainyard',
  created_at: new Date(now - 185_000).toISOString(),
  updated_at: new Date(now - 5_000).toISOString(),
  logged: true,
  ...fields,
});

describe(renderRunsTable.name, () => {
  const ctx = { colors: palette(false) } as CliContext;

  it('shows whole run ids, the job as its 8 hex digits, and ages', () => {
    const table = renderRunsTable(
      ctx,
      [
        run({ job_id: 'q_1796000000000_deadbeef', status: 'finished' }),
        run({ run_id: 'gs_cHJvai9ydW4', name: null, project: null, source: 'goodseed', status: 'unknown' }),
      ],
      now,
    );
    const [header, first, second] = table.split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+PROJECT\s+STATUS\s+JOB\s+AGE\s+UPDATED$/);
    expect(first).toMatch(
      /^r_1796000000000_0123456789ab\s+lm-small\s+My LM\s+finished\s+deadbeef\s+3m05s\s+5s$/,
    );
    expect(second).toMatch(/^gs_cHJvai9ydW4\s+-\s+-\s+unknown\s+-\s+3m05s\s+5s$/);
  });

  it('never lets a name or project drive the terminal', () => {
    const table = renderRunsTable(ctx, [run({ name: 'x\u001b]0;pwned\u0007', project: 'p\u202eq' })], now);
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(table).not.toContain(raw);
    expect(table).toContain('x\\x1b]0;pwned\\x07');
    expect(table).toContain('p\\u202eq');
  });
});

describe(renderRun.name, () => {
  const detail = (fields: Partial<RunDetailDto>): RunDetailDto => ({ ...run({}), configs: [], ...fields });

  it('shows the record, each config and the last point of each metric', () => {
    const text = renderRun(
      detail({
        job_id: 'q_1796000000000_deadbeef',
        configs: [
          { path: 'lr', type_tag: 'float', value: 0.0003 },
          { path: 'model/layers', type_tag: 'int', value: 4 },
          { path: 'tags', type_tag: 'string_set', value: ['a', 'b'] },
          { path: 'note', type_tag: 'null', value: null },
        ],
      }),
      [
        { path: 'train/loss', step: 99, y: 0.25 },
        { path: 'eval/loss', step: 10, y: 'NaN' },
        { path: 'empty', step: null, y: null },
      ],
      now,
    );
    expect(text).toMatch(/^id\s+r_1796000000000_0123456789ab$/m);
    expect(text).toMatch(/^job\s+q_1796000000000_deadbeef$/m);
    expect(text).toMatch(/^created\s+2026-12-02T11:56:55.000Z {2}\(3m05s ago\)$/m);
    expect(text).toMatch(/^ {2}lr\s+0.0003$/m);
    expect(text).toMatch(/^ {2}model\/layers\s+4$/m);
    expect(text).toMatch(/^ {2}tags\s+\{a, b\}$/m);
    expect(text).toMatch(/^ {2}note\s+null$/m);
    expect(text).toMatch(/^ {2}train\/loss\s+99\s+0.25$/m);
    expect(text).toMatch(/^ {2}eval\/loss\s+10\s+NaN$/m);
    expect(text).toMatch(/^ {2}empty\s+-\s+-$/m);
  });

  it('says when there are no configs or metrics, and escapes what a client sent', () => {
    const text = renderRun(
      detail({ name: 'a\u001b[2Jb', configs: [{ path: 'p\nq', type_tag: 'str', value: 'v\u0007' }] }),
      [],
      now,
    );
    expect(text).toMatch(/^name\s+a\\x1b\[2Jb$/m);
    expect(text).toMatch(/^ {2}p\\nq\s+v\\x07$/m);
    expect(text).toMatch(/^metrics:\n {2}\(none\)$/m);
    for (const raw of ['\u001b', '\u0007']) expect(text).not.toContain(raw);
  });
});

describe(renderSeriesTsv.name, () => {
  const series = (path: string, points: MetricSeriesDto['points']): MetricSeriesDto => ({
    path,
    downsampled: false,
    points,
  });

  it('is `step<TAB>value` lines under a header for one series', () => {
    expect(
      renderSeriesTsv([
        series('loss', [
          { step: 0, y: 2.5 },
          { step: 1, y: 'NaN' },
          { step: 2, y: 1e-7 },
        ]),
      ]),
    ).toBe('step\tloss\n0\t2.5\n1\tNaN\n2\t1e-7\n');
  });

  it('aligns several series by step, leaving a cell empty where a series has no point', () => {
    const tsv = renderSeriesTsv(
      [
        series('train/loss', [
          { step: 0, y: 3 },
          { step: 10, y: 2 },
          { step: 20, y: 1 },
        ]),
        series('eval/loss', [
          { step: 10, y: 2.5 },
          { step: 15, y: 'NaN' },
        ]),
      ],
      { header: false },
    );
    expect(tsv).toBe('0\t3\t\n10\t2\t2.5\n15\t\tNaN\n20\t1\t\n');
  });

  it('keeps a path with a tab or control characters on one header cell', () => {
    expect(renderSeriesTsv([series('a\tb\u001b', [{ step: 1, y: 1 }])])).toBe('step\ta\\tb\\x1b\n1\t1\n');
    expect(renderSeriesTsv([])).toBe('step\n');
  });
});

describe(formatValue.name, () => {
  it.each<[Parameters<typeof formatValue>[0], string]>([
    [0.5, '0.5'],
    ['-Infinity', '-Infinity'],
    [null, '-'],
    [undefined, '-'],
  ])('%j → %s', (y, text) => expect(formatValue(y)).toBe(text));
});

describe('runs list (against a fake server)', () => {
  let server: Server;
  let url: string;
  const requests: URL[] = [];
  const TOTAL = 2500;
  const runs = Array.from({ length: TOTAL }, (_, i) =>
    run({ run_id: `r_1796000000000_${i.toString(16).padStart(12, '0')}` }),
  );

  beforeAll(async () => {
    // GET /api/runs/page as the server pages it: `cursor` is the index after the last one sent.
    server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x');
      requests.push(query);
      const start = Number(query.searchParams.get('cursor') ?? 0);
      const limit = Number(query.searchParams.get('limit') ?? 100);
      const items = runs.slice(start, start + limit);
      const next = start + items.length < TOTAL ? String(start + items.length) : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items, total: TOTAL, next_cursor: next }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('pages through the cursor when --limit is more than a page, and says how many there are', async () => {
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const notes: string[] = [];
    const stderr = new Writable({ write: (c, _e, done) => (notes.push(String(c)), done()) });
    try {
      const env = { TRAINYARD_SERVER_URL: url, TRAINYARD_SERVER_TOKEN: 't', TRAINYARD_HOME: '/nonexistent' };
      const code = await runCli(['runs', 'list', '--limit', '1500', '--project', 'My LM'], { env, stderr });
      expect(code).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(
      requests.map((r) => [r.pathname, r.searchParams.get('limit'), r.searchParams.get('cursor')]),
    ).toEqual([
      ['/api/runs/page', '1000', null],
      ['/api/runs/page', '500', '1000'],
    ]);
    expect(requests[1].searchParams.get('project')).toBe('My LM');
    const text = out.join('');
    expect(text.split('\n').filter((line) => line.startsWith('r_'))).toHaveLength(1500);
    // How many there are is a note for the person (stderr), not a line of the list (stdout).
    expect(text).not.toContain('of 2500');
    expect(notes.join('')).toBe('trainyard: 1500 of 2500 shown (--limit to see more)\n');
  });

  it('gives every run with --json and no --limit (the table alone stops at 100)', async () => {
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const stderr = new Writable({ write: (_c, _e, done) => done() });
    requests.length = 0;
    try {
      const env = { TRAINYARD_SERVER_URL: url, TRAINYARD_SERVER_TOKEN: 't', TRAINYARD_HOME: '/nonexistent' };
      expect(await runCli(['runs', 'list', '--json'], { env, stderr })).toBe(0);
    } finally {
      write.mockRestore();
    }
    const answer = JSON.parse(out.join(''));
    expect([answer.items.length, answer.total]).toEqual([TOTAL, TOTAL]);
    expect(requests.map((r) => r.searchParams.get('limit'))).toEqual(['1000', '1000', '1000']);
  });
});
