import { Injectable, computed, inject, signal } from '@angular/core';
import {
  type DirEntryDto,
  type SearchRootDto,
  addSearchRoot,
  browseFs,
  copyPath,
  createFile,
  deleteDirectory,
  deleteFile,
  listSearchRoots,
  makeDirectory,
  movePath,
  removeSearchRoot,
  renamePath,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { FileEvents } from '../core/file-events';
import { baseName, isUnder, parentOf, rebase } from '../core/paths';
import { readStored, writeStored } from '../core/storage';
import { ToastStore } from '../core/toast.store';

export type EntryKind = DirEntryDto['kind'];

/** One directory's listing as the tree knows it; `entries` null until it has loaded once. */
export interface DirState {
  entries: DirEntryDto[] | null;
  /** Entries left out for a leading dot (with show-hidden off). */
  hidden?: number;
  loading: boolean;
  error: string | null;
}

/** A visible line of the tree, in display order. */
export type TreeRow =
  | {
      type: 'entry';
      /** Unique among the rows: a directory can show twice (as a root and inside another root). */
      key: string;
      path: string;
      name: string;
      kind: EntryKind;
      /** 1 for a search root (aria-level). */
      level: number;
      root: boolean;
      expanded: boolean;
      loading: boolean;
    }
  /** A line under an open directory that is not an entry: loading, empty, or the error. */
  | { type: 'note'; path: string; level: number; text: string; error: boolean };

export interface Clipboard {
  path: string;
  mode: 'cut' | 'copy';
}

const STORAGE_KEY = 'trainyard.files';

interface Stored {
  showHidden?: boolean;
  expanded?: string[];
}

/**
 * The sidebar Files tree: the search roots, each directory listed only once it is opened
 * (GET /api/fs/browse, files too), the show-hidden switch, the clipboard, and every change
 * (create, rename, copy, move, delete) followed by a reload of the directories it touched.
 * A failure is toasted with the server's message and the operation resolves to null.
 */
@Injectable()
export class FilesTreeStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);
  private readonly events = inject(FileEvents);

  readonly roots = signal<SearchRootDto[]>([]);
  readonly rootsError = signal<string | null>(null);
  readonly rootsLoaded = signal(false);
  readonly showHidden = signal(readStored<Stored>(STORAGE_KEY, {}).showHidden === true);
  readonly expanded = signal<ReadonlySet<string>>(
    new Set(readStored<Stored>(STORAGE_KEY, {}).expanded ?? []),
  );
  readonly dirs = signal<ReadonlyMap<string, DirState>>(new Map());
  readonly clipboard = signal<Clipboard | null>(null);

  /** Per directory, the newest load: an older answer (e.g. before show-hidden flipped) is dropped. */
  private readonly generation = new Map<string, number>();

  readonly rows = computed(() => flatten(this.roots(), this.expanded(), this.dirs()));

  async loadRoots(): Promise<void> {
    try {
      this.setRoots((await listSearchRoots({ client: this.api })).data);
      this.rootsError.set(null);
      // Directories left open last time list again (only those on screen).
      await Promise.all(
        [...this.expanded()].filter((p) => this.isShown(p) && !this.dirs().has(p)).map((p) => this.load(p)),
      );
    } catch (err) {
      this.rootsError.set(errorMessage(err));
    } finally {
      this.rootsLoaded.set(true);
    }
  }

  async addRoot(path: string): Promise<boolean> {
    try {
      this.setRoots((await addSearchRoot({ client: this.api, body: { path } })).data);
      this.toasts.success(`Added ${path} to the files tree.`);
      return true;
    } catch (err) {
      this.toasts.error(errorMessage(err));
      return false;
    }
  }

  async removeRoot(path: string): Promise<boolean> {
    try {
      this.setRoots((await removeSearchRoot({ client: this.api, query: { path } })).data);
      return true;
    } catch (err) {
      this.toasts.error(errorMessage(err));
      return false;
    }
  }

  isExpanded(path: string): boolean {
    return this.expanded().has(path);
  }

  /** Opens a directory, listing it the first time. */
  expand(path: string): Promise<void> {
    if (!this.expanded().has(path)) this.setExpanded((set) => set.add(path));
    return this.dirs().get(path)?.entries ? Promise.resolve() : this.load(path);
  }

  collapse(path: string): void {
    if (this.expanded().has(path)) this.setExpanded((set) => set.delete(path));
  }

  toggle(path: string): Promise<void> {
    if (this.expanded().has(path)) {
      this.collapse(path);
      return Promise.resolve();
    }
    return this.expand(path);
  }

  setShowHidden(show: boolean): Promise<void> {
    this.showHidden.set(show);
    this.persist();
    return this.reloadAll();
  }

  /** Lists every open directory again and forgets the closed ones (they load when next opened). */
  async reloadAll(): Promise<void> {
    const open = [...this.dirs().keys()].filter((p) => this.isShown(p));
    this.dirs.update((dirs) => new Map([...dirs].filter(([p]) => open.includes(p))));
    await Promise.all(open.map((p) => this.load(p)));
  }

  /** Lists `paths` again where they have been listed before (a closed, never-listed one waits). */
  async refresh(...paths: string[]): Promise<void> {
    const known = [...new Set(paths)].filter((p) => this.dirs().has(p));
    await Promise.all(known.map((p) => this.load(p)));
  }

  async load(path: string): Promise<void> {
    const gen = (this.generation.get(path) ?? 0) + 1;
    this.generation.set(path, gen);
    this.patchDir(path, { loading: true });
    try {
      const { data } = await browseFs({
        client: this.api,
        query: { path, show_hidden: this.showHidden(), files_too: true },
      });
      if (this.generation.get(path) === gen)
        this.patchDir(path, { entries: data.entries, hidden: data.hidden, loading: false, error: null });
    } catch (err) {
      if (this.generation.get(path) === gen)
        this.patchDir(path, { entries: null, loading: false, error: errorMessage(err) });
    }
  }

  // The four below throw the server's refusal (the name prompt shows it by its field, and stays).

  /** Makes folder `name` in `parent`; its path. */
  async newFolder(parent: string, name: string): Promise<string> {
    const { data } = await makeDirectory({ client: this.api, body: { parent, name } });
    await this.afterCreate(parent);
    return data.path;
  }

  /** Makes empty file `name` in `parent`; its path. */
  async newFile(parent: string, name: string): Promise<string> {
    const { data } = await createFile({ client: this.api, body: { parent, name } });
    await this.afterCreate(parent);
    return data.path;
  }

  /** Renames `path` to `newName` in its folder; the new path. */
  async rename(path: string, newName: string): Promise<string> {
    const { data } = await renamePath({ client: this.api, body: { path, new_name: newName } });
    this.moved(path, data.path);
    await this.refresh(parentOf(path));
    return data.path;
  }

  /** A copy next to the original: `target_name` when given, else `stem (copy).ext`, `(copy 2)`, … */
  async duplicate(path: string, targetName?: string): Promise<string> {
    const dir = parentOf(path);
    const { data } = await copyPath({
      client: this.api,
      body: targetName
        ? { src: path, dest_dir: dir, target_name: targetName }
        : { src: path, dest_dir: dir, auto_rename: true },
    });
    await this.refresh(dir);
    return data.path;
  }

  cut(path: string): void {
    this.clipboard.set({ path, mode: 'cut' });
  }

  copy(path: string): void {
    this.clipboard.set({ path, mode: 'copy' });
  }

  /**
   * Pastes the clipboard into `destDir`: a cut moves (and empties the clipboard; a taken name is the
   * server's 409), a copy copies with `auto_rename` (a taken name becomes `name (copy)`).
   */
  async paste(destDir: string): Promise<string | null> {
    const clip = this.clipboard();
    if (!clip) return null;
    return this.run(async () => {
      if (clip.mode === 'cut') {
        const { data } = await movePath({ client: this.api, body: { src: clip.path, dest_dir: destDir } });
        this.clipboard.set(null);
        this.moved(clip.path, data.path);
        await this.refresh(parentOf(clip.path), destDir);
        await this.expand(destDir);
        return data.path;
      }
      const { data } = await copyPath({
        client: this.api,
        body: { src: clip.path, dest_dir: destDir, auto_rename: true },
      });
      await this.refresh(destDir);
      await this.expand(destDir);
      return data.path;
    });
  }

  /** Deletes permanently (the caller has asked the user); `dir` picks delete-dir over delete-file. */
  async delete(path: string, dir: boolean): Promise<boolean> {
    const done = await this.run(async () => {
      const body = { path, confirmed: true };
      await (dir ? deleteDirectory({ client: this.api, body }) : deleteFile({ client: this.api, body }));
      this.forget(path);
      const clip = this.clipboard();
      if (clip && isUnder(clip.path, path)) this.clipboard.set(null);
      this.events.deleted(path);
      await this.refresh(parentOf(path));
      return path;
    });
    return done !== null;
  }

  /** `from` is now `to`: open directories under it stay open at their new paths. */
  private moved(from: string, to: string): void {
    const reopen = [...this.expanded()].filter((p) => isUnder(p, from)).map((p) => rebase(p, from, to));
    this.forget(from);
    this.setExpanded((set) => reopen.forEach((p) => set.add(p)));
    const clip = this.clipboard();
    if (clip && isUnder(clip.path, from)) this.clipboard.set({ ...clip, path: rebase(clip.path, from, to) });
    this.events.renamed(from, to);
    for (const p of reopen) void this.load(p);
  }

  /** Drops what the tree knows about `path` and everything under it. */
  private forget(path: string): void {
    this.dirs.update((dirs) => new Map([...dirs].filter(([p]) => !isUnder(p, path))));
    for (const p of [...this.generation.keys()]) if (isUnder(p, path)) this.generation.delete(p);
    this.setExpanded((set) => [...set].filter((p) => isUnder(p, path)).forEach((p) => set.delete(p)));
  }

  private async afterCreate(parent: string): Promise<void> {
    await this.refresh(parent);
    await this.expand(parent);
  }

  private async run<T>(op: () => Promise<T>): Promise<T | null> {
    try {
      return await op();
    } catch (err) {
      this.toasts.error(errorMessage(err));
      return null;
    }
  }

  private setRoots(roots: SearchRootDto[]): void {
    this.roots.set(roots);
  }

  /** Whether a directory's rows are on screen: it and every directory above it up to a root are open. */
  private isShown(path: string): boolean {
    const root = this.roots().find((r) => isUnder(path, r.path));
    if (!root) return false;
    for (let p = path; ; p = parentOf(p)) {
      if (!this.expanded().has(p)) return false;
      if (p === root.path) return true;
    }
  }

  private patchDir(path: string, patch: Partial<DirState>): void {
    this.dirs.update((dirs) => {
      const next = new Map(dirs);
      next.set(path, { entries: null, loading: false, error: null, ...dirs.get(path), ...patch });
      return next;
    });
  }

  private setExpanded(change: (set: Set<string>) => void): void {
    const next = new Set(this.expanded());
    change(next);
    this.expanded.set(next);
    this.persist();
  }

  private persist(): void {
    writeStored(STORAGE_KEY, {
      showHidden: this.showHidden(),
      expanded: [...this.expanded()],
    } satisfies Stored);
  }
}

/** The visible rows: each root, and under every open directory its entries (or a note). */
export function flatten(
  roots: readonly SearchRootDto[],
  expanded: ReadonlySet<string>,
  dirs: ReadonlyMap<string, DirState>,
): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (rootIndex: number, path: string, name: string, kind: EntryKind, level: number) => {
    const open = kind === 'dir' && expanded.has(path);
    const state = dirs.get(path);
    rows.push({
      type: 'entry',
      key: `${rootIndex}:${path}`,
      path,
      name,
      kind,
      level,
      root: level === 1,
      expanded: open,
      loading: !!state?.loading,
    });
    if (!open) return;
    if (state?.error) {
      rows.push({ type: 'note', path, level: level + 1, text: state.error, error: true });
    } else if (!state?.entries) {
      rows.push({ type: 'note', path, level: level + 1, text: 'Loading…', error: false });
    } else if (state.entries.length === 0) {
      // A folder of dotfiles is not an empty one.
      const text = state.hidden ? `Only hidden entries (${state.hidden}): tick “hidden”` : 'Empty';
      rows.push({ type: 'note', path, level: level + 1, text, error: false });
    } else {
      for (const e of state.entries) walk(rootIndex, e.path, e.name, e.kind, level + 1);
    }
  };
  roots.forEach((r, i) => walk(i, r.path, baseName(r.path), 'dir', 1));
  return rows;
}
