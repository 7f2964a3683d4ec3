import { join } from 'node:path';
import { type Client, createTrainyardClient, listGpus, setPassword } from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { closeConsole } from './console-session';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';
import { existsSync } from 'node:fs';

/**
 * MIG in the console at 800 px, against the built server with fake GPUs, GPU 1 in MIG mode
 * (`--fake-mig`): its card lists the MIG devices, the New job form places a job on one by profile,
 * and the card then shows that device busy with the job.
 */
describe('MIG in the console (browser e2e, --fake-mig)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const card = (index: number) => page.locator(`ty-gpu-card[data-gpu="${index}"]`);

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    server = await spawnServer(temp.home, ['--fake-gpus', '2', '--fake-mig', '1:1g.10gb,1g.10gb,2g.20gb']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await card(1).waitFor();
  });

  afterAll(async () => {
    await closeConsole({ server, api, browser, context });
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('lists the MIG devices, runs a job on one from the form, then shows it busy with the job', async () => {
    const devices = card(1).getByRole('list', { name: 'MIG devices of GPU 1' }).getByRole('listitem');
    await waitFor(async () => (await devices.count()) === 3 || undefined, 'three MIG devices listed');
    expect(await card(0).locator('ul.migs').count()).toBe(0);
    for (let i = 0; i < 3; i++) expect(await devices.nth(i).textContent()).toContain('free');
    expect(await devices.nth(2).textContent()).toContain('2g.20gb');
    // Nothing spills out of the card at 800 px.
    const fits = await card(1).evaluate((host) => {
      const box = host.getBoundingClientRect();
      return [...host.querySelectorAll('li')].every((li) => {
        const r = li.getBoundingClientRect();
        return r.left >= box.left && r.right <= box.right && li.scrollWidth <= li.clientWidth;
      });
    });
    expect(fits).toBe(true);

    await page.getByRole('button', { name: 'New job' }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('argv *').fill('sleep 60');
    await dialog.getByLabel('Name').fill('mig-slice');
    await dialog.getByLabel('GPUs').fill('1');
    const profile = dialog.getByLabel('MIG profile');
    expect(await profile.locator('option').allTextContents()).toEqual([
      'Whole GPUs',
      ' 1g.10gb · 2 of 2 free ',
      ' 2g.20gb · 1 of 1 free ',
    ]);
    await profile.selectOption('2g.20gb');
    expect(await dialog.locator('#submit-gpus-hint').textContent()).toContain('2g.20gb MIG devices');
    await page.screenshot({ path: join(SCREENSHOTS, 'mig-submit-800.png') });
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL(/\/jobs\/q_/);
    const id = page.url().split('/jobs/')[1];

    const held = async () => (await listGpus({ client: api })).data.gpus[1].mig_devices[2].reserved_by;
    await waitFor(async () => (await held()) === id || undefined, 'the 2g.20gb device held by the job');

    await page.getByRole('link', { name: 'GPUs' }).first().click();
    const busy = card(1).locator('li[data-mig="2"] a');
    await busy.filter({ hasText: 'mig-slice' }).waitFor();
    expect(await busy.getAttribute('href')).toBe(`/jobs/${id}`);
    expect(await card(1).locator('.badges .mig').textContent()).toContain('2 of 3 free');
    await page.getByText('2 GPUs · 1 in use').waitFor();
    // Keyboard: the holder is a link reached with Tab and followed with Enter.
    await busy.focus();
    expect(await busy.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'mig-gpus-800.png') });
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/jobs/${id}$`));
  }, 60_000);
});
