import { Injectable } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { Database, Tx } from '@trainyard/database';
import { SessionEntity } from './session.entity';

export interface StoredSession {
  idHash: string;
  createdAt: number;
  expiresAt: number;
}

@Injectable()
export class SessionRepository {
  constructor(private readonly db: Database) {}

  /** Every row: persisted sessions and handed-over ones. */
  async loadAll(): Promise<StoredSession[]> {
    return this.toSessions(await this.db.manager.find(SessionEntity));
  }

  /** Rows a restarting worker handed over (`handOver`). */
  async loadHandedOver(): Promise<StoredSession[]> {
    return this.toSessions(
      await this.db.manager.find(SessionEntity, { where: { handed_over_at: Not(IsNull()) } }),
    );
  }

  private toSessions(rows: SessionEntity[]): StoredSession[] {
    return rows.map((r) => ({
      idHash: r.id_hash,
      createdAt: Date.parse(r.created_at),
      expiresAt: Date.parse(r.expires_at),
    }));
  }

  async insert(tx: Tx, session: StoredSession): Promise<void> {
    await tx.insert(SessionEntity, {
      id_hash: session.idHash,
      created_at: new Date(session.createdAt).toISOString(),
      expires_at: new Date(session.expiresAt).toISOString(),
    });
  }

  /**
   * Writes live sessions for the next worker, marked with `at` (ms). A session that is also persisted
   * keeps its row and gets the mark.
   */
  async handOver(tx: Tx, sessions: StoredSession[], at: number): Promise<void> {
    const handedOverAt = new Date(at).toISOString();
    for (const session of sessions) {
      await tx.upsert(
        SessionEntity,
        {
          id_hash: session.idHash,
          created_at: new Date(session.createdAt).toISOString(),
          expires_at: new Date(session.expiresAt).toISOString(),
          handed_over_at: handedOverAt,
        },
        ['id_hash'],
      );
    }
  }

  /** Handed-over rows become ordinary persisted ones (`--persist-sessions`). */
  async clearHandOverMarks(tx: Tx): Promise<void> {
    await tx.update(SessionEntity, { handed_over_at: Not(IsNull()) }, { handed_over_at: null });
  }

  /** Deletes handed-over rows (all, or only those marked before `before` ms); returns how many went. */
  async deleteHandedOver(tx: Tx, before?: number): Promise<number> {
    const query = tx.createQueryBuilder().delete().from(SessionEntity).where('handed_over_at IS NOT NULL');
    if (before !== undefined)
      query.andWhere('handed_over_at < :before', { before: new Date(before).toISOString() });
    return (await query.execute()).affected ?? 0;
  }

  async delete(tx: Tx, idHash: string): Promise<void> {
    await tx.delete(SessionEntity, { id_hash: idHash });
  }

  /** Deletes every row but `keepHash`'s; returns how many went. */
  async deleteAllExcept(tx: Tx, keepHash?: string): Promise<number> {
    const query = tx.createQueryBuilder().delete().from(SessionEntity);
    if (keepHash) query.where('id_hash != :keepHash', { keepHash });
    return (await query.execute()).affected ?? 0;
  }

  /** Deletes rows expired at `now` (ms); returns how many went. */
  async deleteExpired(tx: Tx, now: number): Promise<number> {
    const result = await tx
      .createQueryBuilder()
      .delete()
      .from(SessionEntity)
      .where('expires_at <= :now', { now: new Date(now).toISOString() })
      .execute();
    return result.affected ?? 0;
  }
}
