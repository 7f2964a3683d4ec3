import { decodeListCursor, encodeListCursor, invalidListCursor } from '@trainyard/core';
import type { RunFilter, RunListKey } from './infrastructure/run.repository';

export type RunSource = 'trainyard' | 'goodseed';
export const RUN_SOURCES: readonly RunSource[] = ['trainyard', 'goodseed'];

export interface RunSummary {
  run_id: string;
  name: string | null;
  project: string | null;
  job_id: string | null;
  status: string;
  source: RunSource;
  created_at: string | null;
  updated_at: string | null;
  /** Whether anything was logged to it (metrics, strings, configs; the hardware series aside). */
  logged: boolean;
}

/** The run lists' filter: the stored runs' (`RunFilter`) and which source. */
export interface RunListFilter extends RunFilter {
  source?: RunSource;
}

/** Where the next page starts: after this run of this source (Trainyard's runs come first). */
export interface RunListCursor {
  source: RunSource;
  key: RunListKey;
}

export interface RunPage {
  items: RunSummary[];
  /** How many runs match the filter in all. */
  total: number;
  next: RunListCursor | null;
}

/** `run`'s place in a list: newest first, the run id breaking ties; no created_at sorts last. */
export const listKeyOf = (run: RunSummary): RunListKey => ({
  created_at: run.created_at ?? '',
  run_id: run.run_id,
});

/** True when `run` comes after `key` in list order (newest first, then the greater run id first). */
export function listsAfter(key: RunListKey, run: RunSummary): boolean {
  const at = run.created_at ?? '';
  return at < key.created_at || (at === key.created_at && run.run_id < key.run_id);
}

/** List order: newest first, the greater run id first among equals. */
export function byListOrder(a: RunSummary, b: RunSummary): number {
  const byTime = (b.created_at ?? '').localeCompare(a.created_at ?? '');
  return byTime !== 0 ? byTime : b.run_id < a.run_id ? -1 : b.run_id > a.run_id ? 1 : 0;
}

export function encodeRunListCursor(cursor: RunListCursor): string {
  return encodeListCursor(['r', cursor.source, cursor.key.created_at, cursor.key.run_id]);
}

/** The cursor a `GET /api/runs/page` request sent; throws VALIDATION_FAILED naming `cursor`. */
export function decodeRunListCursor(cursor: string): RunListCursor {
  const v = decodeListCursor(cursor);
  if (
    v &&
    v.length === 4 &&
    v[0] === 'r' &&
    RUN_SOURCES.includes(v[1] as RunSource) &&
    typeof v[2] === 'string' &&
    typeof v[3] === 'string' &&
    v[3] !== ''
  )
    return { source: v[1] as RunSource, key: { created_at: v[2], run_id: v[3] } };
  return invalidListCursor();
}
