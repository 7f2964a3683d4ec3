import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  model,
  signal,
  untracked,
} from '@angular/core';
import { type ClusterMemberDto, getClusterGpus } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ClusterStore } from '../cluster/cluster.store';
import { nodeHealth } from '../cluster/health';
import { parseInteger } from '../core/numbers';
import { FORM_FIELD } from '../shared/form-field/form-field.component';
import {
  DEFAULT_RDZV_PORT,
  type MultiNodeMode,
  type MultiNodeValues,
  type NodeChoice,
  choiceOf,
  nodeField,
  pickable,
} from './multinode';
import type { FieldErrors } from './submit-form';

interface Row {
  m: ClusterMemberDto;
  /** Its hostname, with a node id suffix when another node shares it. */
  name: string;
  c: NodeChoice;
  /** Idle eligible GPUs of that node for this priority, and its GPU count; null before they load. */
  idle: number | null;
  total: number | null;
  /** Why its versions stand out (the Nodes dot's tooltip), empty when they do not. */
  diverged: string;
  error: string | undefined;
}

/**
 * The submit dialog's Multi-node panel (cluster mode, training type): run on this node only, on the
 * ticked nodes (reachable members with their idle eligible GPUs, GPUs and interface per node; the
 * first ticked node is rank 0 and the rendezvous host), or on any N nodes × G GPUs the server picks.
 * Shows the torchrun rendezvous settings the submit derives, and the allow-version-mismatch switch.
 */
@Component({
  selector: 'ty-multinode-panel',
  imports: [FORM_FIELD],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <fieldset class="multinode" aria-describedby="mn-help">
      <legend>Multi-node</legend>
      <div class="modes" role="radiogroup" aria-label="Where to run">
        @for (m of modes; track m.value) {
          <label class="radio">
            <input
              type="radio"
              name="mn-mode"
              [value]="m.value"
              [checked]="value().mode === m.value"
              (change)="setMode(m.value)"
            />
            {{ m.label }}
          </label>
        }
      </div>
      <span id="mn-help" class="hint">
        @switch (value().mode) {
          @case ('off') {
            A regular job on this node (GPUs below).
          }
          @case ('pick') {
            torchrun on each ticked node; the first ticked is rank 0 and hosts the rendezvous.
          }
          @case ('any') {
            Trainyard picks nodes with enough idle eligible GPUs (this node first when it has them).
          }
        }
      </span>

      @if (value().mode === 'pick') {
        @if (gpuError(); as e) {
          <span class="hint bad">Could not read the nodes' GPUs: {{ e }}</span>
        }
        <div class="nodes" role="group" aria-label="Nodes">
          <table class="table">
            <thead>
              <tr>
                <th>Use</th>
                <th>Node</th>
                <th>GPUs</th>
                <th>Interface</th>
              </tr>
            </thead>
            <tbody>
              @for (r of rows(); track r.m.node_id; let i = $index) {
                <tr [attr.data-node]="r.m.node_id">
                  <td>
                    <input
                      type="checkbox"
                      [id]="'mn-use-' + i"
                      [checked]="r.c.use"
                      [attr.aria-label]="'Use ' + r.name"
                      (change)="setChoice(r.m, { use: $any($event.target).checked })"
                    />
                  </td>
                  <td>
                    <label [for]="'mn-use-' + i" class="host">
                      {{ r.name }}
                      @if (r.m.is_self) {
                        <span class="tag">this</span>
                      }
                      @if (r.diverged) {
                        <span class="tag warn" [title]="r.diverged">versions differ</span>
                      }
                    </label>
                    <span class="muted addr">{{ r.m.addresses[0] }}</span>
                    @if (r.error; as e) {
                      <span class="hint bad" [id]="'mn-err-' + i" role="alert">{{ e }}</span>
                    }
                  </td>
                  <td class="field">
                    <input
                      type="text"
                      inputmode="numeric"
                      class="num"
                      [value]="r.c.gpus"
                      [disabled]="!r.c.use"
                      [attr.aria-label]="'GPUs on ' + r.name"
                      [attr.aria-invalid]="!!r.error"
                      [attr.aria-describedby]="r.error ? 'mn-err-' + i : 'mn-idle-' + i"
                      (input)="setChoice(r.m, { gpus: $any($event.target).value })"
                    />
                    <span class="muted idle" [id]="'mn-idle-' + i">
                      {{ r.idle === null ? '…' : r.idle + ' idle of ' + r.total }}
                    </span>
                  </td>
                  <td class="field">
                    <input
                      type="text"
                      class="mono ifname"
                      spellcheck="false"
                      placeholder="auto"
                      [value]="r.c.ifname"
                      [disabled]="!r.c.use"
                      [attr.aria-label]="'Network interface on ' + r.name"
                      [title]="interfacesOf(r.m)"
                      (input)="setChoice(r.m, { ifname: $any($event.target).value })"
                    />
                  </td>
                </tr>
              } @empty {
                <tr>
                  <td colspan="4" class="muted">No reachable nodes</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }

      @if (value().mode !== 'off') {
        <div class="row">
          @if (value().mode === 'any') {
            <ty-form-field
              controlId="mn-nodes"
              label="Nodes"
              [hint]="reachableCount() + ' reachable'"
              [error]="err('nodes')"
            >
              <input
                tyFieldControl
                type="text"
                inputmode="numeric"
                [value]="value().nodes"
                (input)="set('nodes', $any($event.target).value)"
              />
            </ty-form-field>
            <ty-form-field
              controlId="mn-gpus-per-node"
              label="GPUs per node"
              hint="Idle eligible, on each"
              [error]="err('gpus_per_node')"
            >
              <input
                tyFieldControl
                type="text"
                inputmode="numeric"
                [value]="value().gpusPerNode"
                (input)="set('gpusPerNode', $any($event.target).value)"
              />
            </ty-form-field>
          }
          <ty-form-field
            controlId="mn-rdzv-port"
            label="Rendezvous port"
            hint="c10d, on rank 0"
            [error]="err('rdzv_port')"
          >
            <input
              tyFieldControl
              type="text"
              inputmode="numeric"
              [value]="value().rdzvPort"
              [attr.placeholder]="defaultPort"
              (input)="set('rdzvPort', $any($event.target).value)"
            />
          </ty-form-field>
        </div>

        <dl class="derived" aria-label="Derived torchrun settings">
          <dt>nnodes</dt>
          <dd class="mono" data-derived="nnodes">{{ nnodes() }}</dd>
          <dt>rdzv</dt>
          <dd class="mono" data-derived="rdzv">{{ rdzvText() }}</dd>
          <dt>rdzv id</dt>
          <dd class="muted">fresh at submit</dd>
          <dt>ifname</dt>
          <dd class="muted">
            NCCL_, GLOO_ and TP_SOCKET_IFNAME alike; auto: the interface with the node's address
          </dd>
        </dl>

        <label class="checkbox" [class.attention]="!!mismatch()">
          <input
            id="mn-allow-mismatch"
            type="checkbox"
            [checked]="value().allowVersionMismatch"
            (change)="setAllowMismatch($any($event.target).checked)"
          />
          Allow version mismatch
          <span class="muted">· submit even when trainyard/torch/CUDA/NCCL differ</span>
        </label>

        @if (err('multinode'); as e) {
          <div class="alert" role="alert" data-testid="multinode-error">
            {{ e }}
            @if (mismatch()) {
              <div>Tick "Allow version mismatch" and submit again to go ahead anyway.</div>
            }
          </div>
        }
      }
    </fieldset>
  `,
  styles: `
    .multinode {
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 8px 12px 12px;
      margin: 0;
      display: grid;
      gap: 10px;
      min-width: 0;
    }
    legend {
      padding: 0 6px;
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--text-muted);
    }
    .modes {
      display: flex;
      flex-wrap: wrap;
      gap: 6px 16px;
    }
    .radio,
    .checkbox {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .checkbox {
      flex-wrap: wrap;
    }
    .attention {
      outline: 2px solid var(--warn);
      outline-offset: 2px;
      border-radius: 4px;
    }
    .nodes {
      max-height: 300px;
      overflow: auto;
    }
    .nodes table {
      width: 100%;
    }
    .nodes td {
      vertical-align: top;
    }
    /* The global .field look for the inputs, without .field's grid on the cell. */
    .nodes td.field {
      display: table-cell;
    }
    .nodes td.field input {
      height: 28px;
    }
    .nodes input:disabled {
      opacity: 0.5;
    }
    .host {
      display: inline-flex;
      flex-wrap: wrap;
      gap: 4px;
      align-items: center;
      font-weight: 600;
    }
    .addr,
    .idle {
      display: block;
      font-size: 12px;
    }
    .num {
      width: 64px;
    }
    .ifname {
      width: 100%;
      min-width: 70px;
      max-width: 140px;
    }
    .tag {
      font-size: 11px;
      padding: 0 5px;
      border: 1px solid var(--border);
      border-radius: 4px;
      font-weight: 400;
    }
    .tag.warn {
      color: var(--warn);
    }
    .row {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(130px, 1fr));
      gap: 12px;
    }
    .field input {
      width: 100%;
    }
    .derived {
      display: grid;
      grid-template-columns: max-content minmax(0, 1fr);
      gap: 2px 12px;
      margin: 0;
      font-size: 12px;
    }
    .derived dt {
      color: var(--text-muted);
    }
    .derived dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    .bad {
      color: var(--danger);
    }
  `,
})
export class MultiNodePanelComponent {
  private readonly api = inject(API);
  private readonly cluster = inject(ClusterStore);

  readonly value = model.required<MultiNodeValues>();
  /** Errors by panel field (`node.<id>`, `nodes`, `gpus_per_node`, `rdzv_port`, `multinode`). */
  readonly errors = input<FieldErrors>({});
  /** The job's priority: which GPUs count as eligible. */
  readonly priority = input(0);
  /** The last refusal was a version mismatch (409): the allow switch is pointed out. */
  readonly mismatch = input(false);

  protected readonly defaultPort = String(DEFAULT_RDZV_PORT);
  protected readonly modes: Array<{ value: MultiNodeMode; label: string }> = [
    { value: 'off', label: 'This node only' },
    { value: 'pick', label: 'Chosen nodes' },
    { value: 'any', label: 'Any N nodes × G GPUs' },
  ];

  /** By node id: its idle eligible GPUs for `countsFor` (the server's count) and its GPU count. */
  private readonly gpus = signal<Map<string, { idle: number; total: number }>>(new Map());
  /** The priority the idle counts are asked for; null while the panel runs nothing multi-node. */
  private readonly countsFor = computed(() => (this.value().mode === 'off' ? null : this.priority()));
  protected readonly gpuError = signal<string | null>(null);

  protected readonly reachableCount = computed(() => pickable(this.cluster.members()).length);

  protected readonly rows = computed<Row[]>(() => {
    const all = this.cluster.members();
    const v = this.value();
    const gpus = this.gpus();
    return pickable(all).map((m) => {
      const counts = gpus.get(m.node_id);
      return {
        m,
        name: this.cluster.labelOf(m.node_id, m.hostname),
        c: choiceOf(v, m),
        idle: counts?.idle ?? null,
        total: counts?.total ?? null,
        diverged: nodeHealth(m, all).detail,
        error: this.errors()[nodeField(m.node_id)],
      };
    });
  });

  protected readonly nnodes = computed(() => {
    const v = this.value();
    if (v.mode === 'any') return v.nodes.trim() || '?';
    return String(this.rows().filter((r) => r.c.use).length);
  });

  /** `host:port` of the rendezvous: rank 0's first address; in "any" mode, known at submit. */
  protected readonly rdzvText = computed(() => {
    const v = this.value();
    const port = parseInteger(v.rdzvPort) ?? DEFAULT_RDZV_PORT;
    if (v.mode === 'any') return `rank 0 (picked at submit):${port} · c10d`;
    const first = this.rows().find((r) => r.c.use);
    if (!first) return '—';
    return `${first.m.addresses[0] ?? first.m.hostname}:${port} · c10d · is_host on ${first.name}`;
  });

  constructor() {
    // Asked again whenever the priority changes: eligibility depends on it.
    effect(() => {
      const priority = this.countsFor();
      if (priority !== null) untracked(() => void this.loadGpus(priority));
    });
  }

  /** GET /api/cluster/gpus: each node's idle eligible GPUs for a job of `priority`, and its GPU count. */
  private async loadGpus(priority: number): Promise<void> {
    try {
      // The server's range; beyond it the counts are those at its ends (the submit refuses it anyway).
      const query = { priority: Math.max(-1_000_000, Math.min(1_000_000, priority)) };
      const { data } = await getClusterGpus({ client: this.api, query });
      if (this.countsFor() !== priority) return; // a later priority's answer is (or will be) in
      this.gpus.set(
        new Map(
          data.nodes.flatMap((n) =>
            n.gpus && n.idle_eligible !== null
              ? [[n.node_id, { idle: n.idle_eligible, total: n.gpus.gpus.length }] as const]
              : [],
          ),
        ),
      );
      this.gpuError.set(null);
    } catch (err) {
      this.gpuError.set(errorMessage(err));
    }
  }

  protected err(field: string): string | undefined {
    return this.errors()[field];
  }

  protected interfacesOf(m: ClusterMemberDto): string {
    const names = m.interfaces.filter((i) => !i.internal).map((i) => `${i.name} ${i.cidr}`);
    return names.length ? `Interfaces: ${names.join(', ')}` : 'No interfaces reported';
  }

  protected setMode(mode: MultiNodeMode): void {
    this.value.update((v) => ({ ...v, mode }));
  }

  protected set(field: 'nodes' | 'gpusPerNode' | 'rdzvPort', text: string): void {
    this.value.update((v) => ({ ...v, [field]: text }));
  }

  protected setAllowMismatch(allow: boolean): void {
    this.value.update((v) => ({ ...v, allowVersionMismatch: allow }));
  }

  protected setChoice(m: ClusterMemberDto, change: Partial<NodeChoice>): void {
    this.value.update((v) => ({
      ...v,
      choices: { ...v.choices, [m.node_id]: { ...choiceOf(v, m), ...change } },
    }));
  }
}
