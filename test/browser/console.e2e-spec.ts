import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, ROOT, SCREENSHOTS, launchChromium } from './browser';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PASSWORD = 'correct horse battery';

/** The --bg palette colours (styles.css). */
const DARK_BG = 'rgb(15, 17, 21)';
const LIGHT_BG = 'rgb(245, 246, 248)';

/** The built console (dist/frontend) served by the built server, driven by Debian's Chromium. */
describe('console (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    // No nvidia-smi, even on a GPU host: the GPUs view then has its "binary missing" state to show.
    server = await spawnServer(temp.home, [], { TRAINYARD_NVIDIA_SMI: join(temp.home, 'no-nvidia-smi') });
    browser = await launchChromium();
    context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
    // Fail on a missing element well before jest's own timeout, with Playwright's message.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('exchanges the startup ?token= for a session, strips it from the URL and asks for a password', async () => {
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    const historyBefore = await page.evaluate('history.length');
    const answer = await page.goto(`${server.baseUrl}/?token=${server.token}`);
    expect(answer?.status()).toBe(200);

    await page.getByRole('heading', { name: 'Set a password' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in'); // ?next= names the page asked for
    // One history entry for the visit: the token URL was replaced in place, not left behind.
    expect(await page.evaluate('history.length')).toBe((historyBefore as number) + 1);
    await shot('set-password');
  });

  it('refuses a short or mismatched password before asking the server', async () => {
    const save = page.getByRole('button', { name: 'Set password' });
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('Confirm password').fill('shorter');
    expect(await save.isDisabled()).toBe(true);
    await page.getByText('The passwords do not match.').waitFor();
  });

  it('sets the password and shows the shell with the server version', async () => {
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();

    // The console opens on the GPUs view, which says plainly that nvidia-smi is missing.
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/gpus`);
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.textContent()).toContain('Trainyard');
    expect(await nav.getByTitle('Server version').textContent()).toBe(`v${VERSION}`);
    for (const view of ['GPUs', 'Queue', 'Jobs']) await nav.getByRole('link', { name: view }).waitFor();
    await page.getByRole('status').filter({ hasText: 'nvidia-smi was not found' }).waitFor();
    await page.getByText('No GPUs to show').waitFor();
    await shot('shell');
  });

  it('signs out and lands on the sign-in page, where the console is out of reach', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/sign-in`);

    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in'); // ?next= names the page asked for
    await shot('sign-in');
  });

  it('says so clearly when the password is wrong', async () => {
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong password.');
    await shot('sign-in-error');
  });

  it('signs in with the password and shows the shell with the version', async () => {
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/gpus`);
    expect(await page.getByRole('navigation').getByTitle('Server version').textContent()).toBe(`v${VERSION}`);
  });

  it('switches to the light theme and keeps the choice across reloads', async () => {
    // A locator, not waitForFunction: its polling evaluates strings, which the CSP forbids (no eval).
    const themeIs = (theme: string) =>
      page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
    const background = (on: Page = page) => on.evaluate('getComputedStyle(document.body).backgroundColor');
    await themeIs('dark');
    expect(await background()).toBe(DARK_BG);
    await page.getByRole('button', { name: 'Switch to light' }).click();
    await themeIs('light');
    expect(await background()).toBe(LIGHT_BG);

    await page.reload();
    await page.getByRole('button', { name: 'Switch to dark' }).waitFor();
    await themeIs('light');
    expect(await background()).toBe(LIGHT_BG);
    await shot('shell-light');

    // Without a choice the palette follows the system's preference.
    const system = await browser.newContext({ colorScheme: 'light' });
    try {
      const fresh = await system.newPage();
      await fresh.goto(`${server.baseUrl}/sign-in`);
      await fresh.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await background(fresh)).toBe(LIGHT_BG);
    } finally {
      await system.close();
    }
  });

  it('"Sign out everywhere" ends this session and every other browser\'s', async () => {
    const other = await browser.newContext();
    try {
      const elsewhere = await other.newPage();
      await elsewhere.goto(`${server.baseUrl}/sign-in`);
      await elsewhere.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await elsewhere.getByRole('button', { name: 'Sign in' }).click();
      await elsewhere.getByRole('heading', { name: 'GPUs' }).waitFor();

      await page.getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(page.url()).toBe(`${server.baseUrl}/sign-in`);

      await elsewhere.reload();
      await elsewhere.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(new URL(elsewhere.url()).pathname).toBe('/sign-in'); // ?next= names the page asked for
    } finally {
      await other.close();
    }
  });

  // Last: it leaves this address throttled for password sign-ins.
  it('after too many wrong passwords, the Token tab says the token signs in now, and it does', async () => {
    const alert = page.getByRole('alert');
    const password = page.getByLabel('Password', { exact: true });
    for (let attempt = 0; attempt < 8; attempt++) {
      await password.fill('still not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The field is cleared once the answer is in; until then the alert still shows the last one.
      await waitFor(async () => (await password.inputValue()) === '', 'the answer to a sign-in');
      await alert.waitFor();
      if ((await alert.textContent())?.includes('Try again in')) break;
    }
    expect(await alert.textContent()).toMatch(/Try again in \d+ s, or use the token\./);
    await page.getByRole('button', { name: 'Token', exact: true }).click();
    // No "try again" where the token is typed: the token is taken at once.
    await page.getByRole('status').filter({ hasText: 'the token signs in now' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByLabel('Token', { exact: true }).fill(server.token!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  });
});
