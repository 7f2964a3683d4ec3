import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type FSWatcher, watch } from 'node:fs';
import { DomainError } from '@trainyard/core';
import { SearchRootRepository } from '@trainyard/fs';
import { type Discovery, discover, type Project } from './discovery';
import type { ConfigSpec } from './manifest';

/** Changes on disk are batched this long before a rescan. */
export const RESCAN_DEBOUNCE_MS = 300;
/** Without watchers (too many directories, or fs.watch unavailable) the cache lives this long. */
export const CACHE_TTL_MS = 30_000;
/** Beyond this many walked directories the catalog stops watching and falls back to the TTL. */
export const MAX_WATCHED_DIRS = 4000;

/**
 * The discovered projects, cached. Each walked directory is watched (node:fs.watch, one inotify watch
 * per directory: the walk's pruning is kept, which a recursive watch would not do), and any change
 * rescans after {@link RESCAN_DEBOUNCE_MS}. With too many directories, or where fs.watch fails, the
 * cache expires after {@link CACHE_TTL_MS} instead. A change of the search roots rescans on the next read.
 */
@Injectable()
export class ProjectCatalog implements OnModuleDestroy {
  private readonly logger = new Logger(ProjectCatalog.name);
  private current: { discovery: Discovery; roots: string; at: number; watched: boolean } | undefined;
  private scanning: Promise<Discovery> | undefined;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stale = false;

  constructor(private readonly searchRoots: SearchRootRepository) {}

  /** The current discovery, rescanning when stale. */
  async get(): Promise<Discovery & { scanned_at: string }> {
    const roots = (await this.searchRoots.list()).map((r) => r.path);
    const key = roots.join('\0');
    const c = this.current;
    const fresh = c && !this.stale && c.roots === key && (c.watched || Date.now() - c.at < CACHE_TTL_MS);
    const discovery = fresh ? c.discovery : await this.rescan(roots);
    return { ...discovery, scanned_at: new Date(this.current!.at).toISOString() };
  }

  /** Walks the roots again now. */
  async refresh(): Promise<Discovery & { scanned_at: string }> {
    this.stale = true;
    return this.get();
  }

  /** A project by id; 404 naming `id`. */
  async project(id: string): Promise<Project> {
    const project = (await this.get()).projects.get(id);
    if (!project)
      throw new DomainError('NOT_FOUND', `no project with id ${id} (refresh if it is new)`, [
        { field: 'id', message: `no project with id ${id}` },
      ]);
    return project;
  }

  /** A project by directory; 404 naming `field`. */
  async projectAt(field: string, dir: string): Promise<Project> {
    for (const p of (await this.get()).projects.values()) if (p.path === dir) return p;
    throw new DomainError('NOT_FOUND', `${dir} is not a discovered project`, [
      { field, message: `${dir} is not a discovered project` },
    ]);
  }

  /** A config of `project`; 404 naming `config`. */
  config(project: Project, name: string): ConfigSpec {
    const config = project.configs.find((c) => c.name === name);
    if (!config)
      throw new DomainError('NOT_FOUND', `project ${project.name} has no config "${name}"`, [
        { field: 'config', message: `no config "${name}" in ${project.path}` },
      ]);
    return config;
  }

  onModuleDestroy(): void {
    this.unwatch();
    clearTimeout(this.timer);
  }

  private async rescan(roots: string[]): Promise<Discovery> {
    // One walk at a time; readers arriving meanwhile share it.
    this.scanning ??= (async () => {
      try {
        this.stale = false;
        const discovery = await discover(roots);
        const watched = this.watch(discovery.dirs);
        this.current = { discovery, roots: roots.join('\0'), at: Date.now(), watched };
        return discovery;
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  private watch(dirs: string[]): boolean {
    this.unwatch();
    if (dirs.length > MAX_WATCHED_DIRS) return false;
    try {
      for (const dir of dirs) {
        const watcher = watch(dir, { persistent: false }, () => this.changed());
        watcher.on('error', () => this.changed());
        this.watchers.push(watcher);
      }
      return true;
    } catch (err) {
      this.logger.warn(
        `watching projects failed (${(err as Error).message}); refreshing every ${CACHE_TTL_MS} ms`,
      );
      this.unwatch();
      return false;
    }
  }

  private changed(): void {
    this.stale = true;
    clearTimeout(this.timer);
    // Rescan in the background so the next read is already fresh (and new directories get watched).
    this.timer = setTimeout(() => {
      if (!this.stale) return;
      this.searchRoots
        .list()
        .then((roots) => this.rescan(roots.map((r) => r.path)))
        .catch((err: Error) => this.logger.warn(`project rescan failed: ${err.message}`));
    }, RESCAN_DEBOUNCE_MS);
    this.timer.unref();
  }

  private unwatch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
