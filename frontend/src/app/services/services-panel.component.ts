import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import type { JobTypeDto, ServiceDto } from '@trainyard/sdk';
import { ServerReachability, errorMessage } from '../core/api';
import { Clock } from '../core/clock';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore } from '../core/context-menu.store';
import { followJobChanges } from '../core/job-changes';
import { RefreshBus } from '../core/refresh';
import { readStored, writeStored } from '../core/storage';
import { SubmitLauncher } from '../core/submit-launcher';
import { ToastStore } from '../core/toast.store';
import { serviceLinkTitle, serviceUrl } from '../jobs/service-url';
import { type ServiceView, serviceInstance, serviceView } from './service-state';
import { type ServiceGroup, ServicesStore } from './services.store';

const FOLDED_KEY = 'trainyard.services.folded';

/** Launcher titles of the built-in service types; a user type shows its own name. */
const TITLES: Record<string, string> = {
  inference: 'Inference',
  tensorboard: 'TensorBoard',
  mkdocs: 'MkDocs',
  dataset_server: 'Dataset server',
  command: 'Command',
};

/** 16×16 outline icons per type (SVG path data); others get a generic one. */
const ICONS: Record<string, string> = {
  inference: 'M8 2a5 5 0 1 0 0 10A5 5 0 0 0 8 2zM5 14h6M6.5 5.5a2 2 0 0 1 2-1',
  tensorboard: 'M2.5 13.5h11M4 11V8M7 11V4.5M10 11V7M13 11V5.5',
  mkdocs:
    'M2.5 3.5h4a1.5 1.5 0 0 1 1.5 1.5v8.5a1.5 1.5 0 0 0-1.5-1.5h-4zM13.5 3.5h-4A1.5 1.5 0 0 0 8 5v8.5a1.5 1.5 0 0 1 1.5-1.5h4z',
  dataset_server:
    'M3 4c0-1 2.2-1.5 5-1.5s5 .5 5 1.5v8c0 1-2.2 1.5-5 1.5S3 13 3 12zM3 4c0 1 2.2 1.5 5 1.5S13 5 13 4M3 8c0 1 2.2 1.5 5 1.5S13 9 13 8',
  command: 'M2.5 3h11v10h-11zM4.5 6l2 2-2 2M8 10.5h3.5',
};
const GENERIC_ICON = 'M8 2.5l5 2.8v5.4l-5 2.8-5-2.8V5.3zM3 5.3l5 2.8 5-2.8M8 8.1v5.4';

/**
 * The sidebar's Services section: one launcher per type that can run as a service (opens the New job
 * dialog for it) with its running-job count, and under it the configured services, each with a state
 * dot and word, ▶/⏹ (enable toggle) and × (delete, after a confirmation). Live from the job stream,
 * polled while a health probe or a restart countdown can change without a job event. Collapsed: the
 * icons and dots stay; a dot opens its actions as a menu.
 */
@Component({
  selector: 'ty-services-panel',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[class.collapsed]': 'collapsed()' },
  templateUrl: './services-panel.component.html',
  styleUrl: './services-panel.component.css',
})
export class ServicesPanelComponent {
  /** The sidebar's collapsed (icons only) state. */
  readonly collapsed = input(false);

  protected readonly store = inject(ServicesStore);
  private readonly launcher = inject(SubmitLauncher);
  private readonly confirm = inject(ConfirmStore);
  private readonly menu = inject(ContextMenuStore);
  private readonly toasts = inject(ToastStore);
  private readonly clock = inject(Clock);
  private readonly router = inject(Router);
  protected readonly instance = serviceInstance;
  protected readonly linkTitle = serviceLinkTitle;

  protected readonly error = signal<string | null>(null);
  /** While the server does not answer the shell's outage banner says so: no second message here. */
  protected readonly reachability = inject(ServerReachability);
  /** Types whose list the user folded (kept across reloads). */
  private readonly folded = signal<string[]>(readStored<string[]>(FOLDED_KEY, []));
  /** Each service's row, recomputed each second for the restart countdown. */
  protected readonly views = computed(() => {
    const now = this.clock.now();
    const out = new Map<ServiceDto, ServiceView>();
    for (const s of this.store.services()) out.set(s, serviceView(s, now));
    return out;
  });

  constructor() {
    const stop = followJobChanges(() => this.load(), { pollWhileLive: () => this.store.needsPolling() });
    inject(DestroyRef).onDestroy(stop);
    const refresh = inject(RefreshBus);
    let first = true;
    effect(() => {
      refresh.tick();
      if (first) {
        first = false;
        return;
      }
      untracked(() => void this.load(true));
    });
  }

  protected title(type: string): string {
    return TITLES[type] ?? type;
  }

  protected icon(type: string): string {
    return ICONS[type] ?? GENERIC_ICON;
  }

  protected view(s: ServiceDto): ServiceView {
    return this.views().get(s) ?? serviceView(s, Date.now());
  }

  protected isOpen(g: ServiceGroup): boolean {
    return this.collapsed() || !this.folded().includes(g.type.name);
  }

  protected toggleFold(g: ServiceGroup): void {
    const name = g.type.name;
    this.folded.update((f) => (f.includes(name) ? f.filter((n) => n !== name) : [...f, name]));
    writeStored(FOLDED_KEY, this.folded());
  }

  protected launch(g: ServiceGroup): void {
    this.launcher.show(null, g.type.name);
  }

  protected async toggle(s: ServiceDto): Promise<void> {
    const start = !this.view(s).active;
    try {
      await this.store.setEnabled(s, start);
    } catch (err) {
      this.toasts.error(`Could not ${start ? 'start' : 'stop'} ${s.type}/${s.name}: ${errorMessage(err)}.`);
    }
  }

  protected async remove(s: ServiceDto): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Delete service ${s.type}/${s.name}?`,
      message:
        'It is removed from server_config.yaml' +
        (s.queue_id ? `; its instance ${s.queue_id} is aborted first.` : '.'),
      confirmLabel: 'Delete service',
      danger: true,
    });
    if (!ok) return;
    try {
      await this.store.remove(s);
      this.toasts.success(`Deleted service ${s.type}/${s.name}.`);
    } catch (err) {
      this.toasts.error(`Could not delete ${s.type}/${s.name}: ${errorMessage(err)}.`);
    }
  }

  /**
   * Where a running service serves (TensorBoard through the console's proxy, others at their port),
   * as the job pane's Open ↗ gives it; null when it serves nothing now.
   */
  protected served(s: ServiceDto, type: JobTypeDto): { url: string; local: boolean } | null {
    return s.job ? serviceUrl(s.job, type, location.hostname) : null;
  }

  /** Collapsed sidebar: a dot's actions as a menu. */
  protected actions(event: MouseEvent | KeyboardEvent, s: ServiceDto, type: JobTypeDto): void {
    const v = this.view(s);
    const job = serviceInstance(s);
    const svc = this.served(s, type);
    this.menu.open(event, `${s.type}/${s.name}: ${v.label}`, [
      ...(svc
        ? [{ label: `Open ${svc.url} ↗`, action: () => void window.open(svc.url, '_blank', 'noopener') }]
        : []),
      {
        label: v.active ? `Stop ${s.name}` : `Start ${s.name}`,
        action: () => void this.toggle(s),
        disabled: s.state === 'invalid',
      },
      ...(job ? [{ label: job.label, action: () => void this.router.navigate(['/jobs', job.queueId]) }] : []),
      { label: `Delete ${s.name}…`, action: () => void this.remove(s), danger: true },
    ]);
  }

  private async load(withTypes = false): Promise<void> {
    try {
      if (await this.store.load(withTypes)) this.error.set(null);
    } catch (err) {
      this.error.set(errorMessage(err));
    }
  }
}
