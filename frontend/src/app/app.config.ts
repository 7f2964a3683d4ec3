import {
  ApplicationConfig,
  ErrorHandler,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { routes } from './app.routes';
import { AuthStore } from './core/auth.store';
import { ConsoleErrorHandler } from './core/error-handler';
import { provideVisibleText } from './core/visible-text';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    { provide: ErrorHandler, useClass: ConsoleErrorHandler },
    // Control and bidi characters in what the server sends show as escapes, never reorder a view.
    provideVisibleText(),
    // Exchange a `?token=` for a session and learn the auth state before the first navigation.
    provideAppInitializer(() => inject(AuthStore).init()),
    provideRouter(routes, withComponentInputBinding()),
  ],
};
