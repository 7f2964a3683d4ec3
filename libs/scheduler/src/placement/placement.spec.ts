import {
  MAX_REASON_FACTS,
  place,
  PlacementGpu,
  PlacementMigDevice,
  PlacementItem,
  PlacementOptions,
  PlacementResult,
} from './placement';

const sut = place;

function gpu(index: number, over: Partial<PlacementGpu> = {}): PlacementGpu {
  return {
    index,
    excluded: false,
    disabled: false,
    min_priority: null,
    reserved_by: null,
    mig_enabled: false,
    ...over,
  };
}

function gpus(count: number, over: (index: number) => Partial<PlacementGpu> = () => ({})): PlacementGpu[] {
  return Array.from({ length: count }, (_, i) => gpu(i, over(i)));
}

/** `seq` orders submission: item q_b (seq 2) was submitted after q_a (seq 1). */
function item(
  queue_id: string,
  requested_gpus: number,
  priority = 0,
  seq = 0,
  over: Partial<PlacementItem> = {},
): PlacementItem {
  return { queue_id, requested_gpus, priority, seq, ...over };
}

/** The pass's clock in the time-based tables; limits below are relative to it. */
const NOW = 1_800_000_000_000;
const inSeconds = (s: number) => NOW + s * 1000;

function launches(result: PlacementResult): Record<string, number[]> {
  return Object.fromEntries(result.launch.map((l) => [l.queue_id, l.gpu_indices]));
}

describe(place.name, () => {
  describe('launch decisions', () => {
    it.each<{
      name: string;
      items: PlacementItem[];
      gpus: PlacementGpu[];
      options?: PlacementOptions;
      launched: Record<string, number[]>;
      pending: string[];
    }>([
      {
        name: 'best fit: a priority-10 job takes the gated GPU, leaving the open one for priority 0',
        items: [item('q_high', 1, 10, 1), item('q_low', 1, 0, 2)],
        gpus: [gpu(0), gpu(1, { min_priority: 10 })],
        launched: { q_high: [1], q_low: [0] },
        pending: [],
      },
      {
        name: 'best fit prefers the highest gate the item still clears, then the lowest index',
        items: [item('q_a', 2, 7)],
        gpus: [gpu(0), gpu(1, { min_priority: 5 }), gpu(2, { min_priority: 9 }), gpu(3, { min_priority: 5 })],
        launched: { q_a: [1, 3] },
        pending: [],
      },
      {
        name: 'gate: a GPU above the item priority is not eligible',
        items: [item('q_a', 1, 5)],
        gpus: [gpu(0, { min_priority: 10 })],
        launched: {},
        pending: ['q_a'],
      },
      {
        name: 'gate: priority equal to min_priority clears it',
        items: [item('q_a', 1, 10)],
        gpus: [gpu(0, { min_priority: 10 })],
        launched: { q_a: [0] },
        pending: [],
      },
      {
        name: 'no gate: every priority, negative ones included, may use an ungated GPU',
        items: [item('q_neg', 1, -1_000_000, 1), item('q_low', 1, -1, 2)],
        gpus: [gpu(0), gpu(1)],
        launched: { q_low: [0], q_neg: [1] },
        pending: [],
      },
      {
        name: 'gate: an operator-set gate of 0 keeps negative priorities out',
        items: [item('q_a', 1, -1)],
        gpus: [gpu(0, { min_priority: 0 })],
        launched: {},
        pending: ['q_a'],
      },
      {
        name: 'best fit: a negative gate still ranks above no gate',
        items: [item('q_a', 1, -3, 1), item('q_b', 1, -9, 2)],
        gpus: [gpu(0), gpu(1, { min_priority: -5 })],
        launched: { q_a: [1], q_b: [0] },
        pending: [],
      },
      {
        name: 'skip mode: a big high-priority job that cannot fit lets a small one run',
        items: [item('q_big', 3, 10, 1), item('q_small', 1, 0, 2)],
        gpus: [gpu(0), gpu(1), gpu(2, { reserved_by: 'q_running' })],
        options: { mode: 'skip' },
        launched: { q_small: [0] },
        pending: ['q_big'],
      },
      {
        name: 'zero-GPU items launch with no GPUs, even when every GPU is busy',
        items: [item('q_gpu', 1, 5, 1), item('q_cpu', 0, 0, 2)],
        gpus: [gpu(0, { reserved_by: 'q_running' })],
        launched: { q_cpu: [] },
        pending: ['q_gpu'],
      },
      {
        name: 'zero-GPU items launch on a host without GPUs',
        items: [item('q_cpu', 0)],
        gpus: [],
        launched: { q_cpu: [] },
        pending: [],
      },
      {
        name: 'disabled GPUs are not idle',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { disabled: true }), gpu(1)],
        launched: { q_a: [1] },
        pending: [],
      },
      {
        name: 'excluded GPUs are never used',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { excluded: true }), gpu(1)],
        launched: { q_a: [1] },
        pending: [],
      },
      {
        name: 'reserved GPUs are not idle',
        items: [item('q_a', 2)],
        gpus: [gpu(0, { reserved_by: 'q_running' }), gpu(1), gpu(2)],
        launched: { q_a: [1, 2] },
        pending: [],
      },
      {
        name: 'same priority: first submitted goes first',
        items: [item('q_later', 1, 0, 2), item('q_earlier', 1, 0, 1)],
        gpus: [gpu(0)],
        launched: { q_earlier: [0] },
        pending: ['q_later'],
      },
      {
        name: 'same priority and submit time: lower queue_id goes first',
        items: [item('q_b', 1, 0, 1), item('q_a', 1, 0, 1)],
        gpus: [gpu(0)],
        launched: { q_a: [0] },
        pending: ['q_b'],
      },
      {
        name: 'priority beats submit time',
        items: [item('q_old', 1, 0, 1), item('q_new', 1, 1, 2)],
        gpus: [gpu(0)],
        launched: { q_new: [0] },
        pending: ['q_old'],
      },
      {
        name: 'multiple launches in one pass never share a GPU',
        items: [item('q_a', 2, 0, 1), item('q_b', 1, 0, 2), item('q_c', 2, 0, 3), item('q_d', 1, 0, 4)],
        gpus: gpus(4),
        options: { mode: 'skip' },
        launched: { q_a: [0, 1], q_b: [2], q_d: [3] },
        pending: ['q_c'],
      },
      {
        name: 'more GPUs than the host has: pending, the rest still placed',
        items: [item('q_huge', 8, 10, 1), item('q_a', 2, 0, 2)],
        gpus: gpus(4),
        launched: { q_a: [0, 1] },
        pending: ['q_huge'],
      },
      {
        name: 'a negative or fractional request is pending, not launched',
        items: [item('q_neg', -1), item('q_frac', 0.5)],
        gpus: gpus(2),
        launched: {},
        pending: ['q_neg', 'q_frac'],
      },
    ])('$name', ({ items, gpus, options, launched, pending }) => {
      const result = sut(items, gpus, options);

      expect(launches(result)).toEqual(launched);
      expect(Object.keys(result.pending).sort()).toEqual([...pending].sort());
    });
  });

  describe('pending reasons', () => {
    it.each<{ name: string; items: PlacementItem[]; gpus: PlacementGpu[]; id: string; reason: string }>([
      {
        name: 'names every blocking fact',
        items: [item('q_a', 4, 5)],
        gpus: [
          gpu(0),
          gpu(1, { disabled: true }),
          gpu(2, { min_priority: 10 }),
          gpu(3, { reserved_by: 'q_running' }),
          gpu(4),
        ],
        id: 'q_a',
        reason:
          'needs 4 GPUs, 2 eligible (GPU 1 disabled; GPU 2 requires priority ≥ 10; GPU 3 reserved by q_running)',
      },
      {
        name: 'singular wording',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { disabled: true })],
        id: 'q_a',
        reason: 'needs 1 GPU, 0 eligible (GPU 0 disabled)',
      },
      {
        // Disabled first: the job will not start on it when its holder ends (it read as if it would).
        name: 'a disabled GPU says so first, and its holder too',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { disabled: true, reserved_by: 'q_running' })],
        id: 'q_a',
        reason: 'needs 1 GPU, 0 eligible (GPU 0 disabled, reserved by q_running)',
      },
      {
        name: 'a gated GPU says so before its holder',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { min_priority: 10, reserved_by: 'q_running' })],
        id: 'q_a',
        reason: 'needs 1 GPU, 0 eligible (GPU 0 requires priority ≥ 10, reserved by q_running)',
      },
      {
        name: 'GPUs taken earlier in the pass are named with their new holder',
        items: [item('q_first', 1, 0, 1), item('q_second', 2, 0, 2)],
        gpus: gpus(2),
        id: 'q_second',
        reason:
          'needs 2 GPUs, 1 eligible (GPU 0 reserved by q_first); GPU 1 held for it; ' +
          'no start estimate (q_first has no time limit)',
      },
      {
        name: 'excluded GPUs are not mentioned',
        items: [item('q_a', 2)],
        gpus: [gpu(0, { excluded: true }), gpu(1), gpu(2, { disabled: true })],
        id: 'q_a',
        reason: 'needs 2 GPUs, 1 eligible (GPU 2 disabled)',
      },
      {
        name: 'GPUs with the same cause are one fact',
        items: [item('q_a', 1)],
        gpus: gpus(MAX_REASON_FACTS + 3, () => ({ disabled: true })),
        id: 'q_a',
        reason: 'needs 1 GPU, 0 eligible (GPUs 0-6 disabled)',
      },
      {
        name: 'ranges and lists of GPUs; a gate reads in the plural',
        items: [item('q_a', 1)],
        gpus: [
          ...gpus(5, (i) => (i === 2 ? { disabled: true } : { min_priority: 10 })),
          gpu(5, { min_priority: 10, reserved_by: 'q_r' }),
        ],
        id: 'q_a',
        reason:
          'needs 1 GPU, 0 eligible (GPU 2 disabled; GPUs 0,1,3,4 require priority ≥ 10; ' +
          'GPU 5 requires priority ≥ 10, reserved by q_r)',
      },
      {
        // The deciding fact (a disabled GPU) came last in GPU order and was hidden behind "+N more".
        name: 'long lists are capped, the deciding facts first',
        items: [item('q_a', 1)],
        gpus: [
          ...gpus(MAX_REASON_FACTS + 2, (i) => ({ reserved_by: `q_r${i}` })),
          gpu(MAX_REASON_FACTS + 2, { disabled: true }),
        ],
        id: 'q_a',
        reason:
          'needs 1 GPU, 0 eligible (GPU 6 disabled; GPU 0 reserved by q_r0; GPU 1 reserved by q_r1; ' +
          'GPU 2 reserved by q_r2; +3 more); no start estimate (q_r0 has no time limit)',
      },
      {
        name: 'more than the host has, counting only non-excluded GPUs',
        items: [item('q_a', 3)],
        gpus: [gpu(0), gpu(1, { disabled: true }), gpu(2, { excluded: true })],
        id: 'q_a',
        reason: 'needs 3 GPUs, but this host only has 2 usable GPUs',
      },
      {
        name: 'more than the host has, one GPU',
        items: [item('q_a', 2)],
        gpus: [gpu(0)],
        id: 'q_a',
        reason: 'needs 2 GPUs, but this host only has 1 usable GPU',
      },
      {
        name: 'a host without GPUs',
        items: [item('q_a', 1)],
        gpus: [gpu(0, { excluded: true })],
        id: 'q_a',
        reason: 'needs 1 GPU, but this host has no usable GPUs',
      },
      {
        name: 'a GPU in MIG mode is never placed whole: the host has one GPU for whole-GPU jobs',
        items: [item('q_a', 2)],
        gpus: [gpu(0), gpu(1, { mig_enabled: true })],
        id: 'q_a',
        reason: 'needs 2 GPUs, but this host only has 1 usable GPU',
      },
    ])('$name', ({ items, gpus, id, reason }) => {
      expect(sut(items, gpus).pending[id]).toBe(reason);
    });

    describe('MIG devices', () => {
      const dev = (uuid: string, gpu_index: number, profile: string, reserved_by: string | null = null) =>
        ({ uuid, gpu_index, profile, reserved_by }) satisfies PlacementMigDevice;
      const mig = (profile: string, n: number, over: Partial<PlacementItem> = {}) => ({
        gpu_profile: profile,
        ...over,
        requested_gpus: n,
      });
      const host = [gpu(0), gpu(1, { mig_enabled: true }), gpu(2, { mig_enabled: true })];
      const devices = [
        dev('MIG-a', 1, '1g.10gb'),
        dev('MIG-b', 1, '1g.10gb'),
        dev('MIG-c', 1, '2g.20gb'),
        dev('MIG-d', 2, '1g.10gb'),
      ];

      it.each<{
        name: string;
        items: PlacementItem[];
        gpus?: PlacementGpu[];
        devices?: PlacementMigDevice[];
        /** MIG UUIDs for MIG items, GPU indices for whole-GPU ones. */
        launched: Record<string, Array<string | number>>;
        pending: Record<string, string>;
      }>([
        {
          name: 'MIG items take free devices of their profile, in GPU then device order',
          items: [item('q_a', 2, 0, 1, mig('1g.10gb', 2)), item('q_b', 1, 0, 2, mig('2g.20gb', 1))],
          launched: { q_a: ['MIG-a', 'MIG-b'], q_b: ['MIG-c'] },
          pending: {},
        },
        {
          name: 'a second MIG item waits, saying what is missing',
          items: [item('q_a', 1, 0, 1, mig('2g.20gb', 1)), item('q_b', 1, 0, 2, mig('2g.20gb', 1))],
          launched: { q_a: ['MIG-c'] },
          pending: { q_b: 'no free 2g.20gb MIG device (1 of 1 busy)' },
        },
        {
          name: 'devices held by running jobs are busy; several wanted: how many are free',
          items: [item('q_a', 2, 0, 1, mig('1g.10gb', 2))],
          devices: [
            dev('MIG-a', 1, '1g.10gb', 'q_x'),
            dev('MIG-b', 1, '1g.10gb'),
            dev('MIG-d', 2, '1g.10gb', 'q_y'),
          ],
          launched: {},
          pending: { q_a: 'needs 2 1g.10gb MIG devices, 1 free (2 of 3 busy)' },
        },
        {
          name: 'a job without gpu_profile never gets MIG devices, even when its GPUs are taken',
          items: [item('q_whole', 1, 0, 1), item('q_whole2', 1, 0, 2)],
          launched: { q_whole: [0] },
          pending: {
            q_whole2:
              'needs 1 GPU, 0 eligible (GPU 0 reserved by q_whole); no start estimate (q_whole has no time limit)',
          },
        },
        {
          name: "the parent GPU's policy applies: disabled and gated GPUs give nothing",
          items: [item('q_a', 1, 0, 1, mig('1g.10gb', 1))],
          gpus: [
            gpu(1, { mig_enabled: true, disabled: true }),
            gpu(2, { mig_enabled: true, min_priority: 5 }),
          ],
          launched: {},
          pending: {
            q_a: 'no free 1g.10gb MIG device (0 of 3 busy; 3 on a disabled GPU or one gated above its priority)',
          },
        },
        {
          name: 'devices of excluded GPUs do not count; unknown profiles and too many are said so',
          items: [
            item('q_a', 1, 0, 1, mig('1g.10gb', 1)),
            item('q_b', 1, 0, 2, mig('3g.40gb', 1)),
            item('q_c', 3, 0, 3, mig('1g.10gb', 3)),
          ],
          gpus: [gpu(1, { mig_enabled: true, excluded: true }), gpu(2, { mig_enabled: true })],
          launched: { q_a: ['MIG-d'] },
          pending: {
            q_b: 'no 3g.40gb MIG device on this host',
            q_c: 'needs 3 1g.10gb MIG devices, but this host only has 1',
          },
        },
        {
          name: 'priority order holds across MIG items',
          items: [item('q_low', 1, 0, 1, mig('2g.20gb', 1)), item('q_high', 1, 9, 2, mig('2g.20gb', 1))],
          launched: { q_high: ['MIG-c'] },
          pending: { q_low: 'no free 2g.20gb MIG device (1 of 1 busy)' },
        },
      ])('$name', ({ items, gpus: g, devices: d, launched, pending }) => {
        const result = sut(items, g ?? host, { mig_devices: d ?? devices });
        expect(
          Object.fromEntries(
            result.launch.map((l) => [l.queue_id, l.mig_devices.length ? l.mig_devices : l.gpu_indices]),
          ),
        ).toEqual(launched);
        expect(result.pending).toEqual(pending);
        for (const l of result.launch) if (l.mig_devices.length) expect(l.gpu_indices).toEqual([]);
      });
    });

    it('recomputes a cached reason once a launch takes GPUs', () => {
      // q_a and q_c share (priority, requested_gpus) but are separated by q_b's launch.
      const items = [item('q_a', 3, 5, 1), item('q_b', 1, 5, 2), item('q_c', 3, 5, 3)];
      const result = sut(items, [gpu(0), gpu(1), gpu(2, { min_priority: 10 })]);

      expect(launches(result)).toEqual({ q_b: [0] });
      expect(result.pending).toEqual({
        q_a: 'needs 3 GPUs, 2 eligible (GPU 2 requires priority ≥ 10)',
        q_c: 'needs 3 GPUs, 1 eligible (GPU 2 requires priority ≥ 10; GPU 0 reserved by q_b)',
      });
    });

    it('gives every item left behind a drained pool a reason', () => {
      const items = Array.from({ length: 1000 }, (_, i) =>
        item(`q_${String(i).padStart(4, '0')}`, 1 + (i % 2), 0, i),
      );

      const result = sut(items, gpus(3));

      expect(launches(result)).toEqual({ q_0000: [0], q_0001: [1, 2] });
      expect(Object.keys(result.pending)).toHaveLength(998);
      expect(result.pending['q_0999']).toBe(
        'needs 2 GPUs, 0 eligible (GPU 0 reserved by q_0000; GPUs 1,2 reserved by q_0001)',
      );
    });
  });

  describe('holding GPUs for the top waiting job (strict, backfill) and EASY backfill', () => {
    const busy = (index: number, until: number | null = null) =>
      gpu(index, { reserved_by: `q_r${index}`, reserved_until: until });

    it.each<{
      name: string;
      items: PlacementItem[];
      gpus: PlacementGpu[];
      options?: PlacementOptions;
      launched: Record<string, number[]>;
      pending: string[];
    }>([
      {
        name: 'backfill (default): idle GPUs are held for the big job; a small job without a limit waits',
        items: [item('q_big', 4, 10, 1), item('q_small', 1, 0, 2), item('q_cpu', 0, 0, 3)],
        gpus: [busy(0), busy(1), gpu(2), gpu(3)],
        launched: { q_cpu: [] },
        pending: ['q_big', 'q_small'],
      },
      {
        name: 'skip: the same queue lets the small job take a GPU (the starvation the modes fix)',
        items: [item('q_big', 4, 10, 1), item('q_small', 1, 0, 2)],
        gpus: [busy(0), busy(1), gpu(2), gpu(3)],
        options: { mode: 'skip' },
        launched: { q_small: [2] },
        pending: ['q_big'],
      },
      {
        name: 'backfill: jobs whose limit ends by the earliest start use held GPUs, the boundary included',
        items: [
          item('q_big', 4, 10, 1),
          item('q_short', 1, 0, 2, { time_limit_s: 30 }),
          item('q_long', 1, 0, 3, { time_limit_s: 61 }),
          item('q_nolimit', 1, 0, 4),
          item('q_exact', 1, 0, 5, { time_limit_s: 60 }),
        ],
        gpus: [busy(0, inSeconds(60)), busy(1, inSeconds(45)), gpu(2), gpu(3)],
        options: { now: NOW },
        launched: { q_short: [2], q_exact: [3] },
        pending: ['q_big', 'q_long', 'q_nolimit'],
      },
      {
        name: 'backfill: a job ends by its limit plus its kill grace (a checkpoint save on SIGTERM), both must fit',
        items: [
          item('q_big', 4, 10, 1),
          item('q_saves', 1, 0, 2, { time_limit_s: 30, kill_grace_s: 60 }),
          item('q_quick', 1, 0, 3, { time_limit_s: 30, kill_grace_s: 10 }),
          item('q_exact', 1, 0, 4, { time_limit_s: 50, kill_grace_s: 10 }),
        ],
        gpus: [busy(0, inSeconds(60)), busy(1, inSeconds(45)), gpu(2), gpu(3)],
        options: { now: NOW },
        launched: { q_quick: [2], q_exact: [3] },
        pending: ['q_big', 'q_saves'],
      },
      {
        name: "backfill: a GPU taken earlier in the pass is let go at its job's limit plus kill grace",
        items: [
          item('q_first', 1, 20, 1, { time_limit_s: 100, kill_grace_s: 20 }),
          item('q_big', 2, 10, 2),
          item('q_fits', 1, 0, 3, { time_limit_s: 110, kill_grace_s: 10 }),
          item('q_too_long', 1, 0, 4, { time_limit_s: 111, kill_grace_s: 10 }),
        ],
        gpus: gpus(3, (i) => (i === 2 ? { reserved_by: 'q_r2' } : {})),
        options: { now: NOW },
        launched: { q_first: [0], q_fits: [1] },
        pending: ['q_big', 'q_too_long'],
      },
      {
        name: 'strict: held GPUs are never backfilled, even by a short job',
        items: [item('q_big', 4, 10, 1), item('q_short', 1, 0, 2, { time_limit_s: 1 })],
        gpus: [busy(0, inSeconds(60)), busy(1, inSeconds(60)), gpu(2), gpu(3)],
        options: { mode: 'strict', now: NOW },
        launched: {},
        pending: ['q_big', 'q_short'],
      },
      {
        name: 'backfill: a running job without a limit makes the start unknown, so nothing backfills',
        items: [item('q_big', 4, 10, 1), item('q_short', 1, 0, 2, { time_limit_s: 1 })],
        gpus: [busy(0, inSeconds(60)), busy(1), gpu(2), gpu(3)],
        options: { now: NOW },
        launched: {},
        pending: ['q_big', 'q_short'],
      },
      {
        name: 'backfill: the reservation takes the GPUs that free up first, not a job without a limit',
        items: [item('q_big', 2, 10, 1), item('q_short', 1, 0, 2, { time_limit_s: 10 })],
        gpus: [busy(0, inSeconds(10)), busy(1), gpu(2)],
        options: { now: NOW },
        launched: { q_short: [2] },
        pending: ['q_big'],
      },
      {
        name: 'backfill: GPUs taken earlier in the pass count with the limits of the jobs taking them',
        items: [
          item('q_first', 1, 20, 1, { time_limit_s: 100 }),
          item('q_big', 2, 10, 2),
          item('q_fits', 1, 0, 3, { time_limit_s: 100 }),
          item('q_too_long', 1, 0, 4, { time_limit_s: 101 }),
        ],
        gpus: gpus(3, (i) => (i === 2 ? { reserved_by: 'q_r2' } : {})),
        options: { now: NOW },
        launched: { q_first: [0], q_fits: [1] },
        pending: ['q_big', 'q_too_long'],
      },
      {
        name: 'a top job that could not run even on an idle host (too few GPUs it may use) holds nothing',
        items: [item('q_big', 2, 10, 1), item('q_small', 1, 0, 2)],
        gpus: [gpu(0, { disabled: true }), gpu(1), gpu(2, { min_priority: 50 })],
        launched: { q_small: [1] },
        pending: ['q_big'],
      },
      {
        name: 'a GPU the held job may not use (gated above it) stays free for the others',
        items: [item('q_big', 2, 10, 1), item('q_vip', 1, 50, 2, { ready_ms: NOW })],
        gpus: [busy(0), gpu(1), gpu(2, { min_priority: 50 })],
        // Aging puts q_big ahead of the higher-priority q_vip; the gate still reads q_vip's own priority.
        options: { now: NOW + 3_600_000, priority_aging_per_hour: 100 },
        launched: { q_vip: [2] },
        pending: ['q_big'],
      },
      {
        name: 'only the top waiting job holds GPUs (EASY): the next big one waits without a hold',
        items: [item('q_big', 3, 10, 1), item('q_next', 2, 9, 2), item('q_small', 1, 0, 3)],
        gpus: [busy(0), busy(1), gpu(2), gpu(3)],
        launched: {},
        pending: ['q_big', 'q_next', 'q_small'],
      },
    ])('$name', ({ items, gpus, options, launched, pending }) => {
      const result = sut(items, gpus, options);

      expect(launches(result)).toEqual(launched);
      expect(Object.keys(result.pending).sort()).toEqual([...pending].sort());
    });

    it("reports the held GPUs with the held job's ordering priority, aging included; none under skip", () => {
      const items = [item('q_big', 4, 10, 1, { ready_ms: NOW - 1_800_000 }), item('q_small', 1, 0, 2)];
      const gpus = [busy(0, inSeconds(60)), busy(1, inSeconds(90)), gpu(2), gpu(3)];
      expect(sut(items, gpus, { now: NOW }).held).toEqual({
        queue_id: 'q_big',
        priority: 10,
        gpu_indices: [2, 3],
      });
      expect(sut(items, gpus, { now: NOW, priority_aging_per_hour: 4 }).held).toMatchObject({ priority: 12 });
      expect(sut(items, gpus, { now: NOW, mode: 'skip' }).held).toBeNull();
      expect(sut(items, [gpu(0), gpu(1), gpu(2), gpu(3)], { now: NOW }).held).toBeNull();
    });

    it('names the hold in the reasons of the held job and of the jobs it keeps out', () => {
      const result = sut(
        [item('q_big', 4, 10, 1), item('q_small', 1, 0, 2), item('q_long', 1, 0, 3, { time_limit_s: 600 })],
        [busy(0, inSeconds(60)), busy(1, inSeconds(90)), gpu(2), gpu(3)],
        { now: NOW },
      );

      expect(result.pending).toEqual({
        q_big:
          'needs 4 GPUs, 2 eligible (GPU 0 reserved by q_r0; GPU 1 reserved by q_r1); GPUs 2,3 held for it; ' +
          'expected to start within 90 s',
        q_small:
          'needs 1 GPU, 0 eligible (GPUs 2,3 held for q_big; GPU 0 reserved by q_r0; GPU 1 reserved by q_r1); ' +
          'a time_limit_s ≤ 90 would let it use held GPUs',
        q_long:
          'needs 1 GPU, 0 eligible (GPUs 2,3 held for q_big; GPU 0 reserved by q_r0; GPU 1 reserved by q_r1); ' +
          'a time_limit_s ≤ 90 would let it use held GPUs',
      });
    });

    it('says which holder leaves the held job without a start estimate', () => {
      const result = sut([item('q_big', 2, 10, 1)], [busy(0, inSeconds(60)), busy(1), busy(2)], { now: NOW });

      expect(result.pending['q_big']).toBe(
        'needs 2 GPUs, 0 eligible (GPU 0 reserved by q_r0; GPU 1 reserved by q_r1; GPU 2 reserved by q_r2); ' +
          'no start estimate (q_r1 has no time limit)',
      );
    });

    it('says when its reasons count down (a start estimate, a time-limit hint): a pass a second later would say less', () => {
      const estimate = sut([item('q_big', 2, 10, 1)], [busy(0, inSeconds(60)), gpu(1)], { now: NOW });
      expect(estimate.pending['q_big']).toMatch(/expected to start within 60 s$/);
      expect(estimate.countsDownTo).toBe(inSeconds(60));
      const unknown = sut([item('q_big', 2, 10, 1)], [busy(0), gpu(1)], { now: NOW });
      expect(unknown.pending['q_big']).toMatch(/no start estimate/);
      expect(unknown.countsDownTo).toBeNull();
      expect(sut([item('q_small', 1)], [gpu(0)], { now: NOW }).countsDownTo).toBeNull();
    });

    it('says which holders have processes that outlived SIGKILL, apart from those without a limit', () => {
      const stuck = (index: number) => gpu(index, { reserved_by: `q_r${index}`, holder_survives_kill: true });
      const result = sut([item('q_big', 4, 10, 1)], [stuck(0), busy(1), stuck(2), busy(3)], { now: NOW });

      expect(result.pending['q_big']).toMatch(
        /; no start estimate \(q_r1, q_r3 have no time limit; q_r0, q_r2 have processes that outlived SIGKILL\)$/,
      );
      const one = sut([item('q_big', 2, 10, 1)], [busy(0, inSeconds(60)), stuck(1)], { now: NOW });
      expect(one.pending['q_big']).toMatch(
        /; no start estimate \(q_r1 has processes that outlived SIGKILL\)$/,
      );
    });

    it('gives the time-limit hint only to jobs the held GPUs would be enough for', () => {
      const result = sut(
        [item('q_big', 3, 10, 1), item('q_one', 1, 0, 2), item('q_two', 2, 0, 3)],
        [busy(0, inSeconds(60)), busy(1, inSeconds(60)), gpu(2)],
        { now: NOW },
      );

      expect(result.pending['q_one']).toMatch(/; a time_limit_s ≤ 60 would let it use held GPUs$/);
      expect(result.pending['q_two']).toBe(
        'needs 2 GPUs, 0 eligible (GPU 2 held for q_big; GPU 0 reserved by q_r0; GPU 1 reserved by q_r1)',
      );
    });

    it("takes the waiting job's own kill grace off the time limit its hint names", () => {
      const result = sut(
        [
          item('q_big', 3, 10, 1),
          item('q_saves', 1, 0, 2, { kill_grace_s: 15 }),
          item('q_slow', 1, 0, 3, { kill_grace_s: 90 }),
        ],
        [busy(0, inSeconds(60)), busy(1, inSeconds(60)), gpu(2)],
        { now: NOW },
      );

      expect(result.pending['q_saves']).toMatch(/; a time_limit_s ≤ 45 would let it use held GPUs$/);
      expect(result.pending['q_slow']).not.toContain('time_limit_s'); // its grace alone outlasts the wait
    });

    it('strict mode gives no backfill hint', () => {
      const result = sut(
        [item('q_big', 2, 10, 1), item('q_small', 1, 0, 2)],
        [busy(0, inSeconds(60)), gpu(1)],
        {
          mode: 'strict',
          now: NOW,
        },
      );

      expect(result.pending['q_small']).toBe(
        'needs 1 GPU, 0 eligible (GPU 1 held for q_big; GPU 0 reserved by q_r0)',
      );
    });
  });

  describe('priority aging', () => {
    const HOUR = 3_600_000;
    it.each<{ name: string; aging: number; launched: string }>([
      { name: 'off: the higher priority goes first', aging: 0, launched: 'q_new' },
      { name: '+1 per hour: 3 h of waiting beats 2 priority points', aging: 1, launched: 'q_old' },
      { name: '+0.5 per hour: 3 h of waiting is worth 1.5, not enough', aging: 0.5, launched: 'q_new' },
    ])('$name', ({ aging, launched }) => {
      const items = [
        item('q_old', 1, 0, 1, { ready_ms: NOW - 3 * HOUR }),
        item('q_new', 1, 2, 2, { ready_ms: NOW }),
      ];

      const result = sut(items, gpus(1), { mode: 'skip', now: NOW, priority_aging_per_hour: aging });

      expect(result.launch.map((l) => l.queue_id)).toEqual([launched]);
    });

    it('leaves out the time an item was held: 3 h in the queue, 2.5 of them held, is 0.5 h waited', () => {
      const items = [
        item('q_held', 1, 0, 1, { ready_ms: NOW - 3 * HOUR, held_ms: 2.5 * HOUR }),
        item('q_after', 1, 0, 2, { ready_ms: NOW - 2 * HOUR }),
      ];

      const result = sut(items, gpus(1), { mode: 'skip', now: NOW, priority_aging_per_hour: 1 });

      // Without its hold it would go first (older, and first in submit order).
      expect(result.launch.map((l) => l.queue_id)).toEqual(['q_after']);
    });

    it('never lets an aged item through a GPU gate its own priority does not clear', () => {
      const items = [item('q_old', 1, 0, 1, { ready_ms: NOW - 100 * HOUR })];

      const result = sut(items, [gpu(0, { min_priority: 5 })], { now: NOW, priority_aging_per_hour: 1 });

      expect(result.pending).toEqual({ q_old: 'needs 1 GPU, 0 eligible (GPU 0 requires priority ≥ 5)' });
    });
  });

  describe('determinism and purity', () => {
    const items = [
      item('q_a', 2, 1, 3),
      item('q_b', 1, 5, 3),
      item('q_c', 1, 5, 3),
      item('q_d', 4, 9, 1),
      item('q_e', 0, 0, 2),
      item('q_f', 1, 0, 0),
    ];
    const pool = [
      gpu(0),
      gpu(1, { min_priority: 5 }),
      gpu(2, { disabled: true }),
      gpu(3, { reserved_by: 'q_running' }),
      gpu(4),
      gpu(5, { excluded: true }),
    ];

    it('returns the same result for any input order', () => {
      const expected = sut(items, pool);

      for (let seed = 1; seed <= 20; seed++) {
        const result = sut(shuffle(items, seed), shuffle(pool, seed * 7));
        expect(result).toEqual(expected);
        expect(Object.keys(result.pending)).toEqual(Object.keys(expected.pending));
      }
    });

    it('reports launches in placement order', () => {
      expect(sut(items, pool, { mode: 'skip' }).launch.map((l) => l.queue_id)).toEqual([
        'q_b',
        'q_c',
        'q_f',
        'q_e',
      ]);
      // q_d (4 GPUs) cannot fit: the idle GPUs it may use are held for it, zero-GPU work still runs.
      expect(sut(items, pool).launch.map((l) => l.queue_id)).toEqual(['q_e']);
    });

    it('does not mutate its inputs', () => {
      const itemsBefore = structuredClone(items);
      const poolBefore = structuredClone(pool);
      const frozenItems = Object.freeze(items.map((i) => Object.freeze({ ...i })));
      const frozenPool = Object.freeze(pool.map((g) => Object.freeze({ ...g })));

      expect(() => sut(frozenItems, frozenPool)).not.toThrow();
      sut(items, pool);
      expect(items).toEqual(itemsBefore);
      expect(pool).toEqual(poolBefore);
    });
  });
});

/** Deterministic Fisher-Yates so a failure reproduces. */
function shuffle<T>(input: readonly T[], seed: number): T[] {
  const out = input.slice();
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('eligibility: dependencies and array caps', () => {
  const arrayItem = (id: string, seq: number, gpus = 0): PlacementItem => ({
    ...item(id, gpus, 0, seq),
    array_id: 'a_1',
    array_max_running: 2,
  });

  it('an item waiting for a dependency takes nothing and keeps its reason; later items still start', () => {
    const result = sut(
      [
        { ...item('q_eval', 1, 10, 1), waiting_for: 'waiting for q_train to succeed' },
        item('q_other', 1, 0, 2),
      ],
      gpus(1),
    );
    expect(launches(result)).toEqual({ q_other: [0] });
    expect(result.pending).toEqual({ q_eval: 'waiting for q_train to succeed' });
  });

  it('launches at most max_running of an array, counting the ones already active', () => {
    const items = [1, 2, 3, 4].map((n) => arrayItem(`q_${n}`, n));
    const fresh = sut(items, gpus(0));
    expect(fresh.launch.map((l) => l.queue_id)).toEqual(['q_1', 'q_2']);
    expect(fresh.pending).toEqual({
      q_3: 'array a_1 has 2 running (max_running 2)',
      q_4: 'array a_1 has 2 running (max_running 2)',
    });
    const oneActive = sut(items, gpus(0), { arrayActive: new Map([['a_1', 1]]) });
    expect(oneActive.launch.map((l) => l.queue_id)).toEqual(['q_1']);
  });

  it('a capped item does not hold GPUs another job could use', () => {
    const result = sut([arrayItem('q_1', 1, 1), item('q_other', 1, 0, 2)], gpus(1), {
      arrayActive: new Map([['a_1', 2]]),
    });
    expect(launches(result)).toEqual({ q_other: [0] });
  });
});
