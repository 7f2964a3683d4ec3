import { Injectable } from '@angular/core';
import { isUnder, rebase } from './paths';

/** A change the console made on disk (files tree, path picker), in absolute paths. */
export type FileEvent =
  | {
      /** Renamed in place or moved (cut + paste): everything under `from` now lives under `to`. */
      kind: 'renamed';
      from: string;
      to: string;
    }
  | {
      /** Deleted permanently: `path` and, for a directory, everything under it is gone. */
      kind: 'deleted';
      path: string;
    };

/**
 * Tells other parts of the console what the files tree did to the disk, so an editor tab on a
 * renamed or moved file can follow it and one on a deleted file can close (the original closed
 * such tabs silently).
 *
 * Subscribe in an injection context and unsubscribe on destroy:
 *
 * ```ts
 * const stop = inject(FileEvents).on((event) => {
 *   for (const tab of tabs()) {
 *     const next = followPath(tab.path, event); // same path, its new path, or null when deleted
 *     if (next === null) closeTab(tab);
 *     else if (next !== tab.path) retarget(tab, next);
 *   }
 * });
 * inject(DestroyRef).onDestroy(stop);
 * ```
 *
 * Listeners run synchronously, in subscription order, after the server confirmed the change; one
 * that throws does not keep the others from running. Copies and new entries are not announced
 * (nothing open can be affected by them).
 */
@Injectable({ providedIn: 'root' })
export class FileEvents {
  private readonly listeners = new Set<(event: FileEvent) => void>();

  /** Calls `listener` for every later event; returns the function that unsubscribes it. */
  on(listener: (event: FileEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `from` (a file or a directory) is now `to`. */
  renamed(from: string, to: string): void {
    this.emit({ kind: 'renamed', from, to });
  }

  /** `path` (a file or a directory tree) no longer exists. */
  deleted(path: string): void {
    this.emit({ kind: 'deleted', path });
  }

  private emit(event: FileEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error('A FileEvents listener failed', err);
      }
    }
  }
}

/**
 * Where `path` is after `event`: the same path when the event does not touch it, its new path when
 * it (or a directory above it) was renamed or moved, null when it was deleted.
 */
export function followPath(path: string, event: FileEvent): string | null {
  if (event.kind === 'deleted') return isUnder(path, event.path) ? null : path;
  return isUnder(path, event.from) ? rebase(path, event.from, event.to) : path;
}
