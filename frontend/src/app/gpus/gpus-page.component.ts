import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { parsePriority, PRIORITY_RANGE } from '../core/numbers';
import { FORM_FIELD } from '../shared/form-field/form-field.component';
import type { GpuDto } from '@trainyard/sdk';
import { Clock } from '../core/clock';
import { ConfirmStore } from '../core/confirm.store';
import { ContextMenuStore } from '../core/context-menu.store';
import { formatMib, secondsSince, shortId } from '../core/format';
import { GpuCardComponent } from './gpu-card.component';
import { GpusStore } from './gpus.store';

const STATE_TEXT: Record<string, string> = {
  no_devices: 'No GPUs on this host. GPU-less jobs still run.',
  no_driver: 'The NVIDIA driver is not loaded: nvidia-smi cannot talk to the GPUs.',
  binary_missing: 'nvidia-smi was not found (set TRAINYARD_NVIDIA_SMI, or start with --fake-gpus N).',
  timeout: 'nvidia-smi did not answer in time; the numbers shown may be stale.',
  error: 'Reading the GPUs failed.',
};

/** Live GPU cards. The switch on a card disables or enables it (with Undo); right-click (or ⋯) for more. */
@Component({
  selector: 'ty-gpus-page',
  imports: [GpuCardComponent, FormsModule, FORM_FIELD],
  providers: [GpusStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>GPUs</h1>
      @if (store.snapshot(); as snap) {
        <span class="chip mono" title="Where the numbers come from">{{ snap.provider }}</span>
        <span class="muted summary">{{ summary() }}</span>
      }
      <span class="spacer"></span>
      <span class="live" [class]="'live live-' + store.connection()" role="status">
        <span class="dot" aria-hidden="true"></span>
        {{ connectionText() }}
      </span>
    </header>

    <div class="page-body">
      @if (store.error(); as error) {
        <div class="banner banner-warn" role="alert">{{ error }}</div>
      }
      @if (store.snapshot(); as snap) {
        @if (snap.state !== 'ok') {
          <div class="banner" [class.banner-warn]="snap.state !== 'no_devices'" role="status">
            <strong class="mono">{{ snap.state }}</strong>
            <span>{{ stateText(snap.state) }}</span>
            @if (snap.message) {
              <span class="muted mono">{{ snap.message }}</span>
            }
          </div>
        } @else if (snap.message) {
          <div class="banner" role="status">
            <span class="muted mono">{{ snap.message }}</span>
          </div>
        }
      }

      @if (store.loading()) {
        <div class="grid" aria-busy="true" aria-label="Loading GPUs">
          @for (i of skeletons; track i) {
            <div class="skeleton"></div>
          }
        </div>
      } @else if (store.gpus().length) {
        <div class="grid">
          @for (gpu of store.gpus(); track gpu.index) {
            <ty-gpu-card
              [gpu]="gpu"
              [jobs]="store.jobs()"
              [busy]="store.busy().has(gpu.index)"
              [history]="store.history().get(gpu.index)"
              (toggle)="store.toggleDisabled(gpu)"
              (menu)="openMenu($event, gpu)"
            />
          }
        </div>
      } @else if (store.snapshot()) {
        <div class="empty panel">
          <p class="empty-title">No GPUs to show</p>
          <p class="muted">
            Jobs that request 0 GPUs still run. On a machine without NVIDIA GPUs, start the server with
            <code>--fake-gpus 4</code>.
          </p>
        </div>
      }
    </div>

    <dialog #priorityDialog class="modal" aria-labelledby="prio-title" (close)="priorityFor.set(null)">
      @if (priorityFor(); as gpu) {
        <form class="modal-body narrow" (submit)="savePriority($event, gpu)">
          <h2 id="prio-title">Priority gate for GPU {{ gpu.index }}</h2>
          <p class="muted">
            Only queue items with at least this priority are placed on this GPU. Without a gate (the default)
            every priority, negative ones included, may use it: “Clear priority gate” removes it.
          </p>
          <ty-form-field controlId="min-priority" label="Minimum priority" [error]="priorityError()">
            <input
              tyFieldControl
              name="minPriority"
              type="text"
              required
              [(ngModel)]="priorityValue"
              (ngModelChange)="priorityError.set(null)"
            />
          </ty-form-field>
          <div class="modal-actions">
            <button type="button" class="btn" (click)="priorityFor.set(null)">Cancel</button>
            <button type="submit" class="btn btn-primary">Set</button>
          </div>
        </form>
      }
    </dialog>
  `,
  styles: `
    .summary {
      font-size: 12px;
    }
    .live {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      font-size: 12px;
      color: var(--text-muted);
      white-space: nowrap;
    }
    .dot {
      width: 8px;
      height: 8px;
      border-radius: 50%;
      background: var(--text-muted);
    }
    .live-live .dot {
      background: var(--ok);
      box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent);
    }
    .live-reconnecting .dot {
      background: var(--warn);
    }
    .grid {
      display: grid;
      /* auto-fit: the cards share the row (two GPUs are not left at a quarter of the page each). */
      grid-template-columns: repeat(auto-fit, minmax(min(360px, 100%), 1fr));
      gap: 10px;
    }
    .skeleton {
      height: 254px;
      border-radius: 7px;
      border: 1px solid var(--border);
      background: linear-gradient(90deg, var(--surface), var(--surface-raised), var(--surface)) 0 0 / 200%
        100%;
      animation: shimmer 1.4s linear infinite;
    }
    @keyframes shimmer {
      to {
        background-position: -200% 0;
      }
    }
    .narrow {
      width: min(380px, calc(100vw - 32px));
    }
  `,
})
export class GpusPageComponent {
  protected readonly store = inject(GpusStore);
  private readonly clock = inject(Clock);
  private readonly menu = inject(ContextMenuStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly priorityDialog = viewChild.required<ElementRef<HTMLDialogElement>>('priorityDialog');

  protected readonly skeletons = [0, 1, 2, 3];
  protected readonly priorityFor = signal<GpuDto | null>(null);
  /** Text, not a number input: "e" must be refused with a message, not read as 0. */
  protected priorityValue = '0';
  protected readonly priorityError = signal<string | null>(null);

  protected readonly summary = computed(() => {
    const gpus = this.store.gpus();
    const busy = gpus.filter(
      (g) => g.reserved_by || g.processes.length || g.mig_devices.some((d) => d.reserved_by),
    ).length;
    const off = gpus.filter((g) => g.disabled || g.excluded).length;
    return `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} · ${busy} in use${off ? ` · ${off} unavailable` : ''}`;
  });

  protected readonly connectionText = computed(() => {
    const state = this.store.connection();
    if (state === 'connecting') return 'Connecting…';
    if (state === 'reconnecting') return 'Reconnecting…';
    const age = secondsSince(this.store.snapshot()?.collected_at, this.clock.now());
    return age === null ? 'Live' : `Live · updated ${Math.round(age)} s ago`;
  });

  constructor() {
    effect(() => {
      const dialog = this.priorityDialog().nativeElement;
      if (this.priorityFor() && !dialog.open) dialog.showModal();
      if (!this.priorityFor() && dialog.open) dialog.close();
    });
  }

  protected stateText(state: string): string {
    return STATE_TEXT[state] ?? state;
  }

  protected openMenu(event: MouseEvent, gpu: GpuDto): void {
    this.menu.open(event, `GPU ${gpu.index}${gpu.name ? ' · ' + gpu.name : ''}`, [
      {
        label: gpu.disabled ? 'Enable for new jobs' : 'Disable for new jobs',
        action: () => void this.store.toggleDisabled(gpu),
      },
      { label: 'Set minimum priority…', action: () => this.askPriority(gpu) },
      {
        label:
          gpu.min_priority === null
            ? 'Clear priority gate (none set)'
            : `Clear priority gate (≥ ${gpu.min_priority})`,
        disabled: gpu.min_priority === null,
        action: () => void this.store.setMinPriority(gpu, null),
      },
      {
        label: `Kill all processes (${gpu.processes.length})…`,
        danger: true,
        disabled: gpu.processes.length === 0,
        action: () => void this.killAll(gpu),
      },
    ]);
  }

  private askPriority(gpu: GpuDto): void {
    this.priorityValue = String(gpu.min_priority ?? 0);
    this.priorityError.set(null);
    this.priorityFor.set(gpu);
  }

  protected savePriority(event: Event, gpu: GpuDto): void {
    event.preventDefault();
    const value = parsePriority(this.priorityValue);
    if (value === null) {
      this.priorityError.set(`${PRIORITY_RANGE}, e.g. 10 or -5.`);
      return;
    }
    this.priorityFor.set(null);
    void this.store.setMinPriority(gpu, value);
  }

  private async killAll(gpu: GpuDto): Promise<void> {
    const details = gpu.processes.map((p) => [
      String(p.pid),
      p.process_name ?? '?',
      formatMib(p.used_memory_mib),
      p.job_id ? `${this.store.jobLabel(p.job_id)} (${shortId(p.job_id)})` : 'not a Trainyard job',
    ]);
    const ok = await this.confirm.ask({
      title: `Kill every process on GPU ${gpu.index}?`,
      message:
        'Each process below gets SIGKILL (no chance to save). Processes of other users or the server itself are never touched. A Trainyard job on it is force-killed as a whole and ends aborted (user_kill).',
      details,
      detailColumns: ['pid', 'process', 'memory', 'job'],
      confirmLabel: `Kill ${gpu.processes.length} process${gpu.processes.length === 1 ? '' : 'es'}`,
      danger: true,
    });
    if (ok) await this.store.killAll(gpu);
  }
}
