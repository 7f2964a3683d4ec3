import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  input,
  model,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { type DirEntryDto, browseFs, listQuickPaths, listSearchRoots } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { baseName, parentOf } from '../core/paths';

/** `dir`: a folder; `file`: a file; `any`: either (a path param that does not say which). */
export type PickerMode = 'dir' | 'file' | 'any';

const TITLES: Record<PickerMode, string> = {
  dir: 'Choose a folder',
  file: 'Choose a file',
  any: 'Choose a file or folder',
};
const FIELD_LABELS: Record<PickerMode, string> = { dir: 'Folder', file: 'File', any: 'Path' };

interface Place {
  name: string;
  path: string;
}

/**
 * A modal to choose a directory (`mode="dir"`), a file (`mode="file"`) or either (`mode="any"`) on
 * the server: quick paths and search roots as shortcuts, the listing of the current directory (a
 * click on a directory opens it, on a file selects it, a double-click picks it), and a path field to
 * type into (Enter lists a folder; a file, outside dir mode, is picked once its folder lists it).
 * Emits `picked` with the absolute path and closes.
 *
 * ```html
 * <ty-path-picker [(open)]="browsing" mode="dir" [start]="cwd" (picked)="cwd = $event" />
 * ```
 */
@Component({
  selector: 'ty-path-picker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { style: 'display: contents' },
  template: `
    <dialog
      #dialog
      class="modal picker"
      aria-labelledby="picker-title"
      (close)="open.set(false)"
      (click)="backdrop($event)"
    >
      @if (open()) {
        <form class="modal-body" (submit)="choose($event)">
          <div class="modal-head">
            <h2 id="picker-title">{{ title() ?? titles[mode()] }}</h2>
            <button type="button" class="btn btn-ghost btn-icon" aria-label="Close" (click)="open.set(false)">
              ×
            </button>
          </div>

          <div class="places" role="group" aria-label="Places">
            @for (p of places(); track p.path) {
              <button
                type="button"
                class="chip place"
                [class.here]="p.path === dir()"
                [title]="p.path"
                (click)="go(p.path)"
              >
                {{ p.name }}
              </button>
            }
            <label class="hidden-toggle">
              <input
                type="checkbox"
                [checked]="showHidden()"
                (change)="toggleHidden($any($event.target).checked)"
              />
              hidden
            </label>
          </div>

          <div class="field">
            <label for="picker-path">{{ fieldLabels[mode()] }}</label>
            <div class="path-row">
              <button
                type="button"
                class="btn btn-icon"
                aria-label="Parent folder"
                title="Parent folder"
                [disabled]="!parent()"
                (click)="go(parent()!)"
              >
                ↑
              </button>
              <input
                id="picker-path"
                class="mono"
                type="text"
                spellcheck="false"
                autocomplete="off"
                [value]="value()"
                (input)="value.set($any($event.target).value)"
                (keydown.enter)="goTyped($event)"
              />
            </div>
            <span class="hint" [class.bad]="!!error()" [attr.role]="error() ? 'alert' : null">{{
              error() ?? 'Type a path and press Enter to list it.'
            }}</span>
          </div>

          <ul
            class="listing"
            aria-label="Entries"
            [attr.aria-busy]="loading() || null"
            (keydown)="arrows($event)"
          >
            @for (e of entries(); track e.path) {
              <li>
                <button
                  type="button"
                  class="entry"
                  [class.selected]="e.path === value()"
                  [class.dim]="e.kind !== 'dir' && e.kind !== 'file'"
                  [attr.data-kind]="e.kind"
                  (click)="clickEntry(e)"
                  (dblclick)="e.kind === 'file' && pick(e.path)"
                >
                  <span aria-hidden="true" class="kind">{{ e.kind === 'dir' ? '▸' : '·' }}</span>
                  {{ e.name }}{{ e.kind === 'dir' ? '/' : '' }}
                </button>
              </li>
            } @empty {
              <li class="muted empty-dir">
                {{
                  loading()
                    ? 'Loading…'
                    : !dir()
                      ? 'No folder listed'
                      : hidden()
                        ? 'Nothing here but ' + hidden() + ' hidden (tick “hidden” to show them)'
                        : 'Nothing here'
                }}
              </li>
            }
          </ul>

          <div class="modal-actions">
            <span class="muted current mono" [title]="choice()">{{ choice() }}</span>
            <button type="button" class="btn" (click)="open.set(false)">Cancel</button>
            <button
              type="submit"
              class="btn btn-primary"
              [disabled]="refusedNow()"
              [title]="refusedNow() ? 'The server refused this path: see above' : ''"
            >
              {{ confirmLabel() }}
            </button>
          </div>
        </form>
      }
    </dialog>
  `,
  styles: `
    .picker .modal-body {
      width: min(600px, calc(100vw - 32px));
      display: grid;
      gap: 10px;
    }
    .places {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px;
    }
    .place {
      cursor: pointer;
      font: inherit;
      font-size: 12px;
    }
    .place.here {
      border-color: var(--accent);
    }
    .hidden-toggle {
      margin-left: auto;
      display: flex;
      align-items: center;
      gap: 4px;
      font-size: 12px;
      color: var(--text-muted);
    }
    .path-row {
      display: flex;
      gap: 6px;
    }
    .path-row input {
      flex: 1;
      min-width: 0;
    }
    .bad {
      color: var(--danger);
    }
    .listing {
      list-style: none;
      margin: 0;
      padding: 4px;
      height: min(320px, 40dvh);
      overflow: auto;
      border: 1px solid var(--border);
      border-radius: 6px;
      background: var(--bg);
    }
    .entry {
      display: flex;
      gap: 6px;
      width: 100%;
      padding: 3px 6px;
      border: 0;
      border-radius: 4px;
      background: transparent;
      color: var(--text);
      font: inherit;
      font-family: var(--font-mono);
      font-size: 12.5px;
      text-align: left;
      cursor: pointer;
      white-space: nowrap;
    }
    .entry:hover,
    .entry:focus-visible {
      background: var(--row-hover);
      outline: none;
      box-shadow: inset 0 0 0 1px var(--focus);
    }
    .entry.selected {
      background: var(--row-selected);
    }
    .entry.dim {
      color: var(--text-muted);
    }
    .kind {
      width: 10px;
      color: var(--text-muted);
    }
    .empty-dir {
      padding: 6px;
      font-size: 12px;
    }
    .current {
      margin-right: auto;
      font-size: 11px;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      min-width: 0;
    }
  `,
})
export class PathPickerComponent {
  private readonly api = inject(API);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  readonly open = model(false);
  /**
   * `dir`: the folder shown (or typed) is the answer; `file`: a file picked from a listing or typed;
   * `any`: either — the folder shown, or a file picked.
   */
  readonly mode = input<PickerMode>('dir');
  /** The heading; by default what the mode asks for ("Choose a folder"…). */
  readonly title = input<string | null>(null);
  readonly confirmLabel = input('Choose');
  /** Where to start: a directory, or a file (its directory is listed); else the first search root. */
  readonly start = input<string | null | undefined>(null);
  readonly picked = output<string>();

  protected readonly titles = TITLES;
  protected readonly fieldLabels = FIELD_LABELS;
  protected readonly places = signal<Place[]>([]);
  protected readonly dir = signal('');
  protected readonly parent = signal<string | null>(null);
  protected readonly entries = signal<DirEntryDto[]>([]);
  /** Entries of the folder listed left out for a leading dot (a folder of dotfiles is not empty). */
  protected readonly hidden = signal(0);
  protected readonly value = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly showHidden = signal(false);
  /** The last path the server would not list (its error is shown), until a listing succeeds. */
  private readonly refused = signal<string | null>(null);
  /** Outside file mode a folder may be the answer: one the server refused is not one to choose. */
  protected readonly refusedNow = computed(
    () => this.mode() !== 'file' && this.refused() !== null && trimSlashes(this.value()) === this.refused(),
  );
  /** What Choose would pick, shown beside it (the file clicked, not the folder listed); '' when nothing is. */
  protected readonly choice = computed(() =>
    this.refusedNow() || !this.dir() ? '' : trimSlashes(this.value()),
  );
  private readonly filesToo = computed(() => this.mode() !== 'dir');
  private generation = 0;

  constructor() {
    effect(() => {
      const open = this.open();
      const dialog = this.dialog().nativeElement;
      if (open && !dialog.open) {
        dialog.showModal();
        untracked(() => void this.onOpen());
      }
      if (!open && dialog.open) dialog.close();
    });
  }

  /**
   * Lists `path`; true when it could. The path field follows (in file mode, unless it holds a file
   * under the folder listed), unless `keepValue` or it was edited while the listing loaded.
   */
  protected async go(path: string | undefined, keepValue = false): Promise<boolean> {
    const gen = ++this.generation;
    // What the field held when asked: a path typed while the listing loads is kept, not overwritten.
    const typedBefore = this.value();
    this.loading.set(true);
    try {
      const { data } = await browseFs({
        client: this.api,
        query: { ...(path ? { path } : {}), show_hidden: this.showHidden(), files_too: this.filesToo() },
      });
      if (gen !== this.generation) return false;
      this.dir.set(data.path);
      this.parent.set(data.parent);
      this.entries.set(data.entries);
      this.hidden.set(data.hidden);
      this.error.set(null);
      this.refused.set(null);
      const typedSince = this.value() !== typedBefore;
      if (
        !keepValue &&
        !typedSince &&
        (this.mode() !== 'file' || !this.value().startsWith(`${data.path}/`))
      ) {
        this.value.set(data.path);
      }
      return true;
    } catch (err) {
      if (gen !== this.generation) return false;
      this.error.set(errorMessage(err));
      // Nothing of the folder listed before stays on show, as if it were the one asked for.
      this.refused.set(trimSlashes(path ?? ''));
      this.dir.set('');
      this.parent.set(null);
      this.entries.set([]);
      return false;
    } finally {
      if (gen === this.generation) this.loading.set(false);
    }
  }

  protected async goTyped(event: Event): Promise<void> {
    event.preventDefault();
    const typed = trimSlashes(this.value());
    if (!typed || typed === this.dir()) return;
    if ((await this.go(typed)) || this.mode() === 'dir' || this.refused() !== typed || !typed.startsWith('/'))
      return;
    // Not a folder the server lists: outside dir mode a typed file is the answer, once its folder
    // shows it is one (a typo is not picked). A hidden one is listed with the hidden entries.
    const [error, refused] = [this.error(), this.refused()];
    if (baseName(typed).startsWith('.')) this.showHidden.set(true);
    if (
      (await this.go(parentOf(typed), true)) &&
      this.entries().some((e) => e.path === typed && e.kind === 'file')
    ) {
      this.pick(typed);
      return;
    }
    this.error.set(error);
    this.refused.set(refused);
  }

  protected toggleHidden(show: boolean): void {
    this.showHidden.set(show);
    void this.go(this.dir() || undefined, true);
  }

  protected clickEntry(entry: DirEntryDto): void {
    if (entry.kind === 'dir') void this.go(entry.path);
    else if (this.mode() !== 'dir') this.value.set(entry.path);
  }

  protected choose(event: Event): void {
    event.preventDefault();
    const path = trimSlashes(this.value());
    if (this.refusedNow()) return;
    if (!path.startsWith('/')) {
      this.error.set('An absolute path is needed (it starts with /)');
      return;
    }
    if (this.mode() === 'file' && path === this.dir()) {
      this.error.set('Choose a file (this is the folder listed)');
      return;
    }
    this.pick(path);
  }

  protected pick(path: string): void {
    this.picked.emit(path);
    this.open.set(false);
  }

  protected backdrop(event: MouseEvent): void {
    if (event.target === this.dialog().nativeElement) this.open.set(false);
  }

  /** Arrow keys move between the entries. */
  protected arrows(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const list = event.currentTarget as HTMLElement;
    const buttons = [...list.querySelectorAll<HTMLButtonElement>('button.entry')];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = event.key === 'ArrowDown' ? Math.min(index + 1, buttons.length - 1) : Math.max(index - 1, 0);
    buttons[next]?.focus();
    event.preventDefault();
  }

  private async onOpen(): Promise<void> {
    // Nothing of the last opening stays on show to be clicked while this one's listing loads.
    this.error.set(null);
    this.refused.set(null);
    this.dir.set('');
    this.parent.set(null);
    this.entries.set([]);
    this.loading.set(true);
    const start = this.start()?.trim() ?? '';
    this.value.set(start);
    const listed = this.generation;
    const [quick, roots] = await Promise.all([
      listQuickPaths({ client: this.api }).then(
        (r) => r.data,
        () => [],
      ),
      listSearchRoots({ client: this.api }).then(
        (r) => r.data.map((root) => ({ name: baseName(root.path), path: root.path })),
        () => [],
      ),
    ]);
    const seen = new Set<string>();
    this.places.set([...quick, ...roots].filter((p) => !seen.has(p.path) && !!seen.add(p.path)));
    // A path typed and entered (or a place clicked) while the places loaded is what is shown: the
    // start listing would supersede it, and the Enter was lost (a typed file was never picked).
    if (this.generation !== listed) return;
    await this.listStart(start, roots[0]?.path ?? quick[0]?.path);
    this.dialog().nativeElement.querySelector<HTMLElement>('#picker-path')?.focus();
  }

  /** Lists `start` (a file, outside dir mode: its directory, keeping the file), else `fallback`. */
  private async listStart(start: string, fallback: string | undefined): Promise<void> {
    if (!start.startsWith('/')) {
      await this.go(fallback);
      return;
    }
    if (await this.go(start)) return;
    const [error, refused] = [this.error(), this.refused()];
    if (this.mode() !== 'dir' && (await this.go(parentOf(start), true))) return;
    await this.go(fallback, true);
    this.error.set(error);
    this.refused.set(refused);
    this.value.set(start);
  }
}

/** A typed path as chosen: trimmed, without trailing slashes (`/` stays). */
function trimSlashes(path: string): string {
  return path.trim().replace(/(.)\/+$/, '$1');
}
