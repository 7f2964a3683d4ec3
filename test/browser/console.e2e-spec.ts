import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';

const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
const CONSOLE_INDEX = join(ROOT, 'dist', 'frontend', 'browser', 'index.html');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PASSWORD = 'correct horse battery';

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
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await spawnServer(temp.home);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
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
    expect(page.url()).toBe(`${server.baseUrl}/sign-in`);
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

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/`);
    const banner = page.getByRole('banner');
    expect(await banner.textContent()).toContain('Trainyard');
    expect(await banner.getByTitle('Server version').textContent()).toBe(`v${VERSION}`);
    await page.getByText('GPUs, queue and jobs arrive with the engine').waitFor();
    await shot('shell');
  });

  it('signs out and lands on the sign-in page, where the console is out of reach', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/sign-in`);

    await page.goto(`${server.baseUrl}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/sign-in`);
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

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/`);
    expect(await page.getByRole('banner').getByTitle('Server version').textContent()).toBe(`v${VERSION}`);
  });

  it('switches to the light theme and keeps the choice across reloads', async () => {
    const themeIs = (theme: string) =>
      page.waitForFunction(`document.documentElement.dataset.theme === '${theme}'`);
    await themeIs('dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await themeIs('light');

    await page.reload();
    await page.getByRole('button', { name: 'Switch to dark theme' }).waitFor();
    await themeIs('light');
    await shot('shell-light');
  });
});
