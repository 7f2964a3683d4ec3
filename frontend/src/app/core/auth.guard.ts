import { inject } from '@angular/core';
import { CanActivateFn, RedirectCommand, Router, UrlTree } from '@angular/router';
import { AuthStore } from './auth.store';
import { NEXT_PARAM, safeReturnUrl, signInUrl } from './return-url';

/** Redirects in place, so Back does not return to a page that bounces straight away. */
function redirectTo(target: string | UrlTree): RedirectCommand {
  const url = typeof target === 'string' ? inject(Router).parseUrl(target) : target;
  return new RedirectCommand(url, { replaceUrl: true });
}

/**
 * The console needs a session (and, on first run, a password or an explicit "not now"); without one
 * the sign-in page opens, and comes back to the link that was opened.
 */
export const requireSession: CanActivateFn = (_route, state) =>
  inject(AuthStore).ready() || redirectTo(signInUrl(inject(Router), state.url));

/** A signed-in user has nothing to do on the sign-in page: on to the page it was asked for. */
export const redirectSignedIn: CanActivateFn = (route) =>
  !inject(AuthStore).ready() || redirectTo(safeReturnUrl(route.queryParamMap.get(NEXT_PARAM)));
