import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import { GPU_PROVIDER, SERVER_IDENTITY } from './gpu-provider.factory';
import type { PlacementGpuView, PlacementMigView } from './gpu-inventory.contract';
import {
  type GpuPolicy,
  resolveGpuPolicy,
  samePolicy,
  type StoredGpuPolicy,
  withGpuPolicy,
} from './gpu-policy';
import { GpuMetrics } from './gpu-metrics';
import type {
  GpuProvider,
  GpuProviderKind,
  GpuProviderState,
  GpuSnapshot,
  GpuTelemetry,
  MigDevice,
} from './gpu.types';
import { isMigEnabled } from './nvidia-smi/nvidia-smi-parser';
import { GpuPolicyRepository } from './infrastructure/gpu-policy.repository';
import { ownJobIdOf, type ServerIdentity } from './process-env';
import { parseVisibleDevices } from './visible-devices';

/** What changed in the inventory's view. */
export type GpuChangeReason = 'telemetry' | 'policy' | 'reservations';

export interface GpuProcessView {
  pid: number;
  process_name: string | null;
  used_memory_mib: number | null;
  /** The job of THIS server the process belongs to (see `ownJobIdOf`), else null. */
  job_id: string | null;
}

/** A MIG device of a GPU and the job holding it. */
export interface MigDeviceView extends MigDevice {
  /** queue_id of the starting/running job holding it, or null. */
  reserved_by: string | null;
}

export interface GpuView extends GpuTelemetry, PlacementGpuView {
  processes: GpuProcessView[];
  /** Its MIG devices (empty unless it is in MIG mode), by device index. */
  mig_devices: MigDeviceView[];
  /** What an operator should know about this GPU's placement (e.g. MIG mode), as sentences. */
  warnings: string[];
}

/** The body of GET /api/gpus and of every `gpus` stream frame. */
export interface GpuInventoryView {
  provider: GpuProviderKind;
  state: GpuProviderState;
  message: string | null;
  collected_at: string;
  gpus: GpuView[];
}

/** Fields of one known GPU the kill command needs. */
export type KnownGpu = Pick<GpuTelemetry, 'index' | 'uuid'>;

export const GPU_POLL_INTERVAL_MS = 2000;

/**
 * The host's GPUs as the scheduler and the API see them: the latest provider snapshot, the
 * exclusions from CUDA_VISIBLE_DEVICES at start, per-GPU policy (loaded at boot, changed only
 * through SetGpuPolicyCommand) and the reservations the scheduler pushes in. `changes$` emits after
 * every change of any of these.
 */
@Injectable()
export class GpuInventory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GpuInventory.name);
  private readonly changes = new Subject<GpuChangeReason>();
  /** Emits after each new snapshot, policy change and reservation change. */
  readonly changes$: Observable<GpuChangeReason> = this.changes.asObservable();

  private snapshot: GpuSnapshot = {
    state: 'no_devices',
    message: 'GPUs not collected yet',
    gpus: [],
    processes: [],
    collected_at: new Date().toISOString(),
  };
  /**
   * The GPUs of the latest snapshot that could tell (state ok or no_devices): a failed collection
   * (nvidia-smi timing out under load, say) does not make the host's GPUs unknown.
   */
  private known: GpuTelemetry[] = [];
  private excluded: ReadonlySet<number> = new Set();
  private jobIds = new Map<number, string | null>();
  private policies: StoredGpuPolicy[] = [];
  private reservations: ReadonlyMap<number, string> = new Map();
  private migReservations: ReadonlyMap<string, string> = new Map();
  private readonly warned = new Set<string>();

  private readonly first: Promise<void>;
  private resolveFirst!: () => void;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(GPU_PROVIDER) private readonly provider: GpuProvider,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'cuda_visible_devices'>,
    private readonly policyRepository: GpuPolicyRepository,
    private readonly metrics: GpuMetrics,
    @Inject(SERVER_IDENTITY) private readonly identity: ServerIdentity,
  ) {
    this.first = new Promise<void>((resolve) => (this.resolveFirst = resolve));
  }

  /** Loads the stored policies, then starts the first collection (ready() resolves when it lands). */
  async onModuleInit(): Promise<void> {
    this.policies = await this.policyRepository.loadAll();
    void this.refresh();
  }

  /** No collection starts after this; waits for the one in flight (bounded by the provider's timeout). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.queued;
    await this.running;
    this.changes.complete();
  }

  get providerKind(): GpuProviderKind {
    return this.provider.kind;
  }

  /** Resolves once the first snapshot has been taken. */
  ready(): Promise<void> {
    return this.first;
  }

  /** The latest snapshot (an empty placeholder before `ready()` resolves). */
  current(): GpuSnapshot {
    return this.snapshot;
  }

  /**
   * Every GPU of the latest snapshot, excluded ones included (flagged), by index. Empty while the
   * provider fails: nothing new is placed on GPUs that cannot be seen.
   */
  placementGpus(): PlacementGpuView[] {
    return this.snapshot.gpus.map((gpu) => this.placementOf(gpu.index));
  }

  /**
   * How many of the host's whole GPUs the server may schedule on at all (not hidden by CUDA_VISIBLE_DEVICES, not in MIG mode),
   * from the last snapshot that could tell: a transient collection failure does not change it.
   */
  usableCount(): number {
    // A GPU in MIG mode is never placed whole: it counts through its MIG devices only.
    return this.known.filter((gpu) => !this.excluded.has(gpu.index) && !isMigEnabled(gpu)).length;
  }

  /** Whether the host has a GPU with this index (excluded ones count), as last seen. */
  has(index: number): boolean {
    return this.known.some((gpu) => gpu.index === index);
  }

  /** The host's GPU with this index as last seen, or undefined. */
  gpu(index: number): KnownGpu | undefined {
    return this.known.find((gpu) => gpu.index === index);
  }

  /**
   * Placement state (policy, reservation, exclusion) of the host's GPUs as last seen: still there
   * while a collection fails (a policy is persisted and a job holds its GPU whatever nvidia-smi says).
   */
  knownPlacement(): PlacementGpuView[] {
    return this.known.map((gpu) => this.placementOf(gpu.index));
  }

  /** Indices of the host's GPUs as last seen, ascending. */
  knownIndices(): number[] {
    return this.known.map((gpu) => gpu.index);
  }

  /**
   * GPU index → queue_id of the starting/running job holding it, and MIG device UUID → queue_id;
   * replaces the previous maps.
   */
  setReservations(map: ReadonlyMap<number, string>, mig: ReadonlyMap<string, string> = new Map()): void {
    if (sameMap(map, this.reservations) && sameMap(mig, this.migReservations)) return;
    this.reservations = new Map(map);
    this.migReservations = new Map(mig);
    this.changes.next('reservations');
  }

  /** The MIG devices of the latest snapshot on GPUs not hidden by CUDA_VISIBLE_DEVICES, with their holders. */
  placementMigDevices(): PlacementMigView[] {
    return this.migDevicesOf(null)
      .filter((d) => !this.excluded.has(d.gpu_index))
      .map((d) => ({ uuid: d.uuid, gpu_index: d.gpu_index, profile: d.profile, reserved_by: d.reserved_by }));
  }

  /** The MIG profiles of the GPUs last seen (what a submit's gpu_profile may name), sorted. */
  migProfiles(): string[] {
    return [...new Set(this.migDevicesOf(null).map((d) => d.profile))].sort();
  }

  private migDevicesOf(gpuIndex: number | null): MigDeviceView[] {
    return (this.snapshot.mig_devices ?? [])
      .filter((d) => gpuIndex === null || d.gpu_index === gpuIndex)
      .map((d) => ({ ...d, reserved_by: this.migReservations.get(d.uuid) ?? null }));
  }

  /** The policy of the GPU at `index`: the one set on its card, wherever that was (see resolveGpuPolicy). */
  policyOf(index: number): GpuPolicy {
    return resolveGpuPolicy(this.policies, index, this.uuidOf(index)).policy;
  }

  /** The card at `index` as last seen (nvidia-smi uuid); null when unknown or not reported. */
  uuidOf(index: number): string | null {
    return this.known.find((gpu) => gpu.index === index)?.uuid ?? null;
  }

  /**
   * Stores `policy` in memory as the policy of the card at `index` and returns what was stored before
   * (to put back with restorePolicies). Only SetGpuPolicyHandler calls this (inside the transaction
   * that stores it, so events published on commit already see it).
   */
  applyPolicy(index: number, policy: GpuPolicy): StoredGpuPolicy[] {
    const before = this.policies;
    const previous = this.policyOf(index);
    this.policies = withGpuPolicy(before, { gpu_index: index, gpu_uuid: this.uuidOf(index), ...policy });
    if (!samePolicy(previous, policy)) this.changes.next('policy');
    return before;
  }

  /** Puts back what applyPolicy returned (its transaction failed). */
  restorePolicies(stored: StoredGpuPolicy[]): void {
    this.policies = stored;
    this.changes.next('policy');
  }

  /** The whole view: telemetry, processes with their job ids, exclusions, policy, reservations. */
  view(): GpuInventoryView {
    const { state, message, collected_at, gpus, processes } = this.snapshot;
    return {
      provider: this.provider.kind,
      state,
      message,
      collected_at,
      gpus: gpus.map((gpu) => ({
        ...gpu,
        processes: processes
          .filter((p) => p.gpu_index === gpu.index)
          .map((p) => ({
            pid: p.pid,
            process_name: p.process_name,
            used_memory_mib: p.used_memory_mib,
            job_id: this.jobIds.get(p.pid) ?? null,
          })),
        ...this.placementOf(gpu.index),
        mig_devices: this.migDevicesOf(gpu.index),
        warnings: [
          ...(isMigEnabled(gpu) && !this.migDevicesOf(gpu.index).length ? [migWarning(gpu.index)] : []),
          ...this.policyWarnings(gpu),
        ],
      })),
    };
  }

  /**
   * Takes a new snapshot. Collections never overlap; a call while one runs waits for a fresh one
   * started after it (calls made meanwhile share that one), so the result reflects the call's time.
   */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.refresh();
      });
      return this.queued;
    }
    this.running = this.collect().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The periodic tick: skipped while a collection is already running. */
  poll(): Promise<void> {
    return this.running ? Promise.resolve() : this.refresh();
  }

  private async collect(): Promise<void> {
    let snapshot: GpuSnapshot;
    try {
      snapshot = await this.provider.snapshot();
    } catch (error) {
      // Providers never reject; this keeps the monitor alive if one ever does.
      snapshot = {
        state: 'error',
        message: `GPU snapshot failed: ${String(error)}`,
        gpus: [],
        processes: [],
        collected_at: new Date().toISOString(),
      };
    }
    this.apply(snapshot);
  }

  private apply(snapshot: GpuSnapshot): void {
    if (snapshot.state === 'ok' || snapshot.state === 'no_devices') this.known = snapshot.gpus;
    // Resolved against each snapshot's GPUs; without any (failed snapshot) there is nothing to map.
    if (snapshot.gpus.length > 0) {
      const visible = parseVisibleDevices(this.config.cuda_visible_devices, snapshot.gpus);
      this.excluded = visible.excluded;
      for (const warning of visible.warnings) {
        if (this.warned.has(warning)) continue;
        this.warned.add(warning);
        this.logger.warn(warning);
      }
    }
    const jobIds = new Map<number, string | null>();
    for (const { pid, job_id } of snapshot.processes) {
      if (!jobIds.has(pid)) jobIds.set(pid, job_id ?? ownJobIdOf(pid, this.identity));
    }
    this.jobIds = jobIds;
    this.snapshot = snapshot;
    this.metrics.observe(snapshot);
    this.resolveFirst();
    this.changes.next('telemetry');
  }

  /** A policy set at this index on a card that is gone: not applied to this card, and said so. */
  private policyWarnings(gpu: GpuTelemetry): string[] {
    const { other } = resolveGpuPolicy(this.policies, gpu.index, gpu.uuid);
    if (!other || this.known.some((g) => g.uuid === other.gpu_uuid)) return [];
    return [otherCardPolicyWarning(gpu.index, other)];
  }

  private placementOf(index: number): PlacementGpuView {
    const policy = this.policyOf(index);
    const gpu = this.snapshot.gpus.find((g) => g.index === index);
    return {
      index,
      excluded: this.excluded.has(index),
      disabled: policy.disabled,
      min_priority: policy.min_priority,
      reserved_by: this.reservations.get(index) ?? null,
      mig_enabled: gpu !== undefined && isMigEnabled(gpu),
    };
  }
}

/** The policy stored at a GPU's index was set on another card, which is gone (swapped out). */
export function otherCardPolicyWarning(index: number, other: StoredGpuPolicy): string {
  const what = [
    ...(other.disabled ? ['disabled'] : []),
    ...(other.min_priority !== null ? [`priority gate ≥ ${other.min_priority}`] : []),
  ].join(', ');
  return (
    `GPU ${index} is not the card its policy (${what || 'default'}) was set on (${other.gpu_uuid}), ` +
    'which is no longer here: this card has the default policy until one is set'
  );
}

/** A GPU in MIG mode is never placed whole; without MIG devices listed it offers nothing at all. */
export function migWarning(index: number): string {
  return `GPU ${index} has MIG enabled but no MIG devices were listed (nvidia-smi -L): nothing can run on it`;
}

function sameMap<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
