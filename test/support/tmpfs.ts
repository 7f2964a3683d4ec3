import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Writes zeros to `<dir>/filler` until the filesystem is full (ENOSPC); returns the filler's path. */
  fill: () => string;
  unmount: () => void;
}

/** Mounts a real tmpfs of `size` (e.g. `2m`) on a fresh directory; needs root (CAP_SYS_ADMIN). */
export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'trainyard-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    fill: () => fillFilesystem(dir),
    unmount: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why tmpfs tests cannot run here (not root, no mount permission in this container), or null. */
export function tmpfsUnavailable(): string | null {
  try {
    mountTmpfs('64k').unmount();
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${String((err as Error).message).split('\n')[0]}): run as root to include the disk-full checks`;
  }
}

function fillFilesystem(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let size = chunk.length; size >= 512;) {
      try {
        writeSync(fd, chunk, 0, size);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size = Math.floor(size / 2); // the last blocks, down to one sector
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
