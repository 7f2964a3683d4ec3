import { join } from 'node:path';
import { type Client, submitJob } from '@trainyard/sdk';
import { Page } from 'playwright-core';
import { SpawnedServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

const TRAINER = join(__dirname, '..', 'fixtures', 'trainer', 'status-trainer.py');

/**
 * A python trainer runs as a real job on the built server; its polled /status shows as pills and a
 * progress bar in the Jobs table and as the Trainer panel in the job pane, both moving as it trains.
 */
describe('trainer status (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let page: Page;
  let session: ConsoleSession | undefined;

  beforeAll(async () => {
    session = await openConsole(temp.home);
    ({ server, api, page } = session);
  });
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session?.pageErrors).toEqual([]));

  it('shows loss / lr / tok/s pills and a step bar in the table that change live, and a live Trainer panel', async () => {
    const { data: job } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        requested_gpus: 0,
        name: 'pill-trainer',
        job_params: { argv: ['python3', TRAINER, '5000', '0.3'] },
      },
    });
    await page.goto(`${server.baseUrl}/jobs`);
    const row = page.locator(`tr[data-job-id="${job.queue_id}"]`);
    const pills = row.getByRole('group', { name: 'Trainer status' });
    await pills.waitFor({ timeout: 15_000 });
    const texts = async () =>
      (await pills.locator('.pill').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    const first = await texts();
    expect(first).toEqual([
      expect.stringMatching(/^loss \d/),
      expect.stringMatching(/^lr \d/),
      expect.stringMatching(/tok\/s$/),
    ]);
    const bar = pills.locator('progress');
    const firstStep = await bar.getAttribute('aria-label');
    expect(firstStep).toMatch(/^Step \d[\d,]* \/ 5,000$/);

    // No reload: the jobs stream names the job when its trainer status changes.
    await waitFor(
      async () => (await texts())[0] !== first[0] || undefined,
      'the loss pill to change',
      10_000,
    );
    await waitFor(
      async () => (await bar.getAttribute('aria-label')) !== firstStep || undefined,
      'the step to move',
      10_000,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'trainer-status-pills.png') });

    await row.getByRole('link', { name: 'pill-trainer' }).click();
    const panel = page.getByRole('region', { name: 'Trainer', exact: true });
    await panel.waitFor();
    const fields = async () => (await panel.locator('dt').allTextContents()).map((t) => t.trim());
    expect(await fields()).toEqual(['step', 'epoch', 'loss', 'lr', 'grad norm', 'tokens/s', 'peak memory']);
    const stepCell = panel.locator('dd').first();
    const stepBefore = await stepCell.textContent();
    expect(stepBefore).toMatch(/\/ 5,000/);
    expect(await panel.locator('dd').last().textContent()).toMatch(/GiB/);
    await waitFor(
      async () => (await stepCell.textContent()) !== stepBefore || undefined,
      'the panel step to move',
      10_000,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'trainer-status-panel.png') });

    // On a wide screen the bar and the loss pill show in the Command column ...
    await page.setViewportSize({ width: 1900, height: 800 });
    const cmdPills = row.locator('td.c-cmd').getByRole('group', { name: 'Trainer status' });
    await cmdPills.locator('progress').waitFor();
    await cmdPills.getByText(/^loss/).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'trainer-status-wide.png') });
    // ... and narrower, where that column gives way to exit and error, they move under the job's name.
    await page.setViewportSize({ width: 800, height: 800 });
    const namePills = row.locator('td.c-name').getByRole('group', { name: 'Trainer status' });
    await namePills.locator('progress').waitFor();
    await namePills.getByText(/^loss/).waitFor();
    expect(await row.locator('td.c-cmd').isVisible()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, 'trainer-status-800.png') });
    await page.setViewportSize({ width: 640, height: 800 });
    await namePills.locator('progress').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'trainer-status-640.png') });
  });
});
