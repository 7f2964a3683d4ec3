import { type Command, Option } from 'commander';
import {
  escapeControls,
  getRun,
  listRunsUpTo,
  metricPaths,
  metricSeries,
  QUEUE_ID,
  type ListRunsPageData,
  type MetricSeriesDto,
  type RunConfigDto,
  type RunDetailDto,
  type RunDto,
  type SeriesPointDto,
} from '@trainyard/sdk';
import { listLimit, parseNumber } from '../args';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { Cell, formatAge, renderPairs, renderTable, Style, truncate } from '../format';
import { ID_HELP, resolveJobId } from '../job-id';
import { resolveRunId, RUN_ID_HELP } from '../run-id';
import type { CommandRunner } from './runner';

/** The filters of `GET /api/runs/page` (the server checks them, naming what it takes). */
type RunQuery = NonNullable<ListRunsPageData['query']>;

/** The most points `GET /api/runs/{id}/metrics` returns raw (its `point_count` maximum). */
export const MAX_POINTS = 100_000;
/** How many series requests `runs show` / `runs metrics` have in flight at once. */
const PARALLEL = 8;

/** The colour a run's status is shown in. */
export function runStatusStyle(ctx: CliContext, status: string): Style | undefined {
  const c = ctx.colors;
  switch (status) {
    case 'finished':
      return c.green;
    case 'failed':
      return c.red;
    case 'aborted':
      return c.yellow;
    case 'running':
      return c.cyan;
    default:
      return undefined;
  }
}

/** A job's id as the console shows it (its 8 hex digits, which every job command takes); `-` for none. */
function shortJobId(jobId: string | null): string {
  if (!jobId) return '-';
  return QUEUE_ID.test(jobId) ? jobId.slice(-8) : jobId;
}

/**
 * The runs table of `runs list`: whole run ids (what `runs show` and `runs metrics` take), the job
 * as its 8 hex digits. Every cell is escaped (renderTable): names and projects come from clients.
 */
export function renderRunsTable(ctx: CliContext, runs: RunDto[], now = Date.now()): string {
  const rows: Cell[][] = runs.map((run) => [
    run.run_id,
    truncate(run.name ?? '-', 32),
    truncate(run.project ?? '-', 24),
    { text: run.status, style: runStatusStyle(ctx, run.status) },
    shortJobId(run.job_id),
    formatAge(run.created_at, now),
    formatAge(run.updated_at, now),
  ]);
  return renderTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'PROJECT' },
      { header: 'STATUS' },
      { header: 'JOB' },
      { header: 'AGE', align: 'right' },
      { header: 'UPDATED', align: 'right' },
    ],
    rows,
  );
}

/** A series value as text: a number as JavaScript writes it, `NaN`/`Infinity` as sent, `-` for none. */
export function formatValue(y: SeriesPointDto['y'] | null | undefined): string {
  if (y === null || y === undefined) return '-';
  return String(y);
}

/** A config's value: text as is, a string set as `{a, b}`, anything else as JSON. */
function formatConfig(config: RunConfigDto): string {
  const { value } = config;
  if (Array.isArray(value)) return `{${value.join(', ')}}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The last point of each metric series of a run. */
export interface LatestPoint {
  path: string;
  step: number | null;
  /** null: the series has no point. */
  y: SeriesPointDto['y'] | null;
}

/** `runs show`: the record, its configs, and the last point of each metric. Every value escaped. */
export function renderRun(run: RunDetailDto, latest: LatestPoint[], now = Date.now()): string {
  const when = (iso: string | null) => (iso ? `${iso}  (${formatAge(iso, now)} ago)` : '-');
  let text = renderPairs([
    ['id', run.run_id],
    ['name', run.name ?? '-'],
    ['status', run.status],
    ['project', run.project ?? '-'],
    ['job', run.job_id ?? '-'],
    ['source', run.source],
    ['created', when(run.created_at)],
    ['updated', when(run.updated_at)],
  ]);
  text += '\nconfig:\n';
  text += run.configs.length
    ? renderPairs(run.configs.map((c) => [`  ${c.path}`, formatConfig(c)]))
    : '  (none)\n';
  text += '\nmetrics:\n';
  text += latest.length
    ? renderTable(
        [{ header: '  PATH' }, { header: 'STEP', align: 'right' }, { header: 'LAST' }],
        latest.map((p) => [`  ${p.path}`, p.step === null ? '-' : String(p.step), formatValue(p.y)]),
      )
    : '  (none)\n';
  return text;
}

/**
 * Series as tab-separated text: `step` then one column per series, a row per step any of them has
 * (in step order), an empty cell where a series has no point. The header names the paths (escaped:
 * a tab or line break in a path cannot break the columns).
 */
export function renderSeriesTsv(series: MetricSeriesDto[], options: { header?: boolean } = {}): string {
  const byStep = series.map((s) => new Map(s.points.map((p) => [p.step, p.y])));
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  const lines: string[] = [];
  if (options.header !== false) lines.push(['step', ...series.map((s) => escapeControls(s.path))].join('\t'));
  for (const step of steps)
    lines.push(
      [
        String(step),
        ...byStep.map((points) => {
          const y = points.get(step);
          return y === undefined ? '' : String(y);
        }),
      ].join('\t'),
    );
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `work` on each item, at most `limit` at once; results in the items' order. */
async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The last raw point of each series: with point_count 1 the server keeps the last point as a bookend. */
async function latestPoints(ctx: CliContext, runId: string, paths: string[]): Promise<LatestPoint[]> {
  return mapLimit(paths, PARALLEL, async (path) => {
    const { data } = await metricSeries({
      client: ctx.client,
      path: { run_id: runId },
      query: { path, point_count: 1 },
    });
    const last = data.points[data.points.length - 1];
    return { path, step: last?.step ?? null, y: last?.y ?? null };
  });
}

/** `--job`: a whole queue id as is (its job may be gone, its run kept); else a part of one, resolved. */
async function jobFilter(ctx: CliContext, given: string | undefined): Promise<string | undefined> {
  if (given === undefined) return undefined;
  return QUEUE_ID.test(given) ? given : resolveJobId(ctx.client, given);
}

interface ListOptions {
  project?: string;
  status?: string;
  job?: string;
  q?: string;
  source?: string;
  logged?: boolean;
  limit?: string;
}

interface MetricsOptions {
  stepMin?: string;
  stepMax?: string;
  header: boolean;
}

export function registerRuns(program: Command, run: CommandRunner): void {
  const runs = program
    .command('runs')
    .summary('tracked runs: list, show, metric series')
    .description('Tracked runs and their metrics (README "Run tracking").');

  runs
    .command('list')
    .description("runs, newest first (Trainyard's, then goodseed's), with their project, status and job")
    .option('--project <name>', "only this project's runs")
    .option('-s, --status <status>', 'only runs with this status (running, finished, failed, aborted)')
    .option('--job <id>', `only the run of this job (${ID_HELP})`)
    .option('-q, --search <text>', 'only runs whose name, project or id contains this text (any case)')
    .addOption(new Option('--source <source>', 'only these runs').choices(['trainyard', 'goodseed']))
    .option(
      '--logged',
      'only runs something was logged to (metrics, strings or configs): every job gets a run, most plain commands log nothing',
    )
    .option('--limit <n>', 'at most this many runs (default: 100 in the table, all of them with --json)')
    .action(
      run(async (ctx, options: Omit<ListOptions, 'q'> & { search?: string }) => {
        const limit = listLimit(ctx, options.limit);
        const job = await jobFilter(ctx, options.job);
        const query: Omit<RunQuery, 'limit' | 'cursor'> = {
          ...(options.project !== undefined && { project: options.project }),
          ...(options.status !== undefined && { status: options.status as RunQuery['status'] }),
          ...(job !== undefined && { job }),
          ...(options.search !== undefined && { q: options.search }),
          ...(options.source !== undefined && { source: options.source as RunQuery['source'] }),
          ...(options.logged && { logged: true }),
        };
        // Past 1,000 the list is read page by page, each page after the last one's cursor.
        const page = await listRunsUpTo(ctx.client, query, limit);
        if (ctx.json) {
          ctx.printJson({ items: page.items, total: page.total });
          return;
        }
        if (!page.items.length) {
          const filtered = Object.keys(query).length > 0;
          ctx.note(filtered ? 'no runs match' : 'no runs');
          return;
        }
        ctx.print(renderRunsTable(ctx, page.items));
        if (page.total > page.items.length)
          ctx.note(`${page.items.length} of ${page.total} shown (--limit to see more)`);
      }),
    );

  runs
    .command('show')
    .description("a run's record, its configs and the last value of each metric")
    .argument('<run-id>', RUN_ID_HELP)
    .action(
      run(async (ctx, given: string) => {
        const id = await resolveRunId(ctx.client, given);
        const { data: detail } = await getRun({ client: ctx.client, path: { run_id: id } });
        const { data: paths } = await metricPaths({ client: ctx.client, path: { run_id: id } });
        const latest = await latestPoints(ctx, id, paths.paths);
        ctx.output({ ...detail, latest_metrics: latest }, () => renderRun(detail, latest));
      }),
    );

  runs
    .command('metrics')
    .description(
      "a run's metric series as tab-separated `step<TAB>value` lines on stdout (a column per path, " +
        "by step), for other tools; --json: the API's series",
    )
    .argument('<run-id>', RUN_ID_HELP)
    .argument('[path...]', "metric paths (default: all of the run's, as `runs show` lists them)")
    .option('--step-min <n>', 'only points at this step or later')
    .option('--step-max <n>', 'only points at this step or earlier')
    .option('--no-header', 'no `step<TAB>path…` line first')
    .action(
      run(async (ctx, given: string, wanted: string[], options: MetricsOptions) => {
        const stepMin =
          options.stepMin === undefined ? undefined : parseNumber(options.stepMin, '--step-min');
        const stepMax =
          options.stepMax === undefined ? undefined : parseNumber(options.stepMax, '--step-max');
        if (stepMin !== undefined && stepMax !== undefined && stepMin > stepMax)
          throw new CliError(`--step-max (${stepMax}) is below --step-min (${stepMin})`, EXIT.invalid);
        const id = await resolveRunId(ctx.client, given);
        const { data } = await metricPaths({ client: ctx.client, path: { run_id: id } });
        const unknown = wanted.filter((path) => !data.paths.includes(path));
        if (unknown.length) {
          const has = data.paths.length
            ? `it has ${data.paths.slice(0, 8).join(', ')}${data.paths.length > 8 ? ', …' : ''}`
            : 'it has none';
          throw new CliError(`run ${id} has no metric ${unknown.join(', ')} (${has})`, EXIT.notFound);
        }
        const paths = wanted.length ? wanted : data.paths;
        const series = await mapLimit(paths, PARALLEL, async (path) => {
          const { data: one } = await metricSeries({
            client: ctx.client,
            path: { run_id: id },
            query: {
              path,
              point_count: MAX_POINTS,
              ...(stepMin !== undefined && { step_min: stepMin }),
              ...(stepMax !== undefined && { step_max: stepMax }),
            },
          });
          return one;
        });
        if (ctx.json) return ctx.printJson(series);
        // Said on stderr: stdout is the data.
        if (!paths.length) process.stderr.write(`trainyard: run ${id} has no metrics\n`);
        for (const s of series.filter((one) => one.downsampled))
          process.stderr.write(
            `trainyard: ${escapeControls(s.path)} has more than ${MAX_POINTS} points in range: its rows ` +
              'are bucket means (narrow it with --step-min/--step-max)\n',
          );
        process.stdout.write(renderSeriesTsv(series, { header: options.header }));
      }),
    );
}
