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
import { streamJobLog, type JobLogStreamResult, type LogNodeFrame, type Stream } from '@trainyard/sdk';
import { STREAM_OPTIONS } from '../core/api';
import { LogDecoder } from '../jobs/log-decoder';

/** Characters kept in the pane; older output is cut from the top. */
const MAX_CHARS = 2_000_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * Another node's job log, in place: WebSocket /api/cluster/nodes/{id}/jobs/{job}/tty (backlog, then
 * live bytes until the end frame), through the SDK's streamJobLog like a local job's log.
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
  private stream: Stream<JobLogStreamResult> | null = null;

  constructor() {
    effect(() => {
      const node = this.nodeId();
      const job = this.queueId();
      untracked(() => this.follow(node, job));
    });
    inject(DestroyRef).onDestroy(() => this.stream?.close());
  }

  /** The same stream and frames as a local job's log, from the owning node (see streamJobLog). */
  private follow(node: string, job: string): void {
    this.stream?.close();
    const decoder = new LogDecoder();
    this.text.set('');
    this.state.set('loading…');
    const stream = (this.stream = streamJobLog(
      job,
      { ...STREAM_OPTIONS, nodeId: node, follow: true },
      {
        onData: (bytes) => {
          if (this.stream !== stream) return;
          this.state.set('following');
          this.append(decoder.push(bytes));
        },
        onReset: () => this.stream === stream && this.text.set(''),
        // Its node stopped answering (the stream waits for it), or answers again.
        onNode: (frame: LogNodeFrame) => {
          if (this.stream === stream) this.state.set(frame.reachable ? 'following' : frame.message);
        },
      },
    ));
    void stream.closed.then(({ end, error }) => {
      if (this.stream !== stream) return;
      this.append(decoder.flush());
      this.state.set(end ? `ended: ${end.status}` : error ? `error: ${error}` : 'disconnected');
    });
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
