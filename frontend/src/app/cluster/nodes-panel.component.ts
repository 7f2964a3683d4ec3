import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { ClusterMemberDto } from '@trainyard/sdk';
import { errorMessage } from '../core/api';
import { startPolling } from '../core/poll';
import { ToastStore } from '../core/toast.store';
import { ClusterStore } from './cluster.store';
import { type NodeHealth, nodeHealth } from './health';

const POLL_MS = 3000;

/**
 * The sidebar's Nodes section, shown only when the server is in a cluster: each member with a health
 * dot (green reachable, yellow a headline version differs from the majority, red unreachable; the
 * tooltip says why) and a one-click sign-in to it (a one-shot URL token, opened in a new tab).
 */
@Component({
  selector: 'ty-nodes-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink],
  host: { '[class.collapsed]': 'collapsed()' },
  template: `
    @if (store.self(); as self) {
      <div class="title label">
        <a routerLink="/cluster" title="Cluster view">Nodes · {{ self.cluster }}</a>
      </div>
      <ul class="nodes" role="list" aria-label="Cluster nodes">
        @for (row of rows(); track row.m.node_id) {
          <li class="node" [attr.data-node]="row.m.node_id" [attr.data-health]="row.h.health">
            <span
              class="dot"
              [class]="'dot ' + row.h.health"
              role="img"
              [attr.aria-label]="label(row.h)"
              [title]="label(row.h)"
            ></span>
            <span class="name label" [title]="row.name + (row.h.detail ? ': ' + row.h.detail : '')">
              {{ row.name }}
              @if (row.m.is_master) {
                <span class="tag">master</span>
              }
              @if (row.m.is_self) {
                <span class="tag">this</span>
              }
            </span>
            @if (!row.m.is_self) {
              <button
                type="button"
                class="signin label"
                [disabled]="!row.m.reachable"
                [attr.aria-label]="'Sign in to ' + row.name + ' (new tab)'"
                title="Open this node's console, signed in (new tab)"
                (click)="signIn(row.m)"
              >
                <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
                  <path
                    d="M9 2.5h4.5V7M13.5 2.5L7 9M11.5 9.5v4h-9v-9h4"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="1.4"
                    stroke-linecap="round"
                  />
                </svg>
              </button>
            }
          </li>
        }
      </ul>
    }
  `,
  styles: `
    :host {
      display: block;
      flex: none;
      margin-top: 10px;
    }
    :host(.collapsed) .label {
      display: none !important;
    }
    .title {
      padding: 4px 8px;
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
    }
    .title a {
      color: var(--text-muted);
      text-decoration: none;
    }
    .title a:hover,
    .title a:focus-visible {
      color: var(--text);
      text-decoration: underline;
    }
    .nodes {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 2px;
    }
    .node {
      display: flex;
      align-items: center;
      gap: 8px;
      height: 28px;
      padding: 0 8px;
      min-width: 0;
    }
    :host(.collapsed) .node {
      justify-content: center;
    }
    .dot {
      width: 9px;
      height: 9px;
      border-radius: 50%;
      flex: none;
    }
    .dot.ok {
      background: var(--ok);
    }
    .dot.diverged {
      background: var(--warn);
    }
    .dot.unreachable {
      background: var(--danger);
    }
    .name {
      flex: 1;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      font-size: 13px;
    }
    .tag {
      font-size: 10px;
      color: var(--text-muted);
      margin-left: 4px;
    }
    .signin {
      display: inline-grid;
      place-items: center;
      width: 22px;
      height: 22px;
      border: 0;
      border-radius: 4px;
      background: transparent;
      color: var(--text-muted);
      cursor: pointer;
    }
    .signin:hover:not(:disabled),
    .signin:focus-visible {
      color: var(--text);
      background: var(--surface-2, rgba(127, 127, 127, 0.12));
    }
    .signin:disabled {
      opacity: 0.4;
      cursor: default;
    }
  `,
})
export class NodesPanelComponent {
  /** The sidebar's collapsed (icons only) state. */
  readonly collapsed = input(false);

  protected readonly store = inject(ClusterStore);
  private readonly toasts = inject(ToastStore);

  protected readonly rows = computed(() => {
    const members = this.store.members();
    return members.map((m) => ({
      m,
      name: this.store.labelOf(m.node_id, m.hostname),
      h: nodeHealth(m, members),
    }));
  });

  constructor() {
    // Standalone servers answer null once; then a slow poll notices a server that joined.
    const stop = startPolling(
      () => this.store.load(),
      () => (this.store.self() === null ? 60_000 : POLL_MS),
    );
    inject(DestroyRef).onDestroy(stop);
  }

  protected label(h: NodeHealth): string {
    if (h.health === 'ok') return 'Reachable';
    if (h.health === 'unreachable') return h.detail;
    return `Versions differ: ${h.detail}`;
  }

  /** Opens the tab first (a popup blocker allows it only during the click), then points it at the URL. */
  protected async signIn(m: ClusterMemberDto): Promise<void> {
    const tab = window.open('about:blank', '_blank');
    try {
      const url = await this.store.peerUrl(m.node_id);
      if (tab) tab.location.href = url;
      else window.open(url, '_blank');
    } catch (err) {
      tab?.close();
      this.toasts.error(
        `Could not sign in to ${this.store.labelOf(m.node_id, m.hostname)}: ${errorMessage(err)}.`,
      );
    }
  }
}
