import type { GpuInventory } from '@trainyard/gpus';
import { ActiveJobs, SIGKILL_SETTLE_MS } from './active-jobs';

describe('ActiveJobs.releases', () => {
  const NOW = 1_000_000;
  /** Each job's release time (ms), as placement gets it. */
  const releaseTimes = (active: ActiveJobs) =>
    Object.fromEntries([...active.releases(NOW)].map(([id, r]) => [id, r.at]));
  const make = () => {
    const active = new ActiveJobs({ setReservations: () => undefined } as unknown as GpuInventory);
    const add = (id: string, deadline: number | null, graceMs = 10_000) =>
      active.add({ id, gpuIndices: [0], graceMs, deadline });
    return { active, add };
  };

  it('is the time limit plus the kill grace, or null without a limit, while a job is not being stopped', () => {
    const { active, add } = make();
    add('limited', NOW + 60_000);
    add('unlimited', null);
    expect(releaseTimes(active)).toEqual({ limited: NOW + 70_000, unlimited: null });
  });

  // Every stop that arms a SIGKILL bounds the job: a user's abort, its time limit, a preemption.
  it.each(['user_abort', 'time_limit', 'preempted'] as const)(
    'is the SIGKILL time of a job being stopped (%s), sooner than its limit or without one',
    (request) => {
      const { active, add } = make();
      const unlimited = add('unlimited', null);
      const limited = add('limited', NOW + 600_000);
      for (const entry of [unlimited, limited]) {
        entry.request = request;
        entry.sent.add('SIGTERM');
        entry.killAt = NOW + 11_000;
      }
      expect(releaseTimes(active)).toEqual({
        unlimited: NOW + 11_000,
        limited: NOW + 11_000,
      });
    },
  );

  it('keeps the time limit when it comes before the SIGKILL time', () => {
    const { active, add } = make();
    const entry = add('soon', NOW + 1_000, 2_000);
    entry.request = 'user_abort';
    entry.sent.add('SIGTERM');
    entry.killAt = NOW + 30_000;
    expect(releaseTimes(active).soon).toBe(NOW + 3_000);
  });

  it('is now once SIGKILL went: a kill, or a grace that ran out; a trainer_stop is not bounded', () => {
    const { active, add } = make();
    add('killed', null).request = 'user_kill';
    const graceOver = add('grace-over', null);
    graceOver.request = 'user_abort';
    graceOver.sent.add('SIGTERM');
    add('trainer', null).request = 'trainer_stop';
    expect(releaseTimes(active)).toEqual({
      killed: NOW,
      'grace-over': NOW,
      trainer: null,
    });
  });

  // A D-state process (stuck I/O, a hung driver call) outlives SIGKILL and keeps the job's GPUs:
  // "now" would tell the job waiting for them it starts at once, every time it asked.
  it('is unbounded once processes outlive SIGKILL by SIGKILL_SETTLE_MS', () => {
    const { active, add } = make();
    const justKilled = add('just-killed', NOW + 60_000);
    justKilled.request = 'user_kill';
    justKilled.killSentAt = NOW - SIGKILL_SETTLE_MS + 1;
    const survivors = add('survivors', NOW + 60_000);
    survivors.request = 'user_kill';
    survivors.killSentAt = NOW - SIGKILL_SETTLE_MS;
    const graceOver = add('grace-over-survivors', null);
    graceOver.request = 'user_abort';
    graceOver.sent.add('SIGTERM');
    graceOver.killSentAt = NOW - 60_000;
    expect(releaseTimes(active)).toEqual({
      'just-killed': NOW,
      // Its time limit would only send SIGKILL again.
      survivors: null,
      'grace-over-survivors': null,
    });
    const outlived = [...active.releases(NOW)].filter(([, r]) => r.outlivedKill).map(([id]) => id);
    expect(outlived.sort()).toEqual(['grace-over-survivors', 'survivors']);
  });
});
