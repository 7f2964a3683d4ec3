import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from '../support/http';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

/** A page on another loopback port: same-site with the server, but a foreign origin. */
async function startForeignSite(html: (target: string) => string, target: string): Promise<Server> {
  const site = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(html(target));
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  return site;
}
const siteUrl = (site: Server) => `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

/** Collects what Chromium reports about a page: CSP violations and uncaught errors. */
function watch(page: Page): { csp: string[]; errors: string[] } {
  const seen = { csp: [] as string[], errors: [] as string[] };
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.csp.push(msg.text());
  });
  page.on('pageerror', (err) => seen.errors.push(err.message));
  return seen;
}

/**
 * Browser hardening and sign-in links, in Chromium against the built server: the console and the
 * Swagger UI work under the Content-Security-Policy, nobody can frame the console, a one-shot
 * sign-in link signs in, and with --no-auth a foreign page can neither change anything nor open a
 * WebSocket.
 */
describe('browser security (browser e2e)', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  describe('with auth', () => {
    const temp = makeTempHome();
    let server: SpawnedServer;
    let context: BrowserContext;
    let page: Page;
    let seen: { csp: string[]; errors: string[] };
    beforeAll(async () => {
      server = await spawnServer(temp.home, ['--fake-gpus', '2']);
      context = await browser.newContext();
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
      seen = watch(page);
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      temp.remove();
    });

    it('a one-shot sign-in link (/?token=ut_…) signs the console in', async () => {
      const link = await request(server.baseUrl, 'POST', '/api/auth/url-token', { token: server.token! });
      expect(link.status).toBe(200);
      const answer = await page.goto(`${server.baseUrl}/?token=${link.body.token}`);
      expect(answer?.status()).toBe(200);
      // Signed in with a token and no password yet: the console asks for one (not the sign-in form).
      await page.getByRole('heading', { name: 'Set a password' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/sign-in'); // ?next= names the page asked for
      expect(page.url()).not.toContain('ut_');
      // The link was spent by that login: it cannot sign anyone in again.
      const again = await request(server.baseUrl, 'POST', '/api/auth/login', {
        body: { token: link.body.token },
      });
      expect(again.status).toBe(401);
      // Choose the password the console asks for; the session then opens the console.
      await page.getByLabel('New password').fill('correct horse battery');
      await page.getByLabel('Confirm password').fill('correct horse battery');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    });

    it('the console renders its views under the CSP, with no violation reported', async () => {
      const answer = await page.goto(`${server.baseUrl}/gpus`);
      const headers = answer!.headers();
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      await page.getByRole('heading', { name: 'GPUs' }).waitFor();
      await page.locator('ty-gpu-card[data-gpu="1"]').waitFor(); // live over the WebSocket
      for (const view of ['Queue', 'Jobs']) {
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: view }).click();
        await page.getByRole('heading', { name: view }).waitFor();
      }
      // Angular's component styles are in place (inline <style> allowed by style-src).
      const styled = await page.evaluate("document.querySelectorAll('style').length");
      expect(styled).toBeGreaterThan(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'csp-console.png') });
      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
    });

    it('the Swagger UI renders under the CSP (with the session cookie), with no violation reported', async () => {
      await page.goto(`${server.baseUrl}/api/docs`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Trainyard' }).waitFor();
      await page.locator('.opblock-summary-path').first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'csp-swagger.png') });
      expect(seen.csp).toEqual([]);
      expect(seen.errors).toEqual([]);
    });

    it('a page on another port cannot frame the console', async () => {
      const site = await startForeignSite(
        (target) => `<!doctype html><title>framer</title><iframe id="f" src="${target}"></iframe>`,
        `${server.baseUrl}/gpus`,
      );
      const framer = await context.newPage();
      try {
        const refused: string[] = [];
        framer.on('console', (msg) => refused.push(msg.text()));
        await framer.goto(siteUrl(site));
        await waitFor(() => refused.some((m) => m.includes("frame-ancestors 'none'")), 'frame refusal');
        const frame = framer.frames().find((f) => f !== framer.mainFrame());
        // The frame holds Chromium's error page, not the console.
        expect(await frame?.locator('ty-root').count()).toBe(0);
      } finally {
        await framer.close();
        site.close();
      }
    });
  });

  describe('an upstream page through a proxy (signed in)', () => {
    const temp = makeTempHome();
    let server: SpawnedServer;
    let context: BrowserContext;
    let upstream: Server;
    const asked: string[] = [];
    beforeAll(async () => {
      server = await spawnServer(temp.home, ['--fake-gpus', '1']);
      context = await browser.newContext();
      const signIn = await context.newPage();
      await signIn.goto(`${server.baseUrl}/?token=${server.token}`); // a session cookie, as a user has
      // The console trades the token for the cookie after the page loads: wait until it has (it then
      // asks for a password, as no one has set one), or the page closes first and nobody is signed in.
      await signIn.getByRole('heading', { name: 'Set a password' }).waitFor({ timeout: 20_000 });
      await signIn.close();
      // Anyone's server: an inference "model list" that is a page with script, its own CSP and framing.
      upstream = createServer((req, res) => {
        asked.push(req.url ?? '');
        if (req.url?.startsWith('/js/')) {
          res.writeHead(200, { 'content-type': 'application/javascript' });
          res.end(
            `document.title = 'PWNED'; fetch('/api/queue', { method: 'POST', headers: { 'content-type': ` +
              `'application/json' }, body: JSON.stringify({ job_type: 'command', requested_gpus: 0, ` +
              `name: 'pwned', job_params: { argv: ['true'] } }) });`,
          );
          return;
        }
        res.writeHead(200, {
          'content-type': 'text/html',
          'content-security-policy': "default-src * 'unsafe-inline'",
          'x-frame-options': 'ALLOWALL',
        });
        const js = `/api/inference/models?base=${encodeURIComponent(`${upstreamUrl()}/js`)}`;
        res.end(
          `<!doctype html><title>models</title><script>document.title = 'PWNED-inline'</script><script src="${js}"></script>`,
        );
      });
      upstream.listen(0, '127.0.0.1');
      await once(upstream, 'listening');
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      upstream?.close();
      temp.remove();
    });
    const upstreamUrl = () => `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const proxied = () =>
      `${server.baseUrl}/api/inference/models?base=${encodeURIComponent(`${upstreamUrl()}/v1`)}`;
    const pwnedJobs = async () =>
      (await request(server.baseUrl, 'GET', '/api/jobs?q=pwned', { token: server.token! })).body
        .total as number;

    it('a foreign page that sends the operator to it is refused before the upstream is asked', async () => {
      // Before: the upstream's page ran as the console, signed in, and queued a command (as root).
      const site = await startForeignSite(
        (target) => `<script>location = ${JSON.stringify(target)}</script>`,
        proxied(),
      );
      const victim = await context.newPage();
      try {
        const landed = victim.waitForResponse((r) => r.url().startsWith(`${server.baseUrl}/api/inference/`));
        await victim.goto(siteUrl(site));
        const answer = await landed;
        expect(answer.status()).toBe(403);
        expect((await answer.json()).message).toContain(
          "answers the console's requests, not a document from another site",
        );
        expect(asked).toEqual([]);
        expect(await victim.title()).not.toContain('PWNED');
      } finally {
        await victim.close();
        site.close();
      }
      expect(await pwnedJobs()).toBe(0);
    });

    it('opened directly, it is shown sandboxed: none of its script runs, and our headers stay', async () => {
      const tab = await context.newPage();
      try {
        const answer = await tab.goto(proxied());
        expect(answer!.status()).toBe(200);
        const headers = answer!.headers();
        expect(headers['content-security-policy']).toBe(
          "sandbox; default-src 'none'; frame-ancestors 'none'",
        );
        expect(headers['x-frame-options']).toBe('DENY');
        expect(headers['x-content-type-options']).toBe('nosniff');
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await tab.title()).toBe('models');
        expect(asked).toEqual(['/v1/models']); // its script was never even fetched
      } finally {
        await tab.close();
      }
      expect(await pwnedJobs()).toBe(0);
    });
  });

  describe('with --no-auth', () => {
    const temp = makeTempHome();
    let server: SpawnedServer;
    let context: BrowserContext;
    beforeAll(async () => {
      server = await spawnServer(temp.home, ['--no-auth', '--fake-gpus', '1']);
      context = await browser.newContext();
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      temp.remove();
    });

    it('a foreign page can neither delete jobs (no-cors POST) nor open a WebSocket; the console can', async () => {
      const submitted = await request(server.baseUrl, 'POST', '/api/queue', {
        body: { job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } },
      });
      expect(submitted.status).toBe(201);
      const id = submitted.body.queue_id as string;
      await waitFor(
        async () => (await request(server.baseUrl, 'GET', `/api/jobs/${id}`)).body.status === 'done',
        'job done',
        20_000,
      );

      const site = await startForeignSite(
        (target) => `<!doctype html><title>attacker</title><script>
          window.attack = async () => {
            await fetch('${target}/api/jobs/cleanup', { method: 'POST', mode: 'no-cors' });
            await fetch('${target}/api/queue', {
              method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
              body: JSON.stringify({ job_type: 'command', requested_gpus: 0, job_params: { argv: ['true'] } }),
            });
            return new Promise((resolve) => {
              const ws = new WebSocket('${target.replace('http', 'ws')}/api/jobs/stream');
              ws.onopen = () => resolve('open');
              ws.onerror = () => resolve('refused');
            });
          };
        </script>`,
        server.baseUrl,
      );
      const attacker = await context.newPage();
      try {
        await attacker.goto(siteUrl(site));
        expect(await attacker.evaluate('window.attack()')).toBe('refused');
      } finally {
        await attacker.close();
        site.close();
      }
      expect((await request(server.baseUrl, 'GET', `/api/jobs/${id}`)).status).toBe(200);
      expect((await request(server.baseUrl, 'GET', '/api/queue')).body.total).toBe(0);

      // The console itself (same origin) still works without auth, WebSocket included.
      const page = await context.newPage();
      try {
        const seen = watch(page);
        await page.goto(`${server.baseUrl}/gpus`);
        await page.locator('ty-gpu-card[data-gpu="0"]').waitFor({ timeout: 10_000 });
        expect(seen.csp).toEqual([]);
        const fromConsole = await page.evaluate(
          "fetch('/api/jobs/cleanup', { method: 'POST' }).then((r) => r.status)",
        );
        expect(fromConsole).toBe(200);
      } finally {
        await page.close();
      }
    });
  });
});
