import { DynamicModule, Global, Module, OnApplicationShutdown, Inject, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { DATA_SOURCE, Database } from './database';
import { WalCheckpointer } from './wal-checkpointer';

/** Checkpoints the WAL off the writer's thread while the app runs; closes the database at shutdown. */
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly checkpointer = new WalCheckpointer();

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly database: Database,
  ) {}

  async onModuleInit(): Promise<void> {
    const file = String(this.dataSource.options.database);
    if (this.dataSource.isInitialized && file !== ':memory:' && existsSync(file))
      await this.checkpointer.start(file, this.database.connection);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.checkpointer.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Takes an already opened (and migrated) DataSource from the composition root. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DATA_SOURCE, useValue: dataSource }, Database, DatabaseLifecycle],
      exports: [DATA_SOURCE, Database],
    };
  }
}
