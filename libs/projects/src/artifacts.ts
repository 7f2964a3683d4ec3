import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { readRegularFile } from '@trainyard/fs';
import { join } from 'node:path';

// What a config left under its output directory. Layouts understood: Forgather's
// (`runs/<run>/`, `checkpoints/checkpoint-N/`, `evaluations/*.json`) and Hugging Face's
// (`checkpoint-N/` at the top, `eval_results.json`, `all_results.json`). Links are never followed.

export interface LogFile {
  name: string;
  path: string;
  size_bytes: number;
}

export interface Run {
  name: string;
  path: string;
  /** ISO 8601 mtime of the run directory. */
  modified_at: string;
  /** Log and record files directly in the run directory (`*.log`, `*.json`, `*.jsonl`, `*.txt`). */
  logs: LogFile[];
}

export interface Checkpoint {
  name: string;
  path: string;
  /** Optimizer step: `trainer_state.json` `global_step`, else the `checkpoint-N` name; null when neither. */
  step: number | null;
  /** Total size of the files in it (recursively, links not followed), bytes. */
  size_bytes: number;
  /** ISO 8601: the newest mtime of its files. */
  saved_at: string;
  /** Ranks that wrote it, when known (trainer_state.json, the index's metadata, or per-rank file/dir names). */
  world_size: number | null;
  /** The `*.safetensors.index.json` (sharded weights), if any. */
  index_file: string | null;
}

export interface EvalMetric {
  /** Dotted path of the value in the file, e.g. `results.hellaswag.acc`. */
  metric: string;
  value: number | string | boolean | null;
}

export interface Evaluation {
  name: string;
  path: string;
  modified_at: string;
  /** Every scalar in the JSON file, flattened (at most {@link MAX_METRICS}). */
  results: EvalMetric[];
}

export interface Artifacts {
  output_dir: string;
  /** False when the output directory does not exist yet (nothing has run). */
  exists: boolean;
  runs: Run[];
  checkpoints: Checkpoint[];
  evaluations: Evaluation[];
}

const MAX_METRICS = 500;
const MAX_JSON_BYTES = 8 * 1024 * 1024;
const MAX_SIZE_FILES = 100_000;
const CHECKPOINT = /^checkpoint-(\d+)$/;
const LOG_FILE = /\.(log|json|jsonl|txt)$/;
const RANK_NAME = /^(?:rank[_-]?|rng_state_|shard[_-]?)(\d+)(?:\.\w+)?$/;

async function entries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readRegularFile(path, MAX_JSON_BYTES)) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs, checkpoints and evaluations under `outputDir`, each list newest first (checkpoints: by step). */
export async function scanArtifacts(outputDir: string): Promise<Artifacts> {
  const top = await readdir(outputDir, { withFileTypes: true }).catch(() => undefined);
  if (!top) return { output_dir: outputDir, exists: false, runs: [], checkpoints: [], evaluations: [] };
  const runs: Run[] = [];
  for (const e of await entries(join(outputDir, 'runs')))
    if (e.isDirectory()) runs.push(await readRun(join(outputDir, 'runs', e.name), e.name));
  const checkpointDirs = [
    ...top.filter((e) => e.isDirectory() && CHECKPOINT.test(e.name)).map((e) => join(outputDir, e.name)),
    ...(await entries(join(outputDir, 'checkpoints')))
      .filter((e) => e.isDirectory())
      .map((e) => join(outputDir, 'checkpoints', e.name)),
  ];
  const checkpoints = await Promise.all(checkpointDirs.map(readCheckpoint));
  const evalFiles = [
    ...top
      .filter((e) => e.isFile() && /(^|_)(eval|all)_results\.json$/.test(e.name))
      .map((e) => join(outputDir, e.name)),
    ...(await jsonFilesUnder(join(outputDir, 'evaluations'))),
  ];
  const evaluations: Evaluation[] = [];
  for (const file of evalFiles) {
    const doc = await readJson(file);
    if (doc === undefined) continue;
    const st = await lstat(file);
    evaluations.push({
      name: file.slice(outputDir.length + 1),
      path: file,
      modified_at: st.mtime.toISOString(),
      results: flattenScalars(doc),
    });
  }
  const newest = (a: { modified_at: string }, b: { modified_at: string }) =>
    b.modified_at.localeCompare(a.modified_at);
  runs.sort(newest);
  evaluations.sort(newest);
  checkpoints.sort((a, b) => (b.step ?? -1) - (a.step ?? -1) || b.saved_at.localeCompare(a.saved_at));
  return { output_dir: outputDir, exists: true, runs, checkpoints, evaluations };
}

async function readRun(path: string, name: string): Promise<Run> {
  const st = await lstat(path);
  const logs: LogFile[] = [];
  for (const e of await entries(path)) {
    if (!e.isFile() || !LOG_FILE.test(e.name)) continue;
    const f = await lstat(join(path, e.name));
    logs.push({ name: e.name, path: join(path, e.name), size_bytes: f.size });
  }
  logs.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { name, path, modified_at: st.mtime.toISOString(), logs };
}

async function readCheckpoint(path: string): Promise<Checkpoint> {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const list = await entries(path);
  const state = (await readJson(join(path, 'trainer_state.json'))) as Record<string, unknown> | undefined;
  const indexEntry = list.find((e) => e.isFile() && e.name.endsWith('.safetensors.index.json'));
  const indexFile = indexEntry ? join(path, indexEntry.name) : null;
  const index = indexFile
    ? ((await readJson(indexFile)) as { metadata?: Record<string, unknown> } | undefined)
    : undefined;
  const fromName = CHECKPOINT.exec(name);
  const step = positiveInt(state?.global_step) ?? (fromName ? Number(fromName[1]) : null);
  const ranks = list.map((e) => RANK_NAME.exec(e.name)).filter((m) => m !== null);
  const worldSize =
    positiveInt(state?.world_size) ??
    positiveInt(index?.metadata?.world_size) ??
    (ranks.length ? Math.max(...ranks.map((m) => Number(m[1]))) + 1 : null);
  const { size, newest } = await treeSize(path);
  return {
    name,
    path,
    step,
    size_bytes: size,
    saved_at: new Date(newest).toISOString(),
    world_size: worldSize,
    index_file: indexFile,
  };
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

async function treeSize(dir: string): Promise<{ size: number; newest: number }> {
  let size = 0;
  let newest = (await lstat(dir)).mtimeMs;
  let files = 0;
  const stack = [dir];
  while (stack.length && files < MAX_SIZE_FILES) {
    const at = stack.pop()!;
    for (const e of await entries(at)) {
      const path = join(at, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile()) {
        const st = await lstat(path).catch(() => undefined);
        if (!st) continue;
        files++;
        size += st.size;
        newest = Math.max(newest, st.mtimeMs);
      }
    }
  }
  return { size, newest };
}

async function jsonFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length && out.length < 1000) {
    const at = stack.pop()!;
    for (const e of await entries(at)) {
      const path = join(at, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile() && e.name.endsWith('.json')) out.push(path);
    }
  }
  return out.sort();
}

/** `{a: {b: 1}, c: [2]}` → `a.b = 1`, `c.0 = 2`; NaN/Infinity cannot appear in JSON, strings kept. */
export function flattenScalars(doc: unknown, prefix = '', out: EvalMetric[] = []): EvalMetric[] {
  if (out.length >= MAX_METRICS) return out;
  if (doc === null || typeof doc !== 'object') {
    out.push({ metric: prefix || 'value', value: doc as EvalMetric['value'] });
    return out;
  }
  for (const [key, value] of Object.entries(doc))
    flattenScalars(value, prefix ? `${prefix}.${key}` : key, out);
  return out;
}
