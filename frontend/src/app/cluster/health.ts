import type { ClusterMemberDto } from '@trainyard/sdk';

/** Versions whose disagreement breaks a multi-node run (the ones a submit checks). */
export const HEADLINE_VERSIONS = ['trainyard', 'torch', 'cuda', 'nccl'] as const;

export type Health = 'ok' | 'diverged' | 'unreachable';

export interface NodeHealth {
  health: Health;
  /** For the tooltip: what is wrong, e.g. `torch 2.5.0 (most nodes: 2.4.1)`; empty when ok. */
  detail: string;
}

/**
 * A member's health dot: red when unreachable; yellow when one of its headline versions differs from
 * what most reachable members run (ties: no majority, no yellow); green otherwise.
 */
export function nodeHealth(member: ClusterMemberDto, members: readonly ClusterMemberDto[]): NodeHealth {
  if (!member.reachable) return { health: 'unreachable', detail: 'Unreachable (no heartbeat)' };
  const peers = members.filter((m) => m.reachable);
  const diffs: string[] = [];
  for (const key of HEADLINE_VERSIONS) {
    const majority = majorityOf(peers.map((m) => m.versions[key] ?? null));
    const mine = member.versions[key] ?? null;
    if (majority !== undefined && mine !== majority)
      diffs.push(`${key} ${mine ?? 'none'} (most nodes: ${majority ?? 'none'})`);
  }
  return diffs.length ? { health: 'diverged', detail: diffs.join(', ') } : { health: 'ok', detail: '' };
}

/** The value held by more than half of `values`; undefined when none is. */
function majorityOf(values: readonly (string | null)[]): string | null | undefined {
  const counts = new Map<string | null, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [v, n] of counts) if (n * 2 > values.length) return v;
  return undefined;
}
