import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { GpuDto, GpuHistoryDto, JobDto } from '@trainyard/sdk';
import { formatMib, isFinished, shortId, stoppingNote } from '../core/format';
import { sparklinePoints } from './sparkline';

/**
 * One GPU: telemetry with the last hour as sparklines, policy state and processes. Only the switch
 * changes the policy (a stray click on the card must not take a GPU away from the scheduler).
 */
@Component({
  selector: 'ty-gpu-card',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    role: 'group',
    '[attr.aria-label]': 'title()',
    '[attr.data-gpu]': 'gpu().index',
    '[class.disabled]': 'gpu().disabled',
    '[class.excluded]': 'gpu().excluded',
    '[class.gated]': 'gpu().min_priority !== null',
    '[class.busy]': 'busy()',
    '(contextmenu)': 'menu.emit($event)',
  },
  template: `
    <div class="head">
      <span class="index mono" aria-hidden="true">{{ gpu().index }}</span>
      <div class="title">
        <span class="name" [title]="gpu().name ?? ''">{{ shortName() }}</span>
        <span class="sub mono">{{ gpu().pci_bus_id ?? gpu().uuid ?? '' }}</span>
      </div>
      <button
        type="button"
        class="switch"
        role="switch"
        [attr.aria-checked]="!gpu().disabled"
        [attr.aria-label]="'GPU ' + gpu().index + ' available to the scheduler'"
        [title]="gpu().disabled ? 'Disabled: click to enable' : 'Enabled: click to disable'"
        [disabled]="busy()"
        (click)="toggle.emit()"
      >
        <span class="knob"></span>
      </button>
      <button
        type="button"
        class="btn btn-ghost btn-icon more"
        [attr.aria-label]="'Actions for GPU ' + gpu().index"
        aria-haspopup="menu"
        (click)="menu.emit($event)"
      >
        ⋯
      </button>
    </div>

    <div class="badges">
      @if (gpu().excluded) {
        <span class="badge badge-muted" title="Hidden from scheduling by CUDA_VISIBLE_DEVICES at server start"
          >Excluded</span
        >
      }
      @if (gpu().disabled) {
        <span class="badge badge-danger" title="The scheduler places nothing new here">Disabled</span>
      }
      @if (gpu().min_priority !== null) {
        <span class="badge badge-warn" title="Only jobs with at least this priority are placed here"
          >Priority ≥ {{ gpu().min_priority }}</span
        >
      }
      @if (gpu().mig_enabled) {
        <span
          class="badge mig"
          [class.badge-warn]="!gpu().mig_devices.length"
          [class.badge-muted]="gpu().mig_devices.length"
          [title]="
            gpu().warnings.join(' ') || 'MIG mode: placed by MIG device, to jobs that ask for a profile'
          "
          >{{
            gpu().mig_devices.length
              ? 'MIG · ' + migFree() + ' of ' + gpu().mig_devices.length + ' free'
              : 'MIG · no devices'
          }}</span
        >
      }
      @if (gpu().reserved_by; as rid) {
        <a
          class="badge badge-accent clip"
          [routerLink]="['/jobs', rid]"
          [title]="'Reserved by ' + jobName(rid) + ' (' + rid + ')'"
        >
          Reserved · {{ jobName(rid) }}
        </a>
      }
      @if (outside(); as n) {
        <span
          class="badge badge-warn outside"
          title="Processes Trainyard did not start use this GPU. The scheduler still places jobs here; disable the GPU to keep it for them."
          >Used outside Trainyard · {{ n }} {{ n === 1 ? 'process' : 'processes' }}</span
        >
      }
      @if (
        !gpu().excluded &&
        !gpu().disabled &&
        gpu().min_priority === null &&
        !gpu().reserved_by &&
        !gpu().mig_enabled &&
        !outside()
      ) {
        <span class="badge badge-ok">Idle</span>
      }
    </div>

    <div class="meters">
      <div class="meter">
        <span class="meter-label">Memory</span>
        <span class="val mono">{{ mib(gpu().memory_used_mib) }} / {{ mib(gpu().memory_total_mib) }}</span>
        <span class="bar" aria-hidden="true"
          ><span [style.width.%]="memPercent()" [class]="level(memPercent())"></span
        ></span>
      </div>
      <div class="meter">
        <span class="meter-label">Utilization</span>
        <span class="val mono">{{
          gpu().utilization_gpu === null ? '—' : gpu().utilization_gpu + ' %'
        }}</span>
        <span class="bar" aria-hidden="true"
          ><span class="util" [style.width.%]="gpu().utilization_gpu ?? 0"></span
        ></span>
      </div>
    </div>

    @if (spark(); as lines) {
      <svg
        class="spark"
        viewBox="0 0 100 24"
        preserveAspectRatio="none"
        role="img"
        [attr.aria-label]="'GPU ' + gpu().index + ', last hour: utilization and memory'"
      >
        <title>Last hour: utilization (green) and memory in use (blue), {{ lines.samples }} points</title>
        <polyline class="spark-mem" [attr.points]="lines.memory" />
        <polyline class="spark-util" [attr.points]="lines.utilization" />
      </svg>
    }

    <div class="stats mono">
      <span [class.hot]="(gpu().temperature_c ?? 0) >= 83" title="Temperature">{{
        gpu().temperature_c === null ? '—' : gpu().temperature_c + ' °C'
      }}</span>
      <span title="Power draw / limit"
        >{{ watts(gpu().power_draw_w) }} / {{ watts(gpu().power_limit_w) }}</span
      >
      <span title="Fan"
        >fan {{ gpu().fan_speed_percent === null ? '—' : gpu().fan_speed_percent + ' %' }}</span
      >
      <span title="Performance state">{{ gpu().pstate ?? '—' }}</span>
    </div>

    @if (gpu().mig_devices.length) {
      <ul class="migs" [attr.aria-label]="'MIG devices of GPU ' + gpu().index">
        @for (d of gpu().mig_devices; track d.uuid) {
          <li class="migdev" [class.held]="d.reserved_by" [attr.data-mig]="d.device_index" [title]="d.uuid">
            <span class="mono dev" aria-hidden="true">{{ d.device_index }}</span>
            <span class="mono profile">{{ d.profile }}</span>
            <span class="mono gb">{{ d.memory_gb === null ? '' : d.memory_gb + ' GB' }}</span>
            @if (d.reserved_by; as rid) {
              <a
                class="job"
                [routerLink]="['/jobs', rid]"
                [title]="'MIG device ' + d.device_index + ' (' + d.profile + ') busy: job ' + rid"
                >{{ jobName(rid) }}</a
              >
            } @else {
              <span class="free">free</span>
            }
          </li>
        }
      </ul>
    }

    <div class="procs" [attr.aria-label]="'Processes on GPU ' + gpu().index" role="list">
      @for (p of gpu().processes; track p.pid) {
        <div class="proc" role="listitem">
          <span class="mono pid">{{ p.pid }}</span>
          <span class="owner">
            @if (p.job_id; as jid) {
              <a
                class="job"
                [class.ended]="ended(jid)"
                [class.stopping]="stopping(jid)"
                [routerLink]="['/jobs', jid]"
                [title]="jobTitle(jid)"
                >{{ jobName(jid) }}</a
              >
              @if (stopping(jid)) {
                <span class="stopping-tag">stopping</span>
              }
            } @else {
              <span class="foreign" title="Not started by Trainyard">foreign</span>
            }
            <span class="pname" [title]="p.process_name ?? ''">{{ p.process_name ?? '?' }}</span>
          </span>
          <span class="mono pmem">{{ mib(p.used_memory_mib) }}</span>
        </div>
      } @empty {
        <div class="proc none">No processes</div>
      }
    </div>
  `,
  styles: `
    :host {
      /* A column whose process list takes what is left, so cards of a row line up. */
      display: flex;
      flex-direction: column;
      gap: 8px;
      padding: 10px 12px 10px;
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 7px;
      position: relative;
      transition:
        border-color 120ms,
        opacity 120ms;
      min-width: 0;
    }
    :host(:hover) {
      border-color: var(--text-muted);
    }
    :host(.gated) {
      box-shadow: inset 3px 0 0 var(--warn);
    }
    :host(.disabled) {
      background: repeating-linear-gradient(
        -45deg,
        var(--surface),
        var(--surface) 8px,
        var(--stripe) 8px,
        var(--stripe) 16px
      );
      box-shadow: inset 3px 0 0 var(--danger);
    }
    :host(.disabled) .meters,
    :host(.disabled) .stats,
    :host(.excluded) .meters,
    :host(.excluded) .stats {
      opacity: 0.55;
    }
    :host(.excluded) {
      border-style: dashed;
    }
    :host(.busy) .switch {
      cursor: progress;
    }
    .head {
      display: flex;
      align-items: center;
      gap: 10px;
      min-width: 0;
    }
    .index {
      width: 26px;
      height: 26px;
      flex: none;
      border-radius: 5px;
      display: grid;
      place-items: center;
      font-size: 13px;
      font-weight: 700;
      background: var(--surface-raised);
    }
    .title {
      display: grid;
      min-width: 0;
      flex: 1;
    }
    .name {
      /* The whole product name, wrapped if need be: two cards may differ only at its end. */
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .sub {
      font-size: 11px;
      color: var(--text-muted);
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .more {
      width: 26px;
      height: 26px;
      font-size: 16px;
      border-color: transparent;
      color: var(--text-muted);
    }
    .more:hover {
      color: var(--text);
    }
    .switch {
      width: 32px;
      height: 18px;
      flex: none;
      border-radius: 9px;
      border: 1px solid var(--border);
      background: var(--ok);
      position: relative;
      cursor: pointer;
      padding: 0;
    }
    .switch .knob {
      position: absolute;
      top: 2px;
      left: 16px;
      width: 12px;
      height: 12px;
      border-radius: 50%;
      background: #fff;
      transition: left 120ms;
    }
    .switch[aria-checked='false'] {
      background: var(--surface-raised);
    }
    .switch[aria-checked='false'] .knob {
      left: 2px;
      background: var(--text-muted);
    }
    .badges {
      display: flex;
      flex-wrap: wrap;
      gap: 4px;
      min-height: 20px;
      min-width: 0;
    }
    .meters {
      display: grid;
      gap: 7px;
    }
    .meter {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: 3px 8px;
      align-items: baseline;
    }
    .meter-label {
      color: var(--text-muted);
      font-size: 12px;
    }
    .val {
      text-align: right;
      white-space: nowrap;
    }
    .bar {
      grid-column: 1 / -1;
      height: 5px;
      border-radius: 3px;
      background: var(--surface-raised);
      overflow: hidden;
    }
    .bar span {
      display: block;
      height: 100%;
      border-radius: 3px;
      background: var(--accent);
      transition: width 400ms ease;
    }
    .bar span.util {
      background: var(--ok);
    }
    .bar span.high {
      background: var(--warn);
    }
    .bar span.full {
      background: var(--danger);
    }
    .spark {
      width: 100%;
      height: 24px;
      display: block;
    }
    .spark polyline {
      fill: none;
      stroke-width: 1.5;
      vector-effect: non-scaling-stroke;
    }
    .spark-util {
      stroke: var(--ok);
    }
    .spark-mem {
      stroke: var(--accent);
      opacity: 0.8;
    }
    .stats {
      display: flex;
      gap: 10px;
      font-size: 11.5px;
      color: var(--text-muted);
      white-space: nowrap;
    }
    .stats .hot {
      color: var(--danger);
    }
    .migs {
      list-style: none;
      margin: 0;
      padding: 6px 0 0;
      border-top: 1px solid var(--border);
      display: grid;
      gap: 2px;
      max-height: 140px;
      overflow: auto;
    }
    .migdev {
      display: grid;
      grid-template-columns: 18px auto auto minmax(0, 1fr);
      gap: 8px;
      align-items: center;
      font-size: 12px;
      min-height: 20px;
    }
    .migdev .dev,
    .migdev .gb {
      color: var(--text-muted);
    }
    .migdev .job,
    .migdev .free {
      justify-self: end;
      max-width: 100%;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .migdev .free {
      color: var(--ok);
    }
    .procs {
      flex: 1;
      border-top: 1px solid var(--border);
      padding-top: 6px;
      min-height: 64px;
      max-height: 116px;
      overflow: auto;
      align-content: start;
      display: grid;
      gap: 2px;
    }
    .proc {
      display: grid;
      grid-template-columns: 50px minmax(0, 1fr) auto;
      gap: 8px;
      align-items: center;
      font-size: 12px;
      height: 20px;
    }
    .proc.none {
      display: block;
      color: var(--text-muted);
    }
    .pid,
    .pmem,
    .pname {
      color: var(--text-muted);
    }
    .owner {
      display: flex;
      gap: 6px;
      min-width: 0;
      white-space: nowrap;
    }
    .owner > * {
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .owner .pname {
      flex: 1 1 0;
      min-width: 0;
    }
    .job {
      flex: 0 1 auto;
      max-width: 75%;
      color: var(--accent);
      font-weight: 600;
      text-decoration: none;
    }
    .job:hover {
      text-decoration: underline;
    }
    .job.ended {
      color: var(--warn);
      text-decoration: line-through;
    }
    .stopping-tag {
      flex: none;
      font-size: 11px;
      color: var(--warn);
    }
    .foreign {
      flex: none;
      color: var(--warn);
      font-style: italic;
    }
  `,
})
export class GpuCardComponent {
  readonly gpu = input.required<GpuDto>();
  readonly jobs = input.required<ReadonlyMap<string, JobDto | null>>();
  readonly busy = input(false);
  /** The last hour (from GET /api/gpus/history); no sparkline until it has two points. */
  readonly history = input<GpuHistoryDto | undefined>(undefined);
  readonly toggle = output<void>();
  readonly menu = output<MouseEvent>();

  protected readonly title = computed(() => {
    const g = this.gpu();
    const state = [
      g.excluded && 'excluded',
      g.disabled && 'disabled',
      g.min_priority !== null && `priority ≥ ${g.min_priority}`,
      g.mig_enabled && `MIG mode, ${this.migFree()} of ${g.mig_devices.length} MIG devices free`,
    ]
      .filter(Boolean)
      .join(', ');
    return `GPU ${g.index}${g.name ? ' ' + g.name : ''}${state ? ' (' + state + ')' : ''}`;
  });
  /** Processes on the GPU that no Trainyard job started (someone's notebook, another scheduler's job). */
  protected readonly outside = computed(() => this.gpu().processes.filter((p) => !p.job_id).length);
  protected readonly migFree = computed(() => this.gpu().mig_devices.filter((d) => !d.reserved_by).length);
  /** `NVIDIA H100 80GB HBM3` → `H100 80GB HBM3`: the vendor is the same on every card. */
  protected readonly shortName = computed(() => {
    const name = this.gpu().name;
    return name ? name.replace(/^NVIDIA\s+/i, '') : `GPU ${this.gpu().index}`;
  });
  protected readonly memPercent = computed(() => {
    const { memory_used_mib: used, memory_total_mib: total } = this.gpu();
    return used !== null && total ? Math.min(100, (used / total) * 100) : 0;
  });

  protected readonly spark = computed(() => {
    const h = this.history();
    if (!h || h.t.length < 2) return null;
    const total = h.memory_total_mib;
    return {
      samples: h.t.length,
      utilization: sparklinePoints(h.t, h.utilization_gpu, 100),
      memory: sparklinePoints(
        h.t,
        h.memory_used_mib.map((m) => (m === null || !total ? null : (m / total) * 100)),
        100,
      ),
    };
  });

  protected readonly mib = formatMib;

  protected jobName(id: string): string {
    return this.jobs().get(id)?.name ?? shortId(id);
  }

  /** A process of one of our jobs that has already ended: a leftover worth a look. */
  protected ended(id: string): boolean {
    const status = this.jobs().get(id)?.status;
    return !!status && isFinished(status);
  }

  /** A process of a job that is shutting down (SIGTERM sent, SIGKILL after its grace): expected. */
  protected stopping(id: string): boolean {
    return this.jobs().get(id)?.status === 'terminating';
  }

  protected jobTitle(id: string): string {
    const job = this.jobs().get(id);
    if (job && this.ended(id)) return `Job ${id} ended (${job.status}) but this process is still alive`;
    if (job && this.stopping(id)) return `Job ${id} is stopping: ${stoppingNote(job)}`;
    return `Job ${id}`;
  }

  protected watts(w: number | null): string {
    return w === null ? '—' : `${Math.round(w)} W`;
  }

  protected level(percent: number): string {
    return percent >= 95 ? 'full' : percent >= 85 ? 'high' : '';
  }
}
