import type { SeriesColumns } from './infrastructure/run.repository';

/** Most points kept in memory across all cached series (16 bytes each: 64 MiB). */
export const SERIES_CACHE_POINTS = 4 * 1024 * 1024;

/**
 * Whole series kept as columns, least recently used dropped first, so a chart's zooms and refreshes
 * re-bucket in memory instead of re-reading a million rows. Writers invalidate the paths they touch;
 * goodseed files are keyed by their modification time.
 */
export class SeriesCache {
  private readonly entries = new Map<string, { columns: SeriesColumns; version: string }>();
  private points = 0;

  constructor(private readonly limit = SERIES_CACHE_POINTS) {}

  get(runId: string, path: string, version: string, load: () => SeriesColumns): SeriesColumns {
    const key = `${runId}\u0000${path}`;
    const hit = this.entries.get(key);
    if (hit && hit.version === version) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.columns;
    }
    if (hit) this.remove(key);
    const columns = load();
    if (columns.steps.length <= this.limit) {
      this.entries.set(key, { columns, version });
      this.points += columns.steps.length;
      for (const oldest of this.entries.keys()) {
        if (this.points <= this.limit) break;
        this.remove(oldest);
      }
    }
    return columns;
  }

  invalidate(runId: string, paths: Iterable<string>): void {
    for (const path of paths) this.remove(`${runId}\u0000${path}`);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.points -= entry.columns.steps.length;
    this.entries.delete(key);
  }
}

/** The part of sorted `steps` within [min, max], as index bounds [from, to). */
export function stepRange(steps: ArrayLike<number>, min: number, max: number): [number, number] {
  const lowerBound = (target: number, strict: boolean) => {
    let lo = 0;
    let hi = steps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (steps[mid] < target || (strict && steps[mid] === target)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [lowerBound(min, false), lowerBound(max, true)];
}
