import { DynamicModule, Global, Module } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from './config/server-config';
import { WsRouter } from './ws/ws-router';

/** Provides the validated config and the WebSocket router to every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: SERVER_CONFIG, useValue: config }, WsRouter],
      exports: [SERVER_CONFIG, WsRouter],
    };
  }
}
