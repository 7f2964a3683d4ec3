import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { TrainerStatusDto } from '@trainyard/sdk';

/** `2.345`, `0.0123`, `3.00e-4`: about 4 significant digits, exponent form when tiny or huge. */
export function formatMetric(value: number | null): string {
  if (value === null) return '—';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** `12.3k`, `1.20M`, `950`: throughput, compact. */
export function formatRate(value: number | null): string {
  if (value === null) return '—';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(Math.round(value));
}

/** `21.3 GiB`, `512 MiB` from bytes. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  const mib = bytes / 2 ** 20;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

/** Step / max_steps as a fraction in [0, 1], or null when either is unknown. */
export function progressOf(status: TrainerStatusDto): number | null {
  if (status.step === null || status.max_steps === null) return null;
  return Math.min(1, Math.max(0, status.step / status.max_steps));
}

/** `1,234 / 10,000` (or just the step). */
export function formatSteps(status: TrainerStatusDto): string {
  const step = status.step === null ? '—' : status.step.toLocaleString('en-US');
  return status.max_steps === null ? step : `${step} / ${status.max_steps.toLocaleString('en-US')}`;
}

/** A training job's row in the Jobs table: loss, lr and tokens/s pills and a step progress bar. */
@Component({
  selector: 'ty-trainer-pills',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let s = status();
    <span class="pills" role="group" aria-label="Trainer status">
      <!-- The bar first: a narrow column clips the last pills, never the progress. -->
      @if (progress(); as p) {
        <progress
          class="bar"
          max="1"
          [value]="p.fraction"
          [attr.aria-label]="'Step ' + p.label"
          [title]="'Step ' + p.label"
        ></progress>
      }
      @if (s.loss !== null) {
        <span class="pill" title="Training loss"><span class="k">loss</span> {{ metric(s.loss) }}</span>
      }
      @if (s.lr !== null) {
        <span class="pill" title="Learning rate"><span class="k">lr</span> {{ metric(s.lr) }}</span>
      }
      @if (s.tokens_per_s !== null) {
        <span class="pill" title="Tokens per second"
          >{{ rate(s.tokens_per_s) }} <span class="k">tok/s</span></span
        >
      }
    </span>
  `,
  styles: `
    .pills {
      display: inline-flex;
      align-items: center;
      gap: 4px;
      min-width: 0;
      white-space: nowrap;
    }
    .pill {
      padding: 0 6px;
      border-radius: 999px;
      background: var(--surface-raised);
      font-size: 11px;
      line-height: 18px;
    }
    .k {
      color: var(--text-muted);
    }
    .bar {
      width: 56px;
      min-width: 32px;
      height: 6px;
      flex-shrink: 1;
      accent-color: var(--accent);
    }
  `,
})
export class TrainerPillsComponent {
  readonly status = input.required<TrainerStatusDto>();
  readonly progress = computed(() => {
    const fraction = progressOf(this.status());
    return fraction === null ? null : { fraction, label: formatSteps(this.status()) };
  });
  protected readonly metric = formatMetric;
  protected readonly rate = formatRate;
}

/** The job pane's live Trainer panel: every field of the trainer's last status. */
@Component({
  selector: 'ty-trainer-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let s = status();
    <section class="trainer-panel" aria-label="Trainer">
      <h3>Trainer</h3>
      <dl class="mono">
        <div class="wide">
          <dt>step</dt>
          <dd>
            {{ steps() }}
            @if (percent() !== null) {
              <progress max="100" [value]="percent()" aria-label="Training progress"></progress>
              {{ percent() }}%
            }
          </dd>
        </div>
        <div>
          <dt>epoch</dt>
          <dd>{{ metric(s.epoch) }}</dd>
        </div>
        <div>
          <dt>loss</dt>
          <dd>{{ metric(s.loss) }}</dd>
        </div>
        <div>
          <dt>lr</dt>
          <dd>{{ metric(s.lr) }}</dd>
        </div>
        <div>
          <dt>grad norm</dt>
          <dd>{{ metric(s.grad_norm) }}</dd>
        </div>
        <div>
          <dt>tokens/s</dt>
          <dd>{{ rate(s.tokens_per_s) }}</dd>
        </div>
        <div>
          <dt>peak memory</dt>
          <dd>{{ bytes(s.peak_memory_bytes) }}</dd>
        </div>
      </dl>
    </section>
  `,
  styles: `
    .trainer-panel {
      display: flex;
      align-items: baseline;
      gap: 12px;
      padding: 6px 12px;
      border-top: 1px solid var(--border);
      font-size: 12px;
    }
    h3 {
      margin: 0;
      font-size: 12px;
      font-weight: 600;
    }
    dl {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 16px;
      margin: 0;
    }
    dl div {
      display: flex;
      gap: 6px;
      align-items: center;
    }
    dt {
      color: var(--text-muted);
    }
    dd {
      margin: 0;
      display: flex;
      gap: 6px;
      align-items: center;
    }
    progress {
      width: 96px;
      height: 6px;
      accent-color: var(--accent);
    }
  `,
})
export class TrainerPanelComponent {
  readonly status = input.required<TrainerStatusDto>();
  readonly steps = computed(() => formatSteps(this.status()));
  readonly percent = computed(() => {
    const fraction = progressOf(this.status());
    return fraction === null ? null : Math.floor(fraction * 1000) / 10;
  });
  protected readonly metric = formatMetric;
  protected readonly rate = formatRate;
  protected readonly bytes = formatBytes;
}
