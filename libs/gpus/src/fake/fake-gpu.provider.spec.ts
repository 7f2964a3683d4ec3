import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { GpuSnapshot } from '../gpu.types';
import { FakeGpuProvider, fakeGpuUuid, fakeMigUuid } from './fake-gpu.provider';

type Running = ChildProcess & { pid: number };

const children: ChildProcess[] = [];
const IDENTITY = { nodeId: 'node-fake-spec', uid: process.getuid!() };
const NOBODY = 65534;

/** A "job" of the server `nodeId` (this spec's by default) using these GPUs; `uid` to run it as another user. */
async function startSleep(
  cudaVisibleDevices: string,
  tag: { nodeId?: string | null; uid?: number } = {},
): Promise<Running> {
  const nodeId = tag.nodeId === undefined ? IDENTITY.nodeId : tag.nodeId;
  const child = spawn('sleep', ['30'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CUDA_VISIBLE_DEVICES: cudaVisibleDevices,
      TRAINYARD_JOB_ID: 'q_1700000000000_0000abcd',
      ...(nodeId === null ? {} : { TRAINYARD_NODE_ID: nodeId }),
    },
    stdio: 'ignore',
    ...(tag.uid === undefined ? {} : { uid: tag.uid, gid: tag.uid }),
  });
  children.push(child);
  await once(child, 'spawn');
  return child as Running;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** GPU indices on which the snapshot lists this pid (other processes on the host may show too). */
const gpusOf = (snapshot: GpuSnapshot, pid: number): number[] =>
  snapshot.processes.filter((p) => p.pid === pid).map((p) => p.gpu_index);

afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
});

describe(FakeGpuProvider.name, () => {
  it('reports count plausible GPUs with deterministic identities', async () => {
    const sut = new FakeGpuProvider({ count: 4, identity: IDENTITY });

    const snapshot = await sut.snapshot();

    expect(sut.kind).toBe('fake');
    expect(snapshot.state).toBe('ok');
    expect(snapshot.message).toBeNull();
    expect(snapshot.gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(new Set(snapshot.gpus.map((g) => g.pci_bus_id)).size).toBe(4);
    for (const gpu of snapshot.gpus) {
      expect(gpu).toMatchObject({
        uuid: fakeGpuUuid(gpu.index),
        name: 'Trainyard Fake GPU',
        memory_total_mib: 81920,
        power_limit_w: 700,
      });
      expect(gpu.memory_used_mib! + gpu.memory_free_mib!).toBe(81920);
      expect(gpu.utilization_gpu).toBeGreaterThanOrEqual(0);
      expect(gpu.utilization_gpu).toBeLessThanOrEqual(100);
      expect(gpu.power_draw_w).toBeLessThanOrEqual(700);
    }
    expect(fakeGpuUuid(1)).toBe('GPU-fake-0000-0000-0000-000000000001');
    expect(Date.parse(snapshot.collected_at)).not.toBeNaN();
  });

  it('lists a process on exactly the GPUs in its CUDA_VISIBLE_DEVICES, until it exits', async () => {
    const sut = new FakeGpuProvider({ count: 4, identity: IDENTITY });
    const child = await startSleep('1,2');

    const running = await sut.snapshot();

    expect(gpusOf(running, child.pid)).toEqual([1, 2]);
    expect(running.processes.find((p) => p.pid === child.pid)).toMatchObject({
      process_name: 'sleep',
      used_memory_mib: expect.any(Number),
    });

    await stop(child);
    const after = await sut.snapshot();

    expect(gpusOf(after, child.pid)).toEqual([]);
  });

  it('sees only this server’s jobs: not another server’s, an untagged process, or another user’s', async () => {
    const sut = new FakeGpuProvider({ count: 4, identity: IDENTITY });
    const ours = await startSleep('2');
    const otherServer = await startSleep('2', { nodeId: 'node-other-server' });
    const untagged = await startSleep('2', { nodeId: null });
    const others = [otherServer, untagged];
    if (IDENTITY.uid === 0) others.push(await startSleep('2', { uid: NOBODY }));

    const snapshot = await sut.snapshot();

    expect(gpusOf(snapshot, ours.pid)).toEqual([2]);
    for (const child of others) expect(gpusOf(snapshot, child.pid)).toEqual([]);
  });

  it('matches fake UUID tokens and ignores GPUs it does not have', async () => {
    const sut = new FakeGpuProvider({ count: 2, identity: IDENTITY });
    const byUuid = await startSleep(`${fakeGpuUuid(1)}`);
    const beyond = await startSleep('5');

    const snapshot = await sut.snapshot();

    expect(gpusOf(snapshot, byUuid.pid)).toEqual([1]);
    expect(gpusOf(snapshot, beyond.pid)).toEqual([]);
  });

  it('makes a GPU look busier while processes use it', async () => {
    const sut = new FakeGpuProvider({ count: 4, identity: IDENTITY });
    // GPU 3 is the one least likely to be used by anything else on this host.
    const before = (await sut.snapshot()).gpus[3];
    await startSleep('3');
    await startSleep('3');

    const busy = (await sut.snapshot()).gpus[3];

    expect(busy.utilization_gpu!).toBeGreaterThan(before.utilization_gpu!);
    expect(busy.memory_used_mib!).toBeGreaterThan(before.memory_used_mib!);
    expect(busy.temperature_c!).toBeGreaterThan(before.temperature_c!);
    expect(busy.power_draw_w!).toBeGreaterThan(before.power_draw_w!);
  });

  it('reports the --fake-mig GPUs in MIG mode with stable MIG devices, and their jobs on that GPU', async () => {
    const mig = [{ gpu_index: 1, profiles: ['1g.10gb', '1g.10gb', '2g.20gb'] }];
    const sut = new FakeGpuProvider({ count: 2, identity: IDENTITY, mig });
    const onSlice = await startSleep(fakeMigUuid(1, 2));

    const snapshot = await sut.snapshot();

    expect(snapshot.gpus.map((g) => g.mig_mode)).toEqual(['Disabled', 'Enabled']);
    expect(snapshot.mig_devices).toEqual([
      { gpu_index: 1, device_index: 0, profile: '1g.10gb', uuid: fakeMigUuid(1, 0), memory_gb: 10 },
      { gpu_index: 1, device_index: 1, profile: '1g.10gb', uuid: fakeMigUuid(1, 1), memory_gb: 10 },
      { gpu_index: 1, device_index: 2, profile: '2g.20gb', uuid: fakeMigUuid(1, 2), memory_gb: 20 },
    ]);
    expect(new Set(snapshot.mig_devices!.map((d) => d.uuid)).size).toBe(3);
    // Another provider (a restart) names the same devices the same way.
    expect((await new FakeGpuProvider({ count: 2, identity: IDENTITY, mig }).snapshot()).mig_devices).toEqual(
      snapshot.mig_devices,
    );
    expect(gpusOf(snapshot, onSlice.pid)).toEqual([1]);
  });

  it('rejects MIG devices on a GPU it does not have', () => {
    expect(
      () =>
        new FakeGpuProvider({ count: 1, identity: IDENTITY, mig: [{ gpu_index: 1, profiles: ['1g.10gb'] }] }),
    ).toThrow(RangeError);
  });

  it('reports no_devices for a count of 0', async () => {
    const sut = new FakeGpuProvider({ count: 0, identity: IDENTITY });

    const snapshot = await sut.snapshot();

    expect(snapshot).toMatchObject({ state: 'no_devices', gpus: [], processes: [] });
  });

  it.each([-1, 1.5, Number.NaN])('rejects count %p', (count) => {
    expect(() => new FakeGpuProvider({ count, identity: IDENTITY })).toThrow(RangeError);
  });
});
