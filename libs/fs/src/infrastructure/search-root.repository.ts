import { Injectable } from '@nestjs/common';
import { Database, Tx } from '@trainyard/database';
import { SearchRootEntity } from './search-root.entity';

export interface SearchRoot {
  path: string;
  added_at: string;
}

@Injectable()
export class SearchRootRepository {
  constructor(private readonly db: Database) {}

  /** Every search root, oldest first. */
  async list(): Promise<SearchRoot[]> {
    const rows = await this.db.manager.find(SearchRootEntity, { order: { added_at: 'ASC', path: 'ASC' } });
    return rows.map(({ path, added_at }) => ({ path, added_at }));
  }

  async find(tx: Tx, path: string): Promise<SearchRoot | null> {
    return tx.findOneBy(SearchRootEntity, { path });
  }

  async add(tx: Tx, root: SearchRoot): Promise<void> {
    await tx.insert(SearchRootEntity, root);
  }

  async remove(tx: Tx, path: string): Promise<void> {
    await tx.delete(SearchRootEntity, { path });
  }
}
