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
import {
  type LogEndFrame,
  type LogSearchMatchDto,
  type Stream,
  getJobLogRange,
  searchJobLog,
  streamJobLog,
} from '@trainyard/sdk';
import { FitAddon } from '@xterm/addon-fit';
import { type ISearchDecorationOptions, SearchAddon } from '@xterm/addon-search';
import { type ITheme, Terminal } from '@xterm/xterm';
import { TrainyardConnectionError } from '@trainyard/sdk';
import { API, STREAM_OPTIONS, ServerReachability, errorMessage } from '../core/api';
import { formatTime } from '../core/format';
import { AuthStore } from '../core/auth.store';
import { backoffMs } from '../core/poll';
import { isTyping } from '../core/shortcuts';
import { ThemeStore } from '../core/theme.store';
import { LogDecoder } from './log-decoder';
import { linesNotShown, tailFirstLine } from './log-lines';

type StreamState = 'connecting' | 'waiting' | 'streaming' | 'ended' | 'reconnecting' | 'failed';

/** No byte yet after this long: the socket is open and the job is quiet (the SDK has no open event). */
const QUIET_AFTER_MS = 1500;

const SCROLLBACK_LINES = 50_000;
/** Lines an earlier part of the log is shown in: below the scrollback, so none is lost. */
const WINDOW_LINES = 40_000;
const HIDE_CURSOR = '\x1b[?25l';
const DIM = (text: string) => `\x1b[0;2m${text}\x1b[0m\r\n`;
const SEARCH_DELAY_MS = 250;
const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * A job's terminal over `WS /api/jobs/{id}/tty?follow=true`, rendered by xterm.js: ANSI colours,
 * `\r` progress bars redrawn in place, selection that holds while output streams, search, and
 * follow (auto-scroll only while at the bottom, with an "N new lines" marker while paused).
 *
 * The terminal keeps the last 50,000 lines: a banner says which earlier lines are not in it and
 * loads them on demand (`GET /api/jobs/{id}/log?line=`); search then runs on the server over the
 * whole log (`GET .../log/search`) and a match outside the terminal loads the part around it.
 * A dropped connection keeps what is shown and resumes at the byte offset already received.
 * The pane is output only (no stdin), so keys pressed in it are the app's shortcuts.
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
    @if (hiddenBefore() > 0 || hiddenAfter() > 0 || notice()) {
      <div class="log-banner" role="status">
        @if (hiddenBefore() > 0) {
          <span>Lines 1–{{ fmtN(hiddenBefore()) }} not shown</span>
          <button type="button" class="btn btn-sm btn-link" [disabled]="loading()" (click)="loadEarlier()">
            Load earlier
          </button>
        }
        @if (hiddenAfter() > 0) {
          <span>{{ fmtN(hiddenAfter()) }}+ later lines not shown</span>
          <button type="button" class="btn btn-sm btn-link" [disabled]="loading()" (click)="backToEnd()">
            Back to the end
          </button>
        }
        @if (notice(); as text) {
          <span class="log-notice">{{ text }}</span>
        }
      </div>
    }
    <div class="log-term-wrap">
      <div class="log-term" #term aria-label="Job output" role="region" data-output-only></div>
      @if (newLines() > 0) {
        <button type="button" class="btn btn-sm log-new-lines" (click)="setFollow(true)">
          {{ fmtN(newLines()) }} new {{ newLines() === 1 ? 'line' : 'lines' }} ↓
        </button>
      }
    </div>
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
      flex-wrap: wrap; /* a narrow pane (log beside the metrics) wraps it instead of spilling over */
      align-items: center;
      gap: 4px 8px;
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
    .log-banner {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 10px;
      padding: 3px 10px;
      font-size: 12px;
      color: var(--text-muted);
      border-bottom: 1px solid var(--border);
      background: color-mix(in srgb, var(--warn) 8%, var(--surface));
    }
    .log-banner .btn-link {
      border: none;
      background: none;
      color: var(--accent);
      text-decoration: underline;
      padding: 0 2px;
      height: auto;
    }
    .log-term-wrap {
      position: relative;
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
    }
    .log-new-lines {
      position: absolute;
      right: 18px;
      bottom: 10px;
      z-index: 5;
      box-shadow: 0 2px 8px rgb(0 0 0 / 0.3);
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
  private readonly api = inject(API);
  private readonly termEl = viewChild.required<ElementRef<HTMLElement>>('term');
  private readonly searchInput = viewChild.required<ElementRef<HTMLInputElement>>('searchInput');

  protected readonly follow = signal(true);
  protected readonly state = signal<StreamState>('connecting');
  protected readonly message = signal<string | null>(null);
  protected readonly query = signal('');
  private readonly matches = signal<{ index: number; count: number } | null>(null);
  /** Lines of the log before the terminal's first line (the terminal keeps the last 50,000). */
  protected readonly hiddenBefore = signal(0);
  /** An earlier part is shown: at least this many later lines are not (live output is paused). */
  protected readonly hiddenAfter = signal(0);
  /** Lines that arrived while follow was paused. */
  protected readonly newLines = signal(0);
  /** Where the stream was interrupted and resumed, or why the view was reloaded. */
  protected readonly notice = signal<string | null>(null);
  protected readonly loading = signal(false);
  /** Server search results, used while part of the log is not in the terminal. */
  private readonly serverMatches = signal<{
    query: string;
    matches: LogSearchMatchDto[];
    more: boolean;
    index: number;
  } | null>(null);
  protected readonly fmtN = fmt;

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
    if (!this.query()) return '';
    const server = this.serverMatches();
    if (server) {
      if (server.query !== this.query()) return 'searching…';
      const n = server.matches.length;
      // `more`: the server stopped early or searched some very long lines only in part.
      if (n === 0) return server.more ? 'no match (not all searched)' : 'no match';
      return `${server.index < 0 ? '–' : server.index + 1} / ${n}${server.more ? '+' : ''}`;
    }
    const m = this.matches();
    if (!m) return '';
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
  /** The reconnect waiting out its backoff, to run at once when the server answers again. */
  private retryNow: (() => void) | null = null;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  /** The viewport line to hold while not following. */
  private pinnedLine: number | null = null;
  /** A pointer is down on the terminal: selecting text, or dragging the scrollbar. */
  private interacting: 'select' | 'scroll' | null = null;
  /** Follow was on when a selection began: clearing the selection turns it back on. */
  private resumeAfterSelection = false;
  /** The terminal is being fitted to its box (a selection it drops meanwhile was not the user's doing). */
  private fitting = false;

  private readonly decoder = new LogDecoder();
  /** Log file offset just past the last byte written to the terminal; null before the first start frame. */
  private position: number | null = null;
  /** Number of the log line the terminal's content starts with. */
  private firstLine = 1;
  /** Line feeds of the log the terminal has parsed (writes are asynchronous). */
  private parsedNewlines = 0;
  /** Lines the pane wrote itself (reconnect marks): not log lines. */
  private markLines = 0;
  /** An earlier part of the log is shown instead of the live end. */
  private windowed = false;
  /** The stream said the job has ended: no live output to pause. */
  private finished = false;

  constructor() {
    const destroyRef = inject(DestroyRef);
    // The server is back (a restart ended): reconnect now rather than when the backoff ends.
    destroyRef.onDestroy(inject(ServerReachability).onBack(() => this.retryNow?.()));
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
        // Output only: every other key is left to the app (its shortcuts, Esc, copy); xterm keeps
        // just its scrolling keys. isTyping() knows this pane is no text field (data-output-only).
        return e.shiftKey && /^(PageUp|PageDown|Home|End)$/.test(e.key);
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
        // Only the user's letting go of a selection resumes following, not a resize dropping it.
        if (!term.hasSelection() && !this.interacting && !this.fitting && this.resumeAfterSelection) {
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
          this.serverMatches.set(null);
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
      clearTimeout(this.searchTimer);
      clearTimeout(this.hiddenTimer);
      this.disconnect();
    });
  }

  protected setFollow(on: boolean): void {
    if (on && this.windowed) {
      this.backToEnd();
      return;
    }
    this.follow.set(on);
    this.resumeAfterSelection = false;
    if (on) this.newLines.set(0);
    if (!this.term) return;
    if (on) {
      this.pinnedLine = null;
      this.term.scrollToBottom();
    } else {
      this.pinnedLine = this.term.buffer.active.viewportY;
    }
  }

  /** The live end again: the terminal is reloaded with the log's tail and follows it. */
  protected backToEnd(): void {
    this.windowed = false;
    this.hiddenAfter.set(0);
    this.follow.set(true);
    this.pinnedLine = null;
    this.newLines.set(0);
    this.connect(this.queueId());
  }

  /** Shows the part of the log before the terminal's first line (and some of what it shows now). */
  protected async loadEarlier(): Promise<void> {
    const top = this.firstLine + this.hiddenRows();
    const from = Math.max(1, top - (WINDOW_LINES - 2000));
    await this.showWindow(from, top);
  }

  protected find(direction: 1 | -1, incremental = false): void {
    const q = this.query();
    if (!this.search) return;
    if (!q) {
      this.search.clearDecorations();
      this.matches.set(null);
      this.serverMatches.set(null);
      return;
    }
    // Part of the log is not in the terminal: only the server can search all of it.
    if (this.windowed || this.hiddenBefore() > 0) {
      this.findOnServer(q, direction, incremental);
      return;
    }
    this.serverMatches.set(null);
    this.findInTerminal(q, direction, incremental);
  }

  protected clearSearch(event: Event): void {
    event.stopPropagation();
    this.query.set('');
    this.search?.clearDecorations();
    this.matches.set(null);
    this.serverMatches.set(null);
    this.term?.focus();
  }

  private findInTerminal(q: string, direction: 1 | -1, incremental: boolean): boolean {
    if (!this.search) return false;
    const options = { incremental, decorations: DECORATIONS[this.themes.theme()] };
    const found = direction === 1 ? this.search.findNext(q, options) : this.search.findPrevious(q, options);
    if (found) {
      // Looking at a match: stop following so new output does not pull the view away.
      this.follow.set(false);
      requestAnimationFrame(() => (this.pinnedLine = this.term?.buffer.active.viewportY ?? null));
    }
    return found;
  }

  /** Typing searches after a pause; Enter / arrows step through the server's matches. */
  private findOnServer(q: string, direction: 1 | -1, incremental: boolean): void {
    const current = this.serverMatches();
    if (!incremental && current?.query === q) {
      const n = current.matches.length;
      if (!n) return;
      const index = current.index < 0 ? 0 : (current.index + direction + n) % n;
      this.serverMatches.set({ ...current, index });
      void this.jumpTo(current.matches[index].line, q);
      return;
    }
    clearTimeout(this.searchTimer);
    this.serverMatches.set({ query: '', matches: [], more: false, index: -1 });
    this.searchTimer = setTimeout(() => void this.runServerSearch(q), incremental ? SEARCH_DELAY_MS : 0);
  }

  private async runServerSearch(q: string): Promise<void> {
    try {
      const { data } = await searchJobLog({
        client: this.api,
        path: { queue_id: this.queueId() },
        query: { q, limit: 1000 },
      });
      if (this.query() !== q) return;
      const result = {
        query: q,
        matches: data.matches,
        more: data.truncated || data.timed_out || data.lines_cut > 0,
        index: -1,
      };
      this.serverMatches.set(result);
      if (data.matches.length) {
        this.serverMatches.set({ ...result, index: 0 });
        await this.jumpTo(data.matches[0].line, q);
      }
    } catch (err) {
      if (this.query() === q) this.serverMatches.set({ query: q, matches: [], more: false, index: -1 });
      this.notice.set(`Search failed: ${errorMessage(err)}`);
    }
  }

  /** Brings log line `line` into view (loading the part around it if needed) and marks `q` in it. */
  private async jumpTo(line: number, q: string): Promise<void> {
    const term = this.term;
    if (!term) return;
    const top = this.firstLine + this.hiddenRows();
    const last = this.firstLine + this.parsedNewlines + this.markLines;
    if (line < top || line > last) {
      await this.showWindow(Math.max(1, line - WINDOW_LINES / 2), line);
    }
    this.revealLine(line, q);
  }

  /** Scrolls to log line `line` of the terminal and selects the first `q` in it (else the line). */
  private revealLine(line: number, q: string): void {
    const term = this.term;
    if (!term) return;
    const row = this.rowOfLine(line);
    if (row === null) return;
    this.follow.set(false);
    this.newLines.set(0);
    term.scrollToLine(Math.max(0, row - Math.floor(term.rows / 3)));
    term.select(0, row, 1);
    if (!this.search?.findNext(q, { incremental: true, decorations: DECORATIONS[this.themes.theme()] })) {
      term.select(0, row, term.cols);
    }
    this.pinnedLine = term.buffer.active.viewportY;
  }

  /** The buffer row where log line `line` starts (lines wrap over several rows), or null. */
  private rowOfLine(line: number): number | null {
    const buffer = this.term?.buffer.active;
    if (!buffer) return null;
    let logical = this.firstLine + this.hiddenRows() - 1;
    for (let row = 0; row < buffer.length; row++) {
      if (!buffer.getLine(row)?.isWrapped) logical++;
      if (logical === line) return row;
    }
    return null;
  }

  /**
   * Replaces the terminal's content with lines `from`… (WINDOW_LINES of them) read over HTTP, and
   * scrolls to line `at`. Live output stops until "Back to the end" (or Follow).
   */
  private async showWindow(from: number, at: number): Promise<void> {
    const term = this.term;
    if (!term || this.loading()) return;
    this.loading.set(true);
    try {
      const { data, response } = await getJobLogRange({
        client: this.api,
        path: { queue_id: this.queueId() },
        query: { line: from, lines: WINDOW_LINES },
        parseAs: 'arrayBuffer',
      });
      const header = (name: string) => Number(response.headers.get(`X-Trainyard-Log-${name}`));
      this.disconnect();
      this.windowed = true;
      this.state.set('ended');
      this.message.set(
        this.finished ? 'Showing an earlier part' : 'Showing an earlier part · live output paused',
      );
      this.follow.set(false);
      this.newLines.set(0);
      this.resetTerminal();
      this.firstLine = header('Line');
      this.position = header('End');
      const text = this.decoder.push(new Uint8Array(data as unknown as ArrayBuffer)) + this.decoder.flush();
      await new Promise<void>((resolve) => term.write(text, resolve));
      this.parsedNewlines = this.decoder.newlines;
      this.hiddenBefore.set(this.firstLine - 1);
      this.hiddenAfter.set(header('End') < header('Size') ? 1 : 0);
      if (this.hiddenAfter()) void this.countLater(header('End'));
      const row = this.rowOfLine(at);
      if (row !== null) term.scrollToLine(Math.max(0, row - 2));
      this.pinnedLine = term.buffer.active.viewportY;
    } catch (err) {
      this.notice.set(`Could not load that part of the log: ${errorMessage(err)}`);
    } finally {
      this.loading.set(false);
    }
  }

  /** How many lines follow the shown part (for the banner): where the log's end is, as a line. */
  private async countLater(end: number): Promise<void> {
    try {
      const { response } = await getJobLogRange({
        client: this.api,
        path: { queue_id: this.queueId() },
        query: { offset: 1e15, lines: 0 }, // past the end: the answer is the line after the last
        parseAs: 'text',
      });
      const after = Number(response.headers.get('X-Trainyard-Log-Line'));
      const later = after - this.firstLine - this.parsedNewlines;
      if (this.windowed && this.position === end) this.hiddenAfter.set(Math.max(1, later));
    } catch {
      // the banner keeps saying "later lines"
    }
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

  /**
   * Fits the terminal to its box, keeping what the user holds: a resize (the divider, the window,
   * the facts above gaining a line as the job ends) must not move the view or drop a selection.
   */
  private fitNow(): void {
    const term = this.term;
    // xterm drops the selection when the rows change (xtermjs/xterm.js#5300); put it back after.
    const selection = term?.getSelectionPosition();
    this.fitting = true;
    try {
      this.fit?.fit();
    } catch {
      return; // not laid out yet (pane hidden)
    } finally {
      this.fitting = false;
    }
    if (term && selection && !term.hasSelection()) {
      const { start, end } = selection;
      term.select(start.x, start.y, (end.y - start.y) * term.cols + end.x - start.x);
    }
    // Losing rows, xterm moves a held view down a line. It scrolls relative to its scroll area,
    // which the resize left where it was, so the way back starts from the top to land exactly.
    const held = this.follow() ? null : this.pinnedLine;
    if (!term || held === null) return;
    if (term.buffer.active.viewportY !== held) {
      term.scrollToTop();
      term.scrollToLine(held);
    }
    // Gaining rows at the end, the view cannot keep its top line (it would show past the end): it
    // holds what it shows now, or the next output would move it to the old top line.
    this.pinnedLine = term.buffer.active.viewportY;
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
    if (!term || this.interacting || this.windowed) return;
    const buffer = term.buffer.active;
    const atBottom = buffer.viewportY >= buffer.baseY;
    this.follow.set(atBottom);
    if (atBottom) this.newLines.set(0);
    this.pinnedLine = atBottom ? null : buffer.viewportY;
  }

  private afterWrite(): void {
    const term = this.term;
    if (!term) return;
    if (this.follow()) term.scrollToBottom();
    else if (this.pinnedLine !== null && term.buffer.active.viewportY !== this.pinnedLine)
      term.scrollToLine(this.pinnedLine);
    if (!this.hiddenTimer) {
      this.hiddenTimer = setTimeout(() => {
        this.hiddenTimer = undefined;
        this.updateHiddenBefore();
      }, 200);
    }
  }

  private updateHiddenBefore(): void {
    if (!this.windowed) this.hiddenBefore.set(linesNotShown(this.firstLine, this.hiddenRows()));
  }

  /**
   * Byte offset a fresh view starts streaming at: the start of line `tailFirstLine(...)`, so a long
   * log's first TAIL_LINES-th line from the end (0 for a short log, or when the server cannot say).
   */
  private async tailStart(queueId: string): Promise<number> {
    const lineHeader = async (query: { offset: number } | { line: number }, header: string) => {
      const { response } = await getJobLogRange({
        client: this.api,
        path: { queue_id: queueId },
        query: { ...query, lines: 0 },
        parseAs: 'text',
      });
      return Number(response.headers.get(`X-Trainyard-Log-${header}`));
    };
    if (this.queued()) return 0; // not started: no log file yet, the stream waits for it
    try {
      // (A job that never started gets no viewer: see JobOutputsComponent's `started`.)
      // Past the end: the answer is the number of the line after the last.
      const from = tailFirstLine(await lineHeader({ offset: 1e15 }, 'Line'));
      return from > 1 ? (await lineHeader({ line: from }, 'Offset')) || 0 : 0;
    } catch {
      return 0; // no log yet (queued), or unreachable: the stream says which
    }
  }

  /**
   * Log lines the terminal has dropped off its top (its scrollback is full): the lines written
   * minus the lines still in the buffer (rows that start a line, up to the cursor).
   */
  private hiddenRows(): number {
    const term = this.term;
    if (!term || this.windowed) return 0;
    const buffer = term.buffer.active;
    if (buffer.length < SCROLLBACK_LINES + term.rows) return 0;
    const cursorRow = buffer.baseY + buffer.cursorY;
    let kept = 0;
    for (let row = 0; row <= cursorRow; row++) if (!buffer.getLine(row)?.isWrapped) kept++;
    return Math.max(0, this.parsedNewlines + this.markLines + 1 - kept);
  }

  private resetTerminal(): void {
    this.term?.reset();
    this.term?.write(HIDE_CURSOR);
    this.decoder.reset();
    this.parsedNewlines = 0;
    this.markLines = 0;
    this.firstLine = 1;
    this.position = null;
    this.hiddenBefore.set(0);
  }

  /** The log line a byte offset falls in (for a stream that starts past the file's start). */
  private async lineAt(offset: number, id: number): Promise<void> {
    if (offset === 0) return;
    try {
      const { response } = await getJobLogRange({
        client: this.api,
        path: { queue_id: this.queueId() },
        query: { offset, lines: 0 },
        parseAs: 'text',
      });
      if (id !== this.streamId) return;
      this.firstLine = Number(response.headers.get('X-Trainyard-Log-Line')) || 1;
      this.updateHiddenBefore();
    } catch {
      // numbering stays relative to what was received
    }
  }

  /**
   * Opens the stream. A first connect (or another job) starts from an empty terminal; a reconnect
   * keeps what is shown and asks the server to resume at `position`, the offset already received.
   */
  private connect(queueId: string, resume = false): void {
    this.disconnect();
    const term = this.term;
    if (!term) return;
    const id = ++this.streamId;
    if (!resume) {
      this.resetTerminal();
      this.notice.set(null);
      this.windowed = false;
      this.finished = false;
      this.hiddenAfter.set(0);
    }
    const resumeAt = resume ? this.position : null;
    this.state.set(this.attempt === 0 ? 'connecting' : 'reconnecting');
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      if (id === this.streamId && this.state() === 'connecting') this.state.set('waiting');
    }, QUIET_AFTER_MS);
    if (resumeAt !== null) this.openStream(queueId, id, resumeAt, resumeAt);
    else
      void this.tailStart(queueId).then((startAt) => {
        if (id === this.streamId) this.openStream(queueId, id, startAt, null);
      });
  }

  /** Streams from `startAt`; `resumeAt` is where a reconnect asked to continue (null: a fresh view). */
  private openStream(queueId: string, id: number, startAt: number, resumeAt: number | null): void {
    const term = this.term;
    if (!term) return;
    let stream: Stream<{ end: LogEndFrame | null; error: string | null; code: number }>;
    try {
      stream = streamJobLog(
        queueId,
        { ...STREAM_OPTIONS, follow: true, offset: startAt },
        {
          onStart: ({ offset }) => {
            if (id !== this.streamId) return;
            if (resumeAt !== null && offset === resumeAt) {
              this.markGap();
              return;
            }
            if (resumeAt !== null) {
              // The server could not resume there (the log was truncated or replaced): start over.
              this.resetTerminal();
              this.notice.set('The log changed while disconnected: reloaded from the server.');
            }
            this.position = offset;
            void this.lineAt(offset, id);
          },
          onData: (bytes) => {
            if (id !== this.streamId) return;
            if (this.state() !== 'streaming') {
              this.state.set('streaming');
              this.message.set(null);
            }
            this.attempt = 0;
            if (this.position !== null) this.position += bytes.length;
            const before = this.decoder.newlines;
            const text = this.decoder.push(bytes);
            const lines = this.decoder.newlines - before;
            if (!this.follow()) this.newLines.update((n) => n + lines);
            term.write(text, () => {
              this.parsedNewlines += lines;
              this.afterWrite();
            });
          },
          onReset: () => {
            if (id !== this.streamId) return;
            this.resetTerminal();
            this.position = 0;
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
          this.finished = true;
          term.write(this.decoder.flush());
          this.state.set('ended');
          this.message.set(
            `Ended: ${result.end.status}${result.end.exit_code === null ? '' : ` (exit ${result.end.exit_code})`}`,
          );
          this.ended.emit(result.end);
        } else if (result.error) {
          this.state.set('failed');
          this.message.set(result.error);
        } else {
          this.retry(queueId, result.code === 1001 ? 'the server is restarting' : `closed (${result.code})`);
        }
      },
      (err: unknown) => {
        if (id === this.streamId)
          this.retry(queueId, err instanceof TrainyardConnectionError ? null : errorMessage(err));
      },
    );
  }

  /**
   * Marks where the stream resumed: a dim line in the terminal when at a line start, and the banner.
   * It resumes at the offset already received, so no output is skipped or shown twice.
   */
  private markGap(): void {
    const time = formatTime(new Date().toISOString());
    if (this.decoder.atLineStart && this.term) {
      this.term.write(DIM(`— reconnected at ${time}, nothing was lost —`), () => this.afterWrite());
      this.markLines++;
    }
    this.notice.set(`Reconnected at ${time} — nothing was lost.`);
  }

  /** Reconnects after a backoff; `reason` is null when the server did not answer at all. */
  private retry(queueId: string, reason: string | null): void {
    this.stream = null;
    const delay = backoffMs(this.attempt++);
    this.state.set('reconnecting');
    const wait = `retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
    this.message.set(
      reason === null ? `Server unreachable · ${wait}` : `Connection lost: ${reason} · ${wait}`,
    );
    if (this.position !== null)
      this.notice.set('Server unreachable: the output so far stays shown; it resumes from here.');
    clearTimeout(this.retryTimer);
    const id = this.streamId;
    const reconnect = async () => {
      clearTimeout(this.retryTimer);
      this.retryNow = null;
      if (id !== this.streamId) return;
      // A refused upgrade cannot say 401 in a browser: ask whether the session still holds.
      if (await this.auth.checkSession()) this.connect(queueId, this.position !== null);
    };
    this.retryNow = () => void reconnect();
    this.retryTimer = setTimeout(this.retryNow, delay);
  }

  private disconnect(): void {
    this.streamId++;
    clearTimeout(this.retryTimer);
    this.retryNow = null;
    clearTimeout(this.quietTimer);
    clearTimeout(this.searchTimer);
    this.stream?.close();
    this.stream = null;
  }
}

/** Search matches: dark amber under the dark theme's light text, pale amber under the light one's dark text. */
const DECORATIONS: Record<'light' | 'dark', ISearchDecorationOptions> = {
  dark: {
    matchBackground: '#5c4a12',
    matchOverviewRuler: '#d6a21e',
    activeMatchBackground: '#b8860b',
    activeMatchColorOverviewRuler: '#ffcc33',
  },
  light: {
    matchBackground: '#fde68a',
    matchOverviewRuler: '#d6a21e',
    activeMatchBackground: '#f59e0b',
    activeMatchColorOverviewRuler: '#b45309',
  },
};

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
