import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, createTrainyardClient, getGpuHistory, listGpus, setPassword } from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

const REPLAY = join(__dirname, '..', 'fixtures', 'nvidia-smi', 'replay.sh');

/**
 * The GPUs view at 1280 px against the built server reading a recorded nvidia-smi: two GPUs with a
 * long product name, the second with MIG mode enabled.
 */
describe('GPUs view (browser e2e, recorded nvidia-smi)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const card = (index: number) => page.locator(`ty-gpu-card[data-gpu="${index}"]`);
  const disabledOnServer = async () => (await listGpus({ client: api })).data.gpus.map((g) => g.disabled);

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    server = await spawnServer(temp.home, [], {
      TRAINYARD_NVIDIA_SMI: REPLAY,
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mig',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
    });
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await card(1).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('leaves the policy alone on a click anywhere on the card but the switch', async () => {
    for (const part of ['.head .title', '.badges', '.meters', '.stats', '.procs']) {
      await card(0).locator(part).click();
    }
    await page.waitForTimeout(300);
    expect(await disabledOnServer()).toEqual([false, false]);
    expect(await card(0).getByRole('switch').getAttribute('aria-checked')).toBe('true');
  });

  it('disables a GPU with its switch, and Undo on the toast enables it again', async () => {
    await card(0).getByRole('switch', { name: 'GPU 0 available to the scheduler' }).click();
    await card(0).getByText('Disabled', { exact: true }).waitFor();
    expect(await disabledOnServer()).toEqual([true, false]);

    const toast = page.getByRole('status').filter({ hasText: 'GPU 0 disabled' });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await waitFor(async () => (await disabledOnServer())[0] === false, 'GPU 0 to be enabled again');
    await waitFor(
      async () => (await card(0).getByRole('switch').getAttribute('aria-checked')) === 'true',
      'the switch to show it',
    );
  });

  it('shows the whole GPU name at 1280 px', async () => {
    const name = card(1).locator('.name');
    expect(((await name.textContent()) ?? '').trim()).toBe('RTX PRO 6000 Blackwell Server Edition');
    const fits = await name.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const host = el.closest('ty-gpu-card')!.getBoundingClientRect();
      return el.scrollWidth <= el.clientWidth && box.right <= host.right && box.left >= host.left;
    });
    expect(fits).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'gpus-1280.png') });
  });

  it('marks the MIG GPU without listed MIG devices with a warning badge', async () => {
    const badge = card(1).locator('.badges .mig');
    expect(((await badge.textContent()) ?? '').trim()).toBe('MIG · no devices');
    expect(await badge.getAttribute('title')).toContain('GPU 1 has MIG enabled');
    expect(await card(0).locator('.badges .mig').count()).toBe(0);
  });

  it('draws each GPU’s last hour as a sparkline once there are two history points', async () => {
    // The console reads 30 s buckets; the second one starts at the next 30 s boundary.
    await waitFor(
      async () => {
        const { data } = await getGpuHistory({ client: api, query: { window_s: 3600, step_s: 30 } });
        return data.gpus.every((g) => g.t.length >= 2);
      },
      'two 30 s history buckets',
      40_000,
    );
    await page.reload();
    const line = card(0).locator('svg.spark polyline.spark-mem');
    await line.waitFor({ state: 'attached' });
    const points = (await line.getAttribute('points')) ?? '';
    expect(points.split(' ').length).toBeGreaterThanOrEqual(2);
    expect(
      await card(0)
        .getByRole('img', { name: /last hour/ })
        .count(),
    ).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'gpus-sparklines.png') });
  }, 60_000);
});
