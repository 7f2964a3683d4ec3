import { Injectable } from '@nestjs/common';
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

  async loadAll(): Promise<StoredSession[]> {
    const rows = await this.db.manager.find(SessionEntity);
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
