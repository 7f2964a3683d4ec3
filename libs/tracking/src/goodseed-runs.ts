import { Inject, Injectable, Logger } from '@nestjs/common';
import Sqlite from 'better-sqlite3';
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import {
  readColumns,
  readStrings,
  SeriesColumns,
  StringPoint,
  StringQuery,
} from './infrastructure/run.repository';

/** goodseed runs get ids `gs_<base64url of the file's path under projects/, without .sqlite>`. */
export const GOODSEED_RUN_PREFIX = 'gs_';

export interface GoodseedRunMeta {
  run_id: string;
  project: string;
  name: string | null;
  status: string;
  created_at: string | null;
  closed_at: string | null;
  /** File modification time (ISO 8601): what changes while the run writes. */
  modified_at: string;
}

/** `<project...>/runs/<run>`: every segment plain (no `.`/`..`, no NUL). */
const RUN_FILE = /^((?:[^/\0]+\/)*[^/\0]+)\/runs\/([^/\0]+)$/;

/**
 * goodseed run files (`<goodseed dir>/projects/<project>/runs/<run_id>.sqlite`, nested projects
 * allowed), read-only: every file is opened `readonly` (never written, never checkpointed), one
 * connection per request, and a run id resolves only to a regular file whose real path lies under
 * the real projects directory (symlinks out of it, `..` and odd names are refused as not found).
 */
@Injectable()
export class GoodseedRuns {
  private readonly logger = new Logger('Tracking');
  private readonly projectsDir: string | null;

  constructor(@Inject(SERVER_CONFIG) config: ServerConfig) {
    this.projectsDir = config.goodseed_dir ? join(config.goodseed_dir, 'projects') : null;
  }

  isGoodseedId(runId: string): boolean {
    return runId.startsWith(GOODSEED_RUN_PREFIX);
  }

  /** Every run file's metadata (unreadable files are logged and skipped). */
  list(): GoodseedRunMeta[] {
    const root = this.realRoot();
    if (!root) return [];
    const out: GoodseedRunMeta[] = [];
    for (const rel of this.findRunFiles(root, '')) {
      const file = join(root, `${rel}.sqlite`);
      try {
        out.push(this.withFile(file, (db) => this.meta(db, rel, file)));
      } catch (err) {
        this.logger.warn(`goodseed run ${file} is unreadable: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** One run's metadata, or null when the id names no run file. */
  get(runId: string): GoodseedRunMeta | null {
    return this.open(runId, (db, rel, file) => this.meta(db, rel, file));
  }

  metricPaths(runId: string): string[] | null {
    return this.open(
      runId,
      (db) =>
        db
          .prepare(
            'SELECT DISTINCT s.path FROM metric_series s JOIN metric_points p ON s.id = p.series_id ORDER BY s.path',
          )
          .pluck()
          .all() as string[],
    );
  }

  series(runId: string, path: string, stepMin = -Infinity, stepMax = Infinity): SeriesColumns | null {
    return this.open(runId, (db) =>
      readColumns(
        db
          .prepare(
            `SELECT p.step, p.y FROM metric_points p JOIN metric_series s ON s.id = p.series_id
             WHERE s.path = ? AND p.step >= ? AND p.step <= ? ORDER BY p.step`,
          )
          .raw(true)
          .iterate(path, stepMin, stepMax) as Iterable<[number, number | null]>,
      ),
    );
  }

  configs(
    runId: string,
  ): Array<{ path: string; type_tag: string; value: string; updated_at: string | null }> | null {
    return this.open(
      runId,
      (db) =>
        db.prepare('SELECT path, type_tag, value, updated_at FROM configs ORDER BY path').all() as Array<{
          path: string;
          type_tag: string;
          value: string;
          updated_at: string | null;
        }>,
    );
  }

  strings(runId: string, query: StringQuery): { points: StringPoint[]; total: number } | null {
    return this.open(runId, (db) =>
      hasTable(db, 'string_series')
        ? readStrings(
            db,
            '(SELECT s.path AS path, p.step AS step, p.value AS value FROM string_points p JOIN string_series s ON s.id = p.series_id)',
            '1 = 1',
            [],
            query,
          )
        : { points: [], total: 0 },
    );
  }

  private meta(db: Sqlite.Database, rel: string, file: string): GoodseedRunMeta {
    const rows = db.prepare('SELECT key, value FROM run_meta').all() as Array<{ key: string; value: string }>;
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    const match = RUN_FILE.exec(rel)!;
    return {
      run_id: GOODSEED_RUN_PREFIX + Buffer.from(rel).toString('base64url'),
      project: match[1],
      name: meta.get('experiment_name') ?? meta.get('run_name') ?? match[2],
      status: meta.get('status') ?? 'unknown',
      created_at: meta.get('created_at') ?? null,
      closed_at: meta.get('closed_at') ?? null,
      modified_at: statSync(file).mtime.toISOString(),
    };
  }

  /** Resolves `runId` inside the projects directory and runs `read` on it; null when it names no run. */
  private open<T>(runId: string, read: (db: Sqlite.Database, rel: string, file: string) => T): T | null {
    const root = this.realRoot();
    if (!root || !this.isGoodseedId(runId)) return null;
    const encoded = runId.slice(GOODSEED_RUN_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return null;
    const rel = Buffer.from(encoded, 'base64url').toString('utf8');
    if (!RUN_FILE.test(rel) || rel.split('/').some((part) => part === '.' || part === '..')) return null;
    let file: string;
    try {
      file = realpathSync(join(root, `${rel}.sqlite`));
      if (!file.startsWith(root + sep) || !statSync(file).isFile()) return null;
    } catch {
      return null;
    }
    return this.withFile(file, (db) => read(db, rel, file));
  }

  private withFile<T>(file: string, read: (db: Sqlite.Database) => T): T {
    const db = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 3000');
      return read(db);
    } finally {
      db.close();
    }
  }

  private realRoot(): string | null {
    if (!this.projectsDir) return null;
    try {
      return realpathSync(this.projectsDir);
    } catch {
      return null;
    }
  }

  /** `<project>/runs/<run>` paths (no extension) under `dir`; symlinks are not followed. */
  private *findRunFiles(root: string, rel: string, depth = 0): Generator<string> {
    if (depth > 8) return;
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* this.findRunFiles(root, child, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.sqlite') && RUN_FILE.test(child.slice(0, -7)))
        if (!lstatSync(join(root, child)).isSymbolicLink()) yield child.slice(0, -7);
    }
  }
}

function hasTable(db: Sqlite.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
