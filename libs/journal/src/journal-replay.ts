import type { Type } from '@nestjs/common';
import type { Tx } from '@trainyard/database';
import type { JournalEntry } from './journal';
import { journalEntryTypeOf, journalEntryTypes } from './journal-entry-type';

/**
 * How entries of one type change the replicated tables. `apply` gets the stored payload (plain JSON
 * with the declared fields) and throws {@link ReplayMismatchError} when the replica's rows do not
 * allow it (the entry's row is missing or in another state): the replica has diverged.
 */
export interface ReplayRule {
  type: string;
  apply(tx: Tx, payload: Record<string, unknown>): Promise<void>;
}

/** The rule for `entry`'s declared type. */
export function replayRule<T extends object>(
  entry: Type<T>,
  apply: (tx: Tx, payload: T) => Promise<void>,
): ReplayRule {
  return { type: journalEntryTypeOf(entry), apply: (tx, payload) => apply(tx, payload as unknown as T) };
}

/** For entries that record what happened (logins, kills of foreign processes) but change no replicated row. */
export function auditOnly(entry: Type<object>): ReplayRule {
  return replayRule(entry, () => Promise.resolve());
}

export class ReplayMismatchError extends Error {}

/** Throws a {@link ReplayMismatchError} naming `what` unless the write affected `expected` rows. */
export function expectAffected(result: { affected?: number | null }, expected: number, what: string): void {
  const affected = result.affected ?? 0;
  if (affected !== expected)
    throw new ReplayMismatchError(`${what} (${affected} of ${expected} rows affected)`);
}

/**
 * A set of rules, one per declared entry type. Throws at construction when a declared type has no
 * rule, or a type has two, so a new entry type cannot be journaled without saying how it replays.
 */
export class JournalReplayer {
  private readonly rules = new Map<string, ReplayRule>();

  constructor(rules: readonly ReplayRule[]) {
    for (const rule of rules) {
      if (this.rules.has(rule.type)) throw new Error(`two replay rules for ${rule.type}`);
      this.rules.set(rule.type, rule);
    }
    const missing = [...journalEntryTypes().keys()].filter((type) => !this.rules.has(type));
    if (missing.length) throw new Error(`no replay rule for ${missing.join(', ')}`);
  }

  /**
   * Applies `entries` in the given order inside `tx` (the caller's transaction), each after the
   * previous one's seq (the first after `afterSeq`). Returns the last seq applied (`afterSeq` if none).
   * Throws on an unknown type, a seq out of order, or an entry that does not apply; the error names
   * the entry, and the caller's transaction should then roll back.
   */
  async apply(tx: Tx, entries: Iterable<JournalEntry>, afterSeq = 0): Promise<number> {
    let last = afterSeq;
    for (const entry of entries) {
      if (entry.seq <= last)
        throw new Error(`journal entry seq ${entry.seq} comes after seq ${last}: out of order`);
      const rule = this.rules.get(entry.type);
      if (!rule) throw new Error(`journal entry seq ${entry.seq} has unknown type ${entry.type}`);
      try {
        await rule.apply(tx, entry.payload);
      } catch (err) {
        if (err instanceof ReplayMismatchError) {
          throw new ReplayMismatchError(
            `journal entry seq ${entry.seq} (${entry.type}) does not apply: ${err.message}`,
          );
        }
        throw err;
      }
      last = entry.seq;
    }
    return last;
  }
}
