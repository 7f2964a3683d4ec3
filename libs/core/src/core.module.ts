import { DynamicModule, Global, Module } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from './config/server-config';
import { WsRouter } from './ws/ws-router';
import { Clock } from './clock';
import { StateDirectory } from './state-directory';

/** Provides the validated config, the WebSocket router, the clock and the state directory check to every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: SERVER_CONFIG, useValue: config }, WsRouter, Clock, StateDirectory],
      exports: [SERVER_CONFIG, WsRouter, Clock, StateDirectory],
    };
  }
}
