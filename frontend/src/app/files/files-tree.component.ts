import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { Router } from '@angular/router';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore, type MenuItem } from '../core/context-menu.store';
import { baseName } from '../core/paths';
import { RefreshBus } from '../core/refresh';
import { ToastStore } from '../core/toast.store';
import { type NamePrompt, NamePromptComponent } from '../shared/name-prompt.component';
import { PathPickerComponent } from '../shared/path-picker.component';
import { ServerReachability, errorMessage } from '../core/api';
import { FilesTreeStore, type TreeRow } from './files-tree.store';

type EntryRow = Extract<TreeRow, { type: 'entry' }>;

/**
 * Why a symbolic link can only be looked at: the server refuses every path through one (so a link
 * cannot redirect an operation outside the allowed roots), the link itself included.
 */
export const SYMLINK_REFUSED = 'Symbolic links are not followed or changed from the console.';

/** Why `name` is not a bare name, as the server would refuse it; null when it is one. */
export function bareNameProblem(name: string): string | null {
  if (!name) return 'A name is needed';
  if (/[/\\]/.test(name) || name === '.' || name === '..')
    return `"${name}" is not a bare name: no / or \\, and not . or ..`;
  return null;
}

/**
 * The sidebar's Files section: search roots at the top level, directories listed when opened,
 * a show-hidden switch, arrow-key navigation (Enter opens a file in the editor or a directory in
 * the tree; F2 renames, Delete deletes, Shift+F10 or the menu key opens the context menu).
 */
@Component({
  selector: 'ty-files-tree',
  imports: [PathPickerComponent, NamePromptComponent],
  providers: [FilesTreeStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './files-tree.component.html',
  styleUrl: './files-tree.component.css',
})
export class FilesTreeComponent {
  protected readonly store = inject(FilesTreeStore);
  protected readonly reachability = inject(ServerReachability);
  private readonly menu = inject(ContextMenuStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly toasts = inject(ToastStore);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly pickerOpen = signal(false);
  protected readonly prompt = signal<NamePrompt | null>(null);
  /** The row (its key) that takes Tab focus (roving tabindex); the first row when it is gone. */
  private readonly active = signal<string | null>(null);
  protected readonly entries = computed(() =>
    this.store.rows().filter((r): r is EntryRow => r.type === 'entry'),
  );
  protected readonly tabStop = computed(() => {
    const active = this.active();
    const rows = this.entries();
    return rows.some((r) => r.key === active) ? active : (rows[0]?.key ?? null);
  });

  constructor() {
    const refresh = inject(RefreshBus);
    // First run: the roots (and directories left open last time); then on every Refresh.
    let first = true;
    effect(() => {
      refresh.tick();
      const reload = !first;
      first = false;
      untracked(() => void this.store.loadRoots().then(() => (reload ? this.store.reloadAll() : undefined)));
    });
  }

  protected indent(row: TreeRow): number {
    return 4 + (row.level - 1) * 12;
  }

  protected click(row: EntryRow): void {
    this.active.set(row.key);
    this.openRow(row);
  }

  protected key(event: KeyboardEvent, row: EntryRow): void {
    const rows = this.entries();
    const index = rows.findIndex((r) => r.key === row.key);
    const ctrl = event.ctrlKey || event.metaKey;
    let handled = true;
    switch (event.key) {
      case 'ArrowDown':
        this.focusKey(rows[Math.min(index + 1, rows.length - 1)]?.key);
        break;
      case 'ArrowUp':
        this.focusKey(rows[Math.max(index - 1, 0)]?.key);
        break;
      case 'Home':
        this.focusKey(rows[0]?.key);
        break;
      case 'End':
        this.focusKey(rows[rows.length - 1]?.key);
        break;
      case 'ArrowRight':
        if (row.kind !== 'dir') break;
        if (!row.expanded) void this.store.expand(row.path);
        else if (rows[index + 1]?.level === row.level + 1) this.focusKey(rows[index + 1].key);
        break;
      case 'ArrowLeft':
        if (row.kind === 'dir' && row.expanded) this.store.collapse(row.path);
        else this.focusKey(rows.slice(0, index).findLast((r) => r.level === row.level - 1)?.key);
        break;
      case 'Enter':
        this.openRow(row);
        break;
      case 'F2':
        if (this.refusesLink(row)) break;
        if (!row.root) this.rename(row);
        break;
      case 'Delete':
        if (row.root) void this.store.removeRoot(row.path);
        else if (!this.refusesLink(row)) void this.remove(row);
        break;
      case 'ContextMenu':
        this.openMenu(event, row);
        break;
      default:
        if (event.key === 'F10' && event.shiftKey) this.openMenu(event, row);
        else if (ctrl && (event.key === 'c' || event.key === 'x') && row.kind === 'symlink')
          this.refusesLink(row);
        else if (ctrl && event.key === 'c') this.store.copy(row.path);
        else if (ctrl && event.key === 'x' && !row.root) this.store.cut(row.path);
        else if (ctrl && event.key === 'v' && row.kind === 'dir') void this.store.paste(row.path);
        else handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  protected openMenu(event: MouseEvent | KeyboardEvent, row: EntryRow): void {
    this.active.set(row.key);
    const dir = row.kind === 'dir';
    const clip = this.store.clipboard();
    // Every operation on a link is refused by the server: shown disabled, saying why.
    const link: Partial<MenuItem> = row.kind === 'symlink' ? { disabled: true, title: SYMLINK_REFUSED } : {};
    const items: MenuItem[] = [];
    if (row.kind === 'file')
      items.push({ label: 'Open', hint: 'Enter', action: () => this.openFile(row.path) });
    if (dir) {
      items.push(
        { label: 'New file…', action: () => this.create(row, 'file') },
        { label: 'New folder…', action: () => this.create(row, 'dir') },
      );
    }
    if (!row.root) {
      items.push(
        { label: 'Rename…', hint: 'F2', action: () => this.rename(row), ...link },
        { label: 'Cut', hint: 'Ctrl+X', action: () => this.store.cut(row.path), ...link },
      );
    }
    items.push({ label: 'Copy', hint: 'Ctrl+C', action: () => this.store.copy(row.path), ...link });
    if (dir) {
      items.push({
        label: clip ? `Paste ${baseName(clip.path)}` : 'Paste',
        hint: 'Ctrl+V',
        disabled: !clip,
        action: () => void this.store.paste(row.path).then((p) => p && this.focus(p)),
      });
    }
    if (!row.root) {
      items.push(
        {
          label: 'Duplicate',
          action: () =>
            void this.store.duplicate(row.path).then(
              (p) => this.focus(p),
              (err: unknown) => this.toasts.error(errorMessage(err)),
            ),
          ...link,
        },
        { label: 'Duplicate as…', action: () => this.duplicateAs(row), ...link },
      );
    }
    if (dir) items.push({ label: 'Refresh', action: () => void this.store.load(row.path) });
    if (row.root) {
      items.push({ label: 'Remove from the tree', action: () => void this.store.removeRoot(row.path) });
    } else {
      items.push({
        label: 'Delete permanently…',
        hint: 'Del',
        danger: true,
        action: () => void this.remove(row),
        ...link,
      });
    }
    this.menu.open(event, row.path, items);
  }

  protected async addRoot(path: string): Promise<void> {
    if (await this.store.addRoot(path)) {
      await this.store.expand(path);
      this.focusKey(this.entries().find((r) => r.root && r.path === path)?.key);
    }
  }

  private openRow(row: EntryRow): void {
    if (row.kind === 'dir') void this.store.toggle(row.path);
    else if (row.kind === 'file') this.openFile(row.path);
    else this.refusesLink(row);
  }

  /** True for a symbolic link, after saying why nothing happens (rather than nothing at all). */
  private refusesLink(row: EntryRow): boolean {
    if (row.kind !== 'symlink') return false;
    this.toasts.info(SYMLINK_REFUSED);
    return true;
  }

  private openFile(path: string): void {
    void this.router.navigate(['/edit'], { queryParams: { path } });
  }

  private create(row: EntryRow, kind: 'file' | 'dir'): void {
    this.askName({
      title: kind === 'file' ? 'New file' : 'New folder',
      label: `Name in ${row.path}`,
      confirmLabel: 'Create',
      value: '',
      submit: async (name) => {
        const made =
          kind === 'file'
            ? await this.store.newFile(row.path, name)
            : await this.store.newFolder(row.path, name);
        this.focus(made);
        // As in an editor: a new file is made to be written.
        if (kind === 'file') this.openFile(made);
      },
    });
  }

  private rename(row: EntryRow): void {
    this.askName({
      title: `Rename ${row.name}`,
      label: 'New name',
      confirmLabel: 'Rename',
      value: row.name,
      submit: async (name) => {
        if (name !== row.name) this.focus(await this.store.rename(row.path, name));
      },
    });
  }

  private duplicateAs(row: EntryRow): void {
    const dot = row.kind === 'file' ? row.name.lastIndexOf('.') : -1;
    this.askName({
      title: `Duplicate ${row.name}`,
      label: 'Name of the copy (same folder)',
      confirmLabel: 'Duplicate',
      value: dot > 0 ? `${row.name.slice(0, dot)} (copy)${row.name.slice(dot)}` : `${row.name} (copy)`,
      submit: async (name) => this.focus(await this.store.duplicate(row.path, name)),
    });
  }

  private async remove(row: EntryRow): Promise<void> {
    const dir = row.kind === 'dir';
    const ok = await this.confirm.ask({
      title: dir ? 'Delete this folder permanently?' : 'Delete this file permanently?',
      message: `${row.path}${dir ? ' and everything in it' : ''} will be deleted. This cannot be undone.`,
      confirmLabel: 'Delete permanently',
      danger: true,
    });
    if (!ok) return;
    const index = this.entries().findIndex((r) => r.key === row.key);
    if (await this.store.delete(row.path, dir)) {
      // Focus the row that took its place, else the one above.
      const next = this.entries();
      this.focusKey((next[index] ?? next[index - 1] ?? next[0])?.key);
    }
  }

  /** Opens the name prompt for `request` (replacing one already open). */
  private askName(request: Omit<NamePrompt, 'hint' | 'check'>): void {
    this.prompt.set({
      ...request,
      hint: 'A bare name: no /; an existing name is refused.',
      check: bareNameProblem,
    });
  }

  /** Moves the roving focus to the first row showing `path` (once rendered; nothing when not shown). */
  private focus(path: string | undefined): void {
    if (!path) return;
    const now = this.entries().find((r) => r.path === path);
    if (now) {
      this.focusKey(now.key);
      return;
    }
    afterNextRender(() => this.focusKey(this.entries().find((r) => r.path === path)?.key), {
      injector: this.injector,
    });
  }

  /** Moves the roving focus to a row by key; a row on screen takes DOM focus now (the next key press must reach it). */
  private focusKey(key: string | undefined): void {
    if (!key) return;
    this.active.set(key);
    const find = () =>
      this.host.nativeElement.querySelector<HTMLElement>(`[role="treeitem"][data-key="${CSS.escape(key)}"]`);
    const el = find();
    if (el) el.focus();
    else afterNextRender(() => find()?.focus(), { injector: this.injector });
  }
}
