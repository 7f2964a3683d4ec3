import { existsSync } from 'node:fs';
import {
  type Client,
  createTrainyardClient,
  getJob,
  getJobLog,
  setPassword,
  submitJob,
  setGpuPolicy,
} from '@trainyard/sdk';
import { Browser, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { freePort } from '../support/ports';
import { makeTempHome } from '../support/temp-home';
import { closeConsole } from './console-session';
import { CONSOLE_INDEX, launchChromium } from './browser';

/**
 * A console-triggered restart, as an operator does it to apply a config change: the running job and
 * the user's session survive (handed to the new worker; no --persist-sessions needed), and the live log and GPU cards reconnect by themselves.
 */
describe('console across a server restart (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let page: Page;
  let jobId: string | undefined;
  const pageErrors: string[] = [];

  const lastTick = async (): Promise<number> => {
    const { data } = await getJobLog({ client: api, path: { queue_id: jobId! }, parseAs: 'text' });
    const ticks = [...String(data).matchAll(/tick (\d+)/g)];
    return ticks.length ? Number(ticks[ticks.length - 1][1]) : 0;
  };

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    // A restart must come back on the same port for the page to follow.
    const port = await freePort();
    server = await spawnServer(temp.home, ['--port', String(port), '--fake-gpus', '2']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, server });
    temp.remove();
  });

  it('keeps the session, the running job, its live log and the GPU stream', async () => {
    const { data: job } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        name: 'ticker',
        requested_gpus: 1,
        job_params: {
          argv: ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo tick $i; sleep 0.1; done'],
        },
      },
    });
    jobId = job.queue_id;
    await page.goto(`${server.baseUrl}/jobs/${jobId}?token=${server.token}`);
    await page.getByRole('region', { name: 'Job ticker' }).waitFor();
    await page.locator('.log-term .xterm-rows', { hasText: 'tick 5' }).waitFor();
    const before = (await getJob({ client: api, path: { queue_id: jobId } })).data;
    expect(before).toMatchObject({ status: 'running', pid: expect.any(Number) });
    await page.getByRole('button', { name: 'Restart server' }).click();
    const confirm = page.getByRole('dialog', { name: 'Restart the server?' });
    await confirm.waitFor();
    await confirm.getByText(/browsers stay signed in/).waitFor();
    await confirm.getByRole('button', { name: 'Restart server' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Server restarted/ })
      .waitFor({ timeout: 30_000 });
    expect(server.process.exitCode).toBeNull();

    // Still signed in, still on the job, which is still running (same pid) ...
    expect(new URL(page.url()).pathname).toBe(`/jobs/${jobId}`);
    const after = (await getJob({ client: api, path: { queue_id: jobId } })).data;
    expect(after).toMatchObject({ status: 'running', pid: before.pid });
    // ... and lines written after the restart reach the terminal without a reload.
    // The log stream reconnects as soon as the server answers again, not when its backoff (up to
    // 15 s once the server was away a while) runs out.
    const target = (await lastTick()) + 10;
    await page.locator('.log-term .xterm-rows', { hasText: `tick ${target}` }).waitFor({ timeout: 12_000 });

    // The GPU cards' stream is back too: a policy change made elsewhere shows up live.
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await setGpuPolicy({ client: api, path: { index: 1 }, body: { disabled: true } });
    await page.locator('ty-gpu-card[data-gpu="1"]').getByText('Disabled', { exact: true }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
