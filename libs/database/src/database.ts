import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

/** A write transaction's handle; repositories take it so a state change and its journal entry commit together. */
export type Tx = EntityManager;

/**
 * better-sqlite3 is one connection, and TypeORM cannot interleave two transactions on it, so write
 * transactions are queued here one after another (SQLite serializes writers anyway).
 */
@Injectable()
export class Database {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@Inject(DATA_SOURCE) readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.dataSource.transaction((tx) => work(tx)));
    this.tail = run.catch(() => undefined);
    return run;
  }
}
