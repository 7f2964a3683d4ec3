import { Injectable, inject } from '@angular/core';
import { Router } from '@angular/router';
import type { JobDto } from '@trainyard/sdk';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore, type MenuItem } from '../core/context-menu.store';
import { isFinished } from '../core/format';
import { ToastStore } from '../core/toast.store';
import { JobsStore, label } from './jobs.store';

/** The actions a job offers in its state, for the row buttons, the ⋯ / right-click menu and the pane. */
@Injectable()
export class JobActions {
  private readonly store = inject(JobsStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly menu = inject(ContextMenuStore);
  private readonly router = inject(Router);
  private readonly toasts = inject(ToastStore);

  isRunning(job: JobDto): boolean {
    return job.status === 'running' || job.status === 'starting' || job.status === 'terminating';
  }

  kill(job: JobDto): Promise<boolean> {
    return this.store.control(job, 'kill');
  }

  async forceKill(job: JobDto): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Force kill ${label(job)}?`,
      message:
        'Every process of the job gets SIGKILL at once: no cleanup, no checkpoint. Use Kill (SIGTERM) first when you can.',
      confirmLabel: 'Force kill',
      danger: true,
    });
    if (ok) await this.store.control(job, 'force-kill');
  }

  async remove(job: JobDto): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Delete ${label(job)}?`,
      message: 'The job record and its log file are removed for good.',
      confirmLabel: 'Delete',
      danger: true,
    });
    if (!ok) return;
    if ((await this.store.remove(job)) && this.store.selectedId() === job.queue_id) {
      await this.router.navigate(['/jobs']);
    }
  }

  async cleanup(): Promise<void> {
    const count = this.store.finishedCount();
    const ok = await this.confirm.ask({
      title: 'Clean up finished jobs?',
      message: `Every done, failed and aborted job is deleted with its log${count ? ` (${count} in the current list)` : ''}. Queued and running jobs stay.`,
      confirmLabel: 'Delete finished jobs',
      danger: true,
    });
    if (ok) await this.store.cleanup();
  }

  openMenu(event: MouseEvent | KeyboardEvent, job: JobDto): void {
    this.menu.open(event, label(job), this.menuItems(job));
  }

  menuItems(job: JobDto): MenuItem[] {
    const items: MenuItem[] = [
      { label: 'Open log', action: () => void this.router.navigate(['/jobs', job.queue_id]) },
      {
        label: 'Download log',
        action: () => void this.store.download(job),
        disabled: job.status === 'queued',
      },
      { label: 'Copy job id', action: () => void this.copy(job.queue_id) },
    ];
    if (job.status === 'queued') {
      items.push({
        label: 'Cancel (remove from queue)',
        danger: true,
        action: () => void this.store.cancel(job),
      });
    }
    // Trainer actions exist only once the trainer has published its control endpoint.
    if (this.isRunning(job) && job.trainer_endpoint) {
      items.push(
        { label: 'Stop (ask the trainer)', action: () => void this.store.control(job, 'stop') },
        { label: 'Save checkpoint', action: () => void this.store.control(job, 'save') },
        { label: 'Save & stop', action: () => void this.store.control(job, 'save-stop') },
        {
          label: 'Abort (no checkpoint)',
          danger: true,
          action: () => void this.store.control(job, 'abort'),
        },
      );
    }
    if (this.isRunning(job)) {
      items.push(
        { label: 'Kill (SIGTERM)', danger: true, action: () => void this.kill(job) },
        { label: 'Force kill (SIGKILL)…', danger: true, action: () => void this.forceKill(job) },
      );
    }
    if (isFinished(job.status)) {
      items.push({ label: 'Delete job and log…', danger: true, action: () => void this.remove(job) });
    }
    return items;
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
