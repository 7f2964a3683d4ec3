import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { getServerConfigPath, restartServer } from '@trainyard/sdk';
import { API, ServerReachability, errorMessage } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore } from '../core/context-menu.store';
import { queuedCountText } from '../core/format';
import { mediaQuery } from '../core/media';
import { FilesTreeComponent } from '../files/files-tree.component';
import { startPolling } from '../core/poll';
import { RefreshBus } from '../core/refresh';
import { SchedulerStore } from '../core/scheduler.store';
import { isTyping } from '../core/shortcuts';
import { readStored, writeStored } from '../core/storage';
import { SubmitLauncher } from '../core/submit-launcher';
import { ToastStore } from '../core/toast.store';
import { ConfirmDialogComponent } from '../shared/confirm-dialog.component';
import { PriorityDialogComponent } from '../shared/priority-dialog.component';
import { ContextMenuComponent } from '../shared/context-menu.component';
import { HelpOverlayComponent } from '../shared/help-overlay.component';
import { ThemeToggleComponent } from '../shared/theme-toggle.component';
import { ServerTextComponent } from '../shared/server-text.component';
import { ToastsComponent } from '../shared/toasts.component';
import { ServicesPanelComponent } from '../services/services-panel.component';
import { NodesPanelComponent } from '../cluster/nodes-panel.component';
import { SubmitDialogComponent } from '../submit/submit-dialog.component';

const COLLAPSED_KEY = 'trainyard.sidebar.collapsed';
/** Below this width the sidebar starts collapsed, leaving the tables their room (800 px windows). */
export const NARROW_QUERY = '(max-width: 1023.98px)';
const SEQUENCE_TIMEOUT_MS = 1200;
const HEALTH_POLL_MS = 5000;
/** While the server does not answer (a restart): soon enough that live views resume within ~1 s. */
const HEALTH_POLL_DOWN_MS = 1000;
/** `g` then a key: the view it opens. */
const GO_TO: Record<string, string> = { g: '/gpus', q: '/queue', j: '/jobs', a: '/activity' };

/** The signed-in frame: a collapsible sidebar (views, scheduler, server) and the current view. */
@Component({
  selector: 'ty-shell',
  imports: [
    ServerTextComponent,
    RouterOutlet,
    RouterLink,
    RouterLinkActive,
    ThemeToggleComponent,
    ToastsComponent,
    ConfirmDialogComponent,
    PriorityDialogComponent,
    ContextMenuComponent,
    HelpOverlayComponent,
    SubmitDialogComponent,
    ServicesPanelComponent,
    NodesPanelComponent,
    FilesTreeComponent,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[class.collapsed]': 'collapsed()' },
  templateUrl: './shell.component.html',
  styleUrl: './shell.component.css',
})
export class ShellComponent {
  protected readonly auth = inject(AuthStore);
  protected readonly scheduler = inject(SchedulerStore);
  protected readonly launcher = inject(SubmitLauncher);
  protected readonly refresh = inject(RefreshBus);
  protected readonly reachability = inject(ServerReachability);
  private readonly api = inject(API);
  private readonly router = inject(Router);
  private readonly toasts = inject(ToastStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly menu = inject(ContextMenuStore);

  /** The user's choice on a wide window (kept); a narrow window starts collapsed whatever it is. */
  private readonly wideCollapsed = signal(readStored(COLLAPSED_KEY, false));
  private readonly narrow = mediaQuery(NARROW_QUERY);
  /** Opened by hand on a narrow window; not kept, and reset when the window narrows again. */
  private readonly narrowExpanded = signal(false);
  protected readonly collapsed = computed(() =>
    this.narrow() ? !this.narrowExpanded() : this.wideCollapsed(),
  );
  protected readonly helpOpen = signal(false);
  protected readonly restarting = signal(false);
  protected readonly queuedCountText = queuedCountText;
  protected readonly schedulerPaused = computed(() => this.scheduler.status()?.enabled === false);
  protected readonly schedulerLabel = computed(() => {
    const s = this.scheduler.status();
    if (!this.reachability.reachable()) return 'Scheduler unknown';
    if (!s) return 'Scheduler …';
    return s.enabled ? 'Scheduler running' : 'Scheduler paused';
  });
  /**
   * The scheduler button's accessible name and tooltip: its visible text first (what a voice-control
   * user says), then what a click does.
   */
  /** Moves focus past the sidebar to the view (the link's own #hash would reload under <base href>). */
  protected skipToMain(event: Event): void {
    event.preventDefault();
    document.getElementById('main-content')?.focus();
  }

  protected readonly schedulerAction = computed(() => {
    const label = this.schedulerLabel();
    if (!this.reachability.reachable()) return `${label}: the server does not answer`;
    if (!this.scheduler.status()) return label;
    return `${label}, click to ${this.schedulerPaused() ? 'resume' : 'pause'}`;
  });

  private pendingPrefix: string | null = null;
  private prefixTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    // The sidebar's counts and scheduler state; the queue view refreshes it faster while open.
    const stop = startPolling(() => this.scheduler.load(), 5000);
    // Health says when storage refuses writes or the state directory went away (launches held), and
    // its first answer after an outage reconnects the live views waiting out their backoff.
    const stopHealth = startPolling(
      () => this.auth.loadHealth(),
      () => (this.reachability.reachable() ? HEALTH_POLL_MS : HEALTH_POLL_DOWN_MS),
    );
    // Capture phase: a shortcut handled here never reaches a view's own key handling.
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    document.addEventListener('keydown', onKey, { capture: true });
    // A window that narrows (or widens) closes a sidebar opened by hand.
    effect(() => {
      this.narrow();
      untracked(() => this.narrowExpanded.set(false));
    });
    inject(DestroyRef).onDestroy(() => {
      stop();
      stopHealth();
      document.removeEventListener('keydown', onKey, { capture: true });
      clearTimeout(this.prefixTimer);
    });
  }

  protected toggleSidebar(): void {
    if (this.narrow()) {
      this.narrowExpanded.update((open) => !open);
      return;
    }
    this.wideCollapsed.update((c) => !c);
    writeStored(COLLAPSED_KEY, this.wideCollapsed());
  }

  protected async signOut(): Promise<void> {
    if (await this.auth.logout()) await this.router.navigateByUrl('/sign-in');
  }

  protected async signOutEverywhere(): Promise<void> {
    const ok = await this.confirm.ask({
      title: 'Sign out everywhere?',
      message:
        'Every browser signed in to this server, this one included, will have to sign in again. ' +
        'The CLI and scripts (bearer token) are not affected.',
      confirmLabel: 'Sign out everywhere',
      danger: true,
    });
    if (ok && (await this.auth.logoutAll())) await this.router.navigateByUrl('/sign-in');
  }

  /** ⚙: server_config.yaml in the Edit view (its path comes from the server). */
  protected async openServerConfig(): Promise<void> {
    try {
      const { data } = await getServerConfigPath({ client: this.api });
      await this.router.navigate(['/edit'], { queryParams: { path: data.path } });
    } catch (err) {
      this.toasts.error(`Could not open server_config.yaml: ${errorMessage(err)}`);
    }
  }

  protected async restart(): Promise<void> {
    const ok = await this.confirm.ask({
      title: 'Restart the server?',
      message:
        'The server re-executes itself to apply configuration changes. Running jobs keep running, ' +
        'browsers stay signed in, and live views reconnect on their own.',
      confirmLabel: 'Restart server',
      danger: true,
    });
    if (!ok) return;
    this.restarting.set(true);
    try {
      const before = this.auth.health()?.started_at;
      const { data } = await restartServer({ client: this.api });
      this.toasts.info('Restarting the server…');
      // A misspelt setting is ignored, not refused: say so to whoever restarts to apply it.
      for (const warning of data?.warnings ?? []) this.toasts.error(`Config: ${warning}`);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const health = await this.auth.loadHealth();
        if (health && health.started_at !== before) {
          this.toasts.success(`Server restarted (v${health.version}).`);
          await this.auth.checkSession();
          this.refresh.refresh();
          return;
        }
      }
      this.toasts.error('The server has not come back after 30 s. Check its log.');
    } catch (err) {
      this.toasts.error(errorMessage(err));
    } finally {
      this.restarting.set(false);
    }
  }

  private onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
    // Dialogs and menus own the keyboard while they are open.
    if (document.querySelector('dialog[open]') || this.menu.menu()) return;
    const key = event.key;
    if (this.pendingPrefix === 'g') {
      this.pendingPrefix = null;
      clearTimeout(this.prefixTimer);
      const target = GO_TO[key] ?? null;
      if (target) {
        this.consume(event);
        void this.router.navigateByUrl(target);
      }
      return;
    }
    switch (key) {
      case 'g':
        this.consume(event);
        this.pendingPrefix = 'g';
        this.prefixTimer = setTimeout(() => (this.pendingPrefix = null), SEQUENCE_TIMEOUT_MS);
        break;
      case 'n':
        this.consume(event);
        this.launcher.show();
        break;
      case '?':
        this.consume(event);
        this.helpOpen.set(true);
        break;
      case 'r':
        this.consume(event);
        this.refresh.refresh();
        break;
      case '[':
        this.consume(event);
        this.toggleSidebar();
        break;
    }
  }

  private consume(event: KeyboardEvent): void {
    event.preventDefault();
    event.stopPropagation();
  }
}
