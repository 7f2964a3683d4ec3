import { place, PlacementGpu } from './placement';
import { planPreemption, PreemptionCandidate, preemptionCooldown, PreemptionTarget } from './preemption';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const COOLDOWN = 10 * MIN;

function gpu(
  index: number,
  reserved_by: string | null = null,
  over: Partial<PlacementGpu> = {},
): PlacementGpu {
  return {
    index,
    excluded: false,
    disabled: false,
    min_priority: null,
    reserved_by,
    mig_enabled: false,
    ...over,
  };
}

/** A running preemptible job on `gpus`, started `ago` ms before NOW. */
function job(
  queue_id: string,
  priority: number,
  gpu_indices: number[],
  over: Partial<PreemptionCandidate> = {},
): PreemptionCandidate {
  return {
    queue_id,
    priority,
    preemptible: true,
    gpu_indices,
    running: true,
    stopping: false,
    preempted_ms: null,
    started_ms: NOW - MIN,
    ...over,
  };
}

/** The host's GPUs as the candidates hold them (idle where nobody does). */
function hostOf(
  count: number,
  jobs: PreemptionCandidate[],
  over: (i: number) => Partial<PlacementGpu> = () => ({}),
) {
  const holder = new Map<number, string>();
  for (const j of jobs) for (const i of j.gpu_indices) holder.set(i, j.queue_id);
  return Array.from({ length: count }, (_, i) => gpu(i, holder.get(i) ?? null, over(i)));
}

function plan(
  target: PreemptionTarget,
  count: number,
  jobs: PreemptionCandidate[],
  over?: (i: number) => Partial<PlacementGpu>,
) {
  return planPreemption(target, hostOf(count, jobs, over), jobs, { now: NOW, cooldown_ms: COOLDOWN });
}

const high = (requested_gpus: number, priority = 10): PreemptionTarget => ({
  queue_id: 'q_high',
  priority,
  requested_gpus,
});

describe('planPreemption', () => {
  it.each([
    {
      what: 'the fewest victims: one 2-GPU job rather than two 1-GPU jobs of lower priority',
      jobs: [job('q_a', 0, [0]), job('q_b', 0, [1]), job('q_c', 1, [2, 3])],
      need: 2,
      victims: ['q_c'],
      gpus: [2, 3],
    },
    {
      what: 'among as few, the lowest priority',
      jobs: [job('q_a', 5, [0, 1]), job('q_b', 2, [2, 3])],
      need: 2,
      victims: ['q_b'],
      gpus: [2, 3],
    },
    {
      what: 'only the shortfall: idle GPUs count first',
      jobs: [job('q_a', 0, [0]), job('q_b', 1, [1]), job('q_c', 2, [2])],
      need: 2,
      victims: ['q_a'],
      gpus: [0, 3],
    },
    {
      what: 'a job already being stopped frees its GPUs: no second victim for them',
      jobs: [job('q_a', 0, [0, 1], { stopping: true }), job('q_b', 0, [2, 3])],
      need: 2,
      victims: null,
    },
    {
      what: 'never for equal priority',
      jobs: [job('q_a', 10, [0, 1, 2, 3])],
      need: 2,
      victims: null,
    },
    {
      what: 'never for a lower priority',
      jobs: [job('q_a', 11, [0, 1, 2, 3])],
      need: 2,
      victims: null,
    },
    {
      what: 'a non-preemptible job is never chosen, even at the lowest priority',
      jobs: [job('q_a', -5, [0, 1], { preemptible: false }), job('q_b', 3, [2, 3])],
      need: 2,
      victims: ['q_b'],
      gpus: [2, 3],
    },
    {
      what: 'only non-preemptible jobs in the way: nothing',
      jobs: [job('q_a', 0, [0, 1, 2, 3], { preemptible: false })],
      need: 2,
      victims: null,
    },
    {
      what: 'within the cooldown a job is spared',
      jobs: [job('q_a', 0, [0, 1], { preempted_ms: NOW - 9 * MIN }), job('q_b', 5, [2, 3])],
      need: 2,
      victims: ['q_b'],
      gpus: [2, 3],
    },
    {
      what: 'after the cooldown it may be preempted again',
      jobs: [job('q_a', 0, [0, 1], { preempted_ms: NOW - 10 * MIN }), job('q_b', 5, [2, 3])],
      need: 2,
      victims: ['q_a'],
      gpus: [0, 1],
    },
    {
      what: 'a starting job is not asked to checkpoint',
      jobs: [job('q_a', 0, [0, 1], { running: false }), job('q_b', 1, [2, 3])],
      need: 2,
      victims: ['q_b'],
      gpus: [2, 3],
    },
    {
      what: 'not enough even with every allowed victim: nothing (no pointless stops)',
      jobs: [job('q_a', 0, [0, 1]), job('q_b', 0, [2, 3], { preemptible: false })],
      need: 4,
      victims: null,
    },
    {
      what: 'two victims when one is not enough, the lowest priorities that cover it',
      jobs: [job('q_a', 0, [0]), job('q_b', 1, [1]), job('q_c', 2, [2]), job('q_d', 3, [3])],
      need: 2,
      victims: ['q_a', 'q_b'],
      gpus: [0, 1],
    },
    {
      what: 'equal priority: the most recently started loses the least work',
      jobs: [
        job('q_a', 0, [0, 1], { started_ms: NOW - 60 * MIN }),
        job('q_b', 0, [2, 3], { started_ms: NOW - MIN }),
      ],
      need: 2,
      victims: ['q_b'],
      gpus: [2, 3],
    },
  ])('$what', ({ jobs, need, victims, gpus }) => {
    const result = plan(high(need), 4, jobs);
    if (victims === null) expect(result).toBeNull();
    else expect(result).toEqual({ victims, gpu_indices: gpus });
  });

  it('counts only GPUs the target may use (a gate it does not clear, a disabled GPU)', () => {
    const jobs = [job('q_a', 0, [0, 1]), job('q_b', 1, [2, 3])];
    // GPUs 0 and 1 require priority 20: preempting q_a would give q_high nothing it can use.
    const gated = plan(high(2), 4, jobs, (i) => (i < 2 ? { min_priority: 20 } : {}));
    expect(gated).toEqual({ victims: ['q_b'], gpu_indices: [2, 3] });
    const disabled = plan(high(2), 4, jobs, (i) => ({ disabled: i >= 2 }));
    expect(disabled).toEqual({ victims: ['q_a'], gpu_indices: [0, 1] });
  });

  it('needs nothing when enough is idle', () => {
    expect(plan(high(2), 4, [job('q_a', 0, [0, 1])])).toBeNull();
  });

  // Preempting what it waits for (`after X:start`) unmet its dependency: it could not start on the
  // freed GPUs, and once X ran again the next pass preempted X again, over and over.
  it('never preempts a job it depends on; others still can be', () => {
    const jobs = [job('q_a', 0, [0, 1]), job('q_b', 1, [2, 3])];
    expect(plan({ ...high(2), depends_on: ['q_a'] }, 4, jobs)).toEqual({
      victims: ['q_b'],
      gpu_indices: [2, 3],
    });
    expect(plan({ ...high(2), depends_on: ['q_a', 'q_b'] }, 4, jobs)).toBeNull();
    expect(plan(high(2), 4, jobs)).toEqual({ victims: ['q_a'], gpu_indices: [0, 1] });
  });

  it('GPUs launched on in the same pass are not free for it', () => {
    const jobs = [job('q_a', 0, [0, 1])];
    const result = planPreemption(high(2), hostOf(4, jobs), jobs, {
      now: NOW,
      cooldown_ms: COOLDOWN,
      taken: new Set([2, 3]),
    });
    expect(result).toEqual({ victims: ['q_a'], gpu_indices: [0, 1] });
  });
});

describe(preemptionCooldown.name, () => {
  const cooldown = (need: number, jobs: PreemptionCandidate[]) =>
    preemptionCooldown(high(need), hostOf(4, jobs), jobs, { now: NOW, cooldown_ms: COOLDOWN });

  it.each([
    {
      what: 'only the cooldown stands in the way: when it ends, and who',
      jobs: [job('q_a', 0, [0, 1, 2, 3], { preempted_ms: NOW - 3 * MIN })],
      need: 2,
      result: { until: NOW + 7 * MIN, victims: ['q_a'] },
    },
    {
      what: 'the earliest cooldown end that is enough; only the victims still cooling are named',
      jobs: [
        job('q_a', 0, [0, 1], { preempted_ms: NOW - 1 * MIN }),
        job('q_b', 0, [2], { preempted_ms: NOW - 5 * MIN }),
        job('q_c', 0, [3]),
      ],
      need: 2,
      result: { until: NOW + 5 * MIN, victims: ['q_b'] },
    },
    {
      what: 'not the cooldown: a job that is not preemptible',
      jobs: [job('q_a', 0, [0, 1, 2, 3], { preemptible: false, preempted_ms: NOW - MIN })],
      need: 2,
      result: null,
    },
    {
      what: 'not the cooldown: too little to free even then',
      jobs: [
        job('q_a', 0, [0], { preempted_ms: NOW - MIN }),
        job('q_b', 0, [1, 2, 3], { preemptible: false }),
      ],
      need: 2,
      result: null,
    },
  ])('$what', ({ jobs, need, result }) => {
    expect(plan(high(need), 4, jobs)).toBeNull();
    expect(cooldown(need, jobs)).toEqual(result);
  });
});

describe('place → planPreemption with held GPUs', () => {
  it('the held job is the one blocked; its held GPUs count as free, so one victim covers the rest', () => {
    // 4 GPUs: GPU 0 idle, 1 busy (non-preemptible), 2-3 a preemptible priority-0 job.
    const jobs = [job('q_keep', 0, [1], { preemptible: false }), job('q_low', 0, [2, 3])];
    const host = hostOf(4, jobs);
    const items = [
      { queue_id: 'q_high', priority: 10, requested_gpus: 3, seq: 2 },
      { queue_id: 'q_small', priority: 0, requested_gpus: 1, seq: 3 },
    ];
    const result = place(items, host, { mode: 'strict', now: NOW });
    expect(result.launch).toEqual([]);
    expect(result.pending.q_high).toContain('GPU 0 held for it');
    expect(result.blocked?.queue_id).toBe('q_high');
    const taken = new Set(result.launch.flatMap((l) => l.gpu_indices));
    expect(planPreemption(result.blocked!, host, jobs, { now: NOW, cooldown_ms: COOLDOWN, taken })).toEqual({
      victims: ['q_low'],
      gpu_indices: [0, 2, 3],
    });
  });

  it('under skip, the preemptor still gets its GPUs held (the small job does not take them)', () => {
    const host = hostOf(4, [job('q_a', 0, [0, 1])]);
    const items = [
      { queue_id: 'q_high', priority: 10, requested_gpus: 4, seq: 1 },
      { queue_id: 'q_small', priority: 0, requested_gpus: 1, seq: 2 },
    ];
    expect(place(items, host, { mode: 'skip' }).launch.map((l) => l.queue_id)).toEqual(['q_small']);
    const held = place(items, host, { mode: 'skip', preemptor: 'q_high' });
    expect(held.launch).toEqual([]);
    expect(held.blocked?.queue_id).toBe('q_high');
    expect(held.pending.q_high).toContain('GPUs 2,3 held for it');
  });

  it('blocked is null when every waiting job fits, and for a job that could never fit', () => {
    expect(
      place([{ queue_id: 'q_a', priority: 0, requested_gpus: 2, seq: 1 }], hostOf(4, [])).blocked,
    ).toBeNull();
    const gated = hostOf(2, [], () => ({ min_priority: 50 }));
    expect(place([{ queue_id: 'q_a', priority: 0, requested_gpus: 2, seq: 1 }], gated).blocked).toBeNull();
  });
});
