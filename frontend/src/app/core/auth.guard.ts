import { inject } from '@angular/core';
import { CanActivateFn, RedirectCommand, Router } from '@angular/router';
import { AuthStore } from './auth.store';

/** Redirects in place, so Back does not return to a page that bounces straight away. */
function redirectTo(path: string): RedirectCommand {
  return new RedirectCommand(inject(Router).parseUrl(path), { replaceUrl: true });
}

/** The console needs a session (and, on first run, a password or an explicit "not now"). */
export const requireSession: CanActivateFn = () => inject(AuthStore).ready() || redirectTo('/sign-in');

/** A signed-in user has nothing to do on the sign-in page. */
export const redirectSignedIn: CanActivateFn = () => !inject(AuthStore).ready() || redirectTo('/');
