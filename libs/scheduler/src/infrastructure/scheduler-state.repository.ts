import { Injectable } from '@nestjs/common';
import { Database, Tx } from '@trainyard/database';
import { SchedulerStateEntity } from './scheduler-state.entity';

@Injectable()
export class SchedulerStateRepository {
  constructor(private readonly db: Database) {}

  async enabled(): Promise<boolean> {
    const row = await this.db.manager.findOneBy(SchedulerStateEntity, { id: 1 });
    return row?.enabled ?? true;
  }

  /** `updatedAt`: ISO 8601, the time the journal entry carries too. */
  async setEnabled(tx: Tx, enabled: boolean, updatedAt: string): Promise<void> {
    await tx.save(SchedulerStateEntity, { id: 1, enabled, updated_at: updatedAt });
  }
}
