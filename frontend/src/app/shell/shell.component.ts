import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router } from '@angular/router';
import { AuthStore } from '../core/auth.store';
import { ThemeToggleComponent } from '../shared/theme-toggle.component';

/** The signed-in frame: header with the server version and session controls, and the main area. */
@Component({
  selector: 'ty-shell',
  imports: [DatePipe, ThemeToggleComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="topbar">
      <span class="logo" aria-hidden="true"></span>
      <span class="brand">Trainyard</span>
      @if (store.health(); as health) {
        <span class="version" title="Server version">v{{ health.version }}</span>
      }
      <span class="spacer"></span>
      @if (store.error(); as error) {
        <span class="alert inline" role="alert">{{ error }}</span>
      }
      <ty-theme-toggle />
      @if (store.canSignOut()) {
        <button type="button" class="btn btn-ghost" [disabled]="store.busy()" (click)="signOut()">
          Sign out
        </button>
      }
    </header>
    <main class="content" aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
      </div>
      <section class="panel empty" aria-label="Engine">
        <p class="empty-title">GPUs, queue and jobs arrive with the engine</p>
        <p class="muted">This console is connected; live views appear here once the scheduler is in place.</p>
      </section>
      @if (store.health(); as health) {
        <dl class="panel facts" aria-label="Server">
          <dt>Server</dt>
          <dd>{{ health.status }}</dd>
          <dt>Version</dt>
          <dd class="mono">{{ health.version }}</dd>
          <dt>Up since</dt>
          <dd class="mono">{{ health.started_at | date: 'yyyy-MM-dd HH:mm:ss' }}</dd>
          <dt>Session</dt>
          <dd>{{ store.status()?.method ?? 'none' }}</dd>
        </dl>
      }
    </main>
  `,
  styles: `
    :host {
      display: grid;
      grid-template-rows: auto 1fr;
      min-height: 100dvh;
    }
    .topbar {
      display: flex;
      align-items: center;
      gap: 8px;
      height: 44px;
      padding: 0 12px 0 16px;
      background: var(--surface);
      border-bottom: 1px solid var(--border);
    }
    .brand {
      font-weight: 650;
      letter-spacing: 0.01em;
    }
    .version {
      font-family: var(--font-mono);
      font-size: 12px;
      color: var(--text-muted);
      border: 1px solid var(--border);
      border-radius: 4px;
      padding: 0 5px;
    }
    .spacer {
      flex: 1;
    }
    .alert.inline {
      padding: 3px 8px;
    }
    .content {
      padding: 16px;
      display: grid;
      gap: 12px;
      align-content: start;
      max-width: 1200px;
    }
    .page-head h1 {
      font-size: 15px;
      margin: 0;
    }
    .empty {
      padding: 28px 20px;
      text-align: center;
      border-style: dashed;
    }
    .empty-title {
      font-weight: 600;
      margin: 0 0 4px;
    }
    .empty .muted {
      margin: 0;
    }
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
      margin: 0;
      padding: 10px 14px;
      max-width: 420px;
    }
    .facts dt {
      color: var(--text-muted);
    }
    .facts dd {
      margin: 0;
    }
  `,
})
export class ShellComponent {
  protected readonly store = inject(AuthStore);
  private readonly router = inject(Router);

  protected async signOut(): Promise<void> {
    if (await this.store.logout()) await this.router.navigateByUrl('/sign-in');
  }
}
