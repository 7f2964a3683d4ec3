import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  ViewEncapsulation,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { type LogEndFrame, type Stream, streamJobLog } from '@trainyard/sdk';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { type ITheme, Terminal } from '@xterm/xterm';
import { STREAM_OPTIONS, errorMessage } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { backoffMs } from '../core/poll';
import { isTyping } from '../core/shortcuts';
import { ThemeStore } from '../core/theme.store';

type StreamState = 'connecting' | 'waiting' | 'streaming' | 'ended' | 'reconnecting' | 'failed';

/** No byte yet after this long: the socket is open and the job is quiet (the SDK has no open event). */
const QUIET_AFTER_MS = 1500;

const SCROLLBACK_LINES = 50_000;
const HIDE_CURSOR = '\x1b[?25l';

/**
 * A job's terminal over `WS /api/jobs/{id}/tty?follow=true`, rendered by xterm.js: ANSI colours,
 * `\r` progress bars redrawn in place, selection that holds while output streams, search, and
 * follow (auto-scroll only while at the bottom).
 */
@Component({
  selector: 'ty-log-viewer',
  changeDetection: ChangeDetectionStrategy.OnPush,
  encapsulation: ViewEncapsulation.None,
  template: `
    <div class="log-toolbar" role="toolbar" aria-label="Log">
      <button
        type="button"
        class="btn btn-sm"
        [class.on]="follow()"
        [attr.aria-pressed]="follow()"
        title="Follow: keep the newest output in view (f)"
        (click)="setFollow(!follow())"
      >
        <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
          <path
            d="M8 2v10M3.5 7.5L8 12l4.5-4.5M3 14h10"
            fill="none"
            stroke="currentColor"
            stroke-width="1.6"
            stroke-linecap="round"
          />
        </svg>
        Follow
      </button>
      <div class="log-search">
        <input
          #searchInput
          type="search"
          placeholder="Find in log"
          aria-label="Find in log"
          [value]="query()"
          (input)="query.set(searchInput.value); find(1, true)"
          (keydown.enter)="find($any($event).shiftKey ? -1 : 1)"
          (keydown.escape)="clearSearch($event)"
        />
        <span class="log-count mono" aria-live="polite">{{ matchText() }}</span>
        <button
          type="button"
          class="btn btn-ghost btn-icon btn-sm"
          aria-label="Previous match"
          title="Previous (Shift+Enter)"
          [disabled]="!query()"
          (click)="find(-1)"
        >
          ↑
        </button>
        <button
          type="button"
          class="btn btn-ghost btn-icon btn-sm"
          aria-label="Next match"
          title="Next (Enter)"
          [disabled]="!query()"
          (click)="find(1)"
        >
          ↓
        </button>
      </div>
      <span class="log-state" [class]="'log-state log-state-' + state()" role="status">{{
        stateText()
      }}</span>
      <span class="spacer"></span>
      <button
        type="button"
        class="btn btn-sm"
        (click)="download.emit()"
        title="Download the whole log (up to the last 32 MiB)"
      >
        <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
          <path
            d="M8 2v8M4.5 6.5L8 10l3.5-3.5M2.5 13.5h11"
            fill="none"
            stroke="currentColor"
            stroke-width="1.6"
            stroke-linecap="round"
          />
        </svg>
        Download
      </button>
    </div>
    <div class="log-term" #term aria-label="Job output" role="region"></div>
  `,
  styleUrl: '../../../../node_modules/@xterm/xterm/css/xterm.css',
  styles: `
    ty-log-viewer {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
    }
    .log-toolbar {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 5px 10px;
      border-bottom: 1px solid var(--border);
      background: var(--surface);
    }
    .log-toolbar .btn.on {
      color: var(--accent);
      border-color: color-mix(in srgb, var(--accent) 60%, var(--border));
    }
    .log-search {
      display: flex;
      align-items: center;
      gap: 2px;
    }
    .log-search input {
      width: 200px;
      height: 26px;
      padding: 0 8px;
    }
    .log-count {
      min-width: 64px;
      font-size: 11px;
      color: var(--text-muted);
      text-align: right;
      padding-right: 4px;
    }
    .log-state {
      font-size: 12px;
      color: var(--text-muted);
      white-space: nowrap;
    }
    .log-state-streaming::before,
    .log-state-waiting::before {
      content: '●';
      color: var(--ok);
      margin-right: 5px;
    }
    .log-state-reconnecting,
    .log-state-failed {
      color: var(--warn);
    }
    .log-term {
      flex: 1;
      min-height: 0;
      padding: 6px 0 0 10px;
      background: var(--term-bg);
    }
    .log-term .xterm {
      height: 100%;
    }
    .log-term .xterm-viewport {
      background: var(--term-bg) !important;
    }
  `,
})
export class LogViewerComponent {
  readonly queueId = input.required<string>();
  /** The job has not started: its log appears once it does. */
  readonly queued = input(false);
  readonly ended = output<LogEndFrame>();
  readonly download = output<void>();

  private readonly themes = inject(ThemeStore);
  private readonly auth = inject(AuthStore);
  private readonly termEl = viewChild.required<ElementRef<HTMLElement>>('term');
  private readonly searchInput = viewChild.required<ElementRef<HTMLInputElement>>('searchInput');

  protected readonly follow = signal(true);
  protected readonly state = signal<StreamState>('connecting');
  protected readonly message = signal<string | null>(null);
  protected readonly query = signal('');
  private readonly matches = signal<{ index: number; count: number } | null>(null);

  protected readonly stateText = computed(() => {
    switch (this.state()) {
      case 'connecting':
        return this.queued() ? 'Waiting for the job to start…' : 'Connecting…';
      case 'waiting':
        return this.queued() ? 'Waiting for the job to start…' : 'Live · no output yet';
      case 'streaming':
        return 'Live';
      case 'ended':
        return this.message() ?? 'Ended';
      case 'reconnecting':
        return this.message() ?? 'Reconnecting…';
      case 'failed':
        return this.message() ?? 'No log';
    }
  });
  protected readonly matchText = computed(() => {
    const m = this.matches();
    if (!this.query() || !m) return '';
    if (m.count === 0) return 'no match';
    return m.index < 0 ? `${m.count}+` : `${m.index + 1} / ${m.count}`;
  });

  private term: Terminal | null = null;
  private fit: FitAddon | null = null;
  private search: SearchAddon | null = null;
  private stream: Stream<unknown> | null = null;
  private streamId = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  /** The viewport line to hold while not following. */
  private pinnedLine: number | null = null;
  /** A pointer is down on the terminal: selecting text, or dragging the scrollbar. */
  private interacting: 'select' | 'scroll' | null = null;
  /** Follow was on when a selection began: clearing the selection turns it back on. */
  private resumeAfterSelection = false;

  constructor() {
    const destroyRef = inject(DestroyRef);
    afterNextRender(() => {
      const term = new Terminal({
        disableStdin: true,
        convertEol: false,
        scrollback: SCROLLBACK_LINES,
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
        fontSize: 12,
        lineHeight: 1.15,
        cursorBlink: false,
        cursorInactiveStyle: 'none',
        allowProposedApi: true, // search decorations
        theme: termTheme(untracked(() => this.themes.theme())),
      });
      this.fit = new FitAddon();
      this.search = new SearchAddon({ highlightLimit: 2000 });
      term.loadAddon(this.fit);
      term.loadAddon(this.search);
      this.search.onDidChangeResults(({ resultIndex, resultCount }) =>
        this.matches.set({ index: resultIndex, count: resultCount }),
      );
      term.attachCustomKeyEventHandler((e) => {
        if (e.type === 'keydown' && (e.ctrlKey || e.metaKey) && e.key === 'f') {
          e.preventDefault();
          this.focusSearch();
          return false;
        }
        return true;
      });
      const el = this.termEl().nativeElement;
      term.open(el);
      this.term = term;
      this.fitNow();
      const resize = new ResizeObserver(() => requestAnimationFrame(() => this.fitNow()));
      resize.observe(el);
      // Scrolling up pauses follow at once (before the next write can pull the view back down);
      // scrolling back to the bottom resumes it.
      const settle = () => requestAnimationFrame(() => this.syncFollow());
      el.addEventListener(
        'wheel',
        (event) => {
          if (event.deltaY < 0) this.pause();
          settle();
        },
        { passive: true, capture: true },
      );
      el.addEventListener('keyup', settle);
      // Selecting text holds the view still; letting go without a selection resumes following.
      el.addEventListener(
        'pointerdown',
        (event) =>
          this.startInteraction(
            (event.target as Element | null)?.closest('.scrollbar') ? 'scroll' : 'select',
          ),
        { capture: true },
      );
      const onPointerUp = () => this.endInteraction();
      window.addEventListener('pointerup', onPointerUp);
      destroyRef.onDestroy(() => window.removeEventListener('pointerup', onPointerUp));
      term.onSelectionChange(() => {
        if (!term.hasSelection() && !this.interacting && this.resumeAfterSelection) {
          this.resumeAfterSelection = false;
          this.setFollow(true);
        }
      });
      destroyRef.onDestroy(() => {
        resize.disconnect();
        term.dispose();
      });
      this.connect(untracked(() => this.queueId()));
    });

    // Another job in the same pane: start over.
    let shown: string | null = null;
    effect(() => {
      const id = this.queueId();
      if (shown !== null && id !== shown && this.term) {
        untracked(() => {
          this.attempt = 0;
          this.query.set('');
          this.matches.set(null);
          this.search?.clearDecorations();
          this.setFollow(true);
          this.connect(id);
        });
      }
      shown = id;
    });
    effect(() => {
      const theme = this.themes.theme();
      if (this.term) this.term.options.theme = termTheme(theme);
    });

    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'f' || event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
      if (document.querySelector('dialog[open]')) return;
      event.preventDefault();
      this.setFollow(true);
    };
    document.addEventListener('keydown', onKey);
    destroyRef.onDestroy(() => {
      document.removeEventListener('keydown', onKey);
      this.disconnect();
    });
  }

  protected setFollow(on: boolean): void {
    this.follow.set(on);
    this.resumeAfterSelection = false;
    if (!this.term) return;
    if (on) {
      this.pinnedLine = null;
      this.term.scrollToBottom();
    } else {
      this.pinnedLine = this.term.buffer.active.viewportY;
    }
  }

  protected find(direction: 1 | -1, incremental = false): void {
    const q = this.query();
    if (!this.search) return;
    if (!q) {
      this.search.clearDecorations();
      this.matches.set(null);
      return;
    }
    const options = {
      incremental,
      decorations: {
        matchBackground: '#5c4a12',
        matchOverviewRuler: '#d6a21e',
        activeMatchBackground: '#b8860b',
        activeMatchColorOverviewRuler: '#ffcc33',
      },
    };
    const found = direction === 1 ? this.search.findNext(q, options) : this.search.findPrevious(q, options);
    if (found) {
      // Looking at a match: stop following so new output does not pull the view away.
      this.follow.set(false);
      requestAnimationFrame(() => (this.pinnedLine = this.term?.buffer.active.viewportY ?? null));
    }
  }

  protected clearSearch(event: Event): void {
    event.stopPropagation();
    this.query.set('');
    this.search?.clearDecorations();
    this.matches.set(null);
    this.term?.focus();
  }

  private focusSearch(): void {
    const input = this.searchInput().nativeElement;
    const selection = this.term?.getSelection();
    if (selection && !selection.includes('\n')) {
      this.query.set(selection);
      input.value = selection;
    }
    input.focus();
    input.select();
  }

  private fitNow(): void {
    try {
      this.fit?.fit();
    } catch {
      // not laid out yet (pane hidden)
    }
  }

  /** Stops following where the view is now. */
  private pause(): void {
    if (!this.term) return;
    this.follow.set(false);
    this.pinnedLine = this.term.buffer.active.viewportY;
  }

  private startInteraction(kind: 'select' | 'scroll'): void {
    this.interacting = kind;
    if (kind === 'scroll') {
      // The scrollbar moves the view itself; just stop pulling it down.
      this.follow.set(false);
      this.pinnedLine = null;
      return;
    }
    // A click that clears an earlier selection keeps that selection's wish to resume following.
    this.resumeAfterSelection = this.follow() || (this.resumeAfterSelection && !!this.term?.hasSelection());
    if (this.follow()) this.pause();
  }

  private endInteraction(): void {
    const kind = this.interacting;
    if (!kind || !this.term) return;
    this.interacting = null;
    requestAnimationFrame(() => {
      if (!this.term) return;
      if (kind === 'scroll') {
        this.syncFollow();
        return;
      }
      if (this.term.hasSelection()) return; // keep the selection in view; follow resumes when it clears
      if (this.resumeAfterSelection) {
        this.resumeAfterSelection = false;
        this.setFollow(true);
      } else {
        this.syncFollow();
      }
    });
  }

  private syncFollow(): void {
    const term = this.term;
    if (!term || this.interacting) return;
    const buffer = term.buffer.active;
    const atBottom = buffer.viewportY >= buffer.baseY;
    this.follow.set(atBottom);
    this.pinnedLine = atBottom ? null : buffer.viewportY;
  }

  private afterWrite(): void {
    const term = this.term;
    if (!term) return;
    if (this.follow()) term.scrollToBottom();
    else if (this.pinnedLine !== null && term.buffer.active.viewportY !== this.pinnedLine)
      term.scrollToLine(this.pinnedLine);
  }

  private connect(queueId: string): void {
    this.disconnect();
    const term = this.term;
    if (!term) return;
    const id = ++this.streamId;
    term.reset();
    term.write(HIDE_CURSOR);
    this.state.set(this.attempt === 0 ? 'connecting' : 'reconnecting');
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      if (id === this.streamId && this.state() === 'connecting') this.state.set('waiting');
    }, QUIET_AFTER_MS);
    let stream: Stream<{ end: LogEndFrame | null; error: string | null; code: number }>;
    try {
      stream = streamJobLog(
        queueId,
        { ...STREAM_OPTIONS, follow: true },
        {
          onData: (bytes) => {
            if (id !== this.streamId) return;
            if (this.state() !== 'streaming') {
              this.state.set('streaming');
              this.message.set(null);
            }
            this.attempt = 0;
            term.write(bytes, () => this.afterWrite());
          },
          onReset: () => {
            if (id !== this.streamId) return;
            term.reset();
            term.write(HIDE_CURSOR);
          },
        },
      );
    } catch (err) {
      this.retry(queueId, errorMessage(err));
      return;
    }
    this.stream = stream;
    stream.closed.then(
      (result) => {
        if (id !== this.streamId) return;
        this.stream = null;
        if (result.end) {
          this.state.set('ended');
          this.message.set(
            `Ended: ${result.end.status}${result.end.exit_code === null ? '' : ` (exit ${result.end.exit_code})`}`,
          );
          this.ended.emit(result.end);
        } else if (result.error) {
          this.state.set('failed');
          this.message.set(result.error);
        } else {
          this.retry(
            queueId,
            result.code === 1001 ? 'the server is restarting' : `connection closed (${result.code})`,
          );
        }
      },
      (err: unknown) => {
        if (id === this.streamId) this.retry(queueId, errorMessage(err));
      },
    );
  }

  private retry(queueId: string, reason: string): void {
    this.stream = null;
    const delay = backoffMs(this.attempt++);
    this.state.set('reconnecting');
    this.message.set(`Interrupted: ${reason}. Retrying in ${Math.max(1, Math.round(delay / 1000))} s…`);
    clearTimeout(this.retryTimer);
    const id = this.streamId;
    this.retryTimer = setTimeout(async () => {
      if (id !== this.streamId) return;
      // A refused upgrade cannot say 401 in a browser: ask whether the session still holds.
      if (await this.auth.checkSession()) this.connect(queueId);
    }, delay);
  }

  private disconnect(): void {
    this.streamId++;
    clearTimeout(this.retryTimer);
    clearTimeout(this.quietTimer);
    this.stream?.close();
    this.stream = null;
  }
}

const DARK: ITheme = {
  background: '#0b0d11',
  foreground: '#d5dae3',
  cursor: '#0b0d11',
  selectionBackground: '#2f4d7a',
  black: '#1d2129',
  red: '#f2686b',
  green: '#7ccf73',
  yellow: '#e5c15b',
  blue: '#6aa8ff',
  magenta: '#d38bf0',
  cyan: '#5fcfd6',
  white: '#c8ced8',
  brightBlack: '#69717f',
  brightRed: '#ff8a8c',
  brightGreen: '#9fe394',
  brightYellow: '#f5d67e',
  brightBlue: '#8fbdff',
  brightMagenta: '#e4a8fa',
  brightCyan: '#86e3e9',
  brightWhite: '#f3f5f8',
  scrollbarSliderBackground: 'rgba(143, 152, 168, 0.25)',
  scrollbarSliderHoverBackground: 'rgba(143, 152, 168, 0.4)',
  scrollbarSliderActiveBackground: 'rgba(143, 152, 168, 0.55)',
};

const LIGHT: ITheme = {
  background: '#fbfcfd',
  foreground: '#1f2630',
  cursor: '#fbfcfd',
  selectionBackground: '#b9d3f5',
  black: '#1f2630',
  red: '#c42b2b',
  green: '#1f8a32',
  yellow: '#9a6a00',
  blue: '#1f5fc4',
  magenta: '#9b32b8',
  cyan: '#0f7f86',
  white: '#8a93a2',
  brightBlack: '#5b6473',
  brightRed: '#e04545',
  brightGreen: '#2ba142',
  brightYellow: '#b88200',
  brightBlue: '#2f74e0',
  brightMagenta: '#b24fd0',
  brightCyan: '#1697a0',
  brightWhite: '#3b4250',
  scrollbarSliderBackground: 'rgba(91, 100, 115, 0.25)',
  scrollbarSliderHoverBackground: 'rgba(91, 100, 115, 0.4)',
  scrollbarSliderActiveBackground: 'rgba(91, 100, 115, 0.55)',
};

function termTheme(theme: 'light' | 'dark'): ITheme {
  return theme === 'light' ? LIGHT : DARK;
}
