import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { restartServer } from '@trainyard/sdk';
import { API, ServerReachability, errorMessage } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore } from '../core/context-menu.store';
import { startPolling } from '../core/poll';
import { RefreshBus } from '../core/refresh';
import { SchedulerStore } from '../core/scheduler.store';
import { isTyping } from '../core/shortcuts';
import { readStored, writeStored } from '../core/storage';
import { SubmitLauncher } from '../core/submit-launcher';
import { ToastStore } from '../core/toast.store';
import { ConfirmDialogComponent } from '../shared/confirm-dialog.component';
import { ContextMenuComponent } from '../shared/context-menu.component';
import { HelpOverlayComponent } from '../shared/help-overlay.component';
import { ThemeToggleComponent } from '../shared/theme-toggle.component';
import { ToastsComponent } from '../shared/toasts.component';
import { SubmitDialogComponent } from '../submit/submit-dialog.component';

const COLLAPSED_KEY = 'trainyard.sidebar.collapsed';
/** Below this width the sidebar starts collapsed, leaving the tables their room (800 px windows). */
export const NARROW_QUERY = '(max-width: 1023.98px)';
const SEQUENCE_TIMEOUT_MS = 1200;
/** `g` then a key: the view it opens. */
const GO_TO: Record<string, string> = { g: '/gpus', q: '/queue', j: '/jobs', a: '/activity' };

/** The signed-in frame: a collapsible sidebar (views, scheduler, server) and the current view. */
@Component({
  selector: 'ty-shell',
  imports: [
    RouterOutlet,
    RouterLink,
    RouterLinkActive,
    ThemeToggleComponent,
    ToastsComponent,
    ConfirmDialogComponent,
    ContextMenuComponent,
    HelpOverlayComponent,
    SubmitDialogComponent,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[class.collapsed]': 'collapsed()' },
  template: `
    <nav class="sidebar" aria-label="Console">
      <div class="brand">
        <span class="logo" aria-hidden="true"></span>
        <span class="brand-name label">Trainyard</span>
        @if (auth.health(); as health) {
          <span class="version label" title="Server version">v{{ health.version }}</span>
        }
        <button
          type="button"
          class="btn btn-ghost btn-icon collapse"
          [attr.aria-label]="collapsed() ? 'Expand sidebar' : 'Collapse sidebar'"
          [attr.aria-expanded]="!collapsed()"
          [title]="(collapsed() ? 'Expand sidebar' : 'Collapse sidebar') + ' ([)'"
          (click)="toggleSidebar()"
        >
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path
              [attr.d]="collapsed() ? 'M6 3l5 5-5 5' : 'M10 3L5 8l5 5'"
              fill="none"
              stroke="currentColor"
              stroke-width="1.6"
            />
          </svg>
        </button>
      </div>

      <button type="button" class="btn btn-primary new-job" title="New job (n)" (click)="launcher.show()">
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <path d="M8 3v10M3 8h10" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
        <span class="label">New job</span>
      </button>

      <div class="nav-title label" aria-hidden="true">Views</div>
      <ul class="nav" role="list">
        <li>
          <a routerLink="/gpus" routerLinkActive="active" ariaCurrentWhenActive="page" title="GPUs (g g)">
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <rect
                x="3.5"
                y="3.5"
                width="9"
                height="9"
                rx="1.5"
                fill="none"
                stroke="currentColor"
                stroke-width="1.3"
              />
              <rect x="6" y="6" width="4" height="4" fill="currentColor" />
              <path
                d="M6 1.5v2M10 1.5v2M6 12.5v2M10 12.5v2M1.5 6h2M1.5 10h2M12.5 6h2M12.5 10h2"
                stroke="currentColor"
                stroke-width="1.2"
              />
            </svg>
            <span class="label">GPUs</span>
            <kbd class="label">g g</kbd>
          </a>
        </li>
        <li>
          <a routerLink="/queue" routerLinkActive="active" ariaCurrentWhenActive="page" title="Queue (g q)">
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <path
                d="M2.5 4h11M2.5 8h11M2.5 12h7"
                stroke="currentColor"
                stroke-width="1.5"
                stroke-linecap="round"
              />
            </svg>
            <span class="label">Queue</span>
            @if (scheduler.status(); as s) {
              @if (s.queued_count > 0) {
                <span class="count" [attr.aria-label]="s.queued_count + ' queued'">{{ s.queued_count }}</span>
              }
            }
            <kbd class="label">g q</kbd>
          </a>
        </li>
        <li>
          <a routerLink="/jobs" routerLinkActive="active" ariaCurrentWhenActive="page" title="Jobs (g j)">
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <rect
                x="1.5"
                y="2.5"
                width="13"
                height="11"
                rx="1.5"
                fill="none"
                stroke="currentColor"
                stroke-width="1.3"
              />
              <path
                d="M4 6l2 2-2 2M7.5 10.5h4"
                fill="none"
                stroke="currentColor"
                stroke-width="1.3"
                stroke-linecap="round"
              />
            </svg>
            <span class="label">Jobs</span>
            @if (scheduler.status(); as s) {
              @if (s.running_count > 0) {
                <span class="count running" [attr.aria-label]="s.running_count + ' running'">{{
                  s.running_count
                }}</span>
              }
            }
            <kbd class="label">g j</kbd>
          </a>
        </li>
        <li>
          <a
            routerLink="/activity"
            routerLinkActive="active"
            ariaCurrentWhenActive="page"
            title="Activity (g a)"
          >
            <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
              <path
                d="M1.5 8.5h3l2-5 3 9 2-4h3"
                fill="none"
                stroke="currentColor"
                stroke-width="1.4"
                stroke-linecap="round"
                stroke-linejoin="round"
              />
            </svg>
            <span class="label">Activity</span>
            <kbd class="label">g a</kbd>
          </a>
        </li>
      </ul>

      <span class="spacer"></span>

      <div class="footer">
        <button
          type="button"
          class="side-btn scheduler"
          [class.paused]="schedulerPaused()"
          [class.unknown]="!reachability.reachable()"
          [disabled]="!scheduler.status() || scheduler.busy() || !reachability.reachable()"
          [attr.aria-label]="
            !reachability.reachable()
              ? 'Scheduler state unknown: server unreachable'
              : schedulerPaused()
                ? 'Resume scheduler'
                : 'Pause scheduler'
          "
          [title]="
            !reachability.reachable()
              ? 'The server does not answer: the scheduler state is unknown'
              : schedulerPaused()
                ? 'Scheduler paused: click to resume'
                : 'Scheduler running: click to pause'
          "
          (click)="scheduler.toggle()"
        >
          @if (!reachability.reachable()) {
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="1.5" />
              <path
                d="M8 4.8v3.6M8 10.6v.6"
                stroke="currentColor"
                stroke-width="1.6"
                stroke-linecap="round"
              />
            </svg>
          } @else if (schedulerPaused()) {
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <path d="M4.5 3v10l8-5z" fill="currentColor" />
            </svg>
          } @else {
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <path d="M4.5 3h2.5v10H4.5zM9 3h2.5v10H9z" fill="currentColor" />
            </svg>
          }
          <span class="label">{{ schedulerLabel() }}</span>
        </button>
        <button
          type="button"
          class="side-btn"
          aria-label="Refresh"
          title="Refresh (r)"
          (click)="refresh.refresh()"
        >
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path
              d="M13 8a5 5 0 1 1-1.5-3.6M13 2.5v3h-3"
              fill="none"
              stroke="currentColor"
              stroke-width="1.5"
              stroke-linecap="round"
            />
          </svg>
          <span class="label">Refresh</span>
        </button>
        <button
          type="button"
          class="side-btn"
          aria-label="Restart server"
          title="Restart the server (running jobs keep running)"
          [disabled]="restarting()"
          (click)="restart()"
        >
          <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path
              d="M8 1.8v5.5M4.6 3.9a5.2 5.2 0 1 0 6.8 0"
              fill="none"
              stroke="currentColor"
              stroke-width="1.5"
              stroke-linecap="round"
            />
          </svg>
          <span class="label">{{ restarting() ? 'Restarting…' : 'Restart server' }}</span>
        </button>
        @if (auth.canSignOut()) {
          <button
            type="button"
            class="side-btn"
            aria-label="Sign out everywhere"
            title="Sign out every browser signed in to this server, this one included"
            [disabled]="auth.busy()"
            (click)="signOutEverywhere()"
          >
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
              <path
                d="M2 3h9v6.5H2zM4.5 12.5h4M6.5 9.5v3M13.5 5.5v8h-3"
                fill="none"
                stroke="currentColor"
                stroke-width="1.4"
                stroke-linecap="round"
                stroke-linejoin="round"
              />
            </svg>
            <span class="label">Sign out everywhere</span>
          </button>
        }
        <div class="footer-row">
          <ty-theme-toggle />
          <button
            type="button"
            class="btn btn-ghost btn-icon"
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
            (click)="helpOpen.set(true)"
          >
            <span aria-hidden="true" class="qmark">?</span>
          </button>
          @if (auth.canSignOut()) {
            <button
              type="button"
              class="btn btn-ghost sign-out"
              [disabled]="auth.busy()"
              (click)="signOut()"
              title="Sign out"
            >
              <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                <path
                  d="M6 2.5H3.5v11H6M10 5l3 3-3 3M13 8H6.5"
                  fill="none"
                  stroke="currentColor"
                  stroke-width="1.4"
                  stroke-linecap="round"
                />
              </svg>
              <span class="label">Sign out</span>
            </button>
          }
        </div>
      </div>
    </nav>

    <main class="main">
      @if (!reachability.reachable()) {
        <div class="banner banner-warn unreachable" role="alert">
          <strong>Server unreachable.</strong>
          <span
            >What is shown may be out of date; the console reconnects by itself when the server answers.</span
          >
        </div>
      }
      <router-outlet />
    </main>

    <ty-toasts />
    <ty-confirm-dialog />
    <ty-context-menu />
    <ty-help-overlay [(open)]="helpOpen" />
    @defer (when launcher.requested()) {
      <ty-submit-dialog />
    }
  `,
  styles: `
    :host {
      display: grid;
      grid-template-columns: 204px minmax(0, 1fr);
      height: 100dvh;
      overflow: hidden;
    }
    :host(.collapsed) {
      grid-template-columns: 52px minmax(0, 1fr);
    }
    :host(.collapsed) .label {
      display: none !important;
    }
    .sidebar {
      display: flex;
      flex-direction: column;
      gap: 4px;
      padding: 10px 8px;
      background: var(--surface);
      border-right: 1px solid var(--border);
      min-height: 0;
      overflow: hidden auto;
    }
    .brand {
      display: flex;
      align-items: center;
      gap: 8px;
      height: 30px;
      padding: 0 2px 0 6px;
      margin-bottom: 6px;
    }
    :host(.collapsed) .brand {
      flex-direction: column;
      height: auto;
      gap: 6px;
      padding: 0;
    }
    .brand-name {
      font-weight: 650;
    }
    .version {
      font-family: var(--font-mono);
      font-size: 11px;
      color: var(--text-muted);
    }
    .collapse {
      margin-left: auto;
      width: 26px;
      height: 26px;
    }
    :host(.collapsed) .collapse {
      margin-left: 0;
    }
    .new-job {
      margin: 0 0 10px;
    }
    :host(.collapsed) .new-job {
      padding: 0;
    }
    .nav-title {
      padding: 4px 8px;
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--text-muted);
    }
    .nav {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 2px;
    }
    .nav a {
      display: flex;
      align-items: center;
      gap: 10px;
      height: 32px;
      padding: 0 8px 0 10px;
      border-radius: 5px;
      color: var(--text-muted);
      text-decoration: none;
      font-weight: 550;
    }
    :host(.collapsed) .nav a {
      justify-content: center;
      padding: 0;
      position: relative;
    }
    .nav a:hover {
      color: var(--text);
      background: var(--surface-raised);
    }
    .nav a.active {
      color: var(--text);
      background: color-mix(in srgb, var(--accent) 16%, transparent);
      box-shadow: inset 2px 0 0 var(--accent);
    }
    .nav a kbd {
      margin-left: auto;
      opacity: 0;
      transition: opacity 120ms;
    }
    .nav a:hover kbd,
    .nav a:focus-visible kbd {
      opacity: 1;
    }
    .count {
      min-width: 18px;
      height: 18px;
      padding: 0 5px;
      border-radius: 9px;
      font-size: 11px;
      font-weight: 650;
      display: inline-grid;
      place-items: center;
      background: var(--surface-raised);
      color: var(--text);
      font-variant-numeric: tabular-nums;
    }
    .count.running {
      background: color-mix(in srgb, var(--ok) 25%, transparent);
    }
    :host(.collapsed) .count {
      position: absolute;
      top: -2px;
      right: 0;
      min-width: 15px;
      height: 15px;
      font-size: 10px;
      padding: 0 3px;
    }
    .spacer {
      flex: 1;
    }
    .footer {
      display: grid;
      gap: 2px;
      border-top: 1px solid var(--border);
      padding-top: 8px;
    }
    .side-btn {
      display: flex;
      align-items: center;
      gap: 10px;
      height: 30px;
      padding: 0 10px;
      border: 0;
      border-radius: 5px;
      background: transparent;
      color: var(--text-muted);
      font: inherit;
      cursor: pointer;
      text-align: left;
    }
    :host(.collapsed) .side-btn {
      justify-content: center;
      padding: 0;
    }
    .side-btn:hover:not(:disabled) {
      background: var(--surface-raised);
      color: var(--text);
    }
    .side-btn:disabled {
      opacity: 0.55;
      cursor: default;
    }
    .scheduler {
      color: var(--ok);
    }
    .scheduler.paused {
      color: var(--warn);
    }
    .scheduler.unknown {
      color: var(--danger);
    }
    .unreachable {
      margin: 10px 16px 0;
    }
    .footer-row {
      display: flex;
      align-items: center;
      gap: 2px;
      padding-top: 4px;
    }
    :host(.collapsed) .footer-row {
      flex-direction: column;
    }
    .sign-out {
      margin-left: auto;
      padding: 0 8px;
      color: var(--text-muted);
    }
    :host(.collapsed) .sign-out {
      margin-left: 0;
      width: 30px;
      padding: 0;
    }
    .qmark {
      font-weight: 700;
    }
    .main {
      min-width: 0;
      min-height: 0;
      overflow: auto;
      display: flex;
      flex-direction: column;
    }
  `,
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
  private readonly narrowQuery = window.matchMedia(NARROW_QUERY);
  private readonly narrow = signal(this.narrowQuery.matches);
  /** Opened by hand on a narrow window; not kept, and reset when the window narrows again. */
  private readonly narrowExpanded = signal(false);
  protected readonly collapsed = computed(() =>
    this.narrow() ? !this.narrowExpanded() : this.wideCollapsed(),
  );
  protected readonly helpOpen = signal(false);
  protected readonly restarting = signal(false);
  protected readonly schedulerPaused = computed(() => this.scheduler.status()?.enabled === false);
  protected readonly schedulerLabel = computed(() => {
    const s = this.scheduler.status();
    if (!this.reachability.reachable()) return 'Scheduler unknown';
    if (!s) return 'Scheduler …';
    return s.enabled ? 'Scheduler running' : 'Scheduler paused';
  });

  private pendingPrefix: string | null = null;
  private prefixTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    // The sidebar's counts and scheduler state; the queue view refreshes it faster while open.
    const stop = startPolling(() => this.scheduler.load(), 5000);
    // Capture phase: a shortcut handled here never reaches a view's own key handling.
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    document.addEventListener('keydown', onKey, { capture: true });
    const onWidth = (event: MediaQueryListEvent) => {
      this.narrow.set(event.matches);
      this.narrowExpanded.set(false);
    };
    this.narrowQuery.addEventListener('change', onWidth);
    inject(DestroyRef).onDestroy(() => {
      stop();
      this.narrowQuery.removeEventListener('change', onWidth);
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

  protected async restart(): Promise<void> {
    const ok = await this.confirm.ask({
      title: 'Restart the server?',
      message:
        'The server re-executes itself to apply configuration changes. Running jobs keep running; live views reconnect on their own.' +
        (this.auth.status()?.sessions_persist === false && this.auth.status()?.method === 'cookie'
          ? ' This server does not keep sessions across restarts (start it with --persist-sessions to change that): you will sign in again.'
          : ''),
      confirmLabel: 'Restart server',
      danger: true,
    });
    if (!ok) return;
    this.restarting.set(true);
    try {
      const before = this.auth.health()?.started_at;
      await restartServer({ client: this.api });
      this.toasts.info('Restarting the server…');
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
