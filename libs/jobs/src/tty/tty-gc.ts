import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissingFileError } from './tty-tail';

/** Per-job files in the jobs directory: `<queue_id>.<ext>` (group 1: the queue id). */
export const JOB_FILE_PATTERN =
  /^(q_\d+_[0-9a-f]{8})\.(tty|exit|stop|sh|env|tty\.base|tty\.tmp|tty\.base\.tmp)$/;
/** Per-job secret files in the secrets directory: `<queue_id>.<name>` (group 1: the queue id). */
export const SECRET_FILE_PATTERN = /^(q_\d+_[0-9a-f]{8})\.[A-Za-z0-9_-]+$/;

export interface TtyGcResult {
  /** File names (relative to the jobs directory) that were deleted, sorted. */
  removed: string[];
  /** Job files (regular files matching the pattern) left in place. */
  kept: number;
  /** Of those, the files of no job kept because they are newer than the TTL. */
  keptOrphans: number;
}

interface JobFile {
  name: string;
  mtimeMs: number;
}

/**
 * Deletes the files of jobs the database no longer knows (`knownIds`) once all of that job's files
 * are older than `ttlMs`: `pattern` picks the per-job files of `dir` (its group 1 is the queue id),
 * job logs by default, or `SECRET_FILE_PATTERN` in the secrets directory. The age check covers the race with a job created after `knownIds` was
 * read: its files are fresh. A job's files go together, judged by the newest one, so a recent
 * `.exit` keeps its `.tty`. Only regular files directly in `dir` are considered: symlinks,
 * directories and other names are never touched (lstat, no following).
 */
export async function gcOrphanJobFiles(
  dir: string,
  knownIds: ReadonlySet<string>,
  ttlMs: number,
  now = Date.now(),
  pattern = JOB_FILE_PATTERN,
): Promise<TtyGcResult> {
  const byJob = new Map<string, JobFile[]>();
  for (const name of await readdir(dir)) {
    const match = pattern.exec(name);
    if (!match) continue;
    let stats;
    try {
      stats = await lstat(join(dir, name));
    } catch (err) {
      if (isMissingFileError(err)) continue; // removed meanwhile
      throw err;
    }
    if (!stats.isFile()) continue;
    const files = byJob.get(match[1]) ?? [];
    files.push({ name, mtimeMs: stats.mtimeMs });
    byJob.set(match[1], files);
  }

  const removed: string[] = [];
  let kept = 0;
  let keptOrphans = 0;
  for (const [queueId, files] of byJob) {
    const newest = Math.max(...files.map((f) => f.mtimeMs));
    if (knownIds.has(queueId) || now - newest < ttlMs) {
      kept += files.length;
      if (!knownIds.has(queueId)) keptOrphans += files.length;
      continue;
    }
    for (const file of files) {
      try {
        await unlink(join(dir, file.name));
        removed.push(file.name);
      } catch (err) {
        if (!isMissingFileError(err)) throw err;
      }
    }
  }
  return { removed: removed.sort(), kept, keptOrphans };
}
