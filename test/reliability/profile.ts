/** How hard the suite pushes: `full` (the documented figures) or `reduced` (what CI runs). */
export interface Profile {
  name: 'full' | 'reduced';
  crash: { submits: number; clients: number };
  restart: { jobs: number; fakeGpus: number };
  load: { seconds: number; followers: number; jobs: number; readsPerSecond: number };
  /** Submits before, during (refused) and after a full state directory. */
  diskFull: { submits: number };
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    crash: { submits: 1000, clients: 16 },
    restart: { jobs: 20, fakeGpus: 8 },
    load: { seconds: 60, followers: 200, jobs: 4, readsPerSecond: 500 },
    diskFull: { submits: 30 },
  },
  reduced: {
    name: 'reduced',
    crash: { submits: 300, clients: 16 },
    restart: { jobs: 8, fakeGpus: 4 },
    load: { seconds: 15, followers: 50, jobs: 2, readsPerSecond: 150 },
    diskFull: { submits: 10 },
  },
};

export function selectProfile(value: string | undefined): Profile {
  const name = (value ?? 'full').trim() || 'full';
  if (name !== 'full' && name !== 'reduced') {
    throw new Error(`TRAINYARD_RELIABILITY_PROFILE must be "full" or "reduced", not "${name}"`);
  }
  return PROFILES[name];
}

/** A check's outcome, as the summary table shows it. */
export interface CheckResult {
  ok: boolean;
  /** The key figures, one short line. */
  figures: string;
  /** Why it failed (one line each). */
  failures: string[];
}
