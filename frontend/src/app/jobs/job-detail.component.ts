import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  input,
  signal,
} from '@angular/core';
import { Router } from '@angular/router';
import {
  type JobDto,
  type JobTypeDto,
  type LogEndFrame,
  type TerminationReason,
  listJobTypes,
} from '@trainyard/sdk';
import { API } from '../core/api';
import { Clock } from '../core/clock';
import {
  describeParams,
  formatDuration,
  formatGpus,
  formatTime,
  isFinished,
  jobRuntime,
  quoteArg,
  stoppingNote,
  statusLabel,
} from '../core/format';
import { ToastStore } from '../core/toast.store';
import { ServerTextComponent } from '../shared/server-text.component';
import { JobActions } from './job-actions';
import { JobsStore } from './jobs.store';
import { JobRelationsComponent } from './job-relations.component';
import { JobOutputsComponent } from './job-outputs.component';
import { serviceLinkTitle, serviceUrl } from './service-url';
import { TrainerPanelComponent } from './trainer-status.component';

/** The pane under the jobs table: the job's facts, its actions, and its live terminal and metrics. */
@Component({
  selector: 'ty-job-detail',
  imports: [JobOutputsComponent, JobRelationsComponent, TrainerPanelComponent, ServerTextComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="detail" [attr.aria-label]="'Job ' + (job()?.name ?? id())">
      <div class="detail-head">
        @if (job(); as job) {
          <span class="status" [class]="'status status-' + statusLabel(job)">{{ statusLabel(job) }}</span>
          <h2 class="detail-title" [title]="job.name ?? job.queue_id">
            {{ job.name ?? job.job_type + ' job' }}
          </h2>
          <button type="button" class="id mono" title="Copy the job id" (click)="copyId(job)">
            {{ job.queue_id }}
          </button>
          <span class="spacer"></span>
          @if (service(); as svc) {
            <a class="btn btn-sm" target="_blank" rel="noopener" [href]="svc.url" [title]="linkTitle(svc)"
              >Open ↗</a
            >
          }
          <button
            type="button"
            class="btn btn-sm"
            title="Open the New job form filled in with this job's settings"
            (click)="actions.resubmit(job)"
          >
            Resubmit…
          </button>
          @if (actions.isRunning(job)) {
            @if (job.trainer_endpoint) {
              <div class="trainer" role="group" aria-label="Trainer control">
                <button
                  type="button"
                  class="btn btn-sm"
                  title="Ask the trainer to stop cleanly"
                  [disabled]="busy()"
                  (click)="store.control(job, 'stop')"
                >
                  Stop
                </button>
                <button
                  type="button"
                  class="btn btn-sm"
                  title="Ask the trainer to save a checkpoint"
                  [disabled]="busy()"
                  (click)="store.control(job, 'save')"
                >
                  Save
                </button>
                <button
                  type="button"
                  class="btn btn-sm"
                  title="Save a checkpoint, then stop"
                  [disabled]="busy()"
                  (click)="store.control(job, 'save-stop')"
                >
                  Save &amp; stop
                </button>
                <button
                  type="button"
                  class="btn btn-sm"
                  title="Ask the trainer to stop at once, without a checkpoint"
                  [disabled]="busy()"
                  (click)="actions.abort(job)"
                >
                  Abort
                </button>
              </div>
            }
            @if (actions.canKill(job)) {
              <button
                type="button"
                class="btn btn-sm btn-danger"
                [disabled]="busy()"
                (click)="actions.kill(job)"
              >
                Kill
              </button>
            } @else {
              <!-- Stopping already (its SIGTERM was sent): a second Kill would send nothing. -->
              <button
                type="button"
                class="btn btn-sm btn-danger"
                title="SIGKILL every process still running, now"
                [disabled]="busy()"
                (click)="actions.forceKill(job)"
              >
                Force kill
              </button>
            }
          } @else if (job.status === 'queued') {
            <button type="button" class="btn btn-sm" [disabled]="busy()" (click)="actions.cancel(job)">
              Cancel
            </button>
          } @else if (finished(job)) {
            <button type="button" class="btn btn-sm" [disabled]="busy()" (click)="actions.remove(job)">
              Delete
            </button>
          }
          <button
            type="button"
            class="btn btn-ghost btn-icon btn-sm"
            aria-haspopup="menu"
            [attr.aria-label]="'More actions for ' + (job.name ?? job.queue_id)"
            (click)="actions.openMenu($event, job)"
          >
            ⋯
          </button>
        } @else {
          <h2 class="detail-title muted">{{ store.selectedMissing() ? 'Job not found' : 'Loading job…' }}</h2>
          <span class="spacer"></span>
        }
        <button
          type="button"
          class="btn btn-ghost btn-icon btn-sm"
          aria-label="Close the log pane"
          title="Close (Esc)"
          (click)="close()"
        >
          ×
        </button>
      </div>

      @if (job(); as job) {
        <dl class="facts mono">
          <div>
            <dt>type</dt>
            <dd>{{ job.job_type }}</dd>
          </div>
          <div>
            <dt>GPUs</dt>
            @let gpus = gpuText(job);
            <dd [title]="gpus.title">{{ gpus.text }}</dd>
          </div>
          <div>
            <dt>priority</dt>
            <dd>{{ job.priority }}</dd>
          </div>
          <div>
            <dt>submitted</dt>
            <dd>{{ time(job.submitted_at) }}</dd>
          </div>
          <div>
            <dt>started</dt>
            <dd>{{ time(job.started_at) }}</dd>
          </div>
          @if (job.ended_at) {
            <div>
              <dt>ended</dt>
              <dd [title]="job.ended_at">{{ time(job.ended_at) }}</dd>
            </div>
          }
          <div>
            <dt>runtime</dt>
            <dd>{{ runtime() }}</dd>
          </div>
          @if (job.time_limit_s !== null) {
            <div>
              <dt>time limit</dt>
              <dd
                title="Asked to stop at this run time (save & stop or SIGTERM, then SIGKILL after the grace period)"
              >
                {{ duration(job.time_limit_s) }}
              </dd>
            </div>
          }
          @if (job.preemptible) {
            <div>
              <dt>preemptible</dt>
              <dd title="A higher-priority job may stop it (checkpoint) and requeue it">
                yes{{ job.restart_count ? ' (requeued ' + job.restart_count + '×)' : '' }}
              </dd>
            </div>
          }
          @if (job.termination_reason) {
            <div>
              <dt>reason</dt>
              <dd [title]="reasonHelp[job.termination_reason]">{{ job.termination_reason }}</dd>
            </div>
          }
          @if (job.exit_code !== null) {
            <!-- Queued again after a preemption, the code is the last attempt's, not a failure. -->
            @let again = job.status === 'queued';
            <div>
              <dt>{{ again ? 'last exit' : 'exit' }}</dt>
              <dd [class.bad]="!again && job.exit_code !== 0">{{ job.exit_code }}</dd>
            </div>
          }
          @if (job.pid !== null && actions.isRunning(job)) {
            <div>
              <dt>pid</dt>
              <dd>{{ job.pid }}</dd>
            </div>
          }
          <div class="grow">
            <dt>cwd</dt>
            <dd [title]="job.cwd">{{ job.cwd }}</dd>
          </div>
          @if (env(); as env) {
            <div class="env">
              <dt>env</dt>
              <dd [title]="env">{{ env }}</dd>
            </div>
          }
        </dl>
        @if (stopping(); as stopping) {
          <div class="stopping" role="status">{{ stopping }}</div>
        }
        @if (job.status === 'queued') {
          <div class="pending" role="note">
            <span class="muted">waiting because</span>
            <ty-server-text [text]="pendingReason() ?? '…'" [linkJobs]="false" />
          </div>
        }
        @if (job.trainer_status; as trainer) {
          <ty-trainer-panel [status]="trainer" />
        }
        <ty-job-relations [job]="job" />
        <div class="cmdline mono" [title]="params()">
          <!-- "$" only before a command as run: a job type's parameters are not one (training's
               torchrun command is built from them at launch). -->
          @if (job.job_params['argv']) {
            <span class="prompt" aria-hidden="true">$</span> {{ params() }}
          } @else {
            <span class="prompt">{{ job.job_type }}:</span> {{ params() }}
          }
        </div>
        @if (builtCommand(); as command) {
          <div class="cmdline mono built" [title]="command">
            <span class="prompt" aria-hidden="true">$</span> {{ command }}
          </div>
        }
        @if (job.error) {
          <div class="job-error" [class.requeued]="job.status === 'queued'" role="note">{{ job.error }}</div>
        }
      }

      @if (store.selectedMissing() && !job()) {
        <div class="empty">
          <p class="empty-title">This job no longer exists</p>
          <p class="muted">It was deleted, or the link is stale.</p>
        </div>
      } @else {
        <ty-job-outputs
          [queueId]="id()"
          [queued]="job()?.status === 'queued'"
          [started]="job() ? !!job()!.started_at || job()!.restart_count > 0 : null"
          [active]="!job() || !finished(job()!)"
          (ended)="onEnded($event)"
          (download)="downloadLog()"
        />
      }
    </section>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
    }
    .detail {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
      background: var(--surface);
    }
    /* Narrow (a phone), the buttons wrap to a second line rather than leave the pane. */
    .detail-head {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 8px;
      padding: 6px 10px 4px 12px;
      min-height: 38px;
    }
    .detail-title {
      font-size: 14px;
      margin: 0;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      max-width: 40%;
      min-width: 4em;
    }
    .id {
      border: 0;
      background: none;
      color: var(--text-muted);
      cursor: copy;
      padding: 0;
      font-size: 11px;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .trainer {
      display: flex;
      gap: 4px;
      padding-right: 6px;
      margin-right: 2px;
      border-right: 1px solid var(--border);
    }
    .facts {
      display: flex;
      flex-wrap: wrap;
      gap: 2px 18px;
      margin: 0;
      padding: 0 12px 4px;
      font-size: 12px;
    }
    .facts div {
      display: flex;
      gap: 6px;
      min-width: 0;
    }
    /* The cwd takes the rest of its line, but never less than a readable start of the path: with
       less room left it wraps to a line of its own (it was squeezed to "cw" at 800 px). */
    .facts .grow {
      flex: 1 1 24ch;
    }
    .facts dt {
      color: var(--text-muted);
    }
    .facts dd {
      margin: 0;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .bad {
      color: var(--danger);
      font-weight: 600;
    }
    .cmdline {
      padding: 0 12px 6px;
      color: var(--text-muted);
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .prompt {
      color: var(--accent);
    }
    .facts .env {
      flex-basis: 100%;
    }
    a.btn {
      text-decoration: none;
    }
    .stopping {
      margin: 0 12px 6px;
      padding: 4px 8px;
      border-radius: 4px;
      background: color-mix(in srgb, var(--warn) 10%, var(--surface));
      color: var(--warn);
      font-size: 12px;
    }
    .pending {
      margin: 0 12px 6px;
      font-size: 12px;
    }
    .job-error {
      margin: 0 12px 6px;
      padding: 4px 8px;
      border-radius: 4px;
      background: var(--danger-bg);
      color: var(--danger);
      font-size: 12px;
    }
    /* A preempted job waiting to run again: the note says why, it is not a failure. */
    .job-error.requeued {
      background: var(--surface-raised);
      color: var(--text-muted);
    }
    .empty {
      padding: 28px;
      text-align: center;
    }
  `,
})
export class JobDetailComponent {
  /** The `:id` route parameter. */
  readonly id = input.required<string>();

  protected readonly store = inject(JobsStore);
  protected readonly actions = inject(JobActions);
  private readonly clock = inject(Clock);
  private readonly router = inject(Router);
  private readonly toasts = inject(ToastStore);

  private readonly api = inject(API);
  protected readonly job = computed(() => this.store.selected());
  /** Job types, for which ones serve a web UI (their port parameter); loaded once. */
  private readonly types = signal<JobTypeDto[]>([]);
  /** Why the queued job waits (GET /api/queue), or null when not known (yet). */
  /** Why a queued job waits, from its record (the last scheduling pass's reason). */
  protected readonly pendingReason = computed(() => {
    const job = this.job();
    if (job?.status !== 'queued') return null;
    return job.pending_reason ?? 'next in line: it starts when the scheduler runs';
  });
  protected readonly linkTitle = serviceLinkTitle;
  protected readonly service = computed(() => {
    const job = this.job();
    if (!job) return null;
    return serviceUrl(
      job,
      this.types().find((t) => t.name === job.job_type),
      location.hostname,
    );
  });
  /** The job's own environment, KEY=VALUE separated by spaces (the full text in its tooltip). */
  protected readonly env = computed(() =>
    Object.entries(this.job()?.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('  '),
  );
  protected readonly busy = computed(() => this.store.pending().has(this.id()));
  protected readonly params = computed(() => {
    const job = this.job();
    return job ? describeParams(job.job_type, job.job_params) : '';
  });
  /** The command line a job type built from its params, as its last attempt was started with. */
  protected readonly builtCommand = computed(() => {
    const job = this.job();
    if (!job?.argv || Array.isArray(job.job_params['argv'])) return null;
    return job.argv.map(quoteArg).join(' ');
  });
  protected readonly runtime = computed(() => {
    const job = this.job();
    return job ? jobRuntime(job, this.clock.now()) : '—';
  });
  protected readonly time = formatTime;
  protected readonly statusLabel = statusLabel;
  protected readonly gpuText = formatGpus;
  protected readonly stopping = computed(() => {
    const job = this.job();
    return job ? stoppingNote(job) : null;
  });
  protected readonly duration = formatDuration;
  /** What each termination reason means, for its tooltip. */
  protected readonly reasonHelp: Record<TerminationReason, string> = {
    user_abort: 'Killed or aborted on request: SIGTERM, then SIGKILL after the grace period',
    user_kill: 'Force-killed on request: SIGKILL',
    trainer_stop: 'Asked to stop by its trainer (stop / save & stop)',
    time_limit:
      'Its time limit ran out: save & stop (trainer) or SIGTERM, then SIGKILL after the grace period',
    completed: 'Its command exited 0',
    exited_nonzero: 'Its command exited non-zero or was killed by a signal',
    launch_failed: 'It could not be started',
    lost_on_restart: 'It was gone when the server restarted and left no exit status',
    dependency_failed: 'A job it depends on can no longer meet the condition; it never started',
    preempted:
      'A higher-priority job needed its GPUs: asked to checkpoint (save & stop or a signal), then requeued',
    bundle_rollback:
      'A rank of a multi-node job that could not start on every node: the cluster rolled it back (SIGKILL)',
  };
  protected readonly finished = (job: JobDto) => isFinished(job.status);

  constructor() {
    effect(() => {
      const id = this.id();
      this.store.selectedMissing.set(false);
      this.store.selectedId.set(id);
    });
    inject(DestroyRef).onDestroy(() => this.store.selectedId.set(null));
    void listJobTypes({ client: this.api })
      .then(({ data }) => this.types.set(data))
      .catch(() => undefined);
  }

  protected close(): void {
    void this.router.navigate(['/jobs'], { queryParamsHandling: 'preserve' });
  }

  protected onEnded(_frame: LogEndFrame): void {
    // The end frame beats the next poll: show the final status at once.
    void this.store.load();
  }

  protected downloadLog(): void {
    const job = this.job();
    if (job) void this.store.download(job);
  }

  protected async copyId(job: JobDto): Promise<void> {
    try {
      await navigator.clipboard.writeText(job.queue_id);
      this.toasts.info(`Copied ${job.queue_id}`);
    } catch {
      this.toasts.error('The browser refused access to the clipboard.');
    }
  }
}
