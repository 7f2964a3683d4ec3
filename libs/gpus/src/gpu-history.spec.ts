import { Subject } from 'rxjs';
import { GpuHistory } from './gpu-history';
import type { GpuChangeReason, GpuInventory } from './gpu-inventory';
import type { GpuSnapshot, GpuTelemetry } from './gpu.types';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

function snapshot(t: number, readings: Array<[number | null, number | null]>, state = 'ok'): GpuSnapshot {
  return {
    state: state as GpuSnapshot['state'],
    message: null,
    collected_at: new Date(t).toISOString(),
    processes: [],
    gpus: readings.map(
      ([util, mem], index) =>
        ({ index, utilization_gpu: util, memory_used_mib: mem, memory_total_mib: 1000 }) as GpuTelemetry,
    ),
  };
}

describe(GpuHistory.name, () => {
  it('records every telemetry change of the inventory, and nothing else', () => {
    const changes = new Subject<GpuChangeReason>();
    let current = snapshot(T0, [[50, 100]]);
    const inventory = { changes$: changes, current: () => current } as unknown as GpuInventory;
    const sut = new GpuHistory(inventory);
    sut.onModuleInit();

    changes.next('telemetry');
    current = snapshot(T0 + 2000, [[70, 300]]);
    changes.next('policy');
    changes.next('telemetry');
    sut.onModuleDestroy();
    changes.next('telemetry');

    expect(sut.series(3_600_000, 2000, T0 + 4000)).toEqual([
      {
        index: 0,
        memory_total_mib: 1000,
        t: [T0, T0 + 2000],
        utilization_gpu: [50, 70],
        memory_used_mib: [100, 300],
      },
    ]);
  });

  it('averages into aligned buckets, leaves absent readings out of the mean and failed snapshots out', () => {
    const sut = new GpuHistory({} as GpuInventory);
    sut.record(
      snapshot(T0, [
        [10, 100],
        [null, null],
      ]),
    );
    sut.record(
      snapshot(T0 + 2000, [
        [20, 200],
        [null, 50],
      ]),
    );
    sut.record(
      snapshot(
        T0 + 4000,
        [
          [0, 0],
          [0, 0],
        ],
        'timeout',
      ),
    );
    sut.record(
      snapshot(T0 + 30_000, [
        [90, 900],
        [null, null],
      ]),
    );

    expect(sut.series(3_600_000, 30_000, T0 + 31_000)).toEqual([
      {
        index: 0,
        memory_total_mib: 1000,
        t: [T0, T0 + 30_000],
        utilization_gpu: [15, 90],
        memory_used_mib: [150, 900],
      },
      {
        index: 1,
        memory_total_mib: 1000,
        t: [T0, T0 + 30_000],
        utilization_gpu: [null, null],
        memory_used_mib: [50, null],
      },
    ]);
  });

  it('keeps at most the last hour, bounded however long the server runs', () => {
    const sut = new GpuHistory({} as GpuInventory);
    const twoHours = 7_200_000 / 2000;
    for (let i = 0; i < twoHours; i++) sut.record(snapshot(T0 + i * 2000, [[i % 100, i]]));
    const now = T0 + twoHours * 2000;

    const [all] = sut.series(3_600_000, 2000, now);
    // One point per 2 s sample for the last hour: 1800, the oldest an hour before `now`.
    expect(all.t).toHaveLength(1800);
    expect(all.t[0]).toBe(now - 3_600_000);
    expect(all.t.at(-1)).toBe(now - 2000);
    // Nothing older than the ring's capacity survives, even when asked for more.
    expect(sut.series(10 * 3_600_000, 2000, now)[0].t.length).toBeLessThanOrEqual(1860);
  });
});
