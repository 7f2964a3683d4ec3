import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import { MetricsRegistry } from '@trainyard/metrics';
import { FakeGpuProvider } from './fake/fake-gpu.provider';
import { GpuInventory, type GpuChangeReason } from './gpu-inventory';
import { GpuMetrics } from './gpu-metrics';
import type { StoredGpuPolicy } from './gpu-policy';
import type { GpuProcess, GpuProvider, GpuSnapshot, GpuTelemetry } from './gpu.types';
import type { GpuPolicyRepository } from './infrastructure/gpu-policy.repository';

const telemetry = (index: number, rest: Partial<GpuTelemetry> = {}): GpuTelemetry => ({
  index,
  uuid: `GPU-0000000${index}-0000-4000-8000-000000000000`,
  name: 'Test GPU',
  pci_bus_id: null,
  driver_version: '1.0',
  utilization_gpu: 10 * index,
  utilization_memory: 0,
  memory_total_mib: 1024,
  memory_used_mib: 256,
  memory_free_mib: 768,
  temperature_c: 40 + index,
  power_draw_w: 50.5,
  power_limit_w: 300,
  clocks_sm_mhz: 1000,
  pstate: 'P0',
  fan_speed_percent: null,
  mig_mode: null,
  ecc_errors_uncorrected: 0,
  ...rest,
});

const snapshot = (gpus: GpuTelemetry[], processes: GpuProcess[] = []): GpuSnapshot => ({
  state: gpus.length > 0 ? 'ok' : 'no_devices',
  message: null,
  gpus,
  processes,
  collected_at: new Date().toISOString(),
});

const failed = (state: GpuSnapshot['state']): GpuSnapshot => ({ ...snapshot([]), state, message: 'broken' });

/** Answers each snapshot() with the next queued answer; held answers wait for release(). */
class ScriptedProvider implements GpuProvider {
  readonly kind = 'nvidia-smi' as const;
  calls = 0;
  private readonly answers: GpuSnapshot[] = [];
  private held: Array<() => void> | null = null;

  answer(...answers: GpuSnapshot[]): this {
    this.answers.push(...answers);
    return this;
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    waiting.forEach((go) => go());
  }

  async snapshot(): Promise<GpuSnapshot> {
    this.calls++;
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    return answer;
  }
}

const IDENTITY = { nodeId: 'node-inventory-spec', uid: process.getuid!() };
const NOBODY = 65534;

/** A `sleep` with this environment (PATH added), as `uid` if given; killed after the test. */
async function startSleep(
  env: Record<string, string>,
  uid?: number,
): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: 'ignore',
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  children.push(child);
  await once(child, 'spawn');
  return child as ChildProcess & { pid: number };
}

function setup(options: { cudaVisibleDevices?: string; policies?: StoredGpuPolicy[] } = {}) {
  const provider = new ScriptedProvider();
  const metrics = new MetricsRegistry();
  const repository = { loadAll: async () => options.policies ?? [] } as unknown as GpuPolicyRepository;
  const sut = new GpuInventory(
    provider,
    { cuda_visible_devices: options.cudaVisibleDevices },
    repository,
    new GpuMetrics(metrics),
    IDENTITY,
  );
  const changes: GpuChangeReason[] = [];
  sut.changes$.subscribe((reason) => changes.push(reason));
  return { sut, provider, metrics, changes };
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
});

describe(GpuInventory.name, () => {
  it('is ready after the first snapshot, with stored policies and CUDA_VISIBLE_DEVICES exclusions', async () => {
    const policies = [{ gpu_index: 2, gpu_uuid: null, disabled: true, min_priority: 5 }];
    const { sut, provider } = setup({ cudaVisibleDevices: '1,2', policies });
    provider.answer(snapshot([0, 1, 2, 3].map((i) => telemetry(i))));
    expect(sut.current()).toMatchObject({ gpus: [], message: 'GPUs not collected yet' });
    let ready = false;
    void sut.ready().then(() => (ready = true));

    await sut.onModuleInit();
    await sut.ready();

    expect(ready).toBe(true);
    expect(sut.current().gpus).toHaveLength(4);
    expect(sut.placementGpus()).toEqual([
      {
        index: 0,
        excluded: true,
        disabled: false,
        min_priority: null,
        reserved_by: null,
        mig_enabled: false,
      },
      {
        index: 1,
        excluded: false,
        disabled: false,
        min_priority: null,
        reserved_by: null,
        mig_enabled: false,
      },
      { index: 2, excluded: false, disabled: true, min_priority: 5, reserved_by: null, mig_enabled: false },
      {
        index: 3,
        excluded: true,
        disabled: false,
        min_priority: null,
        reserved_by: null,
        mig_enabled: false,
      },
    ]);
    expect(sut.usableCount()).toBe(2);
    expect([0, 3, 4, -1].map((i) => sut.has(i))).toEqual([true, true, false, false]);
    expect(sut.knownIndices()).toEqual([0, 1, 2, 3]);
    await sut.onModuleDestroy();
  });

  it('logs each CUDA_VISIBLE_DEVICES warning once, however many snapshots', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const { sut, provider } = setup({ cudaVisibleDevices: '0,0,9' });
      provider.answer(snapshot([telemetry(0), telemetry(1)]));

      await sut.refresh();
      await sut.refresh();
      await sut.refresh();

      expect(warn.mock.calls.map(([message]) => message)).toEqual([
        expect.stringMatching(/"0" names GPU 0 again/),
        expect.stringMatching(/no GPU has index 9/),
      ]);
      expect(sut.placementGpus().map((g) => g.excluded)).toEqual([false, true]);
    } finally {
      warn.mockRestore();
    }
  });

  it('places nothing while the provider fails, but still knows the GPUs the host has', async () => {
    const { sut, provider } = setup({ cudaVisibleDevices: '1' });
    provider.answer(
      snapshot([telemetry(0), telemetry(1)]),
      failed('timeout'),
      snapshot([telemetry(0), telemetry(1)]),
      snapshot([]),
    );

    await sut.refresh();
    await sut.refresh();
    expect(sut.current().state).toBe('timeout');
    expect(sut.placementGpus()).toEqual([]);
    expect(sut.view().gpus).toEqual([]);
    expect(sut.usableCount()).toBe(1);
    expect(sut.knownIndices()).toEqual([0, 1]);
    expect(sut.has(0)).toBe(true);
    await sut.refresh();

    expect(sut.placementGpus().map((g) => [g.index, g.excluded])).toEqual([
      [0, true],
      [1, false],
    ]);
    await sut.refresh();
    // no_devices is an answer, not a failure: the GPUs are gone.
    expect(sut.knownIndices()).toEqual([]);
    expect(sut.usableCount()).toBe(0);
  });

  it('knows no GPUs when the very first collection fails', async () => {
    const { sut, provider } = setup();
    provider.answer(failed('no_driver'));

    await sut.refresh();

    expect(sut.current().state).toBe('no_driver');
    expect([sut.usableCount(), sut.has(0), sut.knownIndices()]).toEqual([0, false, []]);
  });

  it('emits telemetry on every snapshot, and reservations and policy only when they change', async () => {
    const { sut, provider, changes } = setup();
    provider.answer(snapshot([telemetry(0), telemetry(1)]));
    await sut.refresh();

    sut.setReservations(new Map([[1, 'q_a']]));
    sut.setReservations(new Map([[1, 'q_a']]));
    const previous = sut.applyPolicy(0, { disabled: true, min_priority: 0 });
    sut.applyPolicy(0, { disabled: true, min_priority: 0 });
    sut.setReservations(new Map());
    await sut.refresh();

    expect(previous).toEqual([]);
    expect(changes).toEqual(['telemetry', 'reservations', 'policy', 'reservations', 'telemetry']);
    expect(sut.policyOf(0)).toEqual({ disabled: true, min_priority: 0 });
    expect(sut.policyOf(7)).toEqual({ disabled: false, min_priority: null });
  });

  it('flags a GPU with MIG enabled for placement and warns when it lists no MIG devices', async () => {
    const { sut, provider } = setup();
    provider.answer(
      snapshot([
        telemetry(0, { mig_mode: 'Disabled' }),
        telemetry(1, { mig_mode: 'Enabled' }),
        telemetry(2, { mig_mode: null }),
      ]),
    );
    await sut.refresh();

    expect(sut.placementGpus().map((g) => g.mig_enabled)).toEqual([false, true, false]);
    expect(sut.view().gpus.map((g) => g.warnings)).toEqual([
      [],
      ['GPU 1 has MIG enabled but no MIG devices were listed (nvidia-smi -L): nothing can run on it'],
      [],
    ]);
  });

  it('shows reservations, policy and processes with their job id in the view', async () => {
    const job = await startSleep({ TRAINYARD_JOB_ID: 'q_view', TRAINYARD_NODE_ID: IDENTITY.nodeId });
    const { sut, provider } = setup();
    provider.answer(
      snapshot(
        [telemetry(0), telemetry(1)],
        [
          { gpu_index: 1, pid: job.pid, process_name: 'sleep', used_memory_mib: 100 },
          { gpu_index: 1, pid: 999_999_999, process_name: 'gone', used_memory_mib: null },
        ],
      ),
    );
    await sut.refresh();
    sut.setReservations(new Map([[1, 'q_view']]));
    sut.applyPolicy(1, { disabled: false, min_priority: -3 });

    const view = sut.view();

    expect(view).toMatchObject({ provider: 'nvidia-smi', state: 'ok', message: null });
    expect(view.gpus[0]).toMatchObject({ index: 0, processes: [], reserved_by: null, min_priority: null });
    expect(view.gpus[1]).toEqual({
      ...telemetry(1),
      processes: [
        { pid: job.pid, process_name: 'sleep', used_memory_mib: 100, job_id: 'q_view' },
        { pid: 999_999_999, process_name: 'gone', used_memory_mib: null, job_id: null },
      ],
      excluded: false,
      disabled: false,
      min_priority: -3,
      reserved_by: 'q_view',
      mig_enabled: false,
      mig_devices: [],
      warnings: [],
    });
  });

  it('attributes a process to a job only when it is one of this server’s (its uid and node id)', async () => {
    const forged = { TRAINYARD_JOB_ID: 'q_forged', CUDA_VISIBLE_DEVICES: '1' };
    const untagged = await startSleep(forged);
    const otherServer = await startSleep({ ...forged, TRAINYARD_NODE_ID: 'node-other-server' });
    const strangers = [untagged, otherServer];
    // Another user copying even our node id into its environment.
    if (IDENTITY.uid === 0)
      strangers.push(await startSleep({ ...forged, TRAINYARD_NODE_ID: IDENTITY.nodeId }, NOBODY));
    const { sut, provider } = setup();
    provider.answer(
      snapshot(
        [telemetry(0), telemetry(1)],
        strangers.map((child) => ({
          gpu_index: 1,
          pid: child.pid,
          process_name: 'sleep',
          used_memory_mib: 1,
        })),
      ),
    );
    await sut.refresh();

    expect(sut.view().gpus[1].processes.map((p) => [p.pid, p.job_id])).toEqual(
      strangers.map((child) => [child.pid, null]),
    );
  });

  it('a job’s process that ended right after the fake provider saw it is still the job’s, never “outside Trainyard”', async () => {
    const job = await startSleep({
      CUDA_VISIBLE_DEVICES: '0',
      TRAINYARD_JOB_ID: 'q_short_lived',
      TRAINYARD_NODE_ID: IDENTITY.nodeId,
    });
    const fake = new FakeGpuProvider({ count: 1, identity: IDENTITY });
    // A job's short-lived child (a `nvidia-smi` call, a data loader worker): gone once the scan saw it.
    const provider: GpuProvider = {
      kind: 'fake',
      snapshot: async () => {
        const seen = await fake.snapshot();
        const exited = once(job, 'exit');
        job.kill('SIGKILL');
        await exited;
        return seen;
      },
    };
    const repository = { loadAll: async () => [] } as unknown as GpuPolicyRepository;
    const sut = new GpuInventory(
      provider,
      { cuda_visible_devices: undefined },
      repository,
      new GpuMetrics(new MetricsRegistry()),
      IDENTITY,
    );
    await sut.refresh();

    expect(sut.view().gpus[0].processes.map((p) => [p.pid, p.job_id])).toEqual([[job.pid, 'q_short_lived']]);
  });

  it('never runs two collections at once; a refresh during one waits for a fresh one', async () => {
    const { sut, provider } = setup();
    provider.answer(snapshot([telemetry(0)]));
    provider.hold();

    const first = sut.refresh();
    const second = sut.refresh();
    const third = sut.refresh();
    const poll = sut.poll();
    expect(provider.calls).toBe(1);
    provider.release();
    await first;
    await poll;
    // The queued refresh starts only after the first one landed.
    await second;
    await third;

    expect(provider.calls).toBe(2);
  });

  it('collects nothing after shutdown, waits for the collection in flight, and completes changes$', async () => {
    const { sut, provider } = setup();
    provider.answer(snapshot([telemetry(0)]));
    provider.hold();
    const inFlight = sut.refresh();
    let completed = false;
    sut.changes$.subscribe({ complete: () => (completed = true) });

    const destroyed = sut.onModuleDestroy();
    provider.release();
    await destroyed;
    await inFlight;
    await sut.refresh();
    await sut.poll();

    expect(provider.calls).toBe(1);
    expect(completed).toBe(true);
  });

  describe('metrics', () => {
    const scrape = (metrics: MetricsRegistry) => metrics.registry.metrics();

    it('exports gauges per GPU, leaving out readings the driver does not give', async () => {
      const { sut, provider, metrics } = setup();
      provider.answer(
        snapshot([
          telemetry(0, { utilization_gpu: 97, temperature_c: null, power_draw_w: null, memory_used_mib: 2 }),
          telemetry(1, { utilization_gpu: null }),
        ]),
      );

      await sut.refresh();
      const text = await scrape(metrics);

      expect(text).toContain('trainyard_gpu_utilization_percent{gpu="0"} 97');
      expect(text).not.toContain('trainyard_gpu_utilization_percent{gpu="1"}');
      expect(text).toContain(`trainyard_gpu_memory_used_bytes{gpu="0"} ${2 * 1024 * 1024}`);
      expect(text).toContain(`trainyard_gpu_memory_total_bytes{gpu="1"} ${1024 * 1024 * 1024}`);
      expect(text).not.toContain('trainyard_gpu_temperature_celsius{gpu="0"}');
      expect(text).toContain('trainyard_gpu_temperature_celsius{gpu="1"} 41');
      expect(text).not.toContain('trainyard_gpu_power_watts{gpu="0"}');
      expect(text).toContain('trainyard_gpu_power_watts{gpu="1"} 50.5');
    });

    it('drops gauges of GPUs that are gone and counts failed collections only', async () => {
      const { sut, provider, metrics } = setup();
      provider.answer(
        snapshot([telemetry(0), telemetry(1)]),
        failed('error'),
        failed('timeout'),
        snapshot([]),
        snapshot([telemetry(0)]),
      );

      await sut.refresh();
      await sut.refresh();
      expect(await scrape(metrics)).not.toContain('trainyard_gpu_utilization_percent{');
      await sut.refresh();
      await sut.refresh();
      await sut.refresh();
      const text = await scrape(metrics);

      expect(text).toContain('trainyard_gpu_collection_errors_total 2');
      expect(text).toContain('trainyard_gpu_utilization_percent{gpu="0"} 0');
      expect(text).not.toContain('trainyard_gpu_utilization_percent{gpu="1"}');
    });
  });

  describe('a policy follows the card it was set on', () => {
    const card = (n: number) => `GPU-card-${n}`;

    it('moves with its card when the GPUs are numbered anew, and is not inherited by the card now at its index', async () => {
      // Card 1 (at index 1) was disabled; card 0 was removed, so card 1 is GPU 0 now and card 2 is GPU 1.
      const { sut, provider } = setup({
        policies: [{ gpu_index: 1, gpu_uuid: card(1), disabled: true, min_priority: null }],
      });
      provider.answer(snapshot([telemetry(0, { uuid: card(1) }), telemetry(1, { uuid: card(2) })]));
      await sut.onModuleInit();
      await sut.ready();

      // Before: GPU 1 (card 2, healthy) stayed disabled and the disabled card was placed on as GPU 0.
      expect(sut.placementGpus().map((g) => [g.index, g.disabled])).toEqual([
        [0, true],
        [1, false],
      ]);
      expect(sut.view().gpus.flatMap((g) => g.warnings)).toEqual([]); // its card is here, as GPU 0
    });

    it('is not applied to a card swapped in at its index, which says why', async () => {
      const { sut, provider } = setup({
        policies: [{ gpu_index: 0, gpu_uuid: card(7), disabled: false, min_priority: 50 }],
      });
      provider.answer(snapshot([telemetry(0, { uuid: card(8) })]));
      await sut.onModuleInit();
      await sut.ready();

      expect(sut.policyOf(0)).toEqual({ disabled: false, min_priority: null });
      expect(sut.view().gpus[0].warnings).toEqual([
        'GPU 0 is not the card its policy (priority gate ≥ 50) was set on (GPU-card-7), which is no longer ' +
          'here: this card has the default policy until one is set',
      ]);
      // Setting one for the new card replaces the old card's; the warning goes.
      sut.applyPolicy(0, { disabled: true, min_priority: null });
      expect(sut.policyOf(0)).toEqual({ disabled: true, min_priority: null });
      expect(sut.view().gpus[0].warnings).toEqual([]);
    });

    it('applies by index when the card is not known (stored before cards were, or not reported)', async () => {
      const { sut, provider } = setup({
        policies: [{ gpu_index: 0, gpu_uuid: null, disabled: true, min_priority: null }],
      });
      provider.answer(snapshot([telemetry(0, { uuid: card(3) }), telemetry(1, { uuid: null })]));
      await sut.onModuleInit();
      await sut.ready();
      expect(sut.policyOf(0)).toEqual({ disabled: true, min_priority: null });

      sut.applyPolicy(1, { disabled: false, min_priority: 4 });
      expect(sut.policyOf(1)).toEqual({ disabled: false, min_priority: 4 });
    });
  });
});
