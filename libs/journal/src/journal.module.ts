import { DynamicModule, Global, Module } from '@nestjs/common';
import { Journal, NODE_ID } from './journal';
import { JournalController } from './journal.controller';

@Global()
@Module({})
export class JournalModule {
  static forRoot(nodeId: string): DynamicModule {
    return {
      module: JournalModule,
      controllers: [JournalController],
      providers: [{ provide: NODE_ID, useValue: nodeId }, Journal],
      exports: [Journal, NODE_ID],
    };
  }
}
