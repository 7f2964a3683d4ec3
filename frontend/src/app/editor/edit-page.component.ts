import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router } from '@angular/router';
import type { editor as MonacoEditor } from 'monaco-editor';
import { EditorComponent } from 'ngx-monaco-editor-v2';
import { ThemeStore } from '../core/theme.store';
import { ConflictDialogComponent } from './conflict-dialog.component';
import { EditorStore, MAX_GROUPS, type EditorGroup } from './editor.store';
import { languageLabel } from './languages';
import { type MonacoApi, layoutOnResize, monacoReady } from './monaco-setup';

/** The drag payload's type: a tab (its path and split) dragged between tab bars. */
const TAB_MIME = 'application/x-trainyard-tab';

/**
 * The Edit view (`/edit?path=<absolute path>[&line=N]`): tabs over Monaco editors, in one or two
 * splits side by side. The URL follows the active tab, so opening a path that is already open
 * focuses its tab. Ctrl/Cmd+S saves the active tab; a save that meets an outside change opens the
 * conflict dialog.
 */
@Component({
  selector: 'ty-edit-page',
  imports: [EditorComponent, ConflictDialogComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './edit-page.component.html',
  styleUrl: './edit-page.component.css',
})
export class EditPageComponent {
  protected readonly store = inject(EditorStore);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly theme = inject(ThemeStore);

  protected readonly maxGroups = MAX_GROUPS;
  protected readonly languageLabel = languageLabel;
  /** Constant: a new options object would make the wrapper rebuild its editor. */
  protected readonly options: MonacoEditor.IStandaloneEditorConstructionOptions = {
    automaticLayout: false, // layoutOnResize instead
    scrollBeyondLastLine: false,
    minimap: { enabled: true },
    fixedOverflowWidgets: true,
  };
  protected readonly openPath = signal('');
  /** The tab being dragged and the split it came from. */
  private dragged: { path: string; groupId: number } | null = null;
  protected readonly dropTarget = signal<number | null>(null);

  private readonly editors = new Map<number, MonacoEditor.IStandaloneCodeEditor>();
  /** Editors created (the map is not a signal): effects re-run when one arrives. */
  private readonly editorsReady = signal(0);
  private readonly viewStates = new Map<string, MonacoEditor.ICodeEditorViewState | null>();
  private readonly shown = new Map<number, string | null>();
  private monaco: MonacoApi | null = null;

  private readonly query = toSignal(this.route.queryParamMap, { requireSync: true });
  protected readonly empty = computed(() => this.store.groups().every((g) => g.tabs.length === 0));

  constructor() {
    void monacoReady.then((monaco) => {
      this.monaco = monaco;
      this.applyTheme();
    });
    effect(() => {
      this.theme.theme();
      untracked(() => this.applyTheme());
    });

    // The URL opens a file (or focuses its tab) …
    effect(() => {
      const params = this.query();
      const path = params.get('path');
      const line = Number(params.get('line'));
      if (path) untracked(() => this.store.open(path, Number.isFinite(line) ? line : undefined));
    });
    // … and follows the active tab, so the same URL again (⚙, the files tree) focuses it.
    effect(() => {
      const active = this.store.activePath();
      const current = untracked(() => this.query());
      if (!active || (active === current.get('path') && !current.get('line'))) return;
      untracked(() => this.setUrl(active));
    });

    // The path box shows the active file's path (edit it to open another).
    effect(() => {
      const active = this.store.activePath();
      untracked(() => this.openPath.set(active ?? ''));
    });

    // Each split's editor shows its active file's model, keeping each file's scroll and cursor.
    effect(() => {
      this.editorsReady();
      this.store.reveal();
      const groups = this.store.groups();
      this.store.files();
      untracked(() => groups.forEach((g) => this.showActive(g)));
      untracked(() => this.applyReveal());
    });

    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
        // Capture phase: before Monaco or the browser's "Save page as".
        event.preventDefault();
        event.stopPropagation();
        this.store.saveActive();
      }
    };
    document.addEventListener('keydown', onKey, { capture: true });
    inject(DestroyRef).onDestroy(() => {
      document.removeEventListener('keydown', onKey, { capture: true });
      for (const [groupId, editor] of this.editors) this.saveViewState(groupId, editor);
      this.editors.clear();
    });
  }

  protected attach(groupId: number, editor: MonacoEditor.IStandaloneCodeEditor): void {
    this.editors.set(groupId, editor);
    layoutOnResize(editor);
    this.shown.delete(groupId);
    editor.onDidFocusEditorText(() => this.store.activeGroupId.set(groupId));
    // The wrapper's own model is not ours: drop it, the effect sets the file's.
    const initial = editor.getModel();
    editor.setModel(null);
    initial?.dispose();
    this.editorsReady.update((n) => n + 1);
  }

  /** The tab's name, with the end of its directory when another open file has the same name. */
  protected tabLabel(path: string): string {
    const name = this.store.files()[path]?.name ?? path;
    const hint = this.store.dirHints().get(path);
    return hint ? `${name} — ${hint}` : name;
  }

  protected tabTitle(path: string): string {
    const file = this.store.files()[path];
    return file?.dirty ? `${path} (unsaved changes)` : path;
  }

  protected activate(group: EditorGroup, path: string): void {
    this.store.activate(group.id, path);
    queueMicrotask(() => this.editors.get(group.id)?.focus());
  }

  protected async close(event: Event, group: EditorGroup, path: string): Promise<void> {
    event.stopPropagation();
    // With the last tab gone the URL names no file, so opening the same one again is a change.
    if ((await this.store.close(group.id, path)) && !this.store.activePath()) this.setUrl(null);
  }

  private setUrl(path: string | null): void {
    void this.router.navigate([], {
      relativeTo: this.route,
      queryParams: path ? { path } : {},
      replaceUrl: true,
    });
  }

  /** Middle click closes, as in browsers and IDEs. */
  protected auxClick(event: MouseEvent, group: EditorGroup, path: string): void {
    if (event.button === 1) this.close(event, group, path);
  }

  protected moveToOther(group: EditorGroup): void {
    const path = group.active;
    if (!path) return;
    const other = this.store.otherGroup(group.id);
    if (other !== null) this.store.moveTab(path, group.id, other);
  }

  protected dragStart(event: DragEvent, group: EditorGroup, path: string): void {
    this.dragged = { path, groupId: group.id };
    event.dataTransfer?.setData(TAB_MIME, path);
    event.dataTransfer?.setData('text/plain', path);
    if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
  }

  protected dragOver(event: DragEvent, group: EditorGroup): void {
    if (!this.dragged) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    this.dropTarget.set(group.id);
  }

  protected dragLeave(group: EditorGroup): void {
    if (this.dropTarget() === group.id) this.dropTarget.set(null);
  }

  /** Dropped on a tab: goes before it; on the bar's free space or the editor: goes last. */
  protected drop(event: DragEvent, group: EditorGroup, beforePath: string | null): void {
    event.preventDefault();
    event.stopPropagation();
    this.dropTarget.set(null);
    const dragged = this.dragged;
    this.dragged = null;
    if (!dragged || dragged.path === beforePath) return;
    this.store.moveTab(dragged.path, dragged.groupId, group.id, beforePath);
  }

  protected dragEnd(): void {
    this.dragged = null;
    this.dropTarget.set(null);
  }

  protected submitOpen(event: Event): void {
    event.preventDefault();
    const path = this.openPath().trim();
    if (path) void this.router.navigate([], { relativeTo: this.route, queryParams: { path } });
  }

  private showActive(group: EditorGroup): void {
    const editor = this.editors.get(group.id);
    if (!editor) return;
    const path = group.active;
    const model = path ? this.store.model(path) : undefined;
    const previous = this.shown.get(group.id) ?? null;
    if (previous === (model ? path : null) && editor.getModel() === (model ?? null)) return;
    if (previous && editor.getModel())
      this.viewStates.set(`${group.id}\n${previous}`, editor.saveViewState());
    editor.setModel(model ?? null);
    this.shown.set(group.id, model ? path : null);
    if (model && path) {
      const state = this.viewStates.get(`${group.id}\n${path}`);
      if (state) editor.restoreViewState(state);
    }
  }

  private saveViewState(groupId: number, editor: MonacoEditor.IStandaloneCodeEditor): void {
    const path = this.shown.get(groupId);
    if (path && editor.getModel()) this.viewStates.set(`${groupId}\n${path}`, editor.saveViewState());
  }

  private applyReveal(): void {
    const reveal = this.store.reveal();
    if (!reveal) return;
    const editor = this.editors.get(reveal.groupId);
    const model = this.store.model(reveal.path);
    if (!editor || !model || editor.getModel() !== model) return;
    const line = Math.min(reveal.line, model.getLineCount());
    editor.revealLineInCenter(line);
    editor.setPosition({ lineNumber: line, column: 1 });
    editor.focus();
    this.store.reveal.set(null);
  }

  private applyTheme(): void {
    this.monaco?.editor.setTheme(this.theme.theme() === 'dark' ? 'vs-dark' : 'vs');
  }
}
