import type { Params } from '@angular/router';
import { JOB_STATUSES } from '../core/format';
import { STATUS_TABS, type JobSort, type SortState, type StatusFilter } from './jobs.store';

/**
 * What the Jobs page keeps in its URL (`?q=&status=&sort=&order=&type=&from=&to=&array=`), so a
 * reload or a link restores it.
 */
export interface ListState {
  filter: StatusFilter;
  q: string;
  sort: SortState | null;
  /** Job type ('' = all) and submit-day range (`YYYY-MM-DD`, '' = open). */
  type?: string;
  from?: string;
  to?: string;
  /** Only this array's jobs (`a_<ms>_<hex>`, '' = any). */
  array?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** An array id as the server makes them (`a_1732300000000_ab12cd34`). */
const ARRAY_ID = /^a_\d+_[0-9a-f]+$/;

/** A button's filter, or a comma list of job statuses and `held` (each once), as the API takes it. */
function statusFilterOf(value: string): StatusFilter | null {
  if ((STATUS_TABS as readonly string[]).includes(value)) return value as StatusFilter;
  const statuses = value.split(',');
  const valid =
    statuses.every((s) => s === 'held' || (JOB_STATUSES as readonly string[]).includes(s)) &&
    new Set(statuses).size === statuses.length;
  return valid ? (value as StatusFilter) : null;
}
/** The sorts GET /api/jobs accepts. */
const SORTS: readonly JobSort[] = [
  'submitted_at',
  'started_at',
  'ended_at',
  'name',
  'status',
  'job_type',
  'priority',
  'runtime',
];

/** The query parameters for `state`; a default value is null, which removes the parameter. */
export function listStateToQuery(state: ListState): Params {
  const q = state.q.trim();
  return {
    q: q || null,
    status: state.filter === 'all' ? null : state.filter,
    sort: state.sort?.by ?? null,
    order: state.sort?.order ?? null,
    type: state.type || null,
    from: state.from || null,
    to: state.to || null,
    array: state.array || null,
  };
}

/** The state a URL asks for; what is missing or not understood falls back to the default. */
export function listStateFromQuery(params: Params, defaultOrder: (by: JobSort) => 'asc' | 'desc'): ListState {
  const text = (name: string): string => {
    const value: unknown = params[name];
    return typeof value === 'string' ? value : '';
  };
  const filter = statusFilterOf(text('status')) ?? 'all';
  const by = SORTS.find((s) => s === text('sort'));
  const order = text('order');
  return {
    filter,
    q: text('q'),
    type: /^[A-Za-z0-9_-]{1,64}$/.test(text('type')) ? text('type') : '',
    from: DAY.test(text('from')) ? text('from') : '',
    to: DAY.test(text('to')) ? text('to') : '',
    array: ARRAY_ID.test(text('array')) ? text('array') : '',
    sort: by ? { by, order: order === 'asc' || order === 'desc' ? order : defaultOrder(by) } : null,
  };
}
