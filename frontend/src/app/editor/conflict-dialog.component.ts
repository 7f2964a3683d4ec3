import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { DiffEditorComponent, type DiffEditorModel } from 'ngx-monaco-editor-v2';
import type { editor as MonacoEditor } from 'monaco-editor';
import { errorMessage } from '../core/api';
import { EditorStore, baseName } from './editor.store';
import { layoutOnResize } from './monaco-setup';

/**
 * The save conflict (409 FILE_CHANGED): the file changed on disk since it was read. Overwrite saves
 * the buffer over it, Reload takes the disk's version (the buffer's edits go, as one undoable edit),
 * Compare shows Monaco's diff editor (disk left, buffer right) and then the same two choices.
 */
@Component({
  selector: 'ty-conflict-dialog',
  imports: [DiffEditorComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="modal" aria-labelledby="conflict-title" (close)="dismiss()">
      @if (store.conflict(); as c) {
        <div class="modal-body" [class.compare]="!!diff()">
          <h2 id="conflict-title">{{ name() }} changed on disk</h2>
          <p class="muted">
            <span class="mono path">{{ c.path }}</span> was saved by someone or something else after you
            opened it. Your edits are still here, unsaved.
          </p>
          @if (diff(); as d) {
            <div class="diff-legend muted">
              <span>On disk now</span>
              <span>Your version</span>
            </div>
            <ngx-monaco-diff-editor
              class="diff"
              [options]="diffOptions"
              [originalModel]="d.disk"
              [modifiedModel]="d.mine"
              (onInit)="diffReady($event)"
            />
          }
          @if (compareError(); as e) {
            <p class="error" role="alert">Could not read the file for Compare: {{ e }}</p>
          }
          <div class="modal-actions">
            <button type="button" class="btn" (click)="dismiss()">Cancel</button>
            @if (!diff()) {
              <button type="button" class="btn" [disabled]="busy()" (click)="compare()">Compare</button>
            }
            <button type="button" class="btn" [disabled]="busy()" (click)="reload()">
              {{ diff() ? 'Take the disk version' : 'Reload' }}
            </button>
            <button type="button" class="btn btn-danger" [disabled]="busy()" (click)="overwrite()">
              {{ diff() ? 'Keep mine (overwrite)' : 'Overwrite' }}
            </button>
          </div>
        </div>
      }
    </dialog>
  `,
  styles: `
    .modal-body.compare {
      width: min(1200px, calc(100vw - 32px));
    }
    .path {
      overflow-wrap: anywhere;
    }
    .diff {
      display: block;
      height: min(60vh, 640px);
      border: 1px solid var(--border);
    }
    .diff-legend {
      display: grid;
      grid-template-columns: 1fr 1fr;
      font-size: 12px;
      margin-bottom: 4px;
    }
    .error {
      color: var(--danger);
    }
  `,
})
export class ConflictDialogComponent {
  protected readonly store = inject(EditorStore);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  protected readonly diff = signal<{ disk: DiffEditorModel; mine: DiffEditorModel } | null>(null);
  protected readonly compareError = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly name = computed(() => baseName(this.store.conflict()?.path ?? ''));
  protected readonly diffOptions: MonacoEditor.IDiffEditorConstructionOptions = {
    readOnly: true,
    originalEditable: false,
    renderSideBySide: true,
    automaticLayout: false, // layoutOnResize instead
  };
  private diffEditor: MonacoEditor.IStandaloneDiffEditor | null = null;

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      if (this.store.conflict() && !dialog.open) dialog.showModal();
      if (!this.store.conflict()) {
        this.clearDiff();
        if (dialog.open) dialog.close();
      }
    });
  }

  protected async compare(): Promise<void> {
    const conflict = this.store.conflict();
    const mine = conflict ? this.store.model(conflict.path) : undefined;
    if (!conflict || !mine) return;
    this.busy.set(true);
    this.compareError.set(null);
    try {
      const disk = await this.store.readDisk(conflict.path);
      const language = mine.getLanguageId();
      this.diff.set({ disk: { code: disk.content, language }, mine: { code: mine.getValue(), language } });
    } catch (err) {
      this.compareError.set(errorMessage(err));
    } finally {
      this.busy.set(false);
    }
  }

  protected diffReady(editor: MonacoEditor.IStandaloneDiffEditor): void {
    this.diffEditor = editor;
    layoutOnResize(editor);
  }

  protected async overwrite(): Promise<void> {
    const conflict = this.store.conflict();
    if (!conflict) return;
    this.busy.set(true);
    try {
      await this.store.save(conflict.path, true);
    } finally {
      this.busy.set(false);
    }
  }

  protected async reload(): Promise<void> {
    const conflict = this.store.conflict();
    if (!conflict) return;
    this.busy.set(true);
    try {
      await this.store.reload(conflict.path);
    } finally {
      this.busy.set(false);
    }
  }

  /** Cancel or Esc: the buffer stays dirty, to edit on or save again. */
  protected dismiss(): void {
    this.store.conflict.set(null);
  }

  /** The wrapper creates the diff's two models and leaves them: dispose them with the view. */
  private clearDiff(): void {
    const models = this.diffEditor?.getModel();
    this.diffEditor?.setModel(null);
    this.diffEditor = null;
    this.diff.set(null);
    this.compareError.set(null);
    models?.original.dispose();
    models?.modified.dispose();
  }
}
