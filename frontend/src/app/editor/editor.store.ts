import { Injectable, computed, inject, signal } from '@angular/core';
import type { editor as MonacoEditor } from 'monaco-editor';
import { TrainyardApiError, readSource, writeSource } from '@trainyard/sdk';
import { API, errorMessage, isStatus } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { distinguishingDirs } from '../core/paths';
import { type FileEvent, FileEvents, followPath } from '../core/file-events';
import { ToastStore } from '../core/toast.store';
import { languageForPath } from './languages';
import { monacoReady } from './monaco-setup';

/** UTF-8 with a leading BOM kept as U+FEFF: what was on disk is what a save writes back. */
const SOURCE_DECODER = new TextDecoder('utf-8', { ignoreBOM: true });

/** Why a file did not open, shown inside its tab. */
export interface OpenError {
  status: number;
  title: string;
  message: string;
}

/** An open file (one buffer, however many splits show it). */
export interface OpenFile {
  path: string;
  name: string;
  language: string;
  status: 'loading' | 'ready' | 'error';
  error?: OpenError;
  dirty: boolean;
  saving: boolean;
}

/** One editor group (a split): its tabs, left to right, and the one shown. */
export interface EditorGroup {
  id: number;
  tabs: string[];
  active: string | null;
}

/** A save refused because the file changed on disk since it was read (409 FILE_CHANGED). */
export interface SaveConflict {
  path: string;
  message: string;
}

/** What only the store touches: the Monaco model and the disk state it was read or saved at. */
interface Buffer {
  model?: MonacoEditor.ITextModel;
  /** `X-Mtime` of the last read or save (ns since the epoch, decimal string). */
  mtime: string | null;
  /** The model's alternative version id at the last read or save: equal again after undoing back. */
  savedVersion: number;
}

/** At most this many splits side by side (two fit an 800 px window). */
export const MAX_GROUPS = 2;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || path;
}

/** The reason a read failed, in words for the tab (415 and 413 say what kind of file it is). */
export function describeOpenError(err: unknown): OpenError {
  const status = err instanceof TrainyardApiError ? err.status : 0;
  const message = errorMessage(err);
  switch (status) {
    case 415:
      return {
        status,
        title: 'Not a text file',
        message: `It looks binary or is not UTF-8, so it cannot be edited here (${message}).`,
      };
    case 413:
      return {
        status,
        title: 'File too large',
        message: `Files over 10 MiB do not open in the editor (${message}).`,
      };
    case 404:
      return { status, title: 'File not found', message };
    default:
      return { status, title: 'Cannot open the file', message };
  }
}

/**
 * The Edit view's state: open files keyed by absolute path (shared across splits, so one file open
 * in both stays in step), the splits with their tabs, saving with lost-update protection, and the
 * pending save conflict. Provided in root, so tabs and unsaved edits survive leaving the view.
 */
@Injectable({ providedIn: 'root' })
export class EditorStore {
  private readonly api = inject(API);
  private readonly confirm = inject(ConfirmStore);
  private readonly toasts = inject(ToastStore);

  private readonly buffers = new Map<string, Buffer>();
  private nextGroupId = 2;

  readonly files = signal<Readonly<Record<string, OpenFile>>>({});
  readonly groups = signal<readonly EditorGroup[]>([{ id: 1, tabs: [], active: null }]);
  readonly activeGroupId = signal(1);
  readonly conflict = signal<SaveConflict | null>(null);
  /** A line to show once the file is in its editor (`/edit?path=…&line=N`); the view clears it. */
  readonly reveal = signal<{ groupId: number; path: string; line: number } | null>(null);

  readonly activeGroup = computed(
    () => this.groups().find((g) => g.id === this.activeGroupId()) ?? this.groups()[0],
  );
  readonly activePath = computed(() => this.activeGroup().active);
  /** For open files sharing a name, the end of their directory that tells their tabs apart. */
  readonly dirHints = computed(() => distinguishingDirs(Object.keys(this.files())));
  readonly anyDirty = computed(() => Object.values(this.files()).some((f) => f.dirty));

  constructor() {
    // A reload or a closed window would lose unsaved edits: let the browser ask first.
    window.addEventListener('beforeunload', (event) => {
      if (this.anyDirty()) event.preventDefault();
    });
    // Root-provided and never destroyed: the subscription lives as long as the console.
    inject(FileEvents).on((event) => void this.follow(event));
  }

  /**
   * The files tree renamed, moved or deleted something: tabs on it follow it to its new path; tabs
   * on a deleted file close, unless they hold unsaved edits (those stay, and saving recreates it).
   */
  async follow(event: FileEvent): Promise<void> {
    for (const path of Object.keys(this.files())) {
      const next = followPath(path, event);
      if (next === path) continue;
      if (next === null) {
        if (this.files()[path]?.dirty) {
          this.toasts.info(`${baseName(path)} was deleted; its unsaved edits stay in the tab.`);
          continue;
        }
        for (const g of this.groups().filter((g) => g.tabs.includes(path))) this.removeTab(g.id, path);
        this.forget(path);
        continue;
      }
      await this.retarget(path, next);
    }
  }

  /** Moves an open file's tabs and buffer to `to` (a new model: Monaco keys models by path). */
  private async retarget(from: string, to: string): Promise<void> {
    const buffer = this.buffers.get(from);
    const file = this.files()[from];
    if (!file) return;
    const language = languageForPath(to);
    this.files.update((fs) => {
      const { [from]: moved, ...rest } = fs;
      return { ...rest, [to]: { ...moved, path: to, name: baseName(to), language } };
    });
    this.groups.update((gs) =>
      gs.map((g) => ({
        ...g,
        tabs: g.tabs.map((t) => (t === from ? to : t)),
        active: g.active === from ? to : g.active,
      })),
    );
    this.buffers.delete(from);
    if (this.conflict()?.path === from) this.conflict.set(null);
    if (!buffer?.model) return;
    const monaco = await monacoReady;
    const content = buffer.model.getValue(undefined, true); // with its BOM, if it had one
    buffer.model.dispose();
    this.attach(
      to,
      monaco.editor.createModel(content, language, monaco.Uri.file(to)),
      buffer.mtime,
      file.dirty,
    );
  }

  /** The Monaco model of an open, loaded file (undefined while loading or after an error). */
  model(path: string): MonacoEditor.ITextModel | undefined {
    return this.buffers.get(path)?.model;
  }

  /**
   * Shows `path`: focuses the split that already has it, otherwise opens a tab in the active split
   * (reading the file once, whichever split shows it).
   */
  open(path: string, line?: number): void {
    const current = this.activeGroup();
    let group = current.tabs.includes(path) ? current : this.groups().find((g) => g.tabs.includes(path));
    if (!group) {
      group = this.activeGroup();
      const target = group;
      this.updateGroup(target.id, (g) => ({ ...g, tabs: insertAfter(g.tabs, g.active, path), active: path }));
    } else {
      this.updateGroup(group.id, (g) => ({ ...g, active: path }));
    }
    this.activeGroupId.set(group.id);
    this.closeFailed(path);
    // A file that did not open is read again: opening it anew is the way to retry.
    if (!this.files()[path] || this.files()[path].status === 'error') void this.load(path);
    if (line && line > 0) this.reveal.set({ groupId: group.id, path, line });
  }

  /**
   * Closes the tabs of files that could not be opened (their error has been seen): each open takes
   * the place of the last failed one, so refused paths leave no dead tabs behind.
   */
  private closeFailed(except: string): void {
    for (const file of Object.values(this.files())) {
      if (file.path === except || file.status !== 'error') continue;
      for (const g of this.groups().filter((g) => g.tabs.includes(file.path)))
        this.removeTab(g.id, file.path);
      this.forget(file.path);
    }
  }

  activate(groupId: number, path: string): void {
    this.updateGroup(groupId, (g) => ({ ...g, active: path }));
    this.activeGroupId.set(groupId);
  }

  /** Closes a tab; the last tab of a dirty file asks before its edits are dropped. */
  async close(groupId: number, path: string): Promise<boolean> {
    const elsewhere = this.groups().some((g) => g.id !== groupId && g.tabs.includes(path));
    if (!elsewhere && this.files()[path]?.dirty) {
      const ok = await this.confirm.ask({
        title: `Close ${baseName(path)}?`,
        message: `${path} has unsaved changes. Closing the tab discards them.`,
        confirmLabel: 'Discard changes',
        danger: true,
      });
      if (!ok) return false;
    }
    this.removeTab(groupId, path);
    if (!elsewhere) this.forget(path);
    return true;
  }

  /** Opens a second split to the right showing the same file as `groupId`. */
  split(groupId: number): void {
    if (this.groups().length >= MAX_GROUPS) return;
    const source = this.groups().find((g) => g.id === groupId);
    const id = this.nextGroupId++;
    const path = source?.active ?? null;
    this.groups.update((gs) => [...gs, { id, tabs: path ? [path] : [], active: path }]);
    this.activeGroupId.set(id);
  }

  /**
   * Moves a tab to another split (drag and drop, or the "move to the other split" button), before
   * `beforePath` or at the end; a split left empty closes when another remains.
   */
  moveTab(path: string, fromId: number, toId: number, beforePath: string | null = null): void {
    if (fromId === toId) {
      this.updateGroup(toId, (g) => {
        const tabs = g.tabs.filter((t) => t !== path);
        const at = beforePath ? tabs.indexOf(beforePath) : -1;
        tabs.splice(at < 0 ? tabs.length : at, 0, path);
        return { ...g, tabs, active: path };
      });
      this.activeGroupId.set(toId);
      return;
    }
    this.updateGroup(toId, (g) => {
      const tabs = g.tabs.filter((t) => t !== path);
      const at = beforePath ? tabs.indexOf(beforePath) : -1;
      tabs.splice(at < 0 ? tabs.length : at, 0, path);
      return { ...g, tabs, active: path };
    });
    this.removeTab(fromId, path);
    this.activeGroupId.set(this.groups().some((g) => g.id === toId) ? toId : this.groups()[0].id);
  }

  /** The split other than `groupId`, creating one when there is room (for keyboard moves). */
  otherGroup(groupId: number): number | null {
    const other = this.groups().find((g) => g.id !== groupId);
    if (other) return other.id;
    if (this.groups().length >= MAX_GROUPS) return null;
    const id = this.nextGroupId++;
    this.groups.update((gs) => [...gs, { id, tabs: [], active: null }]);
    return id;
  }

  /**
   * Saves the file: with the mtime it was read at, so an outside change since is not overwritten
   * (409 → {@link conflict}); `force` overwrites whatever is on disk.
   */
  async save(path: string, force = false): Promise<boolean> {
    const buffer = this.buffers.get(path);
    const file = this.files()[path];
    if (!buffer?.model || !file || file.saving) return false;
    const version = buffer.model.getAlternativeVersionId();
    this.patch(path, { saving: true });
    try {
      const { data } = await writeSource({
        client: this.api,
        // preserveBOM: Monaco keeps a leading BOM out of the text; the file keeps it.
        body: {
          path,
          content: buffer.model.getValue(undefined, true),
          expected_mtime: force ? null : buffer.mtime,
        },
      });
      buffer.mtime = data.mtime;
      buffer.savedVersion = version;
      this.conflict.set(null);
      this.patch(path, { dirty: buffer.model.getAlternativeVersionId() !== version });
      return true;
    } catch (err) {
      if (isStatus(err, 409)) this.conflict.set({ path, message: errorMessage(err) });
      else this.toasts.error(`Could not save ${baseName(path)}: ${errorMessage(err)}`);
      return false;
    } finally {
      this.patch(path, { saving: false });
    }
  }

  /** Saves the active split's active file (Ctrl/Cmd+S). */
  saveActive(): void {
    const path = this.activePath();
    if (path) void this.save(path);
  }

  /** The file as it is on disk now (for Compare), without touching the buffer. */
  async readDisk(path: string): Promise<{ content: string; mtime: string | null }> {
    const { data, response } = await readSource({
      client: this.api,
      query: { path },
      parseAs: 'arrayBuffer',
    });
    // Decoded here, keeping a byte-order mark (a text decode drops it, and a save would too);
    // an empty file comes back as an empty body, which the client turns into `{}`.
    const body: unknown = data;
    const content = body instanceof ArrayBuffer ? SOURCE_DECODER.decode(body) : '';
    return { content, mtime: response.headers.get('X-Mtime') };
  }

  /** Replaces the buffer with the disk's content (one undoable edit) and takes the disk's mtime. */
  async reload(path: string): Promise<void> {
    const buffer = this.buffers.get(path);
    try {
      const disk = await this.readDisk(path);
      if (!buffer?.model) return;
      const model = buffer.model;
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text: disk.content }], () => null);
      buffer.mtime = disk.mtime;
      buffer.savedVersion = model.getAlternativeVersionId();
      this.patch(path, { dirty: false });
      if (this.conflict()?.path === path) this.conflict.set(null);
    } catch (err) {
      this.toasts.error(`Could not reload ${baseName(path)}: ${errorMessage(err)}`);
    }
  }

  private async load(path: string): Promise<void> {
    const language = languageForPath(path);
    this.files.update((fs) => ({
      ...fs,
      [path]: { path, name: baseName(path), language, status: 'loading', dirty: false, saving: false },
    }));
    try {
      const [disk, monaco] = await Promise.all([this.readDisk(path), monacoReady]);
      if (!this.files()[path]) return; // closed while loading
      const uri = monaco.Uri.file(path);
      monaco.editor.getModel(uri)?.dispose();
      this.attach(path, monaco.editor.createModel(disk.content, language, uri), disk.mtime, false);
      this.patch(path, { status: 'ready' });
    } catch (err) {
      if (this.files()[path]) this.patch(path, { status: 'error', error: describeOpenError(err) });
    }
  }

  /** Makes `model` the buffer of `path`; `dirty` marks its text as not what is on disk. */
  private attach(path: string, model: MonacoEditor.ITextModel, mtime: string | null, dirty: boolean): void {
    // A dirty buffer has no saved version to undo back to.
    const buffer: Buffer = { model, mtime, savedVersion: dirty ? -1 : model.getAlternativeVersionId() };
    this.buffers.set(path, buffer);
    model.onDidChangeContent(() => {
      const isDirty = model.getAlternativeVersionId() !== buffer.savedVersion;
      if (this.files()[path]?.dirty !== isDirty) this.patch(path, { dirty: isDirty });
    });
  }

  private forget(path: string): void {
    this.buffers.get(path)?.model?.dispose();
    this.buffers.delete(path);
    this.files.update((fs) => {
      const { [path]: _gone, ...rest } = fs;
      return rest;
    });
    if (this.conflict()?.path === path) this.conflict.set(null);
  }

  private removeTab(groupId: number, path: string): void {
    this.updateGroup(groupId, (g) => {
      const at = g.tabs.indexOf(path);
      const tabs = g.tabs.filter((t) => t !== path);
      const active = g.active === path ? (tabs[Math.min(at, tabs.length - 1)] ?? null) : g.active;
      return { ...g, tabs, active };
    });
    const emptied = this.groups().find((g) => g.id === groupId && g.tabs.length === 0);
    if (emptied && this.groups().length > 1) {
      this.groups.update((gs) => gs.filter((g) => g.id !== groupId));
      if (this.activeGroupId() === groupId) this.activeGroupId.set(this.groups()[0].id);
    }
  }

  private updateGroup(id: number, change: (g: EditorGroup) => EditorGroup): void {
    this.groups.update((gs) => gs.map((g) => (g.id === id ? change(g) : g)));
  }

  private patch(path: string, change: Partial<OpenFile>): void {
    this.files.update((fs) => (fs[path] ? { ...fs, [path]: { ...fs[path], ...change } } : fs));
  }
}

/** `tabs` with `path` right after `after` (at the end when `after` is null or absent). */
function insertAfter(tabs: readonly string[], after: string | null, path: string): string[] {
  const at = after ? tabs.indexOf(after) : -1;
  const out = [...tabs];
  out.splice(at < 0 ? out.length : at + 1, 0, path);
  return out;
}
