import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { ServerReachability } from '../core/api';
import { LogDecoder } from '../jobs/log-decoder';

/** Longest a follow request waits on the owning node for new bytes (the route allows 20 s). */
const WAIT_MS = 10_000;
/** Characters kept in the pane; older output is cut from the top. */
const MAX_CHARS = 2_000_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * Another node's job log, in place: the backlog from GET /api/cluster/nodes/{id}/jobs/{job}/tty, then
 * a long poll at `X-Trainyard-Log-Next-Offset` until the job has ended and a read comes back empty.
 * Plain text (ANSI escapes removed; a `\r` progress bar shows its last state).
 */
@Component({
  selector: 'ty-node-log',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="pane" [attr.aria-label]="'Log of ' + queueId() + ' on ' + hostname()">
      <header>
        <strong>{{ queueId() }}</strong>
        <span class="muted">on {{ hostname() }} · {{ state() }}</span>
        <button type="button" class="btn btn-sm" aria-label="Close log" (click)="closed.emit()">Close</button>
      </header>
      <pre #pre class="log" tabindex="0">{{ text() }}</pre>
    </section>
  `,
  styles: `
    .pane {
      border: 1px solid var(--border);
      border-radius: 6px;
      margin-top: 12px;
      background: var(--surface);
    }
    header {
      display: flex;
      gap: 10px;
      align-items: center;
      padding: 6px 10px;
      border-bottom: 1px solid var(--border);
    }
    header button {
      margin-left: auto;
    }
    .muted {
      color: var(--text-muted);
      font-size: 12px;
    }
    .log {
      margin: 0;
      padding: 8px 10px;
      max-height: 360px;
      overflow: auto;
      font-size: 12px;
      white-space: pre-wrap;
      word-break: break-all;
    }
  `,
})
export class NodeLogComponent {
  readonly nodeId = input.required<string>();
  readonly queueId = input.required<string>();
  readonly hostname = input('');
  readonly closed = output<void>();

  protected readonly text = signal('');
  protected readonly state = signal('loading…');
  private readonly pre = viewChild<ElementRef<HTMLPreElement>>('pre');
  private readonly fetch = inject(ServerReachability).fetch;
  private abort: AbortController | null = null;

  constructor() {
    effect(() => {
      const node = this.nodeId();
      const job = this.queueId();
      untracked(() => void this.follow(node, job));
    });
    inject(DestroyRef).onDestroy(() => this.abort?.abort());
  }

  private async follow(node: string, job: string): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    const decoder = new LogDecoder();
    this.text.set('');
    this.state.set('loading…');
    const base = `/api/cluster/nodes/${encodeURIComponent(node)}/jobs/${encodeURIComponent(job)}/tty`;
    let offset: number | null = null;
    try {
      for (;;) {
        const url: string = offset === null ? base : `${base}?offset=${offset}&wait_ms=${WAIT_MS}`;
        const res = await this.fetch(url, { credentials: 'same-origin', signal: abort.signal });
        if (!res.ok) {
          const body = (await res.json().catch(() => null)) as { message?: string } | null;
          this.state.set(`error: ${body?.message ?? res.status}`);
          return;
        }
        const bytes = new Uint8Array(await res.arrayBuffer());
        const ended = res.headers.get('X-Trainyard-Log-Ended') === 'true';
        const next = Number(res.headers.get('X-Trainyard-Log-Next-Offset'));
        if (bytes.length) this.append(decoder.push(bytes));
        if (offset !== null && bytes.length === 0 && ended) {
          this.append(decoder.flush());
          this.state.set('ended');
          return;
        }
        this.state.set(ended ? 'ended' : 'following');
        offset = Number.isFinite(next) ? next : (offset ?? 0) + bytes.length;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') this.state.set('disconnected');
    }
  }

  private append(chunk: string): void {
    if (!chunk) return;
    const el = this.pre()?.nativeElement;
    const atBottom = !el || el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    const clean = chunk.replace(ANSI, '').replace(/[^\n]*\r(?!\n)/g, '');
    this.text.update((t) => (t + clean).slice(-MAX_CHARS));
    if (atBottom) requestAnimationFrame(() => el && (el.scrollTop = el.scrollHeight));
  }
}
