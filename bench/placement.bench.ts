/**
 * Placement pass cost at a deliberately oversized queue: 10,000 items × 64 GPUs, in every scheduling
 * mode — backfill (the default: GPUs held for the top waiting job, time limits decide who may use them,
 * priority aging on) as well as strict and skip.
 * Budget: ≤ 10 ms per pass on a slow 2-core machine (the dispatcher runs one per wake-up).
 *
 *   npx ts-node --transpile-only bench/placement.bench.ts
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  compareForPlacement,
  place,
  PlacementGpu,
  PlacementItem,
  PlacementOptions,
} from '../libs/scheduler/src/placement';
import { SCHEDULING_POLICIES } from '../libs/core/src/config/settings';

const ITEMS = 10_000;
const GPUS = 64;
const WARMUP = 50;
const PASSES = 200;
const NOW = Date.UTC(2025, 0, 2);

/** Fixed-seed LCG so every run measures the same scenario. */
function rng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function scenario(): { items: PlacementItem[]; gpus: PlacementGpu[] } {
  const rand = rng(42);
  const gpus: PlacementGpu[] = Array.from({ length: GPUS }, (_, index) => ({
    index,
    excluded: index >= 62, // hidden by CUDA_VISIBLE_DEVICES
    disabled: index % 16 === 5,
    min_priority: index < 8 ? 10 : index < 16 ? 5 : null,
    reserved_by: index % 3 === 0 ? `q_running_${index}` : null,
    // Most running jobs have a limit, so the held job's start is known and backfill is worked out.
    reserved_until: index % 3 === 0 && index % 9 !== 0 ? NOW + index * 60_000 : null,
    mig_enabled: false,
  }));
  const priorities = [0, 0, 0, 0, 1, 1, 2, 5, 5, 10];
  const sizes = [0, 1, 1, 1, 2, 2, 4, 8, 16, 80];
  const limits = [null, 60, 600, 3600, 7200];
  const t0 = Date.UTC(2025, 0, 1);
  const items: PlacementItem[] = Array.from({ length: ITEMS }, (_, i) => ({
    queue_id: `q_${t0 + i}_${Math.floor(rand() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}`,
    priority: priorities[Math.floor(rand() * priorities.length)],
    requested_gpus: sizes[Math.floor(rand() * sizes.length)],
    seq: Math.floor(rand() * ITEMS * 10),
    time_limit_s: limits[Math.floor(rand() * limits.length)],
    ready_ms: NOW - Math.floor(rand() * 48 * 3_600_000),
  }));
  // The top of the queue wants more GPUs than are idle: in strict and backfill every idle GPU it may
  // use is held for it, and each item after it is checked against the hold (and its time limit).
  items.push({
    queue_id: 'q_big',
    priority: 100,
    requested_gpus: 48,
    seq: 0,
    time_limit_s: null,
    ready_ms: NOW,
  });
  // seq is random, so the input arrives out of placement order: the sort is part of the cost.
  return { items, gpus };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function measure(
  items: readonly PlacementItem[],
  gpus: readonly PlacementGpu[],
  options: PlacementOptions,
): number[] {
  for (let i = 0; i < WARMUP; i++) place(items, gpus, options);
  const times: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const start = performance.now();
    place(items, gpus, options);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

function main(): void {
  const { items, gpus } = scenario();
  const fmt = (ms: number) => ms.toFixed(3);
  const cpu = cpus();
  console.log(
    `placement: ${items.length} items × ${gpus.length} GPUs, ${PASSES} passes after ${WARMUP} warmup`,
  );
  // The store normally hands the queue over already ordered; unordered input is the worst case.
  const presorted = items.slice().sort(compareForPlacement);
  for (const mode of SCHEDULING_POLICIES) {
    const options: PlacementOptions = { mode, now: NOW, priority_aging_per_hour: mode === 'skip' ? 0 : 1 };
    const result = place(items, gpus, options);
    const held = Object.values(result.pending).filter((r) => r.includes(' held for ')).length;
    console.log(
      `  ${mode}: launched ${result.launch.length}, pending ${Object.keys(result.pending).length} (${held} kept off held GPUs)`,
    );
    for (const [label, input] of [
      ['unordered input', items],
      ['pre-ordered input', presorted],
    ] as const) {
      const times = measure(input, gpus, options);
      console.log(
        `    ${label.padEnd(18)} p50 ${fmt(percentile(times, 50))} ms  p99 ${fmt(percentile(times, 99))} ms  max ${fmt(times[times.length - 1])} ms`,
      );
    }
  }
  console.log(`  node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`);
}

main();
