import { Router, UrlTree } from '@angular/router';

/** The query parameter on /sign-in that names the page to open after signing in. */
export const NEXT_PARAM = 'next';

/**
 * `raw` if it is a path inside this console (`/jobs?status=failed`), else `/`: anything not starting
 * with a single `/`, holding `//` or `\`, a scheme or a control character, or pointing back at
 * /sign-in is refused, so a crafted sign-in link cannot send the user to another site.
 */
export function safeReturnUrl(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.includes('//') || raw.includes('\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw) || /^\/*[a-z][a-z0-9+.-]*:/i.test(raw)) return '/';
  if (/^\/sign-in(?:[/?#]|$)/.test(raw)) return '/';
  return raw;
}

/** The sign-in page, remembering `returnUrl` (query included) to open once signed in. */
export function signInUrl(router: Router, returnUrl: string): UrlTree {
  const next = safeReturnUrl(returnUrl);
  return router.createUrlTree(['/sign-in'], next === '/' ? {} : { queryParams: { [NEXT_PARAM]: next } });
}
