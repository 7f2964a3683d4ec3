import { Injectable, inject } from '@angular/core';
import { Router } from '@angular/router';
import type { JobDto } from '@trainyard/sdk';
import { API } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { abortedDependentsNote } from '../core/dependents-note';
import { ContextMenuStore, type MenuItem } from '../core/context-menu.store';
import { HoldStore } from '../core/hold.store';
import { PriorityChangeStore } from '../core/priority-change.store';
import {
  formatDuration,
  formatGpus,
  isFinished,
  jobRuntime,
  secondsSince,
  statusLabel,
  stoppingNote,
} from '../core/format';
import { SubmitLauncher } from '../core/submit-launcher';
import { ToastStore } from '../core/toast.store';
import { type JobAction, JobsStore, label } from './jobs.store';

/**
 * The actions a job offers in its state, for the row buttons, the ⋯ / right-click menu and the pane.
 * Every destructive one (kill, force kill, abort, cancel, delete) asks first, naming the job and how
 * long it has run; a kill or cancel also names the queued jobs it will abort (their dependency fails).
 */
@Injectable()
export class JobActions {
  private readonly store = inject(JobsStore);
  private readonly api = inject(API);
  private readonly confirm = inject(ConfirmStore);
  private readonly menu = inject(ContextMenuStore);
  private readonly router = inject(Router);
  private readonly toasts = inject(ToastStore);
  private readonly launcher = inject(SubmitLauncher);
  private readonly priority = inject(PriorityChangeStore);
  private readonly hold = inject(HoldStore);

  isRunning(job: JobDto): boolean {
    return job.status === 'running' || job.status === 'starting' || job.status === 'terminating';
  }

  /**
   * Whether Kill (SIGTERM) makes sense: not for a job already stopping, which got its SIGTERM (a
   * second kill sends nothing); Force kill is what is left to offer then.
   */
  canKill(job: JobDto): boolean {
    return job.status === 'running' || job.status === 'starting';
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves false when not confirmed or refused. */
  kill(job: JobDto): Promise<boolean> {
    const grace = job.kill_grace_s === null ? 'the grace period' : `${job.kill_grace_s} s`;
    return this.askThen(
      job,
      {
        title: `Kill ${label(job)}?`,
        message: `Its processes get SIGTERM, then SIGKILL after ${grace}. Unsaved progress is lost.`,
        confirmLabel: 'Kill job',
      },
      'kill',
    );
  }

  forceKill(job: JobDto): Promise<boolean> {
    const stopping = stoppingNote(job);
    return this.askThen(
      job,
      {
        title: `Force kill ${label(job)}?`,
        message: stopping
          ? `${stopping}. Force kill sends SIGKILL to every process still running now: no cleanup, no checkpoint.`
          : 'Every process of the job gets SIGKILL at once: no cleanup, no checkpoint. Use Kill (SIGTERM) first when you can.',
        confirmLabel: 'Force kill',
      },
      'force-kill',
    );
  }

  /** Asks the trainer to stop at once, without a checkpoint. */
  abort(job: JobDto): Promise<boolean> {
    return this.askThen(
      job,
      {
        title: `Abort ${label(job)}?`,
        message: 'The trainer stops at once without saving a checkpoint.',
        confirmLabel: 'Abort without saving',
      },
      'abort',
    );
  }

  /** Removes a queued job from the queue (the server aborts it if it has just started). */
  async cancel(job: JobDto): Promise<boolean> {
    const ok = await this.askStop(job, {
      title: `Remove ${label(job)} from the queue?`,
      message: job.array_id
        ? 'It will not run. It stays in its array as aborted, so the array can retry it.'
        : 'It is removed from the queue and will not run.',
      confirmLabel: 'Remove from queue',
      dismissLabel: 'Keep',
    });
    return ok && this.store.cancel(job);
  }

  /** Deletes a finished job and its log; resolves false when not confirmed or refused. */
  async remove(job: JobDto): Promise<boolean> {
    const ok = await this.ask(job, {
      title: `Delete ${label(job)}?`,
      message: 'The job record and its log file are removed for good.',
      confirmLabel: 'Delete',
    });
    if (!ok || !(await this.store.remove(job))) return false;
    if (this.store.selectedId() === job.queue_id)
      await this.router.navigate(['/jobs'], { queryParamsHandling: 'preserve' });
    return true;
  }

  /** Opens the New job form filled in with this job's type, parameters, GPUs, priority, cwd and env. */
  resubmit(job: JobDto): void {
    this.launcher.show(job);
  }

  openMenu(event: MouseEvent | KeyboardEvent, job: JobDto): void {
    this.menu.open(event, label(job), this.menuItems(job));
  }

  menuItems(job: JobDto): MenuItem[] {
    const items: MenuItem[] = [
      {
        label: 'Open log',
        action: () => void this.router.navigate(['/jobs', job.queue_id], { queryParamsHandling: 'preserve' }),
      },
      {
        label: 'Download log',
        action: () => void this.store.download(job),
        disabled: job.status === 'queued',
      },
      { label: 'Copy job id', action: () => void this.copy(job.queue_id) },
      { label: 'Resubmit (edit a copy)…', action: () => this.resubmit(job) },
    ];
    if (job.status === 'queued') {
      items.push({ label: 'Change priority…', action: () => this.priority.ask(job) });
      items.push(
        job.held
          ? { label: 'Release (let it start)', action: () => void this.hold.toggle(job) }
          : { label: 'Hold (keep it from starting)', action: () => void this.hold.toggle(job) },
      );
      items.push({
        label: 'Cancel (remove from queue)…',
        danger: true,
        action: () => void this.cancel(job),
      });
    }
    // Trainer actions exist only once the trainer has published its control endpoint.
    if (this.isRunning(job) && job.trainer_endpoint) {
      items.push(
        { label: 'Stop (ask the trainer)', action: () => void this.store.control(job, 'stop') },
        { label: 'Save checkpoint', action: () => void this.store.control(job, 'save') },
        { label: 'Save & stop', action: () => void this.store.control(job, 'save-stop') },
        { label: 'Abort (no checkpoint)…', danger: true, action: () => void this.abort(job) },
      );
    }
    if (this.canKill(job)) {
      items.push({ label: 'Kill (SIGTERM)…', danger: true, action: () => void this.kill(job) });
    }
    if (this.isRunning(job)) {
      items.push({ label: 'Force kill (SIGKILL)…', danger: true, action: () => void this.forceKill(job) });
    }
    if (isFinished(job.status)) {
      items.push({ label: 'Delete job and log…', danger: true, action: () => void this.remove(job) });
    }
    return items;
  }

  /** What the confirmation lists about a job: which one it is and how long it has run. */
  facts(job: JobDto): string[][] {
    const rows = [
      ['job', label(job)],
      ['id', job.queue_id],
      ['status', statusLabel(job)],
      ['runtime', this.runtime(job)],
    ];
    rows.push(['GPUs', formatGpus(job).text]);
    return rows;
  }

  private runtime(job: JobDto): string {
    if (job.status === 'queued') {
      return `not started (queued ${formatDuration(secondsSince(job.submitted_at, Date.now()))})`;
    }
    return jobRuntime(job, Date.now());
  }

  private ask(
    job: JobDto,
    q: { title: string; message: string; confirmLabel: string; dismissLabel?: string; warning?: string },
  ): Promise<boolean> {
    return this.confirm.ask({ ...q, details: this.facts(job), danger: true });
  }

  /** Asks about stopping `job`, saying which queued jobs that wait for it will then be aborted. */
  private async askStop(
    job: JobDto,
    q: { title: string; message: string; confirmLabel: string; dismissLabel?: string },
  ): Promise<boolean> {
    const warning = await abortedDependentsNote(this.api, [job]);
    return this.ask(job, { ...q, ...(warning && { warning }) });
  }

  private async askThen(
    job: JobDto,
    q: { title: string; message: string; confirmLabel: string },
    action: JobAction,
  ): Promise<boolean> {
    return (await this.askStop(job, q)) && this.store.control(job, action);
  }

  private async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.toasts.info(`Copied ${text}`);
    } catch {
      this.toasts.error('The browser refused access to the clipboard.');
    }
  }
}
