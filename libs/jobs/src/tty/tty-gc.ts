import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissingFileError } from './tty-tail';

/** The per-job files the job side leaves in the jobs directory: `<queue_id>.<ext>`. */
export const JOB_FILE_PATTERN = /^(q_\d+_[0-9a-f]{8})\.(tty|exit|sh)$/;

export interface TtyGcResult {
  /** File names (relative to the jobs directory) that were deleted, sorted. */
  removed: string[];
  /** Job files (regular files matching the pattern) left in place. */
  kept: number;
}

interface JobFile {
  name: string;
  mtimeMs: number;
}

/**
 * Deletes the files of jobs the database no longer knows (`knownIds`) once all of that job's files
 * are older than `ttlMs`. The age check covers the race with a job created after `knownIds` was
 * read: its files are fresh. A job's files go together, judged by the newest one, so a recent
 * `.exit` keeps its `.tty`. Only regular files directly in `jobsDir` are considered: symlinks,
 * directories and other names are never touched (lstat, no following).
 */
export async function gcOrphanTtyFiles(
  jobsDir: string,
  knownIds: ReadonlySet<string>,
  ttlMs: number,
  now = Date.now(),
): Promise<TtyGcResult> {
  const byJob = new Map<string, JobFile[]>();
  for (const name of await readdir(jobsDir)) {
    const match = JOB_FILE_PATTERN.exec(name);
    if (!match) continue;
    let stats;
    try {
      stats = await lstat(join(jobsDir, name));
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
  for (const [queueId, files] of byJob) {
    const newest = Math.max(...files.map((f) => f.mtimeMs));
    if (knownIds.has(queueId) || now - newest < ttlMs) {
      kept += files.length;
      continue;
    }
    for (const file of files) {
      try {
        await unlink(join(jobsDir, file.name));
        removed.push(file.name);
      } catch (err) {
        if (!isMissingFileError(err)) throw err;
      }
    }
  }
  return { removed: removed.sort(), kept };
}
