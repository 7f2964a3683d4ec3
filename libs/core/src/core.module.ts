import { DynamicModule, Global, Module } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from './config/server-config';
import { WsRouter } from './ws/ws-router';
import { Clock } from './clock';

/** Provides the validated config, the WebSocket router and the clock to every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: SERVER_CONFIG, useValue: config }, WsRouter, Clock],
      exports: [SERVER_CONFIG, WsRouter, Clock],
    };
  }
}
